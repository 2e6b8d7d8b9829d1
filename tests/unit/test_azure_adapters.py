# acrhealth (MIT licence). The _arm and _azure adapters: registry facts, addresses, DNS, ARM paging, errors.
import socket
import threading
import time
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

from azext_acrhealth import _arm, _azure
from azext_acrhealth._arm import Arm
from azext_acrhealth._azure import (ArmError, DnsError, acr_audience, acr_suffix, address_kind,
                                    resolve)
from azext_acrhealth._registry_json import registry_facts

from .connectivity_fakes import answering_json

RID = '/subscriptions/s/resourceGroups/g/providers/Microsoft.ContainerRegistry/registries/r'
UAI = '/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/userAssignedIdentities/i'
PE = '/subscriptions/s/resourceGroups/g/providers/Microsoft.Network/privateEndpoints/pe1'

ARM_JSON = {
    'id': RID, 'name': 'r', 'location': 'eastus', 'sku': {'name': 'Premium'},
    'identity': {'type': 'SystemAssigned, UserAssigned', 'principalId': 'p1', 'tenantId': 't',
                 'userAssignedIdentities': {UAI: {'principalId': 'p2', 'clientId': 'c2'}}},
    'properties': {
        'loginServer': 'r.azurecr.io', 'publicNetworkAccess': 'Disabled',
        'networkRuleSet': {'defaultAction': 'Deny', 'ipRules': [{'action': 'Allow',
                                                                 'value': '1.2.3.4'}]},
        'roleAssignmentMode': 'AbacRepositoryPermissions',
        'encryption': {'status': 'enabled', 'keyVaultProperties': {
            'keyIdentifier': 'https://kv.vault.azure.net/keys/k', 'identity': 'c2'}},
        'privateEndpointConnections': [{'id': RID + '/privateEndpointConnections/c', 'properties': {
            'privateEndpoint': {'id': PE}, 'privateLinkServiceConnectionState': {
                'status': 'Approved'}}}]}}

FACTS = {
    'id': RID, 'name': 'r', 'location': 'eastus', 'dataEndpointHostNames': [], 'loginServer': 'r.azurecr.io', 'publicNetworkAccess': 'Disabled',
    'networkDefaultAction': 'Deny', 'ipRules': 1, 'roleAssignmentMode': 'AbacRepositoryPermissions',
    'encryptionStatus': 'enabled', 'encryptionIdentity': 'c2',
    'identityType': 'SystemAssigned, UserAssigned', 'principalId': 'p1',
    'userAssignedIdentities': {UAI: 'c2'}, 'privateEndpoints': [PE],
    'privateEndpointConnections': [{'privateEndpoint': PE, 'status': 'Approved'}],
    'regionalEndpointHostNames': [], 'endpointProtocol': None,
    'adminUserEnabled': None, 'anonymousPullEnabled': None, 'armAudienceTokens': None,
    'quarantine': None, 'trust': None}


def test_registry_facts_from_arm_json():
    assert registry_facts(ARM_JSON) == FACTS


PE2 = PE[:-1] + '2'


def test_only_an_approved_private_endpoint_connection_carries_traffic():
    # Pending as recorded (test_acr_with_private_endpoint.yaml): a state with only a status.
    data = {'properties': {'publicNetworkAccess': 'Enabled', 'privateEndpointConnections': [
        {'properties': {'privateEndpoint': {'id': PE}, 'privateLinkServiceConnectionState': {
            'status': 'Approved', 'description': 'somedescription'}}},
        {'properties': {'privateEndpoint': {'id': PE2},
                        'privateLinkServiceConnectionState': {'status': 'Pending'}}},
        {'properties': {'privateEndpoint': {'id': 7}}}, 'not an object']}}
    facts = registry_facts(data)
    assert facts['privateEndpoints'] == [PE]
    assert facts['privateEndpointConnections'] == [
        {'privateEndpoint': PE, 'status': 'Approved'}, {'privateEndpoint': PE2, 'status': 'Pending'}]


