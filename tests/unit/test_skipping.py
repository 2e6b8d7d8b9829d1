# acrhealth (MIT licence). --skip and acrhealth.skip: checks left out on purpose.
import argparse

import pytest
from azure.cli.core.azclierror import InvalidArgumentValueError
from knack.config import CLIConfig

from azext_acrhealth import report, skipping
from azext_acrhealth.checks.docker import docker_plan
from azext_acrhealth.checks.tools import tools_plan
from tests.unit.fakes import DAEMON_DOWN, fail, make_ctx, ok
from tests.unit.test_runner import run_bounded

HELM3 = 'version.BuildInfo{Version:"v3.14.4", GitCommit:"81c902a1"}'
TOOLS = {'docker': '/usr/bin/docker', 'helm': '/usr/bin/helm', 'notary': '/usr/bin/notary'}
SERVER = '{"Server":{"Version":"28.2.2"}}'


def answers(daemon=ok(SERVER)):
    return {('docker', '--version'): ok('Docker version 28.2.2, build e6534b4'),
            ('docker', 'version'): daemon, ('docker', 'pull'): ok('Status: Downloaded'),
            ('helm', 'version'): ok(HELM3), ('notary', 'version'): ok(' Version: \n')}


def run(ids, source='--skip', ignore_errors=True, daemon=ok(SERVER)):
    """The environment plan with ``ids`` skipped, run with fakes: (report entries by id, the
    child processes started)."""
    ctx, processes = make_ctx(tools=TOOLS, answers=answers(daemon))
    plan = skipping.apply((docker_plan() + tools_plan()), ids, source)
    outcomes, _ = run_bounded(plan, ctx, ignore_errors=ignore_errors)
    built = report.build_report(outcomes, {})
    return {entry['id']: entry for entry in built['checks']}, [argv for argv, _ in processes.calls]


@pytest.mark.parametrize('values, ids', [
    ('helm notary', ['helm', 'notary']),
    ('helm,notary', ['helm', 'notary']),
    (' Helm ,  NOTARY helm ', ['helm', 'notary']),
    (['helm', 'notary,docker-pull'], ['helm', 'notary', 'docker-pull']),
    ('', []),
    (None, []),
])
def test_ids_are_separated_by_spaces_or_commas_in_any_case(values, ids):
    assert skipping.parse_ids(values) == ids


def test_every_check_of_every_plan_is_a_valid_id_in_plan_order():
    ids = skipping.all_check_ids()
    assert ids[:7] == ['docker-client', 'docker-daemon', 'docker-version', 'docker-pull',
                       'azure-cli', 'helm', 'notary']
    for check_id in ('login-server', 'dns', 'challenge', 'refresh-token', 'access-token',
                     'role-assignments', 'endpoints', 'image-pull', 'docker-credentials',
                     'cmk', 'private-endpoints'):
        assert check_id in ids
    assert len(ids) == len(set(ids))


def test_a_skipped_check_says_so_and_runs_nothing():
    entries, started = run(['helm', 'notary'])
    for check_id in ('helm', 'notary'):
        assert entries[check_id]['status'] == 'skipped'
        assert entries[check_id]['message'] == 'Skipped on request (--skip).'
        assert entries[check_id]['details'] == {'skippedBy': '--skip'}
    assert not [argv for argv in started if argv[0].endswith(('helm', 'notary'))]
    assert entries['docker-pull']['status'] == 'passed'


def test_a_check_that_requires_a_skipped_one_is_skipped_naming_it():
    entries, started = run(['docker-daemon'], source='acrhealth.skip')
    assert entries['docker-daemon']['message'] == 'Skipped on request (acrhealth.skip).'
    assert entries['docker-pull']['status'] == 'skipped'
    assert entries['docker-pull']['message'] == (
        'It needs "Docker daemon", which was skipped on request (acrhealth.skip).')
    # docker-version only reads the daemon's answer when there is one: it still runs.
    assert entries['docker-version']['status'] == 'passed'
    assert ['/usr/bin/docker', 'pull', 'mcr.microsoft.com/mcr/hello-world:latest'] not in started


def test_a_check_two_steps_away_names_the_skipped_one():
    entries, _ = run(['docker-client'])
    for check_id in ('docker-daemon', 'docker-version', 'docker-pull'):
        assert entries[check_id]['message'] == (
            'It needs "Docker client", which was skipped on request (--skip).'), check_id


def test_after_the_first_failure_a_skipped_check_still_says_it_was_skipped_on_request():
    ctx, _ = make_ctx(tools=TOOLS, answers=answers(daemon=fail(DAEMON_DOWN)))
    plan = skipping.apply((docker_plan() + tools_plan()), ['notary'], '--skip')
    outcomes, _ = run_bounded(plan, ctx, ignore_errors=False)
    entries = {check.id: report.check_entry(check, result) for check, result in outcomes}
    assert entries['docker-daemon']['status'] == 'failed'
    assert entries['helm']['message'].startswith('Stopped after the first failure')
    assert entries['notary']['message'] == 'Skipped on request (--skip).'


