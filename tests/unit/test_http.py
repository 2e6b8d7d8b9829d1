# acrhealth (MIT licence). _http.HttpClient against a real HTTPS server on 127.0.0.1.
import re
import socket
import threading
import time

import pytest

from azext_acrhealth._http import MAX_BODY, HttpClient, HttpError, bearer_params, parse_challenges

from .connectivity_fakes import answering, http_answer
from .fakes import in_thread

PROXY_VARIABLES = ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY',
                   'all_proxy', 'NO_PROXY', 'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def client(pki, timeout=3.0, **kwargs):
    return HttpClient(timeout, verify=pki['ca'], **kwargs)


def timed(call, limit=10.0):
    """``(answer or HttpError, seconds)`` of ``call()``: a client that does not keep its
    deadline fails the test instead of hanging it."""
    return in_thread(call, limit, expected=HttpError)


def test_challenge_answer_with_several_www_authenticate_headers(pki, serve):
    server = serve(answering(http_answer(401, 'Unauthorized', [
        ('WWW-Authenticate', 'Basic realm="x"'),
        ('WWW-Authenticate', 'Bearer realm="https://localhost/oauth2/token",service="localhost"'),
        ('Content-Type', 'application/json')], b'{"errors":[]}')))
    answer = timed(lambda: client(pki).request('GET', server.url()))[0]
    assert answer.status == 401
    assert answer.challenges == [
        'Basic realm="x"', 'Bearer realm="https://localhost/oauth2/token",service="localhost"']
    assert answer.body == b'{"errors":[]}' and answer.truncated is False
    assert server.requests[0]['method'] == 'GET' and server.requests[0]['path'] == '/v2/'
    assert server.requests[0]['headers']['accept'] == 'application/json'


def test_form_is_posted_url_encoded(pki, serve):
    server = serve(answering(http_answer(200, body=b'{"refresh_token":"r"}')))
    answer = timed(lambda: client(pki).request(
        'POST', server.url('/oauth2/exchange', host='127.0.0.1'),
        form={'grant_type': 'access_token', 'service': 'a b&c'}))[0]
    assert answer.status == 200 and answer.challenges == []
    request = server.requests[0]
    assert request['headers']['content-type'] == 'application/x-www-form-urlencoded'
    assert request['body'] == b'grant_type=access_token&service=a+b%26c'


def test_redirects_are_never_followed(pki, serve):
    other = serve(answering(http_answer(200, body=b'secret-catcher')))
    server = serve(answering(http_answer(302, 'Found', [
        ('Location', other.url('/oauth2/exchange', host='127.0.0.1'))])))
    answer = timed(lambda: client(pki).request('POST', server.url('/oauth2/exchange'),
                                               form={'access_token': 'aad-token'}))[0]
    assert answer.status == 302
    assert answer.headers['Location'].endswith('/oauth2/exchange')
    time.sleep(0.1)
    assert other.requests == [] and other.connections == 0


def big_body(total):
    def handler(conn, _request, server):
        server.send(conn, http_answer(200, body=b'', length=False).replace(
            b'Connection: close', b'Content-Length: %d\r\nConnection: close' % total))
        chunk = b'x' * 65536
        while server.sent < total and not server.stopping.is_set():
            server.send(conn, chunk)
    return handler


def test_a_huge_body_is_cut_without_reading_it_all(pki, serve):
    total = 256 * 1024 * 1024
    server = serve(big_body(total))
    answer, seconds = timed(lambda: client(pki).request('GET', server.url()))
    assert answer.status == 200
    assert answer.truncated is True
    assert len(answer.body) == MAX_BODY
    time.sleep(0.2)
    assert server.sent < total // 4, server.sent
    assert seconds < 3


def test_body_of_exactly_max_body_is_not_truncated(pki, serve):
    server = serve(answering(http_answer(200, body=b'0123456789')))
    answer = timed(lambda: client(pki, max_body=10).request('GET', server.url()))[0]
    assert (answer.body, answer.truncated) == (b'0123456789', False)


