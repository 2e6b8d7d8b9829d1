# acrhealth (MIT licence). Registry checks: CMK identity and private endpoint DNS (--vnet).
import pytest

from azext_acrhealth._azure import ArmError, DnsError
from azext_acrhealth.checks.registry import check_private_endpoints, vnet_id

from .connectivity_fakes import (GROUP, LOGIN, NAME, SUB, FakeArm, FakeResolver, arm_registry,
                                 make_ctx, rendered, run_through)

IDENTITY_ID = ('/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ManagedIdentity/'
               'userAssignedIdentities/cmk-id'.format(SUB, GROUP))
CLIENT_ID = 'aaaaaaaa-1111-2222-3333-bbbbbbbbbbbb'
PRINCIPAL = 'cccccccc-1111-2222-3333-dddddddddddd'
NET = '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.Network'.format(SUB, GROUP)
VNET_ID = NET + '/virtualNetworks/vnet1'
OTHER_VNET_ID = ('/subscriptions/{}/resourceGroups/net-rg/providers/Microsoft.Network/'
                 'virtualNetworks/hub'.format(SUB))
PE1 = NET + '/privateEndpoints/pe1'
PE2 = NET + '/privateEndpoints/pe2'
NIC1 = NET + '/networkInterfaces/pe1.nic'
NIC2 = NET + '/networkInterfaces/pe2.nic'
DATA = 'myreg.eastus.data.azurecr.io'


def cmk_registry(identity_client_id, identity=None, status='enabled'):
    return arm_registry(identity=identity, encryption={
        'status': status, 'keyVaultProperties': {
            'keyIdentifier': 'https://kv.vault.azure.net/keys/k/1', 'identity': identity_client_id}})


def user_identity(client_id=CLIENT_ID, identity_id=IDENTITY_ID, system=False):
    data = {'type': 'SystemAssigned, UserAssigned' if system else 'UserAssigned',
            'userAssignedIdentities': {identity_id: {'principalId': 'p', 'clientId': client_id}}}
    if system:
        data.update(principalId=PRINCIPAL, tenantId='t')
    return data


def identity_resource(client_id=CLIENT_ID):
    return {'id': IDENTITY_ID, 'name': 'cmk-id', 'properties': {'clientId': client_id,
                                                                'principalId': 'p'}}


def cmk(registry, resources=None):
    arm = FakeArm({NAME: registry}, resources)
    ctx = make_ctx(arm=arm)
    result, _ = run_through(ctx, 'cmk')
    return result, arm


# ---- CMK ------------------------------------------------------------------------------------

@pytest.mark.parametrize('registry', [arm_registry(), cmk_registry(CLIENT_ID, status='disabled'),
                                      cmk_registry(None)])
def test_cmk_not_used(registry):
    result, arm = cmk(registry)
    assert result.finding == 'registry.cmk.not_used'
    assert rendered('cmk', result)['status'] == 'passed'
    assert [call for call in arm.calls if call[0] == 'get'] == []


def test_cmk_registry_not_in_arm_is_skipped():
    ctx = make_ctx(registries={})
    result, _ = run_through(ctx, 'cmk')
    assert result.finding == 'registry.cmk.not_in_arm'
    assert rendered('cmk', result)['status'] == 'skipped'


@pytest.mark.parametrize('client_id', ['system', 'System', PRINCIPAL])
def test_cmk_system_identity_ok(client_id):
    result, _ = cmk(cmk_registry(client_id, identity={'type': 'SystemAssigned',
                                                      'principalId': PRINCIPAL, 'tenantId': 't'}))
    assert result.finding == 'registry.cmk.system_ok'
    assert rendered('cmk', result)['status'] == 'passed'


@pytest.mark.parametrize('identity', [None, user_identity(), {'type': 'None'}])
def test_cmk_system_identity_missing(identity):
    result, _ = cmk(cmk_registry('system', identity=identity))
    assert result.finding == 'registry.cmk.system_missing'
    assert rendered('cmk', result)['code'] == 'CMK_ERROR'


def test_cmk_user_assigned_identity_ok():
    result, arm = cmk(cmk_registry(CLIENT_ID, identity=user_identity(system=True)),
                      {IDENTITY_ID: identity_resource()})
    assert result.finding == 'registry.cmk.user_ok'
    assert result.facts == {'clientId': CLIENT_ID, 'identityId': IDENTITY_ID}
    assert ('get', IDENTITY_ID) in arm.calls
    entry = rendered('cmk', result)
    assert entry['status'] == 'passed' and IDENTITY_ID in entry['message']


