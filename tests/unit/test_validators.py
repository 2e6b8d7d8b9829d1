# acrhealth (MIT licence). The command validator: bad input never runs a check.
import argparse

import pytest
from azure.cli.core.azclierror import (InvalidArgumentValueError, RequiredArgumentMissingError)

from azext_acrhealth._validators import DEFAULT_TIMEOUT, validate_check_health

SUB = '/subscriptions/00000000-0000-0000-0000-000000000000'
VNET_ID = SUB + '/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/hub-vnet'


class FakeCloud:
    def __init__(self, name='AzureCloud', suffix='.azurecr.io'):
        self.name = name
        self.suffixes = type('Suffixes', (), {'acr_login_server_endpoint': suffix})()


class FakeCmd:
    def __init__(self, cloud=None):
        self.cli_ctx = type('CliCtx', (), {'cloud': cloud or FakeCloud()})()


CMD = FakeCmd()


def ns(**kwargs):
    values = dict(registry_name='myregistry', yes=False, ignore_errors=False, repository=None,
                  vnet=None, timeout=None, image=None)
    values.update(kwargs)
    return argparse.Namespace(**values)


def rejected(error_class, option, **kwargs):
    namespace = ns(**kwargs)
    with pytest.raises(error_class) as info:
        validate_check_health(CMD, namespace)
    text = str(info.value)
    assert option in text, text
    assert '\n' not in text, 'the error must be one line: ' + repr(text)
    assert info.value.recommendations, 'an error comes with a recommendation'
    return text


def accepted(**kwargs):
    namespace = ns(**kwargs)
    validate_check_health(CMD, namespace)
    return namespace


# ---- --name -------------------------------------------------------------------------------

@pytest.mark.parametrize('name', ['abcde', 'MyRegistry01', 'a' * 50, '12345', None])
def test_valid_registry_names(name):
    accepted(registry_name=name)


@pytest.mark.parametrize('name', [
    '', 'abcd', 'a' * 51, 'my-registry', 'my_registry', 'my registry', 'régistry',
    'registry\u0660\u0661', 'ｍｙｒｅｇｉｓｔｒｙ', 'myregistry\n', ' myregistry',
    'a/bcdef',
    'myregistry\x1b[31m', 'myregistry.azurecr.io/repo',
])
def test_invalid_registry_names(name):
    rejected(InvalidArgumentValueError, '--name', registry_name=name)


@pytest.mark.parametrize('server, hint', [
    ('myregistry.azurecr.io', 'myregistry.azurecr.io'),
    ('MyRegistry.AzureCR.io', 'myregistry.azurecr.io'),
    ('myregistry-abc123hash.azurecr.io', 'myregistry-abc123hash.azurecr.io'),
])
def test_login_server_forms_run_for_the_registry_name(server, hint, caplog):
    namespace = accepted(registry_name=server)
    assert namespace.registry_name.lower() == 'myregistry'
    assert namespace.login_server_hint == hint
    assert 'automatically omitted' in caplog.text


def test_a_plain_name_has_no_login_server_hint():
    assert accepted(registry_name='myregistry').login_server_hint is None
    # the hidden argument cannot be set from the command line: the validator decides it
    assert accepted(registry_name='myregistry',
                    login_server_hint='evil.example.com').login_server_hint is None


@pytest.mark.parametrize('server', ['myregistry.azurecr.cn', 'myregistry.azurecr.io.evil.test',
                                    'myregistry-abc.example.com'])
def test_a_foreign_suffix_is_refused_naming_the_clouds_suffix(server):
    text = rejected(InvalidArgumentValueError, '--name', registry_name=server)
    assert '.azurecr.io' in text and 'AzureCloud' in text


def test_a_login_server_in_a_cloud_without_suffix_is_refused():
    namespace = ns(registry_name='myregistry.azurecr.io')
    with pytest.raises(InvalidArgumentValueError) as info:
        validate_check_health(FakeCmd(FakeCloud('Stack', None)), namespace)
    assert 'no ACR login server suffix' in str(info.value)
    assert info.value.recommendations


@pytest.mark.parametrize('name', ['my-registry.azurecr.io-', 'abc.azurecr.io',
                                  'myregistry-.azurecr.io', 'myregistry-a_b.azurecr.io',
                                  '.azurecr.io', 'myregistry.'])
def test_invalid_login_server_forms(name):
    rejected(InvalidArgumentValueError, '--name', registry_name=name)


def test_control_characters_are_not_echoed():
    text = rejected(InvalidArgumentValueError, '--name', registry_name='bad\x1b[2Jname')
    assert '\x1b' not in text


def test_a_huge_value_is_cut_in_the_message():
    text = rejected(InvalidArgumentValueError, '--name', registry_name='x' * 10000)
    assert len(text) < 300


# ---- --repository -------------------------------------------------------------------------

@pytest.mark.parametrize('repository', [
    'hello-world', 'samples/hello-world', 'a/b/c/d', 'my.app', 'my_app', 'my__app', 'my--app',
    'a', 'x' * 255, 'team1/app-2.0_beta',
])
def test_valid_repository_names(repository):
    assert accepted(repository=repository).repository == repository


@pytest.mark.parametrize('repository', [
    '', 'Samples/App', 'UPPER', 'a..b', '/leading', 'trailing/', 'a//b', '-start', 'end-',
    'a___b', 'a.-b', 'x' * 256, 'ünicode', 'name:tag', 'name@sha256:abc', 'with space',
    'samples/hello-world\n',
])
def test_invalid_repository_names(repository):
    rejected(InvalidArgumentValueError, '--repository', repository=repository)


