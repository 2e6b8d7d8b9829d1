# acrhealth (MIT licence). The challenge check (GET /v2/), with a fake HTTP client.
import pytest

from azext_acrhealth._http import HttpError
from azext_acrhealth.checks.connectivity import proxy_settings

from .connectivity_fakes import (CHALLENGE, LOGIN, NAME, FakeHttp, arm_registry,
                                 challenge_response, flat, make_ctx, rendered, response,
                                 run_through)

URL = 'https://{}/v2/'.format(LOGIN)


def challenge(answer, **kwargs):
    http = FakeHttp({'/v2/': answer})
    ctx = make_ctx(http=http, **kwargs)
    result, _ = run_through(ctx, 'challenge')
    return result, http, ctx


def test_challenge_ok():
    result, http, _ = challenge(challenge_response())
    assert result.finding == 'connectivity.challenge.ok'
    assert result.facts['realm'] == 'https://{}/oauth2/token'.format(LOGIN)
    assert result.facts['service'] == LOGIN
    assert result.facts['statusCode'] == 401
    assert result.data == {'realm': 'https://{}/oauth2/token'.format(LOGIN), 'service': LOGIN}
    assert http.calls == [('GET', URL, None)]
    entry = rendered('challenge', result)
    assert entry['status'] == 'passed' and 'NOT verified' not in entry['message']


def test_challenge_ok_with_verification_off_says_so():
    result, _, _ = challenge(challenge_response(), verify_tls=False)
    assert result.finding == 'connectivity.challenge.ok_unverified'
    entry = rendered('challenge', result)
    assert entry['status'] == 'passed'
    assert 'AZURE_CLI_DISABLE_CONNECTION_VERIFICATION' in entry['message']


def test_challenge_forbidden_with_arm_network_facts():
    registry = arm_registry(public_network_access='Disabled', default_action='Deny',
                            ip_rules=['1.2.3.4', '5.6.7.0/24'])
    result, _, _ = challenge(response(403, b'denied'), registries={NAME: registry})
    assert result.finding == 'connectivity.challenge.forbidden'
    assert result.facts['publicNetworkAccess'] == 'Disabled'
    assert result.facts['networkDefaultAction'] == 'Deny'
    assert result.facts['ipRules'] == 2
    entry = rendered('challenge', result)
    assert entry['code'] == 'CONNECTIVITY_FORBIDDEN_ERROR'
    assert 'Disabled' in entry['message'] and 'Deny' in entry['message']
    assert 'IP rules: 2' in entry['message']


def test_challenge_forbidden_without_arm_facts_says_unknown():
    result, _, _ = challenge(response(403), registries={})
    assert result.finding == 'connectivity.challenge.forbidden'
    assert result.facts['publicNetworkAccess'] is None
    entry = rendered('challenge', result)
    assert 'public network access: unknown' in entry['message']


def test_challenge_ssl_names_the_reason_and_the_proxy_settings_without_password():
    environ = {'HTTPS_PROXY': 'http://alice:s3cr3t-pw@proxy.corp:3128',
               'NO_PROXY': 'localhost,.internal', 'REQUESTS_CA_BUNDLE': '/etc/ssl/corp.pem',
               'UNRELATED': 'x'}
    result, _, _ = challenge(HttpError('ssl', 'self-signed certificate in certificate chain'),
                             environ=environ)
    assert result.finding == 'connectivity.challenge.ssl'
    settings = result.facts['proxySettings']
    assert settings['HTTPS_PROXY'] == 'http://***@proxy.corp:3128'
    assert settings['NO_PROXY'] == 'localhost,.internal'
    assert settings['REQUESTS_CA_BUNDLE'] == '/etc/ssl/corp.pem'
    assert 'UNRELATED' not in settings
    entry = rendered('challenge', result)
    assert entry['code'] == 'CONNECTIVITY_SSL_ERROR'
    assert 'self-signed certificate in certificate chain' in entry['message']
    assert 'proxy.corp:3128' in entry['message']
    for text in (flat(result.facts), entry['message'], flat(entry)):
        assert 's3cr3t-pw' not in text and 'alice' not in text


