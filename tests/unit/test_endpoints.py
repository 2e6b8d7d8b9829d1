# acrhealth (MIT licence). Real registry configurations on the pull path: private endpoints with
# public access, regional endpoints, dual-stack hosts; --vnet with connections not approved.
from azext_acrhealth import report
from azext_acrhealth.checks import build_plan
from azext_acrhealth.checks.registry import check_private_endpoints

from .connectivity_fakes import (LOGIN, NAME, FakeProbe, FakeResolver, arm_registry, make_ctx,
                                 rendered, run_through)

PE = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateEndpoints/pe1'
REGIONAL = 'myreg.eastus.geo.azurecr.io'
DATA = 'myreg.eastus.data.azurecr.io'
DEAD_V6 = '2603:1030:20e:3::23c'


def endpoints(ctx):
    result, _ = run_through(ctx, 'endpoints')
    return result, rendered('endpoints', result)


def test_a_pending_private_endpoint_with_public_access_enabled_is_not_private_only():
    # Public access Enabled, a connection Pending (a team moving to Private Link): clients
    # outside the virtual network keep the public path.
    registries = {NAME: arm_registry(pending=[PE])}
    result, entry = endpoints(make_ctx(registries=registries))
    assert entry['status'] == 'passed', entry
    assert result.facts['privateOnly'] is False
    assert result.facts['privateEndpoints'] == {'connections': {'Pending': 1}, 'path': 'public'}
    assert ('The registry also takes private connections (private endpoint connections: '
            '1 Pending); from here its login server resolves to a public address: this client '
            "takes the public path, where the registry's network rules apply.") in entry['message']


def test_an_approved_private_endpoint_resolved_publicly_with_public_access_is_a_fact():
    registries = {NAME: arm_registry(endpoints=[PE])}
    result, entry = endpoints(make_ctx(registries=registries))
    assert entry['status'] == 'passed' and entry['code'] is None
    assert result.facts['privateEndpoints']['path'] == 'public'


def test_an_approved_private_endpoint_resolved_privately_takes_the_private_path():
    registries = {NAME: arm_registry(endpoints=[PE])}
    result, entry = endpoints(make_ctx(registries=registries,
                                       resolver=FakeResolver({LOGIN: ['10.1.2.3']})))
    assert entry['status'] == 'passed'
    assert result.facts['privateEndpoints'] == {'connections': {'Approved': 1},
                                                'path': 'private'}
    assert 'resolves to a private address: this client takes the private path' in \
        entry['message']


def test_public_access_disabled_is_private_only_whatever_the_connections():
    registries = {NAME: arm_registry(public_network_access='Disabled', endpoints=[PE])}
    result, entry = endpoints(make_ctx(registries=registries))
    assert result.facts['privateOnly'] is True and 'privateEndpoints' not in result.facts
    assert (entry['status'], entry['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')


def test_regional_endpoints_are_probed_like_data_endpoints():
    registry = arm_registry()
    registry['properties'].update(regionalEndpoints='Enabled', regionalEndpointHostNames=[REGIONAL],
                                  dataEndpointEnabled=True, dataEndpointHostNames=[DATA])
    resolver = FakeResolver({LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1'],
                             REGIONAL: ['20.62.130.7']})
    ctx = make_ctx(registries={NAME: registry}, resolver=resolver)
    result, entry = endpoints(ctx)
    assert [(e['host'], e['role'], e['region']) for e in result.facts['endpoints']] == [
        (LOGIN, 'loginServer', 'eastus'), (DATA, 'dataEndpoint', 'eastus'),
        (REGIONAL, 'regionalEndpoint', 'eastus')]
    assert (REGIONAL, '20.62.130.7') in ctx.probe.calls
    assert f'{REGIONAL} (regional endpoint, eastus)' in entry['message']
    rows = report.table_transformer({'endpoints': result.facts['endpoints']})
    assert rows[-1]['Message'].startswith(f'{REGIONAL} (regional endpoint; 20.62.130.7)')


def test_an_unreachable_regional_endpoint_is_a_data_endpoint_error():
    registry = arm_registry()
    registry['properties'].update(regionalEndpoints='Enabled', regionalEndpointHostNames=[REGIONAL])
    probe = FakeProbe({REGIONAL: {'tcp': 'failed', 'tls': 'skipped', 'error': 'timed out'}})
    ctx = make_ctx(registries={NAME: registry}, probe=probe, resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], REGIONAL: ['20.62.130.7']}))
    _, entry = endpoints(ctx)
    assert (entry['status'], entry['code']) == ('failed', 'CONNECTIVITY_DATA_ENDPOINT_ERROR')
    assert entry['message'].startswith(f'{REGIONAL} (regional endpoint, eastus) cannot be reached')
    assert entry['remediation'].startswith(f'Allow {REGIONAL} wherever')