@pytest.mark.parametrize('props, hosts, protocol', [
    # Real bodies (test_acr_create_with_regional_endpoints_enabled.yaml, ..._dual_stack_endpoints)
    ({'regionalEndpoints': 'Enabled', 'regionalEndpointHostNames': ['r.westus.geo.azurecr.io'],
      'endpointProtocol': 'IPv4'}, ['r.westus.geo.azurecr.io'], 'IPv4'),
    ({'regionalEndpoints': 'Disabled', 'regionalEndpointHostNames': [],
      'endpointProtocol': 'IPv4AndIPv6'}, [], 'IPv4AndIPv6'),
    # azure-rest-api-specs' 2026-01-01-preview RegistryGet.json names them otherwise
    ({'regionalEndpointEnabled': False, 'regionalEndpointHostNames': [],
      'dualStackEndpointsEnabled': True}, [], 'IPv4AndIPv6'),
    ({'regionalEndpointHostNames': 'r.westus.geo.azurecr.io', 'endpointProtocol': 6}, [], None),
    ({}, [], None),
])
def test_regional_endpoints_and_the_endpoint_protocol(props, hosts, protocol):
    facts = registry_facts({'properties': props})
    assert (facts['regionalEndpointHostNames'], facts['endpointProtocol']) == (hosts, protocol)


@pytest.mark.parametrize('data', ['x', [], {'properties': 'x', 'identity': [1]},
                                  {'properties': {'networkRuleSet': {'ipRules': 5},
                                                  'privateEndpointConnections': {'a': 1},
                                                  'dataEndpointEnabled': True,
                                                  'dataEndpointHostNames': [None, 3, 'd.x']}}])
def test_registry_facts_of_any_shape_never_raise(data):
    facts = registry_facts(data)
    assert facts['privateEndpoints'] == [] and facts['ipRules'] == 0


@pytest.mark.parametrize('data', [{}, {'id': RID, 'name': 'r', 'properties': {}},
                                  {'identity': None, 'properties': {'encryption': None}},
                                  {'identity': {'userAssignedIdentities': {UAI: None}}}])
def test_registry_facts_of_a_sparse_registry(data):
    facts = registry_facts(data)
    assert facts['loginServer'] is None and facts['privateEndpoints'] == []
    assert facts['ipRules'] == 0 and facts['encryptionIdentity'] is None
    assert all(value is None for value in facts['userAssignedIdentities'].values())


@pytest.mark.parametrize('address, kind', [
    ('20.62.128.10', 'public'), ('52.168.0.1', 'public'), ('2603:1030::1', 'public'),
    ('10.0.0.4', 'private'), ('172.16.5.4', 'private'), ('192.168.1.1', 'private'),
    ('fd00::1', 'private'), ('fe80::1%eth0', 'private'),
    ('127.0.0.1', 'loopback'), ('::1', 'loopback'), ('::ffff:127.0.0.1', 'loopback'),
    ('::ffff:10.0.0.4', 'private'), ('::ffff:20.62.128.10', 'public'),
    ('::ffff:0.0.0.0', 'unusable'),
    ('0.0.0.0', 'unusable'), ('::', 'unusable'), ('224.0.0.1', 'unusable'),
    ('ff02::1', 'unusable'), ('240.0.0.1', 'unusable'), ('not an address', 'unusable'),
    ('', 'unusable'),
])
def test_address_kind(address, kind):
    assert address_kind(address) == kind


# ---- resolve --------------------------------------------------------------------------------

def test_resolve_localhost():
    addresses = resolve('localhost', 3.0)
    assert addresses and set(addresses) <= {'127.0.0.1', '::1'}
    assert len(addresses) == len(set(addresses))


def test_resolve_an_ip_literal():
    assert resolve('127.0.0.1', 3.0) == ['127.0.0.1']


@pytest.mark.parametrize('host', ['a' * 64 + '.azurecr.io', 'a..azurecr.io', 'nul\x00.azurecr.io'])
def test_resolve_an_invalid_name_is_a_dns_error(host):
    with pytest.raises(DnsError):
        resolve(host, 3.0)


def test_resolve_a_name_that_cannot_resolve():
    started = time.monotonic()
    with pytest.raises(DnsError):
        resolve('acrhealth-no-such-registry.invalid', 2.0)
    assert time.monotonic() - started < 2.0 + 0.5


def test_resolve_never_exceeds_its_timeout(monkeypatch):
    release = threading.Event()
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        if host == 'slow.example':
            release.wait(10)
            raise socket.gaierror(-2, 'Name or service not known')
        return real(host, *args, **kwargs)
    monkeypatch.setattr(_azure.socket, 'getaddrinfo', slow)
    try:
        started = time.monotonic()
        with pytest.raises(DnsError, match='no answer within 0.3 s'):
            resolve('slow.example', 0.3)
        assert time.monotonic() - started < 0.3 + 0.5
    finally:
        release.set()


