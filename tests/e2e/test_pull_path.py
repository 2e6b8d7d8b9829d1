# acrhealth (MIT licence). The whole pull path through the real `az` in the lab: every endpoint
# a pull needs, and --image pulled without Docker through the registry's redirect.
"""The lab's registries with dedicated data endpoints (healthy, not in DNS, blackholed, behind an
untrusted CA, public while the registry is private) and its image store (a Docker v2 manifest,
an OCI index, a missing tag, a config blob that does not match its digest, and what a registry
says against what it serves: a config blob larger than declared, a Docker-Content-Digest of
other bytes, an index entry whose platform is a string, a blob redirect without a Location or to
no valid host), pulled from the data endpoint, from a storage host and through a storage
firewall. The lab's request log proves that no Authorization header reached a data host."""

import json

import pytest

from tests.e2e.conftest import check_health as run, report_checks as checks
from tests.lab import scenarios as S


def test_every_endpoint_of_a_registry_with_data_endpoints(lab, ext):
    result = run(lab, ext, 'dataendpoints')
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout)
    endpoints = [(e['host'], e['role'], e['region'], e['dns'], e['tcp'], e['tls'])
                 for e in report['endpoints']]
    assert endpoints == [
        ('dataendpoints' + S.ACR_SUFFIX, 'loginServer', S.LOCATION, 'passed', 'passed', 'passed'),
        (S.data_host('dataendpoints'), 'dataEndpoint', S.LOCATION, 'passed', 'passed', 'passed')]
    assert checks(result)['endpoints']['status'] == 'passed'


@pytest.mark.parametrize('name, says', [
    ('datanotindns', 'did not resolve'),
    ('datablackholed', 'no TLS handshake within'),
    ('datauntrusted', 'certificate'),
])
def test_an_unreachable_data_endpoint_is_named(lab, ext, name, says):
    result = run(lab, ext, name)
    endpoint = checks(result)['endpoints']
    assert (endpoint['status'], endpoint['code']) == ('failed', 'CONNECTIVITY_DATA_ENDPOINT_ERROR')
    assert S.data_host(name) in endpoint['message'] and says in endpoint['message'], endpoint
    # the login server's own checks pass: `docker login` would work here
    assert checks(result)['access-token']['status'] == 'passed'
    if name == 'datauntrusted':
        data = [e for e in json.loads(result.stdout)['endpoints'] if e['role'] == 'dataEndpoint']
        certificate = data[0]['certificate']
        assert certificate['issuerInBundle'] is False
        assert 'untrusted' in certificate['issuer'], certificate
        assert S.data_host(name) in certificate['dnsNames']


def test_a_private_registry_whose_data_host_resolves_publicly(lab, ext):
    result = run(lab, ext, 'datapublic')
    endpoint = checks(result)['endpoints']
    assert (endpoint['status'], endpoint['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')
    assert '{} (data endpoint, {}) resolves to {}'.format(
        S.data_host('datapublic'), S.LOCATION, S.PUBLIC_DATA_IP) in endpoint['message']
    # the login server, resolved privately through its privatelink name, works
    assert checks(result)['access-token']['status'] == 'passed', checks(result)['challenge']
    public = [e for e in json.loads(result.stdout)['endpoints'] if e['role'] == 'dataEndpoint']
    assert public[0]['private'] is False and public[0]['tcp'] == 'skipped'  # never connected to


@pytest.mark.parametrize('pull', S.PULLS, ids=[p.name for p in S.PULLS])
def test_image_pull(lab, ext, pull):
    lab.clear_requests()
    result = run(lab, ext, pull.registry, '--image', pull.image)
    assert 'Traceback' not in result.stderr
    image = checks(result)['image-pull']
    if pull.code is None:
        assert image['status'] == 'passed', image
        assert image['details']['blobHost'] == pull.blob_host
        assert image['details']['verified'] is True
        assert pull.blob_host in image['message']
        redirect = [e for e in json.loads(result.stdout)['endpoints'] if e['role'] == 'redirect']
        assert [e['host'] for e in redirect] == [pull.blob_host]
    else:
        assert (image['status'], image['code']) == ('failed', pull.code), image
    for words in pull.says:  # the message says what happened
        assert words in image['message'], image
    assert 'not a host' not in (image['remediation'] or ''), image  # real host names only
    if pull.image == S.IMAGE_INDEX:
        assert image['details']['platform'] == 'linux/amd64'
    log = [e for e in lab.requests() if 'event' not in e]
    login_server = pull.registry + S.ACR_SUFFIX
    data_hosts = {S.data_host(pull.registry), S.STORAGE_HOST}
    # Authorization went to the login server (and ARM) only, never to a data host ...
    assert not [e for e in log if e['host'] in data_hosts and e['authorization']], log
    manifests = [e for e in log if e['host'] == login_server and '/manifests/' in e['path']]
    assert manifests and all(e['authorization'] for e in manifests)
    # ... and a data host was asked only for what the registry's redirect named.
    if pull.blob_host:
        assert [e['status'] for e in log if e['host'] == pull.blob_host] == [200]
    for text in (result.stdout, result.stderr):
        assert 'sig=' not in text  # the redirect's signature is a credential too


def test_the_table_shows_the_endpoints(lab, ext):
    # Wide enough for whole rows (a table is cut to the terminal's width, 120 without one).
    result = run(lab, ext, 'dataendpoints', '--image', S.IMAGE, output='table',
                 env={'COLUMNS': '250'})
    rows = [line for line in result.stdout.splitlines() if line.startswith('Endpoint ')]
    assert [row.split()[2] for row in rows] == [
        lab.scenario('dataendpoints').login_server, S.data_host('dataendpoints'),
        S.data_host('dataendpoints')], rows
    assert '(data endpoint; ' in rows[1] and '(data host of a blob redirect; ' in rows[2]
