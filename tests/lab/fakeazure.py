# acrhealth (MIT licence). The lab's fake Azure: AAD, ARM and ACR data planes over HTTPS on loopback.
"""A small, strict stand-in for the Azure endpoints `az` and `az acr check-health` talk to.

One threaded HTTPS server answers every fake host (the TLS certificate is chosen by SNI, the
handler by the Host header). It checks what the real services check — bearer tokens' signature,
audience, tenant and expiry; form fields; the `service` of ACR token requests — and logs every
request as one JSON line (host, method, path, query, form field names, whether an Authorization
header came), never a token value. Every token it issues is appended to a separate file that only
the leak tests read.

The answers live in one module per concern, as mixins of `Handler`: `fake_aad` (AAD), `fake_arm`
(ARM and its documents), `fake_acr` (the registry data plane and its image store) and
`fake_hostile` (hostile mode's answers).
"""
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import ssl
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from . import scenarios as S
from .fake_aad import TOKEN_LIFETIME, AadMixin
from .fake_acr import AcrMixin
from .fake_arm import ArmMixin
from .fake_hostile import HostileMixin


def _b64url_uint(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


class Tokens:
    """Issues and verifies the lab's JWTs (one RSA key per lab start) and remembers every value issued."""

    def __init__(self, issued_path):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self.public_key = self.key.public_key()
        self.issued_path = issued_path
        self._lock = threading.Lock()

    def jwks(self):
        numbers = self.public_key.public_numbers()
        return {'keys': [{'kty': 'RSA', 'use': 'sig', 'kid': self.kid, 'x5t': self.kid,
                          'n': _b64url_uint(numbers.n), 'e': _b64url_uint(numbers.e)}]}

    def issue(self, claims, lifetime=TOKEN_LIFETIME):
        now = int(time.time())
        body = {'iat': now, 'nbf': now - 5, 'exp': now + lifetime}
        body.update(claims)
        # Signed with the key object: given the PEM, PyJWT parses and validates the key on every
        # call (about 40 ms), a cost of the lab's that no real token service adds to an answer.
        value = jwt.encode(body, self.key, algorithm='RS256',
                           headers={'kid': self.kid, 'x5t': self.kid})
        with self._lock, open(self.issued_path, 'a') as f:
            f.write(value + '\n')
        return value

    def remember(self, value):
        """Record a token value the lab hands out without issuing it here (an opaque token)."""
        with self._lock, open(self.issued_path, 'a') as f:
            f.write(value + '\n')
        return value

    def verify(self, value, audiences):
        """Decoded claims, or raise ValueError saying what a real service would reject."""
        try:
            return jwt.decode(value, self.public_key, algorithms=['RS256'],
                              audience=list(audiences), leeway=5,
                              options={'require': ['exp', 'iat', 'aud']})
        except jwt.ExpiredSignatureError as e:
            raise ValueError('expired') from e
        except jwt.InvalidAudienceError as e:
            raise ValueError('audience') from e
        except jwt.PyJWTError as e:
            raise ValueError('invalid: {}'.format(type(e).__name__)) from e


class RequestLog:
    """JSON-lines request log shared by all server threads."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        open(path, 'a').close()

    def write(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock, open(self.path, 'a') as f:
            f.write(line + '\n')


def read_log(path):
    """Entries of a request log file, oldest first."""
    try:
        with open(path) as f:
            # a line without its newline is still being written: not an entry yet
            return [json.loads(line) for line in f if line.endswith('\n') and line.strip()]
    except FileNotFoundError:
        return []


# ---------------------------------------------------------------------------------------------
# The server


class Handler(AadMixin, ArmMixin, AcrMixin, HostileMixin, BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'acrhealth-lab'
    sys_version = ''
    # TCP_NODELAY, as real front ends set it (nginx's tcp_nodelay and Kestrel's NoDelay are on by
    # default): an answer goes out as headers then body, and with Nagle's algorithm the body
    # waited for the client's delayed ACK, adding about 40 ms to every answer on a reused
    # connection that the configured latency does not account for.
    disable_nagle_algorithm = True

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - silence stderr; we log JSON instead
        pass

    def _form(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype == 'application/x-www-form-urlencoded':
            return {k: v for k, v in parse_qs(raw.decode('utf-8', 'replace'), keep_blank_values=True).items()}
        return {}

    def _dispatch(self, method):
        lab = self.server.lab
        if lab.latency:
            time.sleep(lab.latency)
        url = urlsplit(self.path)
        host = (self.headers.get('Host') or '').split(':')[0].lower()
        form = self._form() if method == 'POST' else {}
        query = parse_qs(url.query, keep_blank_values=True)
        self.url, self.host, self.form, self.query = url, host, form, query
        entry = {'time': round(time.time(), 3), 'host': host, 'method': method, 'path': url.path,
                 'query': {k: (v if 'token' not in k.lower() or k == '$skiptoken' else ['<redacted>'])
                           for k, v in query.items()},
                 'formFields': sorted(form),
                 'authorization': 'Authorization' in self.headers,
                 'sni': getattr(self.connection, 'lab_sni', None)}
        if host in (S.ARM_HOST, S.ARM_HOST_NOSUFFIX):  # what the CLI says of its command to ARM
            entry.update(commandName=self.headers.get('CommandName'),
                         parameterSetName=self.headers.get('ParameterSetName'),
                         userAgent=self.headers.get('User-Agent'))
        self._entry = entry
        try:
            if host == S.AAD_HOST:
                self._aad(method)
            elif host in (S.ARM_HOST, S.ARM_HOST_NOSUFFIX):
                self._arm(method)
            elif '.data' + S.ACR_SUFFIX in host or host == S.STORAGE_HOST:
                self._data_host()
            elif host.endswith(S.ACR_SUFFIX):
                self._acr(method)
            elif host in (S.COLLECTOR_HOST, S.ARM_COLLECTOR_HOST):
                self._collector()
            else:
                self._json(404, {'error': 'unknown host {}'.format(host)})
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        finally:
            self._write_log(None)  # no answer was sent (the client went away)

    def _write_log(self, status):
        # Logged before the answer goes out, so a client that has its answer finds its request logged.
        entry, self._entry = self._entry, None
        if entry is not None:
            entry['status'] = status
            self.server.lab.log.write(entry)

    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_PUT(self):
        self._dispatch('PUT')

    def do_HEAD(self):
        self._dispatch('HEAD')

    def _send(self, status, body=b'', ctype='application/json; charset=utf-8', headers=()):
        self._write_log(status)
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _json(self, status, doc, headers=()):
        # Compact, as ARM and ACR write their JSON.
        self._send(status, json.dumps(doc, separators=(',', ':')).encode(), headers=headers)

    def _field(self, name):
        v = self.form.get(name)
        return v[0] if v else None


class LabHTTPSServer(ThreadingHTTPServer):
    """Threaded HTTPS server; TLS is negotiated in the request's own thread (a client that
    never finishes its handshake cannot stall the others) and the certificate is picked by SNI."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, lab, contexts, default_host, log_connections=False):
        self.lab = lab
        self.log_connections = log_connections
        self.contexts = contexts
        self.default_context = contexts[default_host]

        def pick(sslsock, server_name, _ctx):
            sslsock.lab_sni = server_name
            ctx = contexts.get((server_name or '').lower())
            if ctx is not None:
                sslsock.context = ctx
        for ctx in contexts.values():
            ctx.sni_callback = pick
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        if self.log_connections:  # a host that must receive nothing logs even a bare connection
            self.lab.log.write({'time': round(time.time(), 3), 'event': 'connection',
                                'ip': self.server_address[0], 'port': self.server_address[1]})

        conn = self.default_context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            sni = getattr(conn, 'lab_sni', None)
            if sni or not isinstance(e, ssl.SSLEOFError):  # a bare EOF without SNI is a port probe
                self.lab.log.write({'time': round(time.time(), 3), 'event': 'tls-handshake-failed', 'sni': sni,
                                    'error': type(e).__name__, 'reason': getattr(e, 'reason', None)})
            conn.close()
            return
        # Every completed handshake, by the name asked for: what a client's connection reuse costs.
        self.lab.log.write({'time': round(time.time(), 3), 'event': 'tls-handshake',
                            'sni': getattr(conn, 'lab_sni', None)})
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def shutdown_request(self, request):
        try:
            request.close()
        except OSError:
            pass