# ---- --vnet -------------------------------------------------------------------------------

@pytest.mark.parametrize('vnet', ['hub-vnet', 'vnet_1', 'my.vnet_', 'ab', 'a' * 64, VNET_ID,
                                  VNET_ID.replace('Microsoft.Network', 'microsoft.network')])
def test_valid_vnets(vnet):
    assert accepted(vnet=vnet).vnet == vnet


@pytest.mark.parametrize('vnet', [
    'a', 'a' * 65, '-vnet', 'vnet-', 'vnet.', 'my vnet', 'vnét', 'vnet\n',
    SUB, SUB + '/resourceGroups/rg-net',
    SUB + '/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks',
    SUB + '/resourceGroups/rg-net/providers/Microsoft.Storage/storageAccounts/acct',
    SUB + '/resourceGroups/rg-net/providers/Microsoft.Network/networkSecurityGroups/nsg',
    '/subscriptions//resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1',
    'subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v1',
    '/', '///', 'http://example.com/vnet', VNET_ID + '\n',
])
def test_invalid_vnets(vnet):
    rejected(InvalidArgumentValueError, '--vnet', vnet=vnet)


def test_a_subnet_id_is_refused_naming_what_it_is():
    text = rejected(InvalidArgumentValueError, '--vnet', vnet=VNET_ID + '/subnets/default')
    assert 'subnets' in text


# ---- --timeout ----------------------------------------------------------------------------

@pytest.mark.parametrize('value, seconds', [('5', 5.0), ('2.5', 2.5), (' 10 ', 10.0),
                                            ('600', 600.0), ('0.1', 0.1)])
def test_valid_timeouts(value, seconds):
    assert accepted(timeout=value).timeout == seconds


def test_default_timeout():
    assert accepted(timeout=None).timeout == DEFAULT_TIMEOUT == 30.0


@pytest.mark.parametrize('value', ['0', '-1', '-0.5', 'abc', '', 'nan', 'NaN', 'inf', '-inf',
                                   'Infinity', '1e309', '601', '99999999999', '5s', '0x10'])
def test_invalid_timeouts(value):
    rejected(InvalidArgumentValueError, '--timeout', timeout=value)


# ---- combinations -------------------------------------------------------------------------

@pytest.mark.parametrize('option, kwargs', [
    ('--repository', {'repository': 'samples/app'}),
    ('--vnet', {'vnet': 'hub-vnet'}),
])
def test_repository_or_vnet_need_a_registry(option, kwargs):
    rejected(RequiredArgumentMissingError, option, registry_name=None, **kwargs)


def test_the_recommendation_for_a_missing_registry_names_name():
    with pytest.raises(RequiredArgumentMissingError) as info:
        validate_check_health(CMD, ns(registry_name=None, repository='samples/app'))
    assert any('--name' in r for r in info.value.recommendations)


def test_environment_only_is_valid():
    namespace = accepted(registry_name=None)
    assert namespace.timeout == DEFAULT_TIMEOUT


# ---- --image --------------------------------------------------------------------------------

@pytest.mark.parametrize('image', ['hello-world:latest', 'samples/app:v1.2_rc-3',
                                   'samples/app@sha256:' + 'a' * 64])
def test_valid_images(image):
    parsed = accepted(image=image).image  # parsed once, here: nothing parses it again
    assert (parsed.text, str(parsed)) == (image, image)
    assert parsed.repository + ('@' if '@' in image else ':') + parsed.reference == image


@pytest.mark.parametrize('image', ['hello-world', 'Hello:latest', 'app:', 'app:-bad', 'app:' + 'x' * 129,
                                   'app@sha256:abc', 'app@sha512:' + 'a' * 128,
                                   'app@sha256:' + 'A' * 64, ':latest', 'a b:c', 'app:v1\n'])
def test_invalid_images(image):
    text = rejected(InvalidArgumentValueError, '--image', image=image)
    assert 'REPO:TAG' in text


def test_image_needs_a_registry():
    rejected(RequiredArgumentMissingError, '--image', registry_name=None, image='app:v1')


# ---- host names (what a remediation may name) -----------------------------------------------

@pytest.mark.parametrize('host', [
    'myreg.azurecr.io', 'myreg.westeurope.data.azurecr.io', 'localhost', 'xn--bcher-kva.de',
    'labacrstore.blob.core.windows.net.', 'a' * 63 + '.io', '.'.join(['a' * 63] * 3 + ['b' * 61]),
    '20.62.128.10', '::1', '2001:db8::7', 'a-b.c-d.io', '0a.io'])
def test_a_host_name_or_address_is_a_host(host):
    from azext_acrhealth._urls import is_host_name
    assert is_host_name(host)


@pytest.mark.parametrize('host', [
    '', ' ', 'not a host!!', 'a' * 64 + '.io', '.'.join(['a' * 63] * 3 + ['b' * 62]),
    '-a.io', 'a-.io', 'a..io', '.io', 'a_b.io', 'bücher.de', 'host:443', 'user@host',
    '1.2.3.999', '256.1.1.1', 'host/path', 'host\n', None, 5, ['myreg.azurecr.io']])
def test_anything_else_is_not_a_host(host):
    from azext_acrhealth._urls import is_host_name
    assert not is_host_name(host)
