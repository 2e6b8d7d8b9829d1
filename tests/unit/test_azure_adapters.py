# acrhealth (MIT licence). The _azure adapters: registry facts, addresses, DNS, ARM paging and errors.
import socket
import threading
import time
from types import SimpleNamespace

import pytest

from azext_acrhealth import _azure
from azext_acrhealth._azure import (Arm, ArmError, DnsError, acr_audience, acr_suffix,
                                    address_kind, registry_facts, resolve)

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

# What an msrest-based azure-mgmt-containerregistry returned from Registry.as_dict().
SDK_SNAKE = {
    'id': RID, 'name': 'r', 'location': 'eastus', 'sku': {'name': 'Premium'},
    'identity': {'type': 'SystemAssigned, UserAssigned', 'principal_id': 'p1', 'tenant_id': 't',
                 'user_assigned_identities': {UAI: {'principal_id': 'p2', 'client_id': 'c2'}}},
    'login_server': 'r.azurecr.io', 'public_network_access': 'Disabled',
    'network_rule_set': {'default_action': 'Deny', 'ip_rules': [{'action': 'Allow',
                                                                 'ip_address_or_range': '1.2.3.4'}]},
    'role_assignment_mode': 'AbacRepositoryPermissions',
    'encryption': {'status': 'enabled', 'key_vault_properties': {
        'key_identifier': 'https://kv.vault.azure.net/keys/k', 'identity': 'c2'}},
    'private_endpoint_connections': [{'id': RID + '/privateEndpointConnections/c',
                                      'private_endpoint': {'id': PE}}]}

FACTS = {
    'id': RID, 'name': 'r', 'loginServer': 'r.azurecr.io', 'publicNetworkAccess': 'Disabled',
    'networkDefaultAction': 'Deny', 'ipRules': 1, 'roleAssignmentMode': 'AbacRepositoryPermissions',
    'encryptionStatus': 'enabled', 'encryptionIdentity': 'c2',
    'identityType': 'SystemAssigned, UserAssigned', 'principalId': 'p1',
    'userAssignedIdentities': {UAI: 'c2'}, 'privateEndpoints': [PE]}


def test_registry_facts_from_arm_json():
    assert registry_facts(ARM_JSON) == FACTS


def test_registry_facts_from_the_msrest_sdk_shape():
    assert registry_facts(SDK_SNAKE) == FACTS


def test_registry_facts_from_the_installed_sdk_model():
    from azure.mgmt.containerregistry.models import Registry
    assert registry_facts(Registry(ARM_JSON).as_dict()) == FACTS


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

class Item(SimpleNamespace):
    def as_dict(self):
        return {'id': RID.replace('/r', '/' + self.name), 'name': self.name,
                'properties': {'loginServer': self.name + '.azurecr.io'}}


class Pager:
    """``by_page()`` of the SDK: iterates pages and exposes the next page's token."""

    def __init__(self, pages, tokens):
        self._pages, self._tokens = pages, tokens
        self.continuation_token = None
        self.fetched = 0

    def __iter__(self):
        for index, page in enumerate(self._pages):
            self.continuation_token = self._tokens[index] if index < len(self._tokens) else None
            self.fetched += 1
            yield iter(page)


class FakeRegistries:
    def __init__(self, pager=None, error=None):
        self.pager, self.error = pager, error

    def list(self, **kwargs):
        # Bounded: at most one retry (a dropped connection), never for an HTTP status.
        assert kwargs.get('retry_total') == 1 and kwargs.get('retry_status') == 0
        assert kwargs.get('retry_backoff_factor') == 0 and kwargs.get('read_timeout') in (4.0, 0.5)
        if self.error is not None:
            raise self.error
        return SimpleNamespace(by_page=lambda: self.pager)


def arm_with(registries=None, send=None):
    arm = Arm(cli_ctx=None, timeout=4.0)
    arm._client = SimpleNamespace(registries=registries, send_request=send)  # pylint: disable=protected-access
    return arm


def endless(names_per_page=2):
    def pages():
        count = 0
        while True:
            count += 1
            yield [Item(name='other{}-{}'.format(count, i)) for i in range(names_per_page)]
    return pages()


def test_find_registry_on_a_later_page_case_insensitively():
    pager = Pager([[Item(name='a')], [Item(name='b'), Item(name='MyReg')]], ['t1', None])
    facts = arm_with(FakeRegistries(pager)).find_registry('myreg')
    assert facts['name'] == 'MyReg' and facts['loginServer'] == 'MyReg.azurecr.io'


def test_find_registry_not_found():
    pager = Pager([[Item(name='a')], [Item(name='b')]], ['t1', None])
    assert arm_with(FakeRegistries(pager)).find_registry('myreg') is None


def test_find_registry_stops_when_next_link_repeats():
    pager = Pager(endless(), ['t1', 't2', 't1', 't2'] * 50)
    with pytest.raises(ArmError, match='never ends'):
        arm_with(FakeRegistries(pager)).find_registry('myreg')
    assert pager.fetched == 3


def test_find_registry_stops_when_paging_never_ends():
    pager = Pager(endless(), ['t{}'.format(i) for i in range(10000)])
    with pytest.raises(ArmError, match='never ends'):
        arm_with(FakeRegistries(pager)).find_registry('myreg')
    assert pager.fetched <= _azure.MAX_PAGES + 1


