# acrhealth (MIT licence). The HTTP adapter: bounded calls, no redirects, no secrets in errors.
"""One ``requests`` session for the data-plane checks.

Every call has a deadline for the whole exchange (connect, headers and body), never follows
a redirect (a credential must not travel to another host), reads at most ``max_body`` bytes,
honours the CLI's AZURE_CLI_DISABLE_CONNECTION_VERIFICATION and takes proxies and the CA
bundle from the environment, as the CLI does.
"""

import re
import socket
import ssl
import time
from collections import namedtuple
from urllib.parse import urlsplit

from ._bounded import Overrun, limit, no_answer, within
from ._text import plain_reason, walk

MAX_BODY = 64 * 1024

HttpResponse = namedtuple('HttpResponse', 'status headers challenges body truncated')
_Call = namedtuple('_Call', 'method url form read_body headers max_body seconds cut')


class HttpError(Exception):
    """A call that got no HTTP answer. ``kind``: ssl, timeout, connection or protocol."""

    def __init__(self, kind, detail):
        super().__init__(f'{kind}: {detail}')
        self.kind = kind
        self.detail = detail


class HttpClient:  # pylint: disable=too-few-public-methods  # one call, but a session to keep
    """Bounded HTTPS calls; build one per command run."""

    def __init__(self, timeout, verify=True, max_body=MAX_BODY, clock=time.monotonic):
        import requests
        self._session = requests.Session()
        self._timeout = float(timeout)
        self._verify = verify
        self._max_body = max_body
        self._clock = clock
        # host -> the Date header of its latest answer: what its clock says (a clock-skew
        # check reads it; no request is made for it).
        self.dates = {}

    def request(self, method, url, form=None, read_body=True, *, headers=None, max_body=None):
        """Send one request; return an :data:`HttpResponse` or raise :class:`HttpError`.

        ``read_body=False`` reads only the status and headers (the /v2/ challenge needs no
        more): a huge, slow or broken body then cannot fail the call. ``headers`` are sent as
        given (an Authorization header only ever for the registry's own login server, the
        caller's rule); ``max_body`` overrides the client's limit for this call."""
        if urlsplit(url).scheme != 'https':
            raise HttpError('protocol', 'refusing a non-HTTPS URL')
        # requests' timeouts bound each socket read, not the exchange: a server dripping a
        # byte at a time (headers or body) would never trip them. So the exchange runs on a
        # daemon thread raced against the deadline; on expiry its socket is shut down.
        box = {}
        seconds, cut = limit(self._timeout)
        call = _Call(method, url, form, read_body, dict(headers or {}), max_body or self._max_body,
                     seconds, cut)
        try:
            return within(lambda: self._exchange(call, box), self._timeout,
                          on_overrun=lambda: _abort(box.get('response')))
        except Overrun as ex:
            raise HttpError('timeout', str(ex)) from None

    def _exchange(self, call, box):
        try:
            return self._request(call, box)
        except HttpError:
            raise
        except Exception as ex:  # pylint: disable=broad-except
            raise HttpError('protocol', plain_reason(ex)) from None

    def _request(self, call, box):
        import requests
        deadline = self._clock() + call.seconds
        try:
            response = self._session.request(
                call.method, call.url, data=call.form, allow_redirects=False, stream=True,
                verify=self._verify, timeout=(connect_seconds(call.seconds),
                                              call.seconds or 0.001),
                headers=dict({'Accept': 'application/json'}, **call.headers))
            box['response'] = response
            self.dates[(urlsplit(call.url).hostname or '').lower()] = response.headers.get('Date')
            try:
                if call.read_body:
                    body, truncated = self._read(response, deadline, call.max_body)
                else:
                    body, truncated = b'', False
                    _drain_small_body(response, call.seconds)
                challenges = _header_values(response, 'WWW-Authenticate')
                return HttpResponse(response.status_code, dict(response.headers), challenges,
                                    body, truncated)
            finally:
                response.close()
        except requests.exceptions.SSLError as ex:
            raise HttpError('ssl', ssl_reason(ex)) from None
        except (requests.exceptions.Timeout, _Deadline):
            raise HttpError('timeout', no_answer(call.seconds, call.cut)) from None
        except requests.exceptions.ConnectionError as ex:
            raise HttpError('connection', plain_reason(ex)) from None
        except (requests.exceptions.RequestException, OSError, ValueError) as ex:
            raise HttpError('protocol', plain_reason(ex)) from None

    def _read(self, response, deadline, max_body):
        chunks, size = [], 0
        for chunk in response.iter_content(4096):
            if self._clock() > deadline:
                raise _Deadline()
            chunks.append(chunk)
            size += len(chunk)
            if size > max_body:  # a body of exactly max_body is complete
                return b''.join(chunks)[:max_body], True
        return b''.join(chunks), False


class _Deadline(Exception):
    pass


def connect_seconds(seconds):
    """How long one address may take to accept the connection. urllib3 tries a host's
    addresses in turn, each with this limit: with all of the call's time, a dual-stack host
    whose IPv6 address never answers would leave nothing for its IPv4 one. Half of it (at
    least half a second) leaves a second address its chance within the call's deadline."""
    return max(min(seconds, 0.5), seconds / 2) or 0.001


