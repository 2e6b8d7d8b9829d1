# acrhealth (MIT licence). Login server and DNS checks, with fake ARM and a fake resolver.
import pytest

from azext_acrhealth._azure import ArmError, DnsError
from azext_acrhealth.checks.connectivity import check_login_server

from .connectivity_fakes import (LOGIN, NAME, REGISTRY_ID, FakeArm, FakeResolver, arm_registry,
                                 make_ctx, rendered, run_through)


# ---- login server ---------------------------------------------------------------------------

def test_login_server_from_arm():
    ctx = make_ctx(registries={NAME: arm_registry(login_server='MyReg.AzureCR.io/')})
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.arm'
    assert result.facts['loginServer'] == 'MyReg.AzureCR.io'
    assert result.facts['resolvedBy'] == 'arm'
    assert result.facts['resourceId'] == REGISTRY_ID
    assert result.data['id'] == REGISTRY_ID  # the ARM facts, for later checks
    entry = rendered('login-server', result)
    assert entry['status'] == 'passed' and 'MyReg.AzureCR.io' in entry['message']
    assert ctx.arm.calls == [('find_registry', NAME)]


def test_login_server_name_lookup_is_case_insensitive_and_suffix_is_lower_case():
    ctx = make_ctx(registries={}, registry_name='MyReg')
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.suffix'
    assert result.facts['loginServer'] == 'myreg.azurecr.io'


def test_login_server_not_in_arm_falls_back_to_the_cloud_suffix():
    ctx = make_ctx(registries={}, acr_suffix='.azurecr.example')
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.suffix'
    assert result.facts['loginServer'] == 'myreg.azurecr.example'
    assert result.facts['resolvedBy'] == 'cloudSuffix'
    assert result.facts['suffix'] == '.azurecr.example'
    assert result.facts['arm'] == 'notFound'
    assert result.facts['subscriptionName'] == 'Contoso Dev'
    assert result.data is None
    entry = rendered('login-server', result)
    assert entry['status'] == 'passed'
    # which subscription was searched, and how to search another (not "ARM failed")
    assert 'myreg is not in subscription "Contoso Dev" (0b1f6471-0000-4000-8000-0000000000aa)' \
        in entry['message']
    assert '--subscription' in entry['message']
    assert 'could not be asked' not in entry['message']


def test_a_login_server_given_with_name_is_used_when_arm_does_not_know_the_registry():
    ctx = make_ctx(registries={}, login_server_hint='myreg-abc123.azurecr.io')
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.given'
    assert result.facts['loginServer'] == 'myreg-abc123.azurecr.io'
    assert 'given with --name' in rendered('login-server', result)['message']


def test_arm_wins_over_a_login_server_given_with_name():
    ctx = make_ctx(registries={NAME: arm_registry(login_server='myreg-xyz.azurecr.io')},
                   login_server_hint='myreg.azurecr.io')
    result = check_login_server(ctx, {})
    assert result.facts['loginServer'] == 'myreg-xyz.azurecr.io'
    assert result.facts['resolvedBy'] == 'arm'


@pytest.mark.parametrize('error', [
    ArmError("The client 'x' does not have authorization to perform action", 403),
    ArmError('ARM answered 503', 503),
    ArmError("Please run 'az login' to setup account."),
])
def test_login_server_arm_error_falls_back_to_the_suffix_and_says_why(error):
    ctx = make_ctx(arm=FakeArm(find_error=error))
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.suffix'
    assert result.facts['loginServer'] == LOGIN
    assert (result.facts['arm'], result.facts['armError']) == ('failed', error.reason)
    message = rendered('login-server', result)['message']
    assert 'ARM could not be asked ({})'.format(error.reason) in message
    assert 'not in subscription' not in message  # could not ask is not "not found"