@pytest.mark.parametrize('status', [403, 404, 500, 503])
def test_find_registry_arm_http_errors(status):
    from azure.core.exceptions import HttpResponseError
    error = HttpResponseError(message='(AuthorizationFailed) The client does not have '
                                      'authorization\nCode: AuthorizationFailed')
    error.status_code = status
    with pytest.raises(ArmError) as caught:
        arm_with(FakeRegistries(error=error)).find_registry('myreg')
    assert caught.value.status == status
    assert caught.value.reason == '(AuthorizationFailed) The client does not have authorization'


def test_find_registry_connection_error():
    from azure.core.exceptions import ServiceRequestError
    with pytest.raises(ArmError, match='Connection refused'):
        arm_with(FakeRegistries(error=ServiceRequestError('Connection refused'))).find_registry('r')


def test_find_registry_without_a_client_is_an_arm_error(monkeypatch):
    import azure.cli.core.commands.client_factory as factory

    def broken(*args, **kwargs):
        raise RuntimeError("Please run 'az login' to setup account.\nmore")
    monkeypatch.setattr(factory, 'get_mgmt_service_client', broken)
    with pytest.raises(ArmError, match="^Please run 'az login' to setup account.$"):
        Arm(cli_ctx=None, timeout=4.0).find_registry('r')


class Sent:
    def __init__(self, status, body=None, error=None):
        self.status, self.body, self.error = status, body, error
        self.requests = []

    def __call__(self, request, **kwargs):
        self.requests.append(request.url)
        if self.error is not None:
            raise self.error
        return SimpleNamespace(status_code=self.status, json=self._json)

    def _json(self):
        if isinstance(self.body, Exception):
            raise self.body
        return self.body


def test_arm_get_uses_the_namespace_api_version():
    send = Sent(200, {'id': UAI})
    arm = arm_with(send=send)
    assert arm.get(UAI) == {'id': UAI}
    assert arm.get(PE.replace('Microsoft.Network', 'microsoft.network')) == {'id': UAI}
    assert send.requests == [UAI + '?api-version=2023-01-31',
                             PE.replace('Microsoft.Network', 'microsoft.network') +
                             '?api-version=2023-09-01']


def test_arm_get_404_is_none():
    assert arm_with(send=Sent(404)).get(UAI) is None


@pytest.mark.parametrize('status', [403, 500])
def test_arm_get_error_status(status):
    with pytest.raises(ArmError) as caught:
        arm_with(send=Sent(status)).get(UAI)
    assert caught.value.status == status and str(status) in caught.value.reason


def test_arm_get_not_json():
    with pytest.raises(ArmError, match='not JSON'):
        arm_with(send=Sent(200, ValueError('no'))).get(UAI)


def test_arm_get_transport_error():
    from azure.core.exceptions import ServiceResponseError
    with pytest.raises(ArmError, match='timed out'):
        arm_with(send=Sent(200, error=ServiceResponseError('Read timed out'))).get(UAI)


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


# ---- Arm: hostile answers (issue 5) --------------------------------------------------------

def arm_in_cloud(registries, timeout=4.0, send=None):
    cloud = SimpleNamespace(endpoints=SimpleNamespace(resource_manager='https://management.example/'))
    arm = Arm(cli_ctx=SimpleNamespace(cloud=cloud), timeout=timeout)
    arm._client = SimpleNamespace(registries=registries, send_request=send)  # pylint: disable=protected-access
    return arm


def test_find_registry_never_follows_a_next_link_to_another_host():
    pager = Pager([[Item(name='a')], [Item(name='myreg')]],
                  ['https://collector.example/subscriptions/s/registries?page=2', None])
    with pytest.raises(ArmError, match='another host'):
        arm_in_cloud(FakeRegistries(pager)).find_registry('myreg')
    assert pager.fetched == 1  # the second page (asked with the ARM token) was never fetched


def test_find_registry_follows_a_next_link_on_arm_itself():
    pager = Pager([[Item(name='a')], [Item(name='myreg')]],
                  ['https://MANAGEMENT.example/subscriptions/s/registries?page=2', None])
    assert arm_in_cloud(FakeRegistries(pager)).find_registry('myreg')['name'] == 'myreg'


def test_find_registry_answer_the_sdk_cannot_read_is_an_arm_error():
    class Unreadable:
        def __iter__(self):
            raise ValueError('Expecting value: line 1 column 1 (char 0)')  # HTML, not JSON
            yield  # pylint: disable=unreachable
    with pytest.raises(ArmError, match='ValueError'):
        arm_in_cloud(FakeRegistries(Unreadable())).find_registry('myreg')


def test_find_registry_has_a_deadline_for_all_of_it():
    import time

    class Dripping:
        continuation_token = None

        def __iter__(self):
            time.sleep(30)  # an answer dripped a byte at a time
            yield []
    started = time.monotonic()
    with pytest.raises(ArmError, match='within 1 s'):
        arm_in_cloud(FakeRegistries(Dripping()), timeout=0.5).find_registry('myreg')
    assert time.monotonic() - started < 3


def test_get_refuses_anything_but_an_arm_resource_path():
    sent = []
    arm = arm_in_cloud(None, send=lambda *a, **k: sent.append(a))
    for bad in ('https://collector.example/subscriptions/s', '//collector.example/x', '', None):
        with pytest.raises(ArmError, match='not an ARM resource ID'):
            arm.get(bad)
    assert sent == []