def _abort(response):
    """Best effort: shut down the socket of an exchange that overstayed its deadline, so its
    abandoned thread ends now rather than when the server stops."""
    raw = getattr(response, 'raw', None)
    # urllib3 keeps the socket on its connection, or (after "Connection: close") only in
    # http.client's response file.
    file = getattr(getattr(raw, '_fp', None), 'fp', None)
    for sock in (getattr(getattr(raw, '_connection', None), 'sock', None),
                 getattr(getattr(file, 'raw', None), '_sock', None)):
        try:
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)
                return
        except (OSError, ValueError):
            pass


DRAIN_LIMIT = 16 * 1024
DRAIN_SECONDS = 0.25


def _socket_of(response):
    raw = getattr(response, 'raw', None)
    connection = getattr(raw, '_connection', None) or getattr(raw, 'connection', None)
    return getattr(connection, 'sock', None)


def _drain_small_body(response, timeout):
    """Read a small body that is already on its way (real ACR's 401 carries 149 bytes), so the
    keep-alive connection goes back to the pool for the next request to the same host. Never
    fails and never waits long: a large, slow or broken body just closes the connection."""
    length = response.headers.get('Content-Length') or ''
    sock = _socket_of(response)
    if not length.isdigit() or int(length) > DRAIN_LIMIT or sock is None:
        return False
    try:
        sock.settimeout(DRAIN_SECONDS)
        ends = time.monotonic() + DRAIN_SECONDS
        for _ in response.iter_content(4096):
            if time.monotonic() > ends:
                return False
        sock.settimeout(timeout)
        return True
    except Exception:  # pylint: disable=broad-except  # a body nobody needs: close instead
        return False


def _header_values(response, name):
    """Every value of a header, also when it was sent several times."""
    raw = getattr(response, 'raw', None)
    headers = getattr(raw, 'headers', None)
    if headers is not None and hasattr(headers, 'getlist'):
        return list(headers.getlist(name))
    value = response.headers.get(name)
    return [value] if value is not None else []


def header_value(headers, name):
    """A header of an :data:`HttpResponse` by its name in any case (servers and proxies write
    ``location`` as well as ``Location``), as text; '' when it is absent."""
    wanted = name.lower()
    value = next((v for k, v in (headers or {}).items()
                  if isinstance(k, str) and k.lower() == wanted), None)
    return value if isinstance(value, str) else ''


def ssl_reason(ex):
    """The certificate verification error behind an SSL failure, in a few words."""
    for inner in walk(ex):
        if isinstance(inner, ssl.SSLCertVerificationError):
            return inner.verify_message or inner.reason or str(inner)
    for inner in walk(ex):
        if isinstance(inner, ssl.SSLError):
            return inner.reason or str(inner)
    return plain_reason(ex)


# ---- WWW-Authenticate (RFC 7235) ----------------------------------------------------------

_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9._~+/-]+=*")


def _skip(value, pos, chars=' \t'):
    while pos < len(value) and value[pos] in chars:
        pos += 1
    return pos


def parse_challenges(values):
    """Parse WWW-Authenticate values into ``[(scheme, {param: value})]``.

    Accepts every form RFC 7235 allows: several challenges in one value or in several
    values, schemes and parameter names in any case (names are lower-cased), optional
    whitespace around "=", quoted strings with commas and escapes, parameters in any order,
    token68 credentials. Never raises; what it cannot read it skips."""
    challenges = []
    for value in values or []:
        if not isinstance(value, str):
            continue
        pos, end, current = 0, len(value), None
        while pos < end:
            pos = _skip(value, pos, ' \t,')
            match = _TOKEN.match(value, pos)
            if not match:
                pos += 1  # a stray character: skip it
                continue
            name, pos = match.group(0), match.end()
            look = _skip(value, pos)
            if look < end and value[look] == '=':  # an auth-param of the current challenge
                param, pos = _param_value(value, _skip(value, look + 1))
                if current is not None:
                    current.setdefault(name.lower(), param)
                continue
            current = {}
            challenges.append((name, current))
            token68 = _TOKEN68.match(value, look) if look > pos else None
            if token68:
                after = _skip(value, token68.end())
                if after >= end or value[after] == ',':
                    pos = token68.end()  # "Negotiate abc==": a credential, not a parameter
    return challenges


def _param_value(value, pos):
    end = len(value)
    if pos < end and value[pos] == '"':
        pos += 1
        out = []
        while pos < end:
            char = value[pos]
            if char == '\\' and pos + 1 < end:
                out.append(value[pos + 1])
                pos += 2
                continue
            if char == '"':
                pos += 1
                break
            out.append(char)
            pos += 1
        return ''.join(out), pos
    start = pos
    while pos < end and value[pos] not in ', \t':
        pos += 1
    return value[start:pos], pos


def bearer_params(challenges):
    """The parameters of the first Bearer challenge, or None."""
    for scheme, params in challenges:
        if scheme.lower() == 'bearer':
            return params
    return None
