# acrhealth (MIT licence). Bad input through the real `az`: a clear error line naming the
# option, a non-zero exit, nothing on stdout, no traceback, no check run - and fast.
import pytest

SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg'
VNET_ID = SUB + '/providers/Microsoft.Network/virtualNetworks/hub'

CASES = [
    # registry names
    (['-n', 'ab'], '--name'),
    (['--name', 'a' * 51], '--name'),
    (['--name', 'my-registry'], '--name'),
    (['--name', 'myregistry.azurecr.cn'], '--name'),   # not this cloud's suffix
    (['--name', 'my-registry.example.com'], '--name'),
    (['--name', ''], '--name'),
    (['--name', 'régistry1'], '--name'),
    # repository names
    (['-n', 'myregistry', '--repository', 'Samples/App'], '--repository'),
    (['-n', 'myregistry', '--repository', 'a..b'], '--repository'),
    (['-n', 'myregistry', '--repository', '/samples'], '--repository'),
    (['-n', 'myregistry', '--repository', 'samples/'], '--repository'),
    (['-n', 'myregistry', '--repository', 'x' * 256], '--repository'),
    # timeouts
    (['--timeout', 'abc'], '--timeout'),
    (['--timeout', '0'], '--timeout'),
    (['--timeout=-5'], '--timeout'),
    (['--timeout', 'nan'], '--timeout'),
    (['--timeout', 'inf'], '--timeout'),
    (['--timeout', '1e12'], '--timeout'),
    # virtual networks
    (['-n', 'myregistry', '--vnet', 'not a vnet'], '--vnet'),
    (['-n', 'myregistry', '--vnet', SUB], '--vnet'),
    (['-n', 'myregistry', '--vnet', VNET_ID + '/subnets/default'], '--vnet'),
    (['-n', 'myregistry', '--vnet', SUB + '/providers/Microsoft.Storage/storageAccounts/sa'],
     '--vnet'),
    # images
    (['-n', 'myregistry', '--image', 'hello-world'], '--image'),
    (['-n', 'myregistry', '--image', 'app@sha256:abc'], '--image'),
    (['--image', 'app:v1'], '--image'),
    # options that need a registry
    (['--repository', 'samples/app'], '--repository'),
    (['--vnet', 'hub'], '--vnet'),
]


@pytest.mark.parametrize('args, option', CASES, ids=[' '.join(a)[:40] for a, _ in CASES])
def test_bad_input_is_refused_clearly(az, tools, args, option):
    tools.docker()  # if a check ran, this docker would log it
    result = az.run('acr', 'check-health', '--yes', *args, bin_dir=tools.path, timeout=30)
    assert result.returncode in (1, 2), result
    assert result.stdout == '', result
    errors = result.error_lines()
    assert len(errors) == 1, result
    assert option in errors[0], result
    assert 'Traceback' not in result.stdout + result.stderr
    assert tools.calls('docker') == []  # no check ran
    assert result.seconds < 10, result


def test_a_missing_option_value_is_an_argparse_error(az, tools):
    result = az.run('acr', 'check-health', '--timeout', bin_dir=tools.path, timeout=30)
    assert result.returncode == 2, result
    assert result.stdout == ''
    assert '--timeout' in result.stderr and 'Traceback' not in result.stderr