def test_resolve_reports_the_resolver_error(monkeypatch):
    def failing(host, *args, **kwargs):
        raise socket.gaierror(-3, 'Temporary failure in name resolution')
    monkeypatch.setattr(_azure.socket, 'getaddrinfo', failing)
    with pytest.raises(DnsError, match='Temporary failure in name resolution'):
        resolve('r.azurecr.io', 1.0)


# ---- Arm (with a fake SDK client) -----------------------------------------------------------

SUB = '0b1f6471-0000-4000-8000-00000000ab02'
ARM = 'https://management.example'


def resource_item(name, rtype='Microsoft.ContainerRegistry/registries', rg='g'):
    """An item of Resources - List as ARM returns it (id, name, type, sku, location, tags)."""
    return {'id': '/subscriptions/{}/resourceGroups/{}/providers/{}/{}'.format(SUB, rg, rtype, name),
            'name': name, 'type': rtype, 'sku': {'name': 'Premium', 'tier': 'Premium'},
            'location': 'westus', 'tags': {}}


class Answer(SimpleNamespace):
    def json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


class Pipeline:
    """The CLI client's ``send_request``: ``answers`` is a list of (url prefix, answer) where the
    answer is (status, body) or an exception; every URL sent is recorded."""

    def __init__(self, *answers):
        self.answers = list(answers)
        self.sent = []

    def send_request(self, request, **_kwargs):
        self.sent.append(request.url)
        for prefix, answer in self.answers:
            if request.url.startswith(prefix):
                if isinstance(answer, BaseException):
                    raise answer
                if callable(answer):
                    return answer(request)
                status, body = answer
                return Answer(status_code=status, body=body, headers={
                    'Content-Type': 'application/json; charset=utf-8'})
        return Answer(status_code=404, body={'error': {'code': 'ResourceNotFound'}}, headers={})


def arm_with(pipeline, timeout=4.0):
    cloud = SimpleNamespace(endpoints=SimpleNamespace(resource_manager=ARM + '/'))
    arm = Arm(cli_ctx=SimpleNamespace(cloud=cloud), timeout=timeout)
    arm._client = pipeline  # pylint: disable=protected-access
    arm._subscription = {'id': SUB, 'name': 'Lab'}  # pylint: disable=protected-access
    return arm


LIST = '/subscriptions/{}/resources?'.format(SUB)


def registry_json(name):
    return dict(ARM_JSON, id=resource_item(name)['id'], name=name)


def test_find_registry_asks_a_filtered_list_then_one_get():
    item = resource_item('MyReg')
    pipeline = Pipeline((LIST, (200, {'value': [resource_item('myreg2'), item]})),
                        (item['id'], (200, registry_json('MyReg'))))
    facts = arm_with(pipeline).find_registry('myreg')
    assert facts['name'] == 'MyReg' and facts['loginServer'] == 'r.azurecr.io'
    assert len(pipeline.sent) == 2
    from urllib.parse import parse_qs, urlsplit
    query = parse_qs(urlsplit(pipeline.sent[0]).query)
    assert query['$filter'] == ["resourceType eq 'Microsoft.ContainerRegistry/registries' and "
                                "substringof('myreg', name)"]
    assert query['api-version'] == ['2022-09-01']
    assert pipeline.sent[1] == item['id'] + '?api-version=2026-09-01-preview'


def test_find_registry_not_found():
    pipeline = Pipeline((LIST, (200, {'value': [resource_item('myreg2')]})))
    assert arm_with(pipeline).find_registry('myreg') is None
    assert len(pipeline.sent) == 1


def test_a_registry_deleted_between_list_and_get_is_not_found():
    pipeline = Pipeline((LIST, (200, {'value': [resource_item('myreg')]})))
    assert arm_with(pipeline).find_registry('myreg') is None


def test_a_quote_in_the_name_cannot_break_the_filter():
    pipeline = Pipeline((LIST, (200, {'value': []})))
    arm_with(pipeline).find_registry("a'b")
    from urllib.parse import parse_qs, urlsplit
    assert "substringof('a''b', name)" in parse_qs(urlsplit(pipeline.sent[0]).query)['$filter'][0]