class LabHTTPSServer6(LabHTTPSServer):
    address_family = socket.AF_INET6


class FakeAzure:
    """The running fake cloud: one HTTPS server (all fake hosts) and the blackhole listeners."""

    def __init__(self, state_dir, certs, latency=0.0):
        """CERTS maps host name -> (certfile, keyfile)."""
        self.log = RequestLog(os.path.join(state_dir, 'requests.jsonl'))
        self.tokens = Tokens(os.path.join(state_dir, 'issued-tokens.txt'))
        self.latency = latency
        self.registries = {name: s for name, s in S.REGISTRIES.items() if s.backend == S.FAKE}
        self.contexts = {}
        for host, (crt, key) in certs.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(crt, key)
            self.contexts[host] = ctx
        self.servers = []
        self.holes = []
        self._held = []
        self._stop = threading.Event()
        self._counts = {}
        self._count_lock = threading.Lock()
        self._secret = secrets.token_bytes(32)

    def sign(self, text):
        """The lab's signature of a data-host URL (what a SAS signature stands for)."""
        return base64.urlsafe_b64encode(hmac.new(self._secret, text.encode(), hashlib.sha256).digest()).decode()

    @property
    def stopping(self):
        """Set when the lab stops: a hostile answer that waits must wait on this."""
        return self._stop

    def count(self, key):
        """1, 2, 3 ... : how many times KEY was counted, this time included."""
        with self._count_lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def serve(self, ip, port=443, log_connections=False):
        cls = LabHTTPSServer6 if ':' in ip else LabHTTPSServer
        server = cls((ip, port), self, self.contexts, S.ARM_HOST, log_connections=log_connections)
        t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True,
                             name='fakeazure-{}'.format(ip))
        t.start()
        self.servers.append(server)
        return server

    def _accept_loop(self, ip, port, backlog, name, on_connection):
        """Listen on IP:PORT and hand every accepted connection to ON_CONNECTION on a daemon
        thread, until the lab stops (the socket is closed with the lab's other listeners)."""
        family = socket.AF_INET6 if ':' in ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(backlog)
        sock.settimeout(0.2)
        self.holes.append(sock)

        def loop():
            while not self._stop.is_set():
                try:
                    conn, _ = sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                on_connection(conn)
        threading.Thread(target=loop, daemon=True, name=name).start()

    def blackhole(self, ip, port=443):
        """Accept TCP connections on IP:PORT and never send a byte."""
        def hold(conn):
            self._held.append(conn)
            self.log.write({'time': round(time.time(), 3), 'event': 'blackhole-accepted', 'ip': ip})
        self._accept_loop(ip, port, 64, 'blackhole-{}'.format(ip), hold)

    def tap(self, ip, port, label):
        """Hostile mode: accept TCP connections on IP:PORT and log each one (with the request line,
        if one comes within a second), so a test can prove nothing ever connected there."""
        def watch(conn):
            first = b''
            try:
                conn.settimeout(1)
                first = conn.recv(256)
            except OSError:
                pass
            finally:
                conn.close()
            line = first.split(b'\r\n', 1)[0].decode('latin-1')
            words = line.split(' ')
            self.log.write({'time': round(time.time(), 3), 'event': 'tap-connection', 'label': label,
                            'ip': ip, 'port': port,
                            # the request line's method and path only; TLS shows up as 'tls'
                            'request': ' '.join(words[:2]) if line[:1].isalpha() else ('tls' if first else '')})
        self._accept_loop(ip, port, 16, 'tap-{}-{}'.format(ip, port), watch)

    def stop(self):
        self._stop.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for s in self.holes + self._held:
            try:
                s.close()
            except OSError:
                pass
