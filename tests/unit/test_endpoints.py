# acrhealth (MIT licence). The endpoints check: every host a pull needs, probed as a client would,
# in real registry configurations (private endpoints with public access, regional endpoints,
# dual-stack hosts); --vnet with connections not approved.
import json

from azext_acrhealth._azure import DnsError
from azext_acrhealth._http import HttpError
from azext_acrhealth import report
from azext_acrhealth.checks import build_plan
from azext_acrhealth.checks.registry import check_private_endpoints

from .connectivity_fakes import (LOGIN, NAME, FakeHttp, FakeProbe, FakeResolver, arm_registry,
                                 healthy_answers, make_ctx, rendered, run_through,
                                 with_data_endpoints)

PE = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateEndpoints/pe1'
REGIONAL = 'myreg.eastus.geo.azurecr.io'
DATA = 'myreg.westeurope.data.azurecr.io'
DATA2 = 'myreg.eastus.data.azurecr.io'
DEAD_V6 = '2603:1030:20e:3::23c'


def endpoints(ctx):
    result, _ = run_through(ctx, 'endpoints')
    return result, rendered('endpoints', result)


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
    from azext_acrhealth.checks.endpoints import check_endpoints
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


def test_a_pending_private_endpoint_with_public_access_enabled_is_not_private_only():
    # Public access Enabled, a connection Pending (a team moving to Private Link): clients
    # outside the virtual network keep the public path.
    registries = {NAME: arm_registry(pending=[PE])}
    result, entry = endpoints(make_ctx(registries=registries))
    assert entry['status'] == 'passed', entry
    assert result.facts['privateOnly'] is False
    assert result.facts['privateEndpoints'] == {'connections': {'Pending': 1}, 'path': 'public'}
    assert ('The registry has private endpoint connections, none Approved yet (private endpoint '
            'connections: 1 Pending); from here its login server resolves to a public address: '
            "this client takes the public path, where the registry's network rules apply.") in \
        entry['message']


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
                                  dataEndpointEnabled=True, dataEndpointHostNames=[DATA2])
    resolver = FakeResolver({LOGIN: ['20.62.128.10'], DATA2: ['20.62.129.1'],
                             REGIONAL: ['20.62.130.7']})
    ctx = make_ctx(registries={NAME: registry}, resolver=resolver)
    result, entry = endpoints(ctx)
    assert [(e['host'], e['role'], e['region']) for e in result.facts['endpoints']] == [
        (LOGIN, 'loginServer', 'eastus'), (DATA2, 'dataEndpoint', 'eastus'),
        (REGIONAL, 'regionalEndpoint', 'eastus')]
    assert (REGIONAL, '20.62.130.7') in ctx.probe.calls
    assert f'{REGIONAL} (regional endpoint, eastus)' in entry['message']
    rows = report.table_transformer({'endpoints': result.facts['endpoints']})
    assert rows[-1]['Message'].startswith(f'{REGIONAL} (regional endpoint; 20.62.130.7)')


def test_an_unreachable_regional_endpoint_is_a_warning():
    # A client uses a regional endpoint by choice (`az acr login --endpoint`); a default pull
    # goes through the login server: not a failure, but worth knowing.
    registry = arm_registry()
    registry['properties'].update(regionalEndpoints='Enabled', regionalEndpointHostNames=[REGIONAL])
    probe = FakeProbe({REGIONAL: {'tcp': 'failed', 'tls': 'skipped', 'error': 'timed out'}})
    ctx = make_ctx(registries={NAME: registry}, probe=probe, resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], REGIONAL: ['20.62.130.7']}))
    _, entry = endpoints(ctx)
    assert (entry['status'], entry['code']) == ('warning', None)
    assert entry['message'].startswith(f'{REGIONAL} (regional endpoint, eastus) cannot be reached')
    assert 'Pulls through the login server are not affected' in entry['message']


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
                                  dataEndpointHostNames=[DATA2])
    resolver = FakeResolver({LOGIN: [DEAD_V6, '20.62.128.10'], DATA2: [DEAD_V6, '20.62.129.1']})
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
    assert (f'Note: {DATA2} did not connect on {DEAD_V6} (connection refused); it did on '
            '20.62.129.1, as a client goes on to the next address.') in entry['message']


def test_a_dual_stack_host_whose_every_address_fails_fails():
    registry = arm_registry()
    registry['properties'].update(dataEndpointEnabled=True, dataEndpointHostNames=[DATA2])
    probe = FakeProbe({DATA2: {'tcp': 'failed', 'tls': 'skipped', 'error': 'connection refused'}})
    ctx = make_ctx(registries={NAME: registry}, probe=probe, resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA2: [DEAD_V6, '20.62.129.1']}))
    result, entry = endpoints(ctx)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert len(result.facts['endpoints'][1]['attempts']) == 2 and 'fallbacks' not in result.facts


def test_vnet_with_only_pending_connections_says_they_carry_no_traffic():
    registry = arm_registry(pending=[PE], public_network_access='Disabled')
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


def test_a_hostile_list_of_hosts_is_probed_up_to_a_bound():
    hosts = ['myreg.r{}.data.azurecr.io'.format(n) for n in range(500)] + ['MYREG.R1.data.azurecr.io']
    ctx = make_ctx(registries=with_data_endpoints(*hosts),
                   resolver=FakeResolver(dict({LOGIN: ['20.62.128.10']},
                                              **{h: ['20.62.129.1'] for h in hosts})))
    result, entry = endpoints(ctx)
    assert len(result.facts['endpoints']) == 32 and result.facts['notProbed'] == 469
    assert '469 more host(s) that ARM lists were not probed.' in entry['message']


def test_vnet_with_pending_connections_and_public_access_is_a_warning():
    registry = arm_registry(pending=[PE])  # public access Enabled
    ctx = make_ctx(registries={NAME: registry}, vnet='vnet1')
    login, _ = run_through(ctx, 'login-server')
    result = check_private_endpoints(ctx, {'login-server': login})
    check = next(c for c in build_plan(ctx) if c.id == 'private-endpoints')
    entry = report.check_entry(check, result, NAME)
    assert (entry['status'], entry['code']) == ('warning', None)
    assert 'clients outside the virtual network take the public path' in entry['message']
    assert 'az acr private-endpoint-connection approve --registry-name myreg' in entry['message']
