# acrhealth (MIT licence). The pull path: every endpoint probed, and --image pulled without Docker.
import hashlib
import json

import pytest

from azext_acrhealth._azure import DnsError
from azext_acrhealth._http import HttpError
from azext_acrhealth.checks.pullpath import pick_platform

from .connectivity_fakes import (LOGIN, NAME, FakeHttp, FakeProbe, FakeResolver, arm_registry,
                                 healthy_answers, make_ctx, rendered, response,
                                 run_through)

DATA = 'myreg.westeurope.data.azurecr.io'
DATA2 = 'myreg.eastus.data.azurecr.io'


def with_data_endpoints(*hosts, **kwargs):
    registry = arm_registry(**kwargs)
    registry['properties'].update(dataEndpointEnabled=True, dataEndpointHostNames=list(hosts))
    return {NAME: registry}


def endpoints(ctx):
    result, _ = run_through(ctx, 'endpoints')
    return result, rendered('endpoints', result)


# ---- endpoints -------------------------------------------------------------------------------

def test_every_data_endpoint_is_probed_with_its_region():
    resolver = FakeResolver({LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1'], DATA2: ['40.1.2.3']})
    ctx = make_ctx(registries=with_data_endpoints(DATA, DATA2), resolver=resolver)
    result, entry = endpoints(ctx)
    assert entry['status'] == 'passed', entry
    hosts = [(e['host'], e['role'], e['region']) for e in result.facts['endpoints']]
    assert hosts == [(LOGIN, 'loginServer', 'eastus'), (DATA, 'dataEndpoint', 'westeurope'),
                     (DATA2, 'dataEndpoint', 'eastus')]
    # the login server is not connected to again: the challenge's request already did
    assert sorted(ctx.probe.calls) == sorted([(DATA, '20.62.129.1'), (DATA2, '40.1.2.3')])
    assert all((e['dns'], e['tcp'], e['tls']) == ('passed',) * 3 for e in result.facts['endpoints'])
    assert DATA in entry['message'] and 'westeurope' in entry['message']


def test_data_endpoints_are_read_only_when_enabled():
    registries = with_data_endpoints(DATA)
    registries[NAME]['properties']['dataEndpointEnabled'] = False
    result, entry = endpoints(make_ctx(registries=registries))
    assert [e['host'] for e in result.facts['endpoints']] == [LOGIN]
    assert result.finding == 'endpoints.login_only' and entry['status'] == 'passed'


def test_a_data_endpoint_missing_from_dns_is_a_data_endpoint_error():
    ctx = make_ctx(registries=with_data_endpoints(DATA), resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: DnsError('Name or service not known')}))
    result, entry = endpoints(ctx)
    assert (entry['status'], entry['code']) == ('failed', 'CONNECTIVITY_DATA_ENDPOINT_ERROR')
    assert DATA in entry['message'] and 'Name or service not known' in entry['message']
    assert entry['docsUrl'].endswith('README.rst#connectivity_data_endpoint_error')
    assert ctx.probe.calls == []  # nothing to connect to (and the login server was reached)