def test_cmk_user_assigned_client_id_matches_case_insensitively():
    result, _ = cmk(cmk_registry(CLIENT_ID.upper(), identity=user_identity()),
                    {IDENTITY_ID: identity_resource()})
    assert result.finding == 'registry.cmk.user_ok'


@pytest.mark.parametrize('identity', [None, user_identity(client_id='eeeeeeee-0000-0000-0000-000000000000')])
def test_cmk_user_assigned_identity_not_assigned(identity):
    result, _ = cmk(cmk_registry(CLIENT_ID, identity=identity))
    assert result.finding == 'registry.cmk.not_assigned'
    entry = rendered('cmk', result)
    assert entry['code'] == 'CMK_ERROR' and CLIENT_ID in entry['message']


def test_cmk_user_assigned_identity_deleted():
    result, _ = cmk(cmk_registry(CLIENT_ID, identity=user_identity()), {IDENTITY_ID: None})
    assert result.finding == 'registry.cmk.deleted'
    entry = rendered('cmk', result)
    assert entry['code'] == 'CMK_ERROR'
    assert IDENTITY_ID in entry['message'] and CLIENT_ID in entry['message']


def test_cmk_user_assigned_identity_recreated_with_another_client_id_is_deleted():
    result, _ = cmk(cmk_registry(CLIENT_ID, identity=user_identity()),
                    {IDENTITY_ID: identity_resource('ffffffff-0000-0000-0000-000000000000')})
    assert result.finding == 'registry.cmk.deleted'
    assert result.facts['foundClientId'] == 'ffffffff-0000-0000-0000-000000000000'
    rendered('cmk', result)


@pytest.mark.parametrize('error', [ArmError('ARM answered 403', 403), ArmError('ARM answered 500', 500)])
def test_cmk_identity_unverifiable_when_arm_errs(error):
    result, _ = cmk(cmk_registry(CLIENT_ID, identity=user_identity()), {IDENTITY_ID: error})
    assert result.finding == 'registry.cmk.unverifiable'
    entry = rendered('cmk', result)
    assert entry['code'] == 'CMK_ERROR' and error.reason in entry['message']


# ---- private endpoints ----------------------------------------------------------------------

def endpoint(endpoint_id, subnet_vnet, nics):
    return {'id': endpoint_id, 'properties': {
        'subnet': {'id': subnet_vnet + '/subnets/default'},
        'networkInterfaces': [{'id': nic} for nic in nics]}}


def nic(nic_id, configs):
    return {'id': nic_id, 'properties': {'ipConfigurations': [
        {'name': 'c{}'.format(i), 'properties': {
            'privateIPAddress': address,
            'privateLinkConnectionProperties': {'groupId': 'registry', 'fqdns': fqdns}}}
        for i, (address, fqdns) in enumerate(configs)]}}


def pe_resources(vnet=VNET_ID):
    return {PE1: endpoint(PE1, vnet, [NIC1]),
            NIC1: nic(NIC1, [('10.1.0.4', [LOGIN]), ('10.1.0.5', [DATA])])}


def private_endpoints(vnet='vnet1', endpoints=(PE1,), resources=None, dns=None, registries=None):
    arm = FakeArm(registries if registries is not None else
                  {NAME: arm_registry(endpoints=endpoints)},
                  pe_resources() if resources is None else resources)
    resolver = FakeResolver(dict({LOGIN: ['10.1.0.4']}, **(dns or {})))
    ctx = make_ctx(arm=arm, resolver=resolver, vnet=vnet)
    result, _ = run_through(ctx, 'private-endpoints')
    return result, arm, resolver


def test_vnet_id_from_a_name_uses_the_registry_subscription_and_group():
    registry_id = arm_registry()['id']
    assert vnet_id('vnet1', registry_id).lower() == VNET_ID.lower()
    assert vnet_id(OTHER_VNET_ID + '/', registry_id) == OTHER_VNET_ID


def test_private_endpoints_match_with_vnet_by_name():
    result, arm, resolver = private_endpoints(dns={DATA: ['10.1.0.5']})
    assert result.finding == 'registry.pe.ok'
    assert result.facts['vnet'].lower() == VNET_ID.lower()
    assert {m['fqdn']: (m['expected'], m['ok']) for m in result.facts['mappings']} == {
        LOGIN: ('10.1.0.4', True), DATA: ('10.1.0.5', True)}
    assert sorted(host for host, _ in resolver.calls if host != LOGIN) == [DATA]
    assert [c for c in arm.calls if c[0] == 'get'] == [('get', PE1), ('get', NIC1)]
    entry = rendered('private-endpoints', result)
    assert entry['status'] == 'passed' and DATA in entry['message']