def test_find_registry_follows_a_next_link_on_arm_itself():
    item = resource_item('myreg')
    pipeline = Pipeline(
        (LIST + 'page2', (200, {'value': [item]})),
        (LIST, (200, {'value': [], 'nextLink': 'https://MANAGEMENT.example' + LIST + 'page2'})),
        (item['id'], (200, registry_json('myreg'))))
    pipeline.answers.insert(0, ('https://MANAGEMENT.example' + LIST + 'page2', (200, {
        'value': [item]})))
    assert arm_with(pipeline).find_registry('myreg')['name'] == 'myreg'


def test_find_registry_never_follows_a_next_link_to_another_host():
    pipeline = Pipeline((LIST, (200, {'value': [], 'nextLink':
                                      'https://collector.example' + LIST + 'page2'})))
    with pytest.raises(ArmError, match='another host'):
        arm_with(pipeline).find_registry('myreg')
    assert len(pipeline.sent) == 1  # the next page (asked with the ARM token) was never fetched


def test_find_registry_stops_when_next_link_repeats():
    pipeline = Pipeline((ARM, (200, {'value': [], 'nextLink': ARM + LIST + 'same'})),
                        (LIST, (200, {'value': [], 'nextLink': ARM + LIST + 'same'})))
    with pytest.raises(ArmError, match='paging stopped'):
        arm_with(pipeline).find_registry('myreg')
    assert len(pipeline.sent) <= 3


def test_find_registry_stops_when_paging_never_ends():
    count = [0]

    def next_page(_request):
        count[0] += 1
        return Answer(status_code=200, headers={}, body={
            'value': [], 'nextLink': ARM + LIST + 'page{}'.format(count[0])})
    with pytest.raises(ArmError, match='paging stopped'):
        arm_with(Pipeline((ARM, next_page), (LIST, next_page))).find_registry('myreg')
    assert count[0] <= _arm.MAX_PAGES


@pytest.mark.parametrize('status, code, message', [
    (403, 'AuthorizationFailed', "The client 'x' with object id 'y' does not have authorization "
                                 "to perform action 'Microsoft.Resources/subscriptions/resources/"
                                 "read' over scope '/subscriptions/s' or the scope is invalid."),
    (404, 'SubscriptionNotFound', "The subscription 's' could not be found."),
    (500, 'InternalServerError', 'Encountered internal server error.'),
])
def test_find_registry_arm_errors_name_status_code_and_message(status, code, message):
    pipeline = Pipeline((LIST, (status, {'error': {'code': code, 'message': message}})))
    with pytest.raises(ArmError) as caught:
        arm_with(pipeline).find_registry('myreg')
    assert caught.value.status == status
    assert caught.value.reason == 'ARM answered {} {}: {}'.format(status, code, message)


def test_find_registry_html_answer_is_an_arm_error():
    pipeline = Pipeline((LIST, (200, ValueError('Expecting value: line 1 column 1 (char 0)'))))
    with pytest.raises(ArmError, match='not JSON'):
        arm_with(pipeline).find_registry('myreg')


def test_find_registry_connection_refused_in_plain_words():
    import requests
    from azure.core.exceptions import ServiceRequestError
    inner = requests.exceptions.ConnectionError(
        "('Connection aborted.', ConnectionRefusedError(111, 'Connection refused'))")
    inner.__cause__ = ConnectionRefusedError(111, 'Connection refused')
    error = ServiceRequestError("('Connection aborted.', ConnectionRefusedError(111, "
                                "'Connection refused'))", error=inner)
    with pytest.raises(ArmError) as caught:
        arm_with(Pipeline((LIST, error))).find_registry('r')
    assert caught.value.reason == 'connection refused'


def test_find_registry_without_a_client_is_an_arm_error(monkeypatch):
    from azure.cli.core.commands import client_factory as factory

    def broken(*args, **kwargs):
        raise RuntimeError("Please run 'az login' to setup account.")
    monkeypatch.setattr(factory, 'get_mgmt_service_client', broken)
    with pytest.raises(ArmError, match="^Please run 'az login' to setup account.$"):
        Arm(cli_ctx=None, timeout=4.0).find_registry('r')