def test_body_one_byte_over_max_body_is_truncated(pki, serve):
    server = serve(answering(http_answer(200, body=b'0123456789A')))
    answer = timed(lambda: client(pki, max_body=10).request('GET', server.url()))[0]
    assert (answer.body, answer.truncated) == (b'0123456789', True)


def test_http_10_answer_without_length_is_read_to_the_end(pki, serve):
    server = serve(answering(b'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello'))
    answer = timed(lambda: client(pki).request('GET', server.url()))[0]
    assert (answer.status, answer.body, answer.truncated) == (200, b'hello', False)


def dripping(head, drip_head=False, interval=0.2):
    """Writes ``head`` (at once, or one byte per ``interval``), then one byte per ``interval``."""
    def handler(conn, _request, server):
        pieces = [head[i:i + 1] for i in range(len(head))] if drip_head else [head]
        for piece in pieces + [b'x'] * 10000:
            if server.stopping.is_set():
                return
            server.send(conn, piece)
            if drip_head or piece == b'x':
                time.sleep(interval)
    return handler


@pytest.mark.parametrize('connection', [b'Connection: close\r\n', b''])
def test_a_body_dripped_one_byte_at_a_time_is_stopped_by_the_total_deadline(pki, serve,
                                                                            connection):
    head = b'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n' + connection + b'\r\n'
    server = serve(dripping(head))
    error, seconds = timed(lambda: client(pki, timeout=1.0).request('GET', server.url()))
    assert isinstance(error, HttpError) and error.kind == 'timeout', error
    assert seconds < 1.0 + 1.0
    assert server.sent > len(head)  # it did start dripping
    # The abandoned exchange's socket was shut down: its thread ends now, not with the server.
    time.sleep(0.5)
    assert [t for t in threading.enumerate() if t.name == 'acrhealth-http' and t.is_alive()] == []


def test_headers_dripped_one_byte_at_a_time_are_stopped_by_the_total_deadline(pki, serve):
    head = b'HTTP/1.1 200 OK\r\nX-Drip: ' + b'y' * 1000 + b'\r\n\r\n'
    server = serve(dripping(head, drip_head=True))
    error, seconds = timed(lambda: client(pki, timeout=1.0).request('GET', server.url()))
    assert isinstance(error, HttpError) and error.kind == 'timeout', error
    assert seconds < 1.0 + 1.0


@pytest.mark.parametrize('handler', [
    big_body(256 * 1024 * 1024),
    dripping(b'HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer realm="r",service="s"\r\n'
             b'Content-Length: 100000\r\n\r\n'),
])
def test_without_read_body_only_status_and_headers_are_read(pki, serve, handler):
    server = serve(handler)
    answer, seconds = timed(lambda: client(pki, timeout=2.0).request('GET', server.url(),
                                                                     read_body=False))
    assert not isinstance(answer, HttpError), answer
    assert answer.body == b'' and answer.truncated is False
    assert seconds < 1.5


def test_a_server_that_never_answers_times_out(pki, serve):
    server = serve(lambda conn, request, srv: srv.stopping.wait(10))
    error, seconds = timed(lambda: client(pki, timeout=0.5).request('GET', server.url()))
    assert isinstance(error, HttpError) and error.kind == 'timeout', error
    assert seconds < 0.5 + 1.0


@pytest.mark.parametrize('cert, host, reason', [
    ('other_host', 'localhost', 'mismatch'),
    ('other_host', '127.0.0.1', 'mismatch'),
    ('untrusted', 'localhost', 'unable to get local issuer certificate'),
    ('expired', 'localhost', 'certificate has expired'),
])
def test_tls_failures_name_the_reason(pki, serve, cert, host, reason):
    server = serve(answering(http_answer(401)), cert=cert)
    error, seconds = timed(lambda: client(pki).request('GET', server.url(host=host)))
    assert isinstance(error, HttpError) and error.kind == 'ssl', error
    assert reason in error.detail, error.detail
    assert '\n' not in error.detail and len(error.detail) <= 300
    assert server.requests == []  # nothing was sent over the untrusted connection
    assert seconds < 3


def test_a_self_signed_certificate_is_an_ssl_error(pki, serve):
    server = serve(answering(http_answer(401)), cert='self_signed')
    error = timed(lambda: client(pki).request('GET', server.url()))[0]
    assert isinstance(error, HttpError) and error.kind == 'ssl', error
    assert re.search('self.signed certificate', error.detail), error.detail
    assert server.requests == []