class DeadIPv6Probe(FakeProbe):
    """An IPv6 address that refuses, an IPv4 one that works (a dual-stack host behind a
    network without IPv6)."""

    def __call__(self, host, address, timeout):
        self.calls.append((host, address))
        if ':' in address:
            return {'tcp': 'failed', 'tls': 'skipped', 'error': 'connection refused'}
        return {'tcp': 'passed', 'tls': 'passed', 'error': None}


def test_a_dual_stack_host_is_tried_on_each_address_in_order_and_a_dead_ipv6_is_a_note():
    registry = arm_registry()
    registry['properties'].update(endpointProtocol='IPv4AndIPv6', dataEndpointEnabled=True,
                                  dataEndpointHostNames=[DATA])
    resolver = FakeResolver({LOGIN: [DEAD_V6, '20.62.128.10'], DATA: [DEAD_V6, '20.62.129.1']})
    ctx = make_ctx(registries={NAME: registry}, resolver=resolver, probe=DeadIPv6Probe())
    result, entry = endpoints(ctx)
    assert entry['status'] == 'passed', entry
    login, data = result.facts['endpoints']
    for endpoint in (login, data):
        assert (endpoint['tcp'], endpoint['tls']) == ('passed', 'passed')
        assert [(a['address'], a['tcp']) for a in endpoint['attempts']] == [
            (DEAD_V6, 'failed'), (endpoint['addresses'][1], 'passed')]
    # Two addresses: the login server is probed too (the challenge cannot say which it used).
    assert ctx.probe.calls.count((LOGIN, DEAD_V6)) == 1
    assert (f'Note: {DATA} did not connect on {DEAD_V6} (connection refused); it did on '
            '20.62.129.1, as a client goes on to the next address.') in entry['message']


def test_a_dual_stack_host_whose_every_address_fails_fails():
    registry = arm_registry()
    registry['properties'].update(dataEndpointEnabled=True, dataEndpointHostNames=[DATA])
    probe = FakeProbe({DATA: {'tcp': 'failed', 'tls': 'skipped', 'error': 'connection refused'}})
    ctx = make_ctx(registries={NAME: registry}, probe=probe, resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: [DEAD_V6, '20.62.129.1']}))
    result, entry = endpoints(ctx)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert len(result.facts['endpoints'][1]['attempts']) == 2 and 'fallbacks' not in result.facts


def test_vnet_with_only_pending_connections_says_they_carry_no_traffic():
    registry = arm_registry(pending=[PE])
    ctx = make_ctx(registries={NAME: registry}, vnet='vnet1')
    login, _ = run_through(ctx, 'login-server')
    result = check_private_endpoints(ctx, {'login-server': login})
    assert result.finding == 'registry.pe.not_approved'
    check = next(c for c in build_plan(ctx) if c.id == 'private-endpoints')
    entry = report.check_entry(check, result, NAME)
    assert (entry['status'], entry['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')
    assert entry['message'] == ('No private endpoint connection of myreg is Approved (pe1: '
                                'Pending): a private endpoint carries no traffic until its '
                                'connection is approved.')
    assert 'az acr private-endpoint-connection approve --registry-name myreg' in \
        entry['remediation']