def test_a_data_endpoint_whose_certificate_is_refused_shows_the_certificate():
    certificate = {'subject': 'CN=' + DATA, 'issuer': 'CN=Contoso Inspection CA',
                   'dnsNames': [DATA], 'notAfter': '2027-01-01T00:00:00Z',
                   'issuerInBundle': False}
    probe = FakeProbe({DATA: {'tcp': 'passed', 'tls': 'failed', 'certificate': certificate,
                              'error': 'unable to get local issuer certificate'}})
    ctx = make_ctx(registries=with_data_endpoints(DATA), probe=probe,
                   resolver=FakeResolver({LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    result, entry = endpoints(ctx)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    data = result.facts['endpoints'][1]
    assert data['certificate']['issuer'] == 'CN=Contoso Inspection CA'
    assert data['certificate']['issuerInBundle'] is False
    assert 'unable to get local issuer certificate' in entry['message']


def test_a_login_server_fault_is_left_to_its_own_checks():
    answers = dict(healthy_answers(), **{'/v2/': HttpError('ssl', 'certificate verify failed')})
    ctx = make_ctx(http=FakeHttp(answers))
    result, entry = endpoints(ctx)
    assert entry['status'] == 'passed'  # the challenge check reports it, with its own code
    login = result.facts['endpoints'][0]
    assert (login['tcp'], login['tls']) == ('passed', 'failed')
    assert login['error'] == 'certificate verify failed'
    assert ctx.probe.calls == []


def test_the_login_server_is_probed_when_no_challenge_reached_it():
    from azext_acrhealth.checks.pullpath import check_endpoints
    from azext_acrhealth.checks.base import CheckResult
    ctx = make_ctx()
    login = CheckResult('registry.login_server.arm', {'loginServer': LOGIN, 'name': NAME},
                        data=None)
    result = check_endpoints(ctx, {'login-server': login,
                                   'challenge': CheckResult('runner.skipped.stopped')})
    assert ctx.probe.calls == [(LOGIN, '20.62.128.10')]
    assert result.facts['endpoints'][0]['tls'] == 'passed'


def test_private_only_registry_with_a_public_data_address_is_a_dns_error():
    registries = with_data_endpoints(DATA, public_network_access='Disabled')
    ctx = make_ctx(registries=registries, resolver=FakeResolver(
        {LOGIN: ['10.1.2.3'], DATA: ['20.62.129.1']}))
    result, entry = endpoints(ctx)
    assert (entry['status'], entry['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')
    assert '{} (data endpoint, westeurope) resolves to 20.62.129.1'.format(DATA) in \
        entry['message']
    assert ctx.probe.calls == []  # a public address is never connected to
    assert result.facts['endpoints'][0]['private'] is True


def test_a_proxy_carries_the_traffic_and_is_named_without_its_password():
    ctx = make_ctx(registries=with_data_endpoints(DATA), resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}),
        proxy_for=lambda host: 'http://user:secret@proxy.contoso.com:3128')
    result, entry = endpoints(ctx)
    assert entry['status'] == 'passed'
    assert ctx.probe.calls == []
    assert result.facts['endpoints'][1]['proxy'] == 'http://***@proxy.contoso.com:3128'
    assert 'secret' not in json.dumps(result.facts) + entry['message']


# ---- --image -----------------------------------------------------------------------------------

CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
CONFIG_DIGEST = 'sha256:' + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({
    'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
    'config': {'mediaType': 'application/vnd.docker.container.image.v1+json',
               'size': len(CONFIG), 'digest': CONFIG_DIGEST},
    'layers': []}).encode()
MANIFEST_DIGEST = 'sha256:' + hashlib.sha256(MANIFEST).hexdigest()
INDEX = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
                    'manifests': [
                        {'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                         'digest': 'sha256:' + 'a' * 64, 'size': 1,
                         'platform': {'os': 'linux', 'architecture': 'arm64'}},
                        {'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                         'digest': MANIFEST_DIGEST, 'size': len(MANIFEST),
                         'platform': {'os': 'linux', 'architecture': 'amd64'}}]}).encode()
SIGNED = 'https://{}/blob/{}?se=2026-12-05T07%3A00%3A00Z&sig=SIGNATURE-SECRET'.format(
    DATA, CONFIG_DIGEST)


def manifest_response(body=MANIFEST, media='application/vnd.docker.distribution.manifest.v2+json',
                      digest=MANIFEST_DIGEST):
    return response(200, body, headers={'Content-Type': media, 'Docker-Content-Digest': digest})


def redirect(location=SIGNED, status=307):
    return response(status, b'<a href="x">Temporary Redirect</a>.\n',
                    headers={'Location': location, 'Content-Type': 'text/html; charset=utf-8'})


def pull_answers(**extra):
    answers = healthy_answers()
    answers.update({
        '/v2/app/manifests/v1': manifest_response(),
        '/v2/app/blobs/' + CONFIG_DIGEST: redirect(),
        '{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(200, CONFIG),
    })
    answers.update(extra)
    return answers