def test_verification_off_accepts_an_untrusted_certificate(pki, serve):
    server = serve(answering(http_answer(401, headers=[('WWW-Authenticate', 'Bearer x=1')])),
                   cert='untrusted')
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        answer = timed(lambda: HttpClient(3, verify=False).request('GET', server.url()))[0]
    assert answer.status == 401 and answer.challenges == ['Bearer x=1']


def test_the_ca_bundle_comes_from_the_environment_when_verify_is_true(pki, serve, monkeypatch):
    server = serve(answering(http_answer(401, headers=[('WWW-Authenticate', 'Bearer x=1')])))
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki['ca'])
    answer = timed(lambda: HttpClient(3).request('GET', server.url()))[0]
    assert answer.status == 401
    monkeypatch.delenv('REQUESTS_CA_BUNDLE')
    error = timed(lambda: HttpClient(3).request('GET', server.url()))[0]
    assert isinstance(error, HttpError) and error.kind == 'ssl'


def test_the_proxy_comes_from_the_environment(pki, serve, monkeypatch):
    proxy = serve(answering(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'), tls=False)
    target = serve(answering(http_answer(401)))
    monkeypatch.setenv('HTTPS_PROXY', 'http://127.0.0.1:{}'.format(proxy.port))
    error = timed(lambda: client(pki).request('GET', target.url()))[0]
    assert isinstance(error, HttpError) and error.kind == 'connection', error
    assert proxy.requests[0]['method'] == 'CONNECT'
    assert proxy.requests[0]['path'] == 'localhost:{}'.format(target.port)
    assert target.connections == 0


def test_connection_refused():
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        port = probe.getsockname()[1]
    error, seconds = timed(lambda: HttpClient(3).request('GET', 'https://127.0.0.1:{}/v2/'.format(port)))
    assert isinstance(error, HttpError) and error.kind == 'connection', error
    assert 'refused' in error.detail.lower()
    assert seconds < 3


@pytest.mark.parametrize('scheme', ['http', 'ftp', ''])
def test_a_non_https_url_is_refused_without_connecting(pki, serve, scheme):
    server = serve(answering(http_answer(200)), tls=False)
    url = server.url(scheme=scheme) if scheme else '//localhost:{}/v2/'.format(server.port)
    error = timed(lambda: client(pki).request('POST', url, form={'access_token': 't'}))[0]
    assert isinstance(error, HttpError) and error.kind == 'protocol'
    time.sleep(0.1)
    assert server.connections == 0


def test_a_connection_closed_mid_body_is_an_http_error(pki, serve):
    server = serve(answering(b'HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n{"refresh'))
    error = timed(lambda: client(pki).request('GET', server.url()))[0]
    assert isinstance(error, HttpError) and error.kind in ('protocol', 'connection'), error


def test_garbage_instead_of_http_is_an_http_error(pki, serve):
    server = serve(answering(b'\x00\x01 this is not HTTP\r\n\r\n'))
    error = timed(lambda: client(pki).request('GET', server.url()))[0]
    assert isinstance(error, HttpError) and error.kind in ('protocol', 'connection'), error


# ---- WWW-Authenticate parsing (RFC 7235) ----------------------------------------------------

ACR = 'Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io"'
ACR_PARAMS = {'realm': 'https://r.azurecr.io/oauth2/token', 'service': 'r.azurecr.io'}


@pytest.mark.parametrize('values, expected', [
    ([ACR], [('Bearer', ACR_PARAMS)]),
    # scheme and parameter names in any case
    (['BEARER REALM="https://r.azurecr.io/oauth2/token", SeRvIcE="r.azurecr.io"'],
     [('BEARER', ACR_PARAMS)]),
    # whitespace around "=" and ",", tabs, trailing blanks
    (['  Bearer \trealm = "https://r.azurecr.io/oauth2/token" ,\t service= "r.azurecr.io"  '],
     [('Bearer', ACR_PARAMS)]),
    # parameters in any order, unquoted tokens
    (['Bearer service=r.azurecr.io,scope="repository:a:pull",realm=https://r.azurecr.io/oauth2/token'],
     [('Bearer', dict(ACR_PARAMS, scope='repository:a:pull'))]),
    # quoted strings with commas, "=" and escapes
    (['Bearer realm="https://r.azurecr.io/a,b=c",service="s\\"q\\\\x",error="invalid, token"'],
     [('Bearer', {'realm': 'https://r.azurecr.io/a,b=c', 'service': 's"q\\x',
                  'error': 'invalid, token'})]),
    # RFC 7235's own example: two challenges in one header
    (['Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'],
     [('Newauth', {'realm': 'apps', 'type': '1', 'title': 'Login to "apps"'}),
      ('Basic', {'realm': 'simple'})]),
    # several challenges in several headers
    (['Basic realm="b"', ACR], [('Basic', {'realm': 'b'}), ('Bearer', ACR_PARAMS)]),
    # token68 credentials, alone and before another challenge
    (['Negotiate YIIB8wYJKoZIhvcSAQICAQBuggHiMIIB3qADAgEFoQMCAQ6iBwMFACAAAACjggE=, ' + ACR],
     [('Negotiate', {}), ('Bearer', ACR_PARAMS)]),
    (['Basic YWxhZGRpbjpvcGVuc2VzYW1l'], [('Basic', {})]),
    # a bare scheme, an empty value, a missing service
    (['Bearer'], [('Bearer', {})]),
    ([''], []),
    (['Bearer realm="https://r.azurecr.io/oauth2/token"'],
     [('Bearer', {'realm': 'https://r.azurecr.io/oauth2/token'})]),
    # the first of a repeated parameter wins; an empty quoted value is kept
    (['Bearer realm="a", realm="b", service=""'], [('Bearer', {'realm': 'a', 'service': ''})]),
    # an unterminated quoted string ends the value
    (['Bearer realm="https://r.azurecr.io/oauth2/token'],
     [('Bearer', {'realm': 'https://r.azurecr.io/oauth2/token'})]),
    # a parameter before any scheme is ignored; so are non-strings and None
    (['realm="x", ' + ACR], [('Bearer', ACR_PARAMS)]),
    ([None, b'Bearer x=y', 7, ACR], [('Bearer', ACR_PARAMS)]),
    (None, []),
    ([], []),
])
def test_parse_challenges(values, expected):
    assert parse_challenges(values) == expected


@pytest.mark.parametrize('values, expected', [
    ([ACR], ACR_PARAMS),
    (['Basic realm="b", ' + ACR], ACR_PARAMS),
    (['Basic realm="b"', 'bearer realm="x", service="y"'], {'realm': 'x', 'service': 'y'}),
    (['Bearer service="y"'], {'service': 'y'}),
    (['Basic realm="b"'], None),
    (['Negotiate abc=='], None),
    ([], None),
    # the first Bearer challenge counts
    (['Bearer realm="first"', 'Bearer realm="second",service="s"'], {'realm': 'first'}),
])
def test_bearer_params(values, expected):
    assert bearer_params(parse_challenges(values)) == expected


@pytest.mark.parametrize('seconds, connect', [(30, 15), (3, 1.5), (1, 0.5), (0.3, 0.3), (0, 0.001)])
def test_one_address_takes_at_most_half_the_call_to_connect(seconds, connect):
    # urllib3 tries a host's addresses in turn with this limit each: a dual-stack host whose
    # IPv6 address never answers must leave its IPv4 one time within the call.
    from azext_acrhealth._http import connect_seconds
    assert connect_seconds(seconds) == connect


def test_the_date_each_host_answered_with_is_kept(pki, serve):
    # What the server's clock says, for a check that compares clocks without asking again.
    server = serve(answering(http_answer(401, 'Unauthorized', [
        ('Date', 'Sun, 06 Dec 2026 23:00:00 GMT')], b'{}')))
    http = client(pki)
    timed(lambda: http.request('GET', server.url('/v2/', host='127.0.0.1'), read_body=False))
    assert http.dates == {'127.0.0.1': 'Sun, 06 Dec 2026 23:00:00 GMT'}