def test_find_registry_has_a_deadline_for_all_of_it():
    def dripping(_request):
        time.sleep(30)  # an answer dripped a byte at a time
    started = time.monotonic()
    with pytest.raises(ArmError, match='within 1 s'):
        arm_with(Pipeline((LIST, dripping)), timeout=0.5).find_registry('myreg')
    assert time.monotonic() - started < 3


def test_after_an_arm_call_overran_the_others_stop_waiting_for_its_turn():
    import threading
    release = threading.Event()

    def hung(_request):
        release.wait(30)
        return Answer(status_code=500, body={}, headers={})
    pipeline = Pipeline((LIST, hung), (UAI, (200, {'id': UAI})))
    arm = arm_with(pipeline, timeout=2.0)
    outcome = {}

    def later():
        time.sleep(0.1)  # asks while the list holds the turn
        started = time.monotonic()
        outcome['got'] = arm.get(UAI)
        outcome['seconds'] = time.monotonic() - started
    try:
        waiting = threading.Thread(target=later)
        waiting.start()
        with pytest.raises(ArmError, match='within 0.4 s'):  # a call cut short by its check
            arm._bounded(lambda: arm._get_json(LIST), 0.4)  # pylint: disable=protected-access
        waiting.join(5)
    finally:
        release.set()
    # The second call was answered once the first overran, long before its own limit (4 s).
    assert outcome['got'] == {'id': UAI}
    assert outcome['seconds'] < 2


def test_arm_get_uses_the_namespace_api_version():
    pipeline = Pipeline((UAI, (200, {'id': UAI})), (PE.lower(), (200, {'id': PE})))
    arm = arm_with(pipeline)
    assert arm.get(UAI) == {'id': UAI}
    assert arm.get(PE.lower()) == {'id': PE}
    assert pipeline.sent == [UAI + '?api-version=2023-01-31', PE.lower() + '?api-version=2023-09-01']


def test_arm_get_404_is_none():
    assert arm_with(Pipeline()).get(UAI) is None


@pytest.mark.parametrize('status', [403, 500])
def test_arm_get_error_status(status):
    with pytest.raises(ArmError) as caught:
        arm_with(Pipeline((UAI, (status, {})))).get(UAI)
    assert caught.value.status == status and str(status) in caught.value.reason


def test_arm_get_transport_error():
    from azure.core.exceptions import ServiceResponseError
    with pytest.raises(ArmError, match='Read timed out'):
        arm_with(Pipeline((UAI, ServiceResponseError('Read timed out')))).get(UAI)


def test_get_refuses_anything_but_an_arm_resource_path():
    pipeline = Pipeline()
    arm = arm_with(pipeline)
    for bad in ('https://collector.example/subscriptions/s', '//collector.example/x', '', None):
        with pytest.raises(ArmError, match='not an ARM resource ID'):
            arm.get(bad)
    assert pipeline.sent == []


# ---- cloud and audience ---------------------------------------------------------------------

class Suffixes:
    def __init__(self, value):
        self._value = value

    @property
    def acr_login_server_endpoint(self):
        if isinstance(self._value, Exception):
            raise self._value
        return self._value


@pytest.mark.parametrize('value, expected', [('.azurecr.io', '.azurecr.io'),
                                             ('.azurecr.cn', '.azurecr.cn'), (None, None),
                                             ('', None), (RuntimeError('not set'), None)])
def test_acr_suffix(value, expected):
    cli_ctx = SimpleNamespace(cloud=SimpleNamespace(suffixes=Suffixes(value)))
    assert acr_suffix(cli_ctx) == expected


@pytest.mark.parametrize('configured, expected', [
    (None, 'https://containerregistry.azure.net'),
    ('https://management.example', 'https://management.example'),
    ('containerregistry', 'https://containerregistry.azure.net'),
])
def test_acr_audience(configured, expected):
    config = SimpleNamespace(get=lambda section, option, fallback=None: configured or fallback)
    assert acr_audience(SimpleNamespace(config=config)) == expected


def test_a_long_arm_message_is_cut_at_a_word_and_says_so():
    from azext_acrhealth._text import first_words as _first_line
    message = ('The client does not have authorization to perform action '
               "'Microsoft.Authorization/roleAssignments/read' over scope '/subscriptions/x' "
               'or the scope is invalid.')
    cut = _first_line(message, 100)
    assert len(cut) <= 100 and cut.endswith('\u2026')
    assert cut == 'The client does not have authorization to perform action\u2026'
    assert _first_line('short', 100) == 'short'
    assert _first_line('x' * 150, 100) == 'x' * 99 + '\u2026'


