# acrhealth (MIT licence). The lab's hostile mode misbehaves exactly as its table says.
"""A raw TLS client (no requests, no az) inside the lab asks every hostile ``/v2/`` and TLS row and
reports what came back, byte for byte and with timings; the tests assert the misbehaviour is
real. Without this, an end-to-end test that passes could be passing against a lab that behaves."""
import json
import os

import pytest

from . import scenarios as S
from .lab import REPO, VENV_PYTHON

PROBE = r'''
import json, os, socket, ssl, sys, time

CA = os.environ['REQUESTS_CA_BUNDLE']


def connect(host, port=443, timeout=5):
    raw = socket.create_connection((host, port), timeout)
    ctx = ssl.create_default_context(cafile=CA)
    return ctx.wrap_socket(raw, server_hostname=host)


def tcp_end(host, timeout=5):
    """How the server ends the connection after the request, seen below TLS (a TLS client reports a
    reset as an unexpected EOF): 'reset' (RST) or 'fin' (orderly close)."""
    tls = connect(host, timeout=timeout)
    tls.sendall('GET /v2/ HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n'.format(host).encode())
    raw = socket.socket(fileno=os.dup(tls.fileno()))
    raw.settimeout(timeout)
    try:
        while raw.recv(65536):
            pass
        return 'fin'
    except ConnectionResetError:
        return 'reset'
    finally:
        raw.close()
        tls.close()


def ask(host, head_limit=1024 * 1024, body_limit=0, timeout=5, slow_bytes=0):
    """GET /v2/: status line, headers (as sent), seconds to the first bytes, body bytes read."""
    out = {}
    started = time.monotonic()
    try:
        tls = connect(host, timeout=timeout)
        tls.sendall('GET /v2/ HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n\r\n'.format(host).encode())
        data = b''
        if slow_bytes:  # time the first few bytes, one recv each
            first = []
            while len(data) < slow_bytes:
                chunk = tls.recv(1)
                if not chunk:
                    break
                data += chunk
                first.append(round(time.monotonic() - started, 3))
            out['firstBytes'] = first
            return out
        while b'\r\n\r\n' not in data and len(data) < head_limit:
            chunk = tls.recv(4096)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        out['status'] = lines[0]
        out['headers'] = [line.split(':', 1)[0].strip().lower() + ':' + line.split(':', 1)[1].strip()
                          for line in lines[1:] if ':' in line]
        out['headSeconds'] = round(time.monotonic() - started, 3)
        times = []
        while len(body) < body_limit:
            chunk = tls.recv(65536)
            if not chunk:
                out['eof'] = True
                break
            body += chunk
            if len(times) < 4:
                times.append(round(time.monotonic() - started, 3))
        out['bodyTimes'] = times
        out['bodyLength'] = len(body)
        out['bodyStart'] = body[:60].decode('latin-1')
    except ssl.SSLCertVerificationError as e:
        out['ssl'] = e.verify_message
    except OSError as e:
        out['error'] = type(e).__name__
    out['seconds'] = round(time.monotonic() - started, 3)
    return out


results = {}
for name in sys.argv[1:]:
    host = name + '.azurecr.lab.test'
    if name == 'v2dripheaders':
        results[name] = ask(host, slow_bytes=4)
    elif name == 'v2slowbody':
        results[name] = ask(host, body_limit=4)
    elif name == 'v2hugebody':
        results[name] = ask(host, body_limit=4 * 1024 * 1024, timeout=10)
    elif name == 'v2reset':
        results[name] = {'tcp': tcp_end(host), 'tcpOfHealthy': tcp_end('chlowercase.azurecr.lab.test')}
    elif name in ('v2truncated', 'v2http10', 'v2badchunked', 'v2garbage'):
        results[name] = ask(host, body_limit=10 ** 6)
    else:
        results[name] = ask(host)
for label, (host, port) in {'collector-https': ('collector.lab.test', 443),
                            'collector-http': ('collector.lab.test', 80),
                            'armcollector-https': ('armcollector.lab.test', 443),
                            'azure-http': ('management.lab.test', 80)}.items():
    try:
        with socket.create_connection((host, port), 3):
            pass
        results[label] = 'connected'
    except OSError as e:
        results[label] = type(e).__name__
print(json.dumps(results))
'''

V2 = [s.name for s in S.HOSTILE if s.name.startswith(('v2', 'ch', 'tls'))] + ['untrustedcert', 'dnsipv6only']


@pytest.fixture(scope='module')
def probed(lab):
    lab.clear_requests()
    r = lab.run([VENV_PYTHON, '-c', PROBE] + V2, timeout=90)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout), lab.requests()


def _challenges(result):
    return [h.split(':', 1)[1] for h in result['headers'] if h.startswith('www-authenticate:')]


def test_status_and_redirect_rows(probed):
    res, _ = probed
    for name, status in (('v2status500', '500'), ('v2status503', '503'), ('v2status404', '404'),
                         ('v2redirectloop', '302'), ('v2redirectaway', '302'), ('v2redirecthttp', '302'),
                         ('v2noauthheader', '401')):
        assert res[name]['status'].split(' ')[1] == status, (name, res[name])
        assert _challenges(res[name]) == [], (name, res[name])
    assert 'location:https://v2redirectloop.azurecr.lab.test/v2/' in res['v2redirectloop']['headers']
    assert 'location:https://collector.lab.test/v2/' in res['v2redirectaway']['headers']
    assert 'location:http://collector.lab.test/v2/' in res['v2redirecthttp']['headers']
    assert 'retry-after:1' in res['v2status503']['headers']