def test_private_endpoints_match_with_vnet_by_id_in_another_group():
    resources = {PE1: endpoint(PE1, OTHER_VNET_ID, [NIC1]),
                 NIC1: nic(NIC1, [('10.9.0.4', [LOGIN])])}
    result, _, _ = private_endpoints(vnet=OTHER_VNET_ID, resources=resources,
                                     dns={LOGIN: ['10.9.0.4']})
    assert result.finding == 'registry.pe.ok'
    assert result.facts['vnet'] == OTHER_VNET_ID


def test_private_endpoints_vnet_id_matches_case_insensitively():
    result, _, _ = private_endpoints(vnet=VNET_ID.upper(), dns={DATA: ['10.1.0.5']})
    assert result.finding == 'registry.pe.ok'


def test_private_endpoints_none():
    result, _, _ = private_endpoints(endpoints=())
    assert result.finding == 'registry.pe.none'
    entry = rendered('private-endpoints', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR' and NAME in entry['message']


def test_private_endpoints_none_in_the_vnet():
    resources = dict(pe_resources(), **{PE2: endpoint(PE2, OTHER_VNET_ID, [NIC2])})
    result, _, _ = private_endpoints(vnet='other', endpoints=(PE1, PE2), resources=resources)
    assert result.finding == 'registry.pe.none_in_vnet'
    assert result.facts['endpoints'] == 2
    entry = rendered('private-endpoints', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR'
    assert '2 private endpoint' in entry['message'] and 'virtualNetworks/other' in entry['message']


def test_private_endpoints_deleted_endpoint_is_not_in_the_vnet():
    result, _, _ = private_endpoints(resources={PE1: None})
    assert result.finding == 'registry.pe.none_in_vnet'


def test_private_endpoints_vnet_is_not_a_prefix_match():
    # vnet1 must not match the endpoints of vnet10.
    resources = {PE1: endpoint(PE1, VNET_ID + '0', [NIC1]), NIC1: pe_resources()[NIC1]}
    result, _, _ = private_endpoints(resources=resources)
    assert result.finding == 'registry.pe.none_in_vnet'


def test_private_endpoints_mismatch_lists_expected_and_actual():
    result, _, _ = private_endpoints(dns={LOGIN: ['20.62.128.10'], DATA: ['10.1.0.5']})
    assert result.finding == 'registry.pe.mismatch'
    bad = [m for m in result.facts['mappings'] if not m['ok']]
    assert bad == [{'fqdn': LOGIN, 'expected': '10.1.0.4', 'actual': ['20.62.128.10'],
                    'ok': False, 'error': None}]
    entry = rendered('private-endpoints', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR'
    assert '{}: expected 10.1.0.4, got 20.62.128.10'.format(LOGIN) in entry['message']
    assert DATA not in entry['message']


def test_private_endpoints_dns_failure_is_a_mismatch_with_the_error():
    result, _, _ = private_endpoints(dns={DATA: DnsError('no answer within 5 s')})
    assert result.finding == 'registry.pe.mismatch'
    entry = rendered('private-endpoints', result)
    assert '{}: expected 10.1.0.5, got no answer within 5 s'.format(DATA) in entry['message']


@pytest.mark.parametrize('failing', [PE1, NIC1])
def test_private_endpoints_arm_error_is_unreadable(failing):
    resources = dict(pe_resources(), **{failing: ArmError('ARM answered 403', 403)})
    result, _, _ = private_endpoints(resources=resources)
    assert result.finding == 'registry.pe.unreadable'
    entry = rendered('private-endpoints', result)
    assert entry['code'] == 'CONNECTIVITY_DNS_ERROR' and 'ARM answered 403' in entry['message']


def test_private_endpoints_registry_not_in_arm():
    result, _, _ = private_endpoints(registries={})
    assert result.finding == 'registry.pe.not_in_arm'
    assert rendered('private-endpoints', result)['code'] == 'CONNECTIVITY_DNS_ERROR'


def test_private_endpoints_check_is_only_planned_with_vnet():
    from .connectivity_fakes import registry_checks
    assert 'private-endpoints' not in [c.id for c in registry_checks(with_vnet=False)]
    assert check_private_endpoints is [c for c in registry_checks(True)
                                       if c.id == 'private-endpoints'][0].run