def test_login_server_arm_registry_without_login_server_uses_the_suffix():
    ctx = make_ctx(registries={NAME: arm_registry(login_server=None)})
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.suffix'
    assert result.facts['loginServer'] == LOGIN
    assert result.facts['arm'] == 'noLoginServer'
    assert 'no login server' in rendered('login-server', result)['message']
    # The ARM facts stay available to later checks (CMK, network rules).
    assert result.data['id'] == REGISTRY_ID
    rendered('login-server', result)


def test_login_server_blank_login_server_in_arm_uses_the_suffix():
    ctx = make_ctx(registries={NAME: arm_registry(login_server='  ')})
    assert check_login_server(ctx, {}).finding == 'registry.login_server.suffix'


@pytest.mark.parametrize('suffix', [None, ''])
@pytest.mark.parametrize('arm', [FakeArm({}), FakeArm(find_error=ArmError('ARM answered 500', 500)),
                                 FakeArm({NAME: arm_registry(login_server=None)})])
def test_login_server_error_without_suffix(suffix, arm):
    ctx = make_ctx(arm=arm, acr_suffix=suffix)
    ctx.cloud_name = 'MyCloud'
    result = check_login_server(ctx, {})
    assert result.finding == 'registry.login_server.none'
    assert not result.passed
    entry = rendered('login-server', result)
    assert entry['status'] == 'failed' and entry['code'] == 'LOGIN_SERVER_ERROR'
    assert 'MyCloud' in entry['message']
    assert result.facts['arm'] in ('notFound', 'failed', 'noLoginServer')
    assert 'loginServer' not in result.facts


# ---- DNS ------------------------------------------------------------------------------------

def test_dns_public_address():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: ['20.62.128.10']}), timeout=7.0)
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.resolved'
    assert result.facts['addresses'] == ['20.62.128.10']
    assert result.facts['kinds'] == {'20.62.128.10': 'public'}
    assert ctx.resolve.calls == [(LOGIN, 7.0)]
    assert '20.62.128.10 (public)' in rendered('dns', result)['message']


def test_dns_private_address_is_reported_as_private():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: ['10.1.0.5', '20.62.128.10']}))
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.resolved'
    assert result.facts['kinds'] == {'10.1.0.5': 'private', '20.62.128.10': 'public'}
    message = rendered('dns', result)['message']
    assert '10.1.0.5 (private)' in message and '20.62.128.10 (public)' in message


def test_dns_failure():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: DnsError('[Errno -2] Name or service not known')}))
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.failed'
    entry = rendered('dns', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR'
    assert 'Name or service not known' in entry['message'] and LOGIN in entry['message']


def test_dns_idna_name_is_a_dns_error_not_a_crash():
    # A registry name the real resolver cannot even encode (a label over 63 characters).
    from azext_acrhealth._azure import resolve
    name = 'a' * 70
    ctx = make_ctx(registries={}, registry_name=name, resolver=resolve, timeout=3.0)
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.failed'
    assert 'not a valid host name' in result.facts['error']
    assert rendered('dns', result)['code'] == 'CONNECTIVITY_DNS_ERROR'


@pytest.mark.parametrize('addresses', [['0.0.0.0'], ['0.0.0.0', '::'], [], ['224.0.0.1']])
def test_dns_only_unusable_addresses(addresses):
    ctx = make_ctx(resolver=FakeResolver({LOGIN: addresses}))
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.unusable'
    entry = rendered('dns', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR'
    for address in addresses:
        assert address in entry['message']


def test_dns_one_usable_address_among_unusable_ones_passes():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: ['0.0.0.0', '10.0.0.4']}))
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.resolved'
    assert result.facts['kinds'] == {'0.0.0.0': 'unusable', '10.0.0.4': 'private'}


def test_dns_resolves_the_login_server_that_arm_named():
    ctx = make_ctx(registries={NAME: arm_registry(login_server='myreg-abc.azurecr.io')},
                   resolver=FakeResolver({'myreg-abc.azurecr.io': ['20.0.0.1']}))
    result, _ = run_through(ctx, 'dns')
    assert result.passed
    assert [host for host, _ in ctx.resolve.calls] == ['myreg-abc.azurecr.io']
