# acrhealth (MIT licence). az imports the loader for every acr command: it must stay light.
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Measured against what azure.cli.core (and a default CLI object) already imported, so the
# test is about our imports only.
SCRIPT = r'''
import json, sys
import azure.cli.core
from azure.cli.core import get_default_cli
cli = get_default_cli()
baseline = set(sys.modules)
import azext_acrhealth
loader = azext_acrhealth.COMMAND_LOADER_CLS(cli_ctx=cli)
loader.skip_applicability = True  # no invocation here: register every argument context
args = json.loads(sys.argv[1])
table = loader.load_command_table(args)
loader.load_arguments('acr check-health')
for extra in sys.argv[2:]:
    __import__(extra)
early = sys.modules.get('azext_acrhealth._early')
early = sorted(early._started) if early else []  # what it started for the run
print(json.dumps({'new': sorted(set(sys.modules) - baseline), 'commands': sorted(table),
                  'arguments': sorted(loader.argument_registry.arguments['acr check-health']),
                  'early': early}))
'''

FORBIDDEN_EXACT = {'requests', 'subprocess', 'azext_acrhealth._process', 'azext_acrhealth.runner',
                   'azext_acrhealth.custom', 'azext_acrhealth.context', 'azext_acrhealth._http',
                   'azext_acrhealth._azure', 'urllib3', 'msal'}
FORBIDDEN_PREFIXES = ('azure.mgmt', 'azext_acrhealth.checks', 'requests.')


def loaded(*extra, args=None):
    env = dict(os.environ, PYTHONPATH=str(REPO), AZURE_CORE_COLLECT_TELEMETRY='false')
    proc = subprocess.run([sys.executable, '-c', SCRIPT, json.dumps(args)] + list(extra),
                          cwd=str(REPO), env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def forbidden(modules):
    return sorted(m for m in modules
                  if m in FORBIDDEN_EXACT or m.startswith(FORBIDDEN_PREFIXES))


def test_loading_the_command_imports_nothing_heavy():
    data = loaded()
    assert data['commands'] == ['acr check-health']
    # login_server_hint, skip_source: ignored (hidden), set only by the validator
    assert data['arguments'] == ['ignore_errors', 'image', 'login_server_hint', 'registry_name',
                                 'repository', 'skip', 'skip_source', 'timeout', 'vnet', 'yes']
    assert forbidden(data['new']) == []
    ours = sorted(m for m in data['new'] if m.startswith('azext_acrhealth'))
    assert ours == ['azext_acrhealth', 'azext_acrhealth._defaults', 'azext_acrhealth._early',
                    'azext_acrhealth._help', 'azext_acrhealth._params', 'azext_acrhealth._text',
                    'azext_acrhealth._validators', 'azext_acrhealth.commands']
    assert data['early'] == []


@pytest.mark.parametrize('args', [
    ['acr', 'list'], ['acr', 'check-health', '-h'], ['acr', 'check-health', '-n', 'myregistry', '--help'],
    ['acr', 'check-health', '--yes'], ['acr', 'check-health', '--yes', '--skip', 'helm'],
    ['acr', 'check-health', '-n', 'myregistry', '--debug']])
def test_loading_for_another_command_or_help_starts_nothing(args):
    data = loaded(args=args)
    assert forbidden(data['new']) == [] and data['early'] == []


def test_loading_for_a_registry_check_starts_its_lookup_early():
    # The same measurement sees the early start (here it finds no login and ends: no network).
    data = loaded(args=['acr', 'check-health', '-n', 'myregistry', '--yes'])
    assert data['early'] == ['run']


def test_the_detector_sees_a_heavy_import():
    # The same measurement, importing the runner on purpose, must see it: the test above can fail.
    data = loaded('azext_acrhealth.runner')
    assert 'azext_acrhealth.runner' in forbidden(data['new'])
    assert 'azext_acrhealth.checks.base' in forbidden(data['new'])