@pytest.mark.parametrize('value', [
    'http://alice:s3cr3t-pw@proxy.corp:3128',
    'https://alice:s3cr3t-pw@proxy.corp',
    'http://alice:s3cr3t-pw@proxy.corp:3128/path',
    'alice:s3cr3t-pw@proxy.corp:3128',            # no scheme: requests still accepts it
    'http://alice:s3cr3t-pw@proxy.corp:notaport',  # an unreadable port
    'http://alice:s3cr3t-pw@[::1',                # an unreadable URL
    'http://alice:s3cr/3t-pw@proxy.corp:3128',    # a slash inside the password
])
def test_proxy_settings_never_show_a_proxy_password(value):
    settings = proxy_settings({'HTTPS_PROXY': value, 'http_proxy': value})
    assert set(settings) == {'HTTPS_PROXY', 'http_proxy'}
    for shown in settings.values():
        assert 's3cr3t-pw' not in shown and 's3cr/3t-pw' not in shown and 'alice' not in shown


def test_proxy_settings_keep_a_proxy_without_credentials():
    assert proxy_settings({'https_proxy': 'http://proxy:8080'}) == {'https_proxy': 'http://proxy:8080'}
    assert proxy_settings({}) == {}


def test_challenge_ssl_without_proxy_settings_renders():
    result, _, _ = challenge(HttpError('ssl', 'certificate has expired'))
    assert result.facts['proxySettings'] == {}
    entry = rendered('challenge', result)
    assert 'certificate has expired' in entry['message'] and 'none' in entry['message']


@pytest.mark.parametrize('error', [
    HttpError('connection', 'Connection refused'),
    HttpError('timeout', 'no complete answer within 5 s'),
    HttpError('protocol', 'Connection broken: IncompleteRead'),
])
def test_challenge_unreachable(error):
    result, _, _ = challenge(error)
    assert result.finding == 'connectivity.challenge.unreachable'
    entry = rendered('challenge', result)
    assert entry['code'] == 'CONNECTIVITY_CHALLENGE_ERROR'
    assert error.detail in entry['message']


@pytest.mark.parametrize('status', [200, 404, 500, 503, 302])
def test_challenge_without_401_is_no_challenge(status):
    result, _, _ = challenge(response(status, b'<html>hi</html>'))
    assert result.finding == 'connectivity.challenge.no_challenge'
    entry = rendered('challenge', result)
    assert entry['code'] == 'CONNECTIVITY_CHALLENGE_ERROR'
    assert 'answered {}'.format(status) in entry['message']


def test_challenge_401_without_www_authenticate():
    result, _, _ = challenge(response(401))
    assert result.finding == 'connectivity.challenge.no_challenge'
    assert rendered('challenge', result)['code'] == 'CONNECTIVITY_CHALLENGE_ERROR'


def test_challenge_429_is_too_many_requests():
    result, _, _ = challenge(response(429, headers={'Retry-After': '10'}))
    assert result.finding == 'connectivity.challenge.throttled'
    assert rendered('challenge', result)['code'] == 'CONNECTIVITY_TOOMANYREQUESTS_ERROR'


@pytest.mark.parametrize('values', [
    ['Basic realm="Azure Container Registry"'],
    ['Bearer realm="https://{}/oauth2/token"'.format(LOGIN)],          # no service
    ['Bearer service="{}"'.format(LOGIN)],                              # no realm
    ['Bearer realm="",service="{}"'.format(LOGIN)],                     # empty realm
    ['Negotiate', 'NTLM'],
])
def test_challenge_not_bearer_with_realm_and_service(values):
    result, _, _ = challenge(challenge_response(*values))
    assert result.finding == 'connectivity.challenge.not_bearer'
    entry = rendered('challenge', result)
    assert entry['code'] == 'CONNECTIVITY_AAD_LOGIN_ERROR'
    assert values[0][:20] in entry['message']


def test_challenge_bearer_after_basic_in_another_header_is_used():
    result, _, _ = challenge(challenge_response('Basic realm="x"', CHALLENGE))
    assert result.finding == 'connectivity.challenge.ok'
    assert result.facts['service'] == LOGIN


def test_challenge_huge_header_is_cut_in_the_message():
    result, _, _ = challenge(challenge_response('Basic realm="{}"'.format('x' * 5000)))
    assert result.finding == 'connectivity.challenge.not_bearer'
    assert len(result.facts['challenge']) <= 200
