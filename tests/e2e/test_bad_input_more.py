# acrhealth (MIT licence). More bad input (issue 5): every odd value a user or a script can
# pass is refused before any check runs, fast, with one clear line naming the option and a
# recommendation; valid look-alikes still run.
import subprocess

import pytest

from tests.e2e.conftest import AZ

SUB = '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg'
VNET_ID = SUB + '/providers/Microsoft.Network/virtualNetworks/hub'

REFUSED = [
    # registry names
    (['-n', 'abcd'], '--name'),
    (['-n', 'https://myregistry.azurecr.io'], '--name'),
    (['-n', 'myregistry.azurecr.io/'], '--name'),
    (['-n', 'my_registry'], '--name'),
    (['-n', 'my registry'], '--name'),
    (['-n', '\uff4d\uff59\uff52\uff45\uff47'], '--name'),      # full-width letters
    (['-n', 'registry\U0001F433'], '--name'),
    (['-n', ' myregistry'], '--name'),
    (['-n', 'myregistry\n'], '--name'),
    # repository names
    (['-n', 'myregistry', '--repository', 'UPPER'], '--repository'),
    (['-n', 'myregistry', '--repository', 'a/../b'], '--repository'),
    (['-n', 'myregistry', '--repository', '..'], '--repository'),
    (['-n', 'myregistry', '--repository', '.hidden'], '--repository'),
    (['-n', 'myregistry', '--repository=-dash'], '--repository'),
    (['-n', 'myregistry', '--repository', 'a//b'], '--repository'),
    (['-n', 'myregistry', '--repository', 'caf\u00e9'], '--repository'),
    (['-n', 'myregistry', '--repository', ''], '--repository'),
    (['-n', 'myregistry', '--repository', 'samples:latest'], '--repository'),
    # virtual networks
    (['-n', 'myregistry', '--vnet', ''], '--vnet'),
    (['-n', 'myregistry', '--vnet', '   '], '--vnet'),
    (['-n', 'myregistry', '--vnet', 'vnet-'], '--vnet'),
    (['-n', 'myregistry', '--vnet', SUB + '/providers/Microsoft.Network/virtualNetworks'],
     '--vnet'),
    (['-n', 'myregistry', '--vnet', '/subscriptions/x'], '--vnet'),
    (['-n', 'myregistry', '--vnet',
      SUB + '/providers/Microsoft.Compute/virtualMachines/vm1'], '--vnet'),
    # timeouts
    (['--timeout=-1'], '--timeout'),
    (['--timeout', '0.0'], '--timeout'),
    (['--timeout', ''], '--timeout'),
    (['--timeout', '1e999'], '--timeout'),
    (['--timeout', '601'], '--timeout'),
    (['--timeout', 'NaN'], '--timeout'),
    (['--timeout=-inf'], '--timeout'),
    (['--timeout', '10s'], '--timeout'),
    (['--timeout', '0x10'], '--timeout'),
]

# Rejected by the CLI's own parser (exit 2), also before any check.
PARSER_REFUSED = [
    (['-o', 'xml'], '--output'),
    (['--query', '[?'], '--query'),
    (['--query', 'checks[?status==]'], '--query'),
    (['--yes', 'please'], 'unrecognized'),
    (['--timeouts', '5'], '--timeouts'),
    (['-n', 'myregistry', '--repository', '-dash'], '--repository'),
]


def _assert_refused_fast(result, option):
    assert result.returncode in (1, 2), result
    assert result.stdout == '', result
    assert 'Traceback' not in result.stdout + result.stderr, result
    assert option in result.stderr, result
    assert result.seconds < 5, result


@pytest.mark.parametrize('args, option', REFUSED, ids=[repr(a)[:50] for a, _ in REFUSED])
def test_refused_before_any_check_with_a_recommendation(az, tools, args, option):
    tools.docker()  # a check that ran would leave a call in this docker's log
    result = az.run('acr', 'check-health', '--yes', *args, bin_dir=tools.path, timeout=30)
    _assert_refused_fast(result, option)
    assert result.returncode == 1
    errors = result.error_lines()
    assert len(errors) == 1 and option in errors[0], result
    # The line after the error is the recommendation: what to pass instead.
    after = result.stderr.split(errors[0], 1)[1].strip()
    assert after, result
    assert tools.calls('docker') == []


@pytest.mark.parametrize('args, option', PARSER_REFUSED,
                         ids=[repr(a)[:50] for a, _ in PARSER_REFUSED])
def test_refused_by_the_parser(az, tools, args, option):
    tools.docker()
    result = az.run('acr', 'check-health', *args, bin_dir=tools.path, timeout=30)
    _assert_refused_fast(result, option)
    assert result.returncode == 2
    assert tools.calls('docker') == []


LOOK_ALIKES = [
    ['-n', 'a' * 50],
    ['-n', '12345'],
    ['-n', 'MyRegistry01'],
    ['-n', 'myregistry', '--repository', 'a.b_c__d-e/f'],
    ['-n', 'myregistry', '--repository', 'x' * 255],
    ['-n', 'myregistry', '--vnet', 'hub_1.net-a'],
    ['-n', 'myregistry', '--vnet', VNET_ID],
    ['--timeout', '600'],
    ['--timeout', '0.5'],
    ['--timeout', ' 7 '],
]


@pytest.mark.parametrize('args', LOOK_ALIKES, ids=[repr(a)[:50] for a in LOOK_ALIKES])
def test_valid_look_alikes_still_run(az, tools, args):
    tools.docker()
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', *args, bin_dir=tools.path,
                    timeout=60)
    assert 'Traceback' not in result.stderr, result
    report = result.json()
    assert report['checks'], result
    assert tools.calls('docker'), 'the checks did not run'
    if '-n' in args:
        assert report['registry']['name'] == args[args.index('-n') + 1]


def test_closed_stdin_neither_prompts_nor_crashes(az, tools):
    tools.docker()
    env = az.env(tools.path)
    started = subprocess.run(
        ['/bin/sh', '-c', '"$0" acr check-health -o json <&-', str(AZ)], capture_output=True,
        text=True, timeout=60, env=env, cwd=str(az.root))
    assert 'Traceback' not in started.stderr, started.stderr
    report = __import__('json').loads(started.stdout)
    pull = {c['id']: c for c in report['checks']}['docker-pull']
    assert pull['status'] == 'skipped' and '--yes' in pull['message']
