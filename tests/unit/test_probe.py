# acrhealth (MIT licence). _probe: TCP and TLS to a real local server, and what a refused
# certificate shows.
import socket
import time

from azext_acrhealth import _probe


def server(serve, cert='good', tls=True, handler=None):
    return serve(handler or (lambda conn, request, srv: None), cert=cert, tls=tls)


def probe(pki, srv, host='localhost', timeout=2.0, verify=True):
    return _probe.probe(host, '127.0.0.1', timeout, verify=verify, cafile=pki['ca'],
                        port=srv.port)


def test_a_trusted_host_passes(pki, serve):
    outcome = probe(pki, server(serve))
    assert (outcome['tcp'], outcome['tls'], outcome['error']) == ('passed', 'passed', None)
    assert 'certificate' not in outcome


def test_an_intercepting_proxys_certificate_shows_itself(pki, serve):
    outcome = probe(pki, server(serve, 'untrusted'))
    assert (outcome['tcp'], outcome['tls']) == ('passed', 'failed')
    assert 'unable to get local issuer certificate' in outcome['error']
    certificate = outcome['certificate']
    assert certificate['issuerInBundle'] is False
    assert certificate['subject'].startswith('CN=') and certificate['issuer'] != \
        certificate['subject']
    assert certificate['notAfter'].endswith('Z')


def test_a_certificate_for_another_name_is_refused_with_its_names(pki, serve):
    outcome = probe(pki, server(serve, 'other_host'))
    assert outcome['tls'] == 'failed' and 'Hostname mismatch' in outcome['error']
    assert outcome['certificate']['dnsNames'] == ['registry.example']
    assert outcome['certificate']['issuerInBundle'] is True


def test_without_verification_an_untrusted_certificate_passes(pki, serve):
    assert probe(pki, server(serve, 'untrusted'), verify=False)['tls'] == 'passed'


def test_nobody_listening_is_connection_refused(pki):
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    port = listener.getsockname()[1]
    listener.close()  # the port is free again: nobody listens there
    outcome = _probe.probe('localhost', '127.0.0.1', 2.0, cafile=pki['ca'], port=port)
    assert (outcome['tcp'], outcome['tls'], outcome['error']) == \
        ('failed', 'skipped', 'connection refused')


def test_a_host_that_never_handshakes_is_cut_at_the_timeout(pki, serve):
    silent = server(serve, tls=False)  # accepts, then never answers a TLS handshake
    started = time.monotonic()
    outcome = probe(pki, silent, timeout=1.0)
    assert time.monotonic() - started < 4
    assert (outcome['tcp'], outcome['tls']) == ('passed', 'failed')
    assert outcome['error'] == 'no TLS handshake within 1 s'


def test_the_ca_bundle_in_use(monkeypatch):
    monkeypatch.delenv('CURL_CA_BUNDLE', raising=False)
    assert _probe.ca_bundle({'REQUESTS_CA_BUNDLE': '/etc/lab/ca.pem'}) == '/etc/lab/ca.pem'
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    assert _probe.ca_bundle({}) == DEFAULT_CA_BUNDLE_PATH


def test_the_proxy_requests_would_use(monkeypatch):
    for name in ('HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv('HTTPS_PROXY', 'http://proxy.contoso.com:3128')
    monkeypatch.setenv('NO_PROXY', '.privatelink.azurecr.io,myreg.azurecr.io')
    assert _probe.proxy_for('myreg.westeurope.data.azurecr.io') == 'http://proxy.contoso.com:3128'
    assert _probe.proxy_for('myreg.azurecr.io') is None


def test_a_dripping_handshake_is_cut_at_the_checks_deadline_and_its_socket_shut(pki):
    import select
    import threading
    from azext_acrhealth._bounded import running_until
    listener = socket.socket()
    listener.bind(('127.0.0.1', 0))
    listener.listen(1)
    gone = []

    def drip():  # a byte at a time: no per-read timeout of the client ever fires
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b'\x16\x03\x03\x40\x00')  # a handshake record of 16 KiB, then its body
            for _ in range(200):
                try:
                    conn.sendall(b'\x00')
                    if select.select([conn], [], [], 0.1)[0] and not conn.recv(4096):
                        break
                except OSError:
                    break
            gone.append(time.monotonic())
    threading.Thread(target=drip, daemon=True).start()
    started = time.monotonic()
    try:
        with running_until(started + 1.0):
            outcome = _probe.probe('localhost', '127.0.0.1', 10.0, cafile=pki['ca'],
                                   port=listener.getsockname()[1])
        assert time.monotonic() - started < 2
        assert (outcome['tcp'], outcome['tls']) == ('passed', 'failed')
        assert outcome['error'].startswith('no TLS handshake within ')
        deadline = time.monotonic() + 3
        while not gone and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gone and gone[0] - started < 2.5, 'the abandoned handshake kept its socket open'
    finally:
        listener.close()