def test_challenge_header_forms(probed):
    res, _ = probed

    def one(name):
        return _challenges(res[name])
    host = '{}.azurecr.lab.test'.format
    assert one('chlowercase') == ['bearer realm="https://{0}/oauth2/token",service="{0}"'.format(host('chlowercase'))]
    assert one('chuppercase')[0].startswith('BEARER REALM="')
    assert 'SERVICE="' in one('chuppercase')[0]
    assert ' = "' in one('chwhitespace')[0] and ' ,  service =' in one('chwhitespace')[0]
    quoted = one('chquotedcomma')[0]
    assert quoted.index('scope="registry:catalog:*,repository:a:pull"') < quoted.index('service=')
    assert one('chtwoinone')[0].startswith('Basic realm=') and ', Bearer realm=' in one('chtwoinone')[0]
    assert [c.split(' ')[0] for c in one('chtwoheaders')] == ['Basic', 'Bearer']
    assert one('chreversed')[0].startswith('Bearer service=')
    assert one('chnoservice') == ['Bearer realm="https://{}/oauth2/token"'.format(host('chnoservice'))]
    assert one('chbasiconly') == ['Basic realm="{}"'.format(host('chbasiconly'))]
    assert 'realm="https://collector.lab.test/oauth2/token"' in one('chforeignrealm')[0]
    for name in ('chlowercase', 'chuppercase', 'chwhitespace', 'chquotedcomma', 'chtwoinone', 'chtwoheaders',
                 'chreversed', 'chnoservice', 'chbasiconly', 'chforeignrealm'):
        assert res[name]['status'].startswith('HTTP/1.1 401'), (name, res[name])


def test_bodies_and_transports(probed):
    res, _ = probed
    drip = res['v2dripheaders']['firstBytes']
    assert len(drip) == 4 and drip[-1] - drip[0] >= 3 * S.DRIP_SECONDS * 0.9, drip
    slow = res['v2slowbody']
    assert slow['headSeconds'] < 1.0 and _challenges(slow), slow
    assert slow['bodyTimes'][-1] - slow['headSeconds'] >= 2 * S.DRIP_SECONDS * 0.9, slow
    huge = res['v2hugebody']
    assert 'content-length:{}'.format(S.HUGE_BODY) in huge['headers'] and _challenges(huge), huge
    assert huge['bodyLength'] >= 4 * 1024 * 1024, huge  # it really streams
    cut = res['v2truncated']
    assert 'content-length:1000' in cut['headers'] and cut.get('eof') and cut['bodyLength'] == 40, cut
    old = res['v2http10']
    assert old['status'].startswith('HTTP/1.0 401') and old.get('eof') and _challenges(old), old
    assert not [h for h in old['headers'] if h.startswith(('content-length', 'transfer-encoding'))], old
    assert old['bodyStart'].startswith('{"errors"'), old
    bad = res['v2badchunked']
    assert 'transfer-encoding:chunked' in bad['headers'] and bad['bodyStart'].startswith('zz\r\n'), bad
    assert res['v2garbage']['status'].startswith('SSH-2.0-') and res['v2garbage'].get('eof'), res['v2garbage']
    big = res['v2hugeheader']
    assert _challenges(big) and [h for h in big['headers'] if h.startswith('x-lab-padding:') and len(h) > 200 * 1024]
    many = res['v2manyheaders']
    assert _challenges(many) and len([h for h in many['headers'] if h.startswith('x-lab-')]) == 150, many
    # A reset, seen below TLS; a well-behaved row (keep-alive, closed by the client here) is not.
    assert res['v2reset'] == {'tcp': 'reset', 'tcpOfHealthy': 'fin'}, res['v2reset']


def test_tls_rows(probed):
    res, log = probed
    assert res['tlswronghost']['ssl'].startswith('Hostname mismatch'), res['tlswronghost']
    assert res['tlsexpired']['ssl'] == 'certificate has expired', res['tlsexpired']
    assert res['tlsselfsigned']['ssl'] == 'self-signed certificate', res['tlsselfsigned']
    assert res['tlsunknownissuer']['ssl'] == 'unable to get local issuer certificate', res['tlsunknownissuer']
    assert res['untrustedcert']['ssl'] == 'self-signed certificate in certificate chain', res['untrustedcert']
    refused = {e.get('sni') for e in log if e.get('event') == 'tls-handshake-failed'}
    assert {'tlswronghost.azurecr.lab.test', 'tlsexpired.azurecr.lab.test'} <= refused


def test_ipv6_only_name_is_served_on_ipv6(lab, probed):
    res, log = probed
    assert lab.hosts['dnsipv6only.azurecr.lab.test'] == '::1'
    assert lab.hosts['dnszero.azurecr.lab.test'] == '0.0.0.0'
    assert res['dnsipv6only']['status'].startswith('HTTP/1.1 401'), res['dnsipv6only']


def test_collector_and_taps_log_every_connection(probed):
    res, log = probed
    assert res['collector-https'] == res['collector-http'] == res['azure-http'] == 'connected'
    assert res['armcollector-https'] == 'connected'
    assert [e for e in log if e.get('event') == 'connection' and e['ip'] == '127.0.0.30']
    assert [e for e in log if e.get('event') == 'connection' and e['ip'] == '127.0.0.31']
    taps = {(e['ip'], e['port']) for e in log if e.get('event') == 'tap-connection'}
    assert {('127.0.0.30', 80), ('127.0.0.10', 80)} <= taps