def test_arm_keeps_the_date_it_answered_with():
    item = resource_item('myreg')

    def dated(_request):
        return Answer(status_code=200, body=registry_json('myreg'),
                      headers={'Content-Type': 'application/json', 'Date': 'Sun, 06 Dec 2026 23:00:00 GMT'})
    arm = arm_with(Pipeline((LIST, (200, {'value': [item]})), (item['id'], dated)))
    assert arm.date is None
    arm.find_registry('myreg')
    assert arm.date == 'Sun, 06 Dec 2026 23:00:00 GMT'


def counted_aad(fail_first=None, seconds=0.0):
    """An AAD token request that counts its tries (``asked``): the first fails with
    ``fail_first`` when given; each success takes ``seconds``."""
    asked = []

    def ask():
        asked.append(1)
        if fail_first and len(asked) == 1:
            raise _azure.AadTokenError(fail_first)
        time.sleep(seconds)
        return 'token', 'tenant'
    return ask, asked


def test_the_aad_token_is_asked_once_for_all_its_callers():
    ask, asked = counted_aad(fail_first='the first try fails', seconds=0.2)
    token = _azure.once(ask)
    with pytest.raises(_azure.AadTokenError):
        token()  # a failure is not kept: the next caller tries again
    got = []
    threads = [threading.Thread(target=lambda: got.append(token())) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert got == [('token', 'tenant')] * 3 and len(asked) == 2


# ---- the lookup started early (_early: while the CLI parses) --------------------------------

def slow(status_and_body, seconds):
    def answer(_request):
        time.sleep(seconds)
        return Answer(status_code=status_and_body[0], body=status_and_body[1],
                      headers={'Content-Type': 'application/json'})
    return answer


def test_a_lookup_started_early_is_what_find_registry_answers_for_that_name():
    item = resource_item('myreg')
    pipeline = Pipeline((LIST, slow((200, {'value': [item]}), 0.2)),
                        (item['id'], (200, registry_json('myreg'))))
    arm = arm_with(pipeline)
    arm.start_lookup('myreg')
    assert arm.find_registry('myreg')['name'] == 'myreg'
    assert len(pipeline.sent) == 2  # asked once, not again by the check


def test_a_lookup_started_early_for_another_name_is_not_taken():
    pipeline = Pipeline((LIST, (200, {'value': []})))
    arm = arm_with(pipeline)
    arm.start_lookup('other')
    assert arm.find_registry('myreg') is None
    assert any("substringof('myreg', name)" in unquote(url) for url in pipeline.sent)


def test_an_early_lookup_is_waited_for_only_within_the_check_budget():
    from azext_acrhealth._bounded import running_until
    arm = arm_with(Pipeline((LIST, slow((200, {'value': []}), 30))), timeout=20)
    arm.start_lookup('myreg')
    started = time.monotonic()
    with running_until(time.monotonic() + 0.5):
        with pytest.raises(ArmError, match="left of the check's time budget"):
            arm.find_registry('myreg')
    assert time.monotonic() - started < 2


def test_an_early_lookup_failure_is_the_check_failure():
    arm = arm_with(Pipeline((LIST, (403, {'error': {'code': 'AuthorizationFailed'}}))))
    arm.start_lookup('myreg')
    with pytest.raises(ArmError, match='403 AuthorizationFailed'):
        arm.find_registry('myreg')


def test_an_arm_client_made_before_the_cli_parsed_says_what_the_cli_will_say():
    from azext_acrhealth._arm_pipeline import _as_the_cli_will_say
    kwargs = {'headers': {'x-ms-client-request-id': 'abc', 'CommandName': 'unknown'},
              'user_agent': 'AZURECLI/2.91.0 (PIP)'}
    _as_the_cli_will_say(kwargs, {'name': 'acr check-health',
                                  'parameters': ['-n', '--yes', '-o']})
    assert kwargs == {'headers': {'x-ms-client-request-id': 'abc',
                                  'CommandName': 'acr check-health',
                                  'ParameterSetName': '-n --yes -o'},
                      'user_agent': 'AZURECLI/2.91.0 (PIP)'}
    untouched = {'headers': {'CommandName': 'acr check-health'}}
    _as_the_cli_will_say(untouched, None)
    assert untouched == {'headers': {'CommandName': 'acr check-health'}}


# ---- ARM's connection, opened while the CLI builds its client ---------------------------------

class Credential:  # pylint: disable=too-few-public-methods  # what ARM's policy asks of one
    def get_token(self, *_scopes, **_kwargs):
        from azure.core.credentials import AccessToken
        return AccessToken('arm-token', int(time.time()) + 3600)


def test_arm_opens_its_connection_while_its_client_is_built_and_the_first_request_takes_it(
        serve, pki, monkeypatch):
    from azure.cli.core.commands import client_factory
    from azext_acrhealth._arm_pipeline import ArmClient
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki['ca'])
    server = serve(answering_json())
    connected_while_built = []

    def build(_cli_ctx, client_type, **kwargs):
        # The CLI's credential (msal's import, the token cache) takes this long; the connection
        # is opened meanwhile, not after.
        until = time.monotonic() + 5
        while server.connections == 0 and time.monotonic() < until:
            time.sleep(0.01)
        connected_while_built.append(server.connections)
        time.sleep(0.3)
        return client_type(Credential(), SUB, base_url=server.url('/'), **kwargs)
    monkeypatch.setattr(client_factory, 'get_mgmt_service_client', build)
    cloud = SimpleNamespace(endpoints=SimpleNamespace(resource_manager=server.url('/')))
    arm = Arm(cli_ctx=SimpleNamespace(cloud=cloud), timeout=4.0)
    arm._subscription = {'id': SUB, 'name': 'Lab'}  # pylint: disable=protected-access
    assert arm.find_registry('myreg') is None
    assert connected_while_built == [1]
    assert server.connections == 1 and len(server.requests) == 1
    assert server.requests[0]['headers']['authorization'] == 'Bearer arm-token'
    assert isinstance(arm._pipeline(), ArmClient)  # pylint: disable=protected-access