def pull(answers, image='app:v1', resolver=None):
    from .connectivity_fakes import FakeHttp
    ctx = make_ctx(http=FakeHttp(answers), image=image, resolver=resolver or FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    result, _ = run_through(ctx, 'image-pull')
    return result, rendered('image-pull', result), ctx


def test_a_pull_follows_the_redirect_without_the_registry_token():
    result, entry, ctx = pull(pull_answers())
    assert entry['status'] == 'passed', entry
    assert result.facts['blobHost'] == DATA and result.facts['verified'] is True
    assert result.facts['configDigest'] == CONFIG_DIGEST
    urls = ctx.http.urls()
    assert urls[-3:] == ['https://{}/v2/app/manifests/v1'.format(LOGIN),
                         'https://{}/v2/app/blobs/{}'.format(LOGIN, CONFIG_DIGEST), SIGNED]
    sent = dict(zip(urls, ctx.http.headers))
    assert sent['https://{}/v2/app/manifests/v1'.format(LOGIN)]['Authorization'].startswith(
        'Bearer ')
    assert 'Authorization' not in sent[SIGNED]  # the data host gets the signed URL only
    token_form = ctx.http.calls[-4][2]
    assert token_form['scope'] == 'repository:app:pull'
    (redirect_entry,) = result.facts['endpoints']
    assert (redirect_entry['host'], redirect_entry['role']) == (DATA, 'redirect')
    assert DATA in entry['message']
    assert 'SIGNATURE-SECRET' not in json.dumps(result.facts) + entry['message']


def test_an_index_is_followed_to_the_linux_amd64_manifest():
    answers = pull_answers(**{
        '/v2/app/manifests/v1': manifest_response(INDEX, 'application/vnd.oci.image.index.v1+json',
                                                  'sha256:' + 'b' * 64),
        '/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response()})
    result, entry, _ = pull(answers)
    assert entry['status'] == 'passed', entry
    assert result.facts['platform'] == 'linux/amd64'


def test_a_pull_by_digest_checks_the_manifest_digest():
    answers = pull_answers(**{'/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response()})
    result, entry, _ = pull(answers, image='app@' + MANIFEST_DIGEST)
    assert entry['status'] == 'passed', entry
    wrong = 'sha256:' + 'c' * 64
    answers = pull_answers(**{'/v2/app/manifests/' + wrong: manifest_response()})
    result, entry, _ = pull(answers, image='app@' + wrong)
    assert (entry['code'], result.facts['what']) == ('IMAGE_PULL_ERROR', 'manifest')


def test_a_missing_tag_names_the_registry_error():
    answers = pull_answers(**{'/v2/app/manifests/v1': response(404, json.dumps({'errors': [{
        'code': 'MANIFEST_UNKNOWN', 'message': 'manifest tagged by "v1" is not found',
        'detail': {'Tag': 'v1'}}]}).encode())})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR'
    assert 'MANIFEST_UNKNOWN' in entry['message'] and 'app:v1' in entry['message']


def test_a_config_blob_that_does_not_match_its_digest():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(200, b'{}')})
    result, entry, _ = pull(answers)
    assert (entry['code'], result.facts['what']) == ('IMAGE_PULL_ERROR', 'config blob')


def test_a_data_host_that_cannot_be_reached_is_a_data_endpoint_error():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): HttpError(
        'timeout', 'no complete answer within 5 s')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert DATA in entry['message']
    assert result.facts['endpoints'][0]['tls'] == 'failed'  # a timeout: no answer came


def test_a_refused_data_host_certificate_fails_its_tls_step():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): HttpError(
        'ssl', 'certificate verify failed: unable to get local issuer certificate')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    data = result.facts['endpoints'][0]
    assert (data['dns'], data['tcp'], data['tls']) == ('passed', 'passed', 'failed')


def test_a_storage_firewall_is_a_data_endpoint_error():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(
        403, b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code>'
             b'<Message>This request is not authorized to perform this operation.</Message>'
             b'</Error>')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert '403' in entry['message']


@pytest.mark.parametrize('location', ['http://{}/blob'.format(DATA), 'ftp://x/y'])
def test_a_redirect_that_is_not_https_is_not_followed(location):
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: redirect(location)})
    result, entry, ctx = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'not HTTPS' in entry['message']
    assert not [u for u in ctx.http.urls() if not u.startswith('https://')]


def test_at_most_three_redirects():
    loop = 'https://{}/blob/loop'.format(DATA)
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: redirect(loop),
                              '{}/blob/loop'.format(DATA): redirect(loop)})
    result, entry, ctx = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'more than 3' in entry['message']
    assert len([u for u in ctx.http.urls() if '/blob' in u]) == 4


def test_pull_denied():
    answers = pull_answers(**{'/v2/app/manifests/v1': response(401, json.dumps({'errors': [{
        'code': 'UNAUTHORIZED', 'message': 'authentication required', 'detail': [
            {'Type': 'repository', 'Name': 'app', 'Action': 'pull'}]}]}).encode())})
    _, entry, _ = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'denied' in entry['message']


def test_pick_platform():
    linux = {'digest': 'sha256:1', 'platform': {'os': 'linux', 'architecture': 'amd64'}}
    arm = {'digest': 'sha256:2', 'platform': {'os': 'linux', 'architecture': 'arm64'}}
    assert pick_platform([arm, linux]) == linux
    assert pick_platform([arm]) == arm
    assert pick_platform([None, {'x': 1}]) is None


def test_the_report_lists_every_endpoint_and_the_table_shows_them():
    from azext_acrhealth import report
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.runner import run_plan
    from .connectivity_fakes import FakeHttp
    ctx = make_ctx(http=FakeHttp(pull_answers()), image='app:v1',
                   registries=with_data_endpoints(DATA),
                   resolver=FakeResolver({LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    outcomes = run_plan(build_plan(ctx), ctx)
    built = report.build_report(outcomes, ctx.environment_summary())
    assert [(e['host'], e['role']) for e in built['endpoints']] == [
        (LOGIN, 'loginServer'), (DATA, 'dataEndpoint'), (DATA, 'redirect')]
    rows = report.table_transformer(built)
    assert [r['Check'] for r in rows[-3:]] == ['Endpoint'] * 3
    assert [r['Message'].split(' (')[0] for r in rows[-3:]] == [LOGIN, DATA, DATA]
    assert rows[-2]['Message'] == (f'{DATA} (data endpoint; 20.62.129.1): DNS passed, '
                                   'TCP passed, TLS passed')