def test_nothing_skipped_is_the_plan_itself():
    plan = (docker_plan() + tools_plan())
    assert skipping.apply(plan, (), None) == plan


@pytest.mark.parametrize('ids, expected', [
    ((), True), (None, True), (('helm', 'notary'), True), (('refresh-token',), True),
    (('challenge',), False), (('dns',), False), (('login-server',), False)])
def test_dns_and_the_challenge_are_speculated_only_for_a_challenge_check_that_runs(ids, expected):
    assert skipping.speculates(ids) is expected


def test_nobody_is_asked_about_a_pull_that_will_not_run():
    def ask(_question):
        return True
    assert skipping.asks_nothing_when_skipped(ask, ()) is ask
    assert skipping.asks_nothing_when_skipped(ask, ('helm',)) is ask
    for ids in (('docker-pull',), ('docker-daemon',), ('docker-client',)):
        assert skipping.asks_nothing_when_skipped(ask, ids) is None


# ---- the validator: --skip, the configuration, the environment --------------------------------

class Cmd:
    def __init__(self, config):
        self.cli_ctx = argparse.Namespace(config=config)


@pytest.fixture
def config(tmp_path, monkeypatch):
    """The CLI's configuration object (knack's), in a directory of its own."""
    monkeypatch.delenv('AZURE_ACRHEALTH_SKIP', raising=False)
    return CLIConfig(config_dir=str(tmp_path), config_env_var_prefix='AZURE')


def validated(config, skip=None):  # pylint: disable=redefined-outer-name
    namespace = argparse.Namespace(skip=skip)
    skipping.validate_skip(Cmd(config), namespace)
    return namespace.skip, namespace.skip_source


def test_without_skip_or_configuration_nothing_is_skipped(config):  # pylint: disable=redefined-outer-name
    assert validated(config) == ((), None)


def test_the_configuration_is_read(config):  # pylint: disable=redefined-outer-name
    config.set_value('acrhealth', 'skip', 'helm notary')
    assert validated(config) == (('helm', 'notary'), 'acrhealth.skip')


def test_the_environment_variable_is_the_configuration_too(config, monkeypatch):  # pylint: disable=redefined-outer-name
    config.set_value('acrhealth', 'skip', 'helm')
    monkeypatch.setenv('AZURE_ACRHEALTH_SKIP', 'notary,docker-pull')
    assert validated(config) == (('notary', 'docker-pull'), 'AZURE_ACRHEALTH_SKIP')


def test_skip_on_the_command_line_replaces_the_configuration(config):  # pylint: disable=redefined-outer-name
    config.set_value('acrhealth', 'skip', 'helm notary')
    assert validated(config, ['docker-pull']) == (('docker-pull',), '--skip')


@pytest.mark.parametrize('source, setup, message, fix', [
    ('--skip', lambda config, monkeypatch: None,
     "--skip names 'helmet', which is not the id of a check of az acr check-health.",
     'Pass the ids the report gives (checks[].id).'),
    ('config', lambda config, monkeypatch: config.set_value('acrhealth', 'skip', 'helm helmet'),
     "acrhealth.skip names 'helmet', which is not the id of a check of az acr check-health.",
     'Correct it with `az config set acrhealth.skip="helm notary"`, or remove it with '
     '`az config unset acrhealth.skip`.'),
    ('env', lambda config, monkeypatch: monkeypatch.setenv('AZURE_ACRHEALTH_SKIP', 'helmet'),
     "AZURE_ACRHEALTH_SKIP names 'helmet', which is not the id of a check of az acr "
     'check-health.', 'Correct the environment variable AZURE_ACRHEALTH_SKIP, or unset it.'),
])
def test_an_unknown_id_is_bad_input_listing_the_valid_ones(  # pylint: disable=redefined-outer-name,too-many-arguments,too-many-positional-arguments
        config, monkeypatch, source, setup, message, fix):
    setup(config, monkeypatch)
    with pytest.raises(InvalidArgumentValueError) as info:
        validated(config, ['helmet'] if source == '--skip' else None)
    assert str(info.value) == message
    assert info.value.recommendations == [
        f"{fix} Valid ids: {', '.join(skipping.all_check_ids())}."]


def test_several_unknown_ids_are_named_together(config):  # pylint: disable=redefined-outer-name
    with pytest.raises(InvalidArgumentValueError) as info:
        validated(config, ['helm', 'x\x1b[2J', 'dns2'])
    assert str(info.value) == ("--skip names 'x?[2j', 'dns2', which are not ids of checks of az "
                               'acr check-health.')