def test_arm_asks_as_before_when_its_connection_cannot_be_opened_ahead(serve, pki, monkeypatch):
    from azure.cli.core.commands import client_factory
    server = serve(answering_json())
    monkeypatch.setattr(client_factory, 'get_mgmt_service_client',
                        lambda _ctx, client_type, **kwargs: client_type(
                            Credential(), SUB, base_url=server.url('/'),
                            connection_verify=pki['ca'], **kwargs))
    # Opened ahead with the environment's CA bundle, which does not know the server's CA: the
    # request (verified with the CLI's own setting) connects on its own.
    monkeypatch.setenv('REQUESTS_CA_BUNDLE', pki['ca'] + '.missing')
    cloud = SimpleNamespace(endpoints=SimpleNamespace(resource_manager=server.url('/')))
    arm = Arm(cli_ctx=SimpleNamespace(cloud=cloud), timeout=4.0)
    arm._subscription = {'id': SUB, 'name': 'Lab'}  # pylint: disable=protected-access
    assert arm.find_registry('myreg') is None
    assert len(server.requests) == 1


def test_the_aad_token_started_early_is_the_first_callers_answer():
    ask, asked = counted_aad(seconds=0.1)
    token = _azure.once(ask)
    token.start()
    assert token() == ('token', 'tenant') and token() == ('token', 'tenant')
    assert len(asked) == 1


def test_a_failure_of_the_aad_token_started_early_is_the_first_callers_and_adds_no_try():
    ask, asked = counted_aad(fail_first='AAD did not answer')
    token = _azure.once(ask)
    token.start()
    with pytest.raises(_azure.AadTokenError, match='did not answer'):
        token()  # the early try's failure, not a second try of its own
    assert len(asked) == 1
    assert token() == ('token', 'tenant') and len(asked) == 2  # the next caller tries again


def test_a_caller_before_the_early_aad_token_began_asks_once_in_all():
    ask, asked = counted_aad()
    token = _azure.once(ask)
    # The caller takes the turn before the early start does: the early start then finds the
    # token kept and asks nothing.
    assert token() == ('token', 'tenant')
    token.start()
    time.sleep(0.2)  # the early start's thread has long ended
    assert token() == ('token', 'tenant') and len(asked) == 1
