# acrhealth (MIT licence). Each environment check against a fake CheckContext.
import re

import pytest

from azext_acrhealth import catalogue
from azext_acrhealth.checks import build_plan
from azext_acrhealth import _clients
from azext_acrhealth.checks import docker, tools
from azext_acrhealth.checks.base import (CheckResult, PULL_ALLOWED, PULL_DECLINED,
                                         PULL_NO_TERMINAL)
from azext_acrhealth.report import build_report
from azext_acrhealth.runner import run_plan
from tests.unit.fakes import (DAEMON_DOWN, DOCKER_28_JSON, DOCKER_NO_SERVER_JSON, HELM2,
                              HELM2_OLD, HELM3, HELM37, HELM38, NOTARY_050, NOTARY_061, NOTARY_DEBIAN,
                              PLATFORM_WARNING, SOCKET_DENIED, fail, make_ctx, ok, timed_out)

DOCKER = '/usr/bin/docker'
CLIENT = {'docker-client': CheckResult('docker.client.found', {'path': DOCKER})}


def message(result):
    text = catalogue.render(result.finding, result.facts)
    assert not re.search(r'\{\w+\}', text), 'unformatted placeholder in ' + text
    return text


def code(result):
    return catalogue.finding(result.finding).code


# ---- docker client ------------------------------------------------------------------------

def test_docker_missing_is_a_warning_with_docker_command_error():
    ctx, processes = make_ctx(tools={})
    result = docker.check_docker_client(ctx, {})
    assert (result.status, code(result)) == ('warning', 'DOCKER_COMMAND_ERROR')
    assert processes.calls == []


def test_docker_found_reports_its_path():
    ctx, _ = make_ctx(tools={'docker': DOCKER})
    result = docker.check_docker_client(ctx, {})
    assert result.passed and result.facts == {'path': DOCKER, 'command': 'docker',
                                              'source': 'PATH'}
    assert DOCKER in message(result)


PODMAN = '/usr/bin/podman'
PODMAN_JSON = ('{"Client":{"APIVersion":"4.3.1","Version":"4.3.1","GoVersion":"go1.19.8",'
               '"OsArch":"linux/amd64","Os":"linux"}}')


@pytest.mark.parametrize('tools, command', [
    ({'docker': DOCKER, 'podman': PODMAN}, 'docker'),
    ({'podman': PODMAN}, 'podman'),
    ({'docker.exe': '/mnt/c/Docker/docker.exe', 'podman': PODMAN}, 'podman'),
    ({'docker.exe': '/mnt/c/Docker/docker.exe'}, 'docker.exe'),
])
def test_docker_client_resolution_order(tools, command):
    ctx, _ = make_ctx(tools=tools)
    result = docker.check_docker_client(ctx, {})
    assert result.passed and result.facts['command'] == command
    assert result.facts['path'] == tools[command]


def test_docker_command_wins_and_is_named():
    ctx, _ = make_ctx(tools={'docker': DOCKER, '/opt/bin/docker': '/opt/bin/docker'},
                      environ={'DOCKER_COMMAND': '/opt/bin/docker'})
    result = docker.check_docker_client(ctx, {})
    assert result.finding == 'docker.client.from_env'
    assert result.facts == {'path': '/opt/bin/docker', 'command': '/opt/bin/docker',
                            'source': 'DOCKER_COMMAND'}


def test_docker_command_missing_is_a_command_error():
    ctx, _ = make_ctx(tools={'docker': DOCKER}, environ={'DOCKER_COMMAND': 'nerdctl'})
    result = docker.check_docker_client(ctx, {})
    assert (result.status, code(result)) == ('warning', 'DOCKER_COMMAND_ERROR')
    assert 'DOCKER_COMMAND names nerdctl' in message(result)


def test_a_client_in_the_current_directory_is_refused(tmp_path):
    planted = tmp_path / 'docker'
    planted.write_text('#!/bin/sh\n')
    ctx, _ = make_ctx(tools={'docker': str(planted)}, cwd=str(tmp_path))
    result = docker.check_docker_client(ctx, {})
    assert (result.status, code(result)) == ('warning', 'DOCKER_COMMAND_ERROR')
    assert message(result).startswith('Refusing to use {}'.format(planted))
    assert _clients.resolve_docker(ctx) is None


def test_an_absolute_docker_command_in_the_current_directory_is_trusted(tmp_path):
    planted = str(tmp_path / 'docker')
    ctx, _ = make_ctx(tools={planted: planted}, cwd=str(tmp_path),
                      environ={'DOCKER_COMMAND': planted})
    assert docker.check_docker_client(ctx, {}).finding == 'docker.client.from_env'


def test_a_symbolic_link_to_the_current_directory_is_refused(tmp_path):
    cwd, elsewhere = tmp_path / 'repo', tmp_path / 'bin'
    cwd.mkdir()
    elsewhere.mkdir()
    (cwd / 'docker').write_text('#!/bin/sh\n')
    (elsewhere / 'docker').symlink_to(cwd / 'docker')
    ctx, _ = make_ctx(tools={'docker': str(elsewhere / 'docker')}, cwd=str(cwd))
    assert docker.check_docker_client(ctx, {}).finding == 'docker.client.in_cwd'


def test_podman_has_no_daemon_and_passes():
    ctx, _ = make_ctx(answers={('podman', 'version'): ok(PODMAN_JSON)})
    client = {'docker-client': CheckResult('docker.client.podman', {'path': PODMAN})}
    result = docker.check_docker_daemon(ctx, client)
    assert result.passed and result.finding == 'docker.daemon.podman'


def test_helm_exe_from_wsl():
    ctx, processes = make_ctx(tools={'helm.exe': '/mnt/c/helm/helm.exe'},
                              answers={('helm.exe', 'version'): ok(HELM3)})
    assert tools.check_helm(ctx, {}).passed
    assert processes.calls[0][0][0] == '/mnt/c/helm/helm.exe'


# ---- docker daemon ------------------------------------------------------------------------

def test_daemon_running():
    ctx, processes = make_ctx(answers={('docker', 'version'): ok(DOCKER_28_JSON)})
    result = docker.check_docker_daemon(ctx, CLIENT)
    assert result.passed and result.facts == {'serverVersion': '28.2.2'}
    assert processes.calls == [([DOCKER, 'version', '--format', '{{json .}}'], 5.0)]


@pytest.mark.parametrize('stderr', [DAEMON_DOWN, SOCKET_DENIED])
def test_daemon_down_or_socket_denied_is_daemon_error_with_its_own_line(stderr):
    ctx, _ = make_ctx(answers={('docker', 'version'): fail(stderr + '\n', DOCKER_NO_SERVER_JSON)})
    result = docker.check_docker_daemon(ctx, CLIENT)
    assert (result.status, code(result)) == ('failed', 'DOCKER_DAEMON_ERROR')
    assert result.facts['error'] == stderr
    assert stderr in message(result)


def test_daemon_exit_zero_without_server_is_still_daemon_error():
    ctx, _ = make_ctx(answers={('docker', 'version'): ok(DOCKER_NO_SERVER_JSON)})
    result = docker.check_docker_daemon(ctx, CLIENT)
    assert code(result) == 'DOCKER_DAEMON_ERROR' and result.status == 'failed'


def test_daemon_silent_failure_names_the_exit_code():
    ctx, _ = make_ctx(answers={('docker', 'version'): fail('', '', returncode=3)})
    result = docker.check_docker_daemon(ctx, CLIENT)
    assert result.facts['error'] == 'exit code 3'


def test_daemon_timeout():
    ctx, _ = make_ctx(answers={('docker', 'version'): timed_out()}, timeout=2.0)
    result = docker.check_docker_daemon(ctx, CLIENT)
    assert (result.status, code(result)) == ('failed', 'DOCKER_DAEMON_ERROR')
    assert message(result) == 'The Docker daemon did not answer within 2 s.'


# ---- docker version -----------------------------------------------------------------------

def test_docker_version_with_server():
    ctx, _ = make_ctx(answers={
        ('docker', '--version'): ok('Docker version 20.10.24+dfsg1, build 297e128\n')})
    daemon = CheckResult('docker.daemon.running', {'serverVersion': '20.10.24+dfsg1'})
    result = docker.check_docker_version(ctx, dict(CLIENT, **{'docker-daemon': daemon}))
    assert result.passed
    assert result.facts == {'clientVersion': '20.10.24+dfsg1', 'serverVersion': '20.10.24+dfsg1'}


def test_docker_version_without_daemon_says_server_unknown():
    ctx, _ = make_ctx(answers={('docker', '--version'): ok('Docker version 28.2.2, build e6534b4')})
    daemon = CheckResult('docker.daemon.unreachable', {'error': DAEMON_DOWN})
    result = docker.check_docker_version(ctx, dict(CLIENT, **{'docker-daemon': daemon}))
    assert result.passed and result.facts['serverVersion'] == 'unknown'


@pytest.mark.parametrize('answer, finding', [
    (ok(DOCKER_28_JSON), 'docker.daemon.running'),
    (fail(DAEMON_DOWN + '\n', DOCKER_NO_SERVER_JSON), 'docker.daemon.unreachable'),
])
def test_the_client_version_the_daemon_check_read_spares_a_second_process(answer, finding):
    ctx, processes = make_ctx(answers={('docker', 'version'): answer})
    daemon = docker.check_docker_daemon(ctx, CLIENT)
    assert daemon.finding == finding and daemon.data == {'clientVersion': '28.2.2'}
    result = docker.check_docker_version(ctx, dict(CLIENT, **{'docker-daemon': daemon}))
    assert result.passed and result.facts['clientVersion'] == '28.2.2'
    assert [argv[1] for argv, _ in processes.calls] == ['version']  # no `docker --version`


@pytest.mark.parametrize('client', [
    None, 28, ['28.2.2'], '', '28.2.2 build x', 'v' * 65, '28.2.2,extra'])
def test_a_client_version_of_another_shape_is_asked_of_docker_version(client):
    import json
    output = json.dumps({'Client': {'Version': client}, 'Server': None})
    assert docker.parse_docker_client_version_json(output) is None
    assert docker.parse_docker_client_version_json('{"Client": "28.2.2"}') is None
    assert docker.parse_docker_client_version_json('not json') is None


@pytest.mark.parametrize('answer, error', [
    (fail('docker: unknown flag\n'), 'docker: unknown flag'),
    (ok('nerdctl version 1.7.6'), 'nerdctl version 1.7.6'),
    (fail('', returncode=126), 'exit code 126'),
    (timed_out(), 'timed out after 5 s'),
])
def test_docker_version_failures(answer, error):
    ctx, _ = make_ctx(answers={('docker', '--version'): answer})
    result = docker.check_docker_version(ctx, CLIENT)
    assert (result.status, code(result)) == ('failed', 'DOCKER_VERSION_ERROR')
    assert result.facts['error'] == error


# ---- docker pull --------------------------------------------------------------------------

PULLED = ok('latest: Pulling from mcr/hello-world\nDigest: sha256:92c7f9c9\n'
            'Status: Downloaded newer image for mcr.microsoft.com/mcr/hello-world:latest\n')


def test_pull_allowed_pulls_the_sample_image():
    ctx, processes = make_ctx(answers={('docker', 'pull'): PULLED}, pull_consent=PULL_ALLOWED)
    result = docker.check_docker_pull(ctx, CLIENT)
    assert result.finding == 'docker.pull.pulled' and result.passed
    assert processes.calls == [([DOCKER, 'pull', docker.SAMPLE_IMAGE], 5.0)]


def test_pull_declined_does_not_pull():
    ctx, processes = make_ctx(pull_consent=PULL_DECLINED)
    result = docker.check_docker_pull(ctx, CLIENT)
    assert result.status == 'skipped' and message(result).startswith('You chose not to pull')
    assert processes.calls == []


def test_pull_without_terminal_is_skipped_naming_yes():
    ctx, processes = make_ctx(pull_consent=PULL_NO_TERMINAL)
    result = docker.check_docker_pull(ctx, CLIENT)
    assert result.status == 'skipped' and '--yes' in message(result)
    assert processes.calls == []


def test_pull_failure_carries_the_daemons_error_line():
    line = ('Error response from daemon: Get "https://mcr.microsoft.com/v2/": dial tcp: lookup '
            'mcr.microsoft.com on 10.0.0.2:53: no such host')
    ctx, _ = make_ctx(answers={
        ('docker', 'pull'): fail(line + '\n', 'Using default tag: latest\n')})
    result = docker.check_docker_pull(ctx, CLIENT)
    assert (result.status, code(result)) == ('failed', 'DOCKER_PULL_ERROR')
    assert result.facts['error'] == line
    assert message(result) == 'Pulling {} failed: {}'.format(docker.SAMPLE_IMAGE, line)


def test_pull_failure_error_line_after_other_lines():
    ctx, _ = make_ctx(answers={('docker', 'pull'): fail(
        'Using default tag: latest\nError response from daemon: manifest unknown\n')})
    assert docker.check_docker_pull(ctx, CLIENT).facts['error'] == \
        'Error response from daemon: manifest unknown'


def test_pull_silent_failure_names_the_exit_code():
    ctx, _ = make_ctx(answers={('docker', 'pull'): fail('', returncode=125)})
    assert docker.check_docker_pull(ctx, CLIENT).facts['error'] == 'exit code 125'


@pytest.mark.parametrize('seconds, shown', [(2.0, '2'), (2.5, '2.5'), (30.0, '30')])
def test_pull_timeout(seconds, shown):
    ctx, _ = make_ctx(answers={('docker', 'pull'): timed_out('latest: Pulling from x\n')},
                      timeout=seconds)
    result = docker.check_docker_pull(ctx, CLIENT)
    assert (result.status, code(result)) == ('failed', 'DOCKER_PULL_ERROR')
    assert message(result) == 'Pulling {} timed out after {} s.'.format(docker.SAMPLE_IMAGE, shown)


@pytest.mark.parametrize('stream', ['stdout', 'stderr'])
def test_pull_platform_mismatch_passes_with_a_note(stream):
    answer = ok(**{stream: 'latest: Pulling from mcr/hello-world\n' + PLATFORM_WARNING + '\n'})
    ctx, _ = make_ctx(answers={('docker', 'pull'): answer})
    result = docker.check_docker_pull(ctx, CLIENT)
    assert result.passed and result.finding == 'docker.pull.platform_mismatch'
    assert 'linux/arm64/v8 image on linux/amd64' in message(result)


WINDOWS_DAEMON = ('Error response from daemon: image operating system "linux" cannot be used '
                  'on this platform: operating system is not supported\n')


def test_pull_on_a_windows_containers_daemon_passes_with_a_note():
    ctx, _ = make_ctx(answers={('docker', 'pull'): fail(
        WINDOWS_DAEMON, stdout='latest: Pulling from mcr/hello-world\n')})
    result = docker.check_docker_pull(ctx, CLIENT)
    assert result.passed and result.finding == 'docker.pull.other_os'
    assert 'image operating system "linux" cannot be used on this platform' in message(result)
    assert 'another operating system' in message(result)


# ---- azure cli ----------------------------------------------------------------------------

def test_azure_cli_version():
    ctx, _ = make_ctx()
    result = tools.check_azure_cli(ctx, {})
    assert result.passed and message(result) == 'Azure CLI 2.91.0, acrhealth 1.0.0b1.'


# ---- helm ---------------------------------------------------------------------------------

HELM = '/usr/local/bin/helm'


def test_helm_missing_is_a_warning():
    ctx, processes = make_ctx(tools={})
    result = tools.check_helm(ctx, {})
    assert (result.status, code(result)) == ('warning', 'HELM_COMMAND_ERROR')
    assert processes.calls == []


@pytest.mark.parametrize('output, version', [(HELM3, '3.12.0'), (HELM38, '3.8.0')])
def test_helm_supported(output, version):
    ctx, processes = make_ctx(tools={'helm': HELM}, answers={('helm', 'version'): ok(output)})
    result = tools.check_helm(ctx, {})
    assert result.passed and result.facts == {'path': HELM, 'version': version}
    assert processes.calls == [([HELM, 'version', '--client'], 5.0)]


@pytest.mark.parametrize('output, version', [(HELM2_OLD, '2.10.0'), (HELM2, '2.16.1'),
                                             (HELM37, '3.7.2')])
def test_helm_2_or_older_than_3_8_is_a_version_warning_with_the_raw_line(output, version):
    ctx, _ = make_ctx(tools={'helm': HELM}, answers={('helm', 'version'): ok(output)})
    result = tools.check_helm(ctx, {})
    assert (result.status, code(result)) == ('warning', 'HELM_VERSION_ERROR')
    assert result.facts['version'] == version and result.facts['minimum'] == '3.8.0'
    assert output.strip() in message(result)
    assert 'az acr helm' in catalogue.CODES['HELM_VERSION_ERROR'].remediation


def test_notary_advice_points_to_notation():
    entry = catalogue.CODES['NOTARY_VERSION_ERROR']
    assert 'Notation' in entry.remediation
    assert '2026-05-31' in entry.remediation and '2028-03-31' in entry.remediation


@pytest.mark.parametrize('answer, shown', [
    (ok('something unexpected\n'), 'something unexpected'),
    (fail('Error: unknown flag: --client\n'), 'Error: unknown flag: --client'),
    (ok(''), '(no output)'),
    (timed_out(), 'timed out after 5 s'),
])
def test_helm_unparseable_is_a_version_warning_with_the_raw_line(answer, shown):
    ctx, _ = make_ctx(tools={'helm': HELM}, answers={('helm', 'version'): answer})
    result = tools.check_helm(ctx, {})
    assert (result.status, code(result)) == ('warning', 'HELM_VERSION_ERROR')
    assert result.facts['output'] == shown and shown in message(result)


# ---- notary -------------------------------------------------------------------------------

NOTARY = '/usr/bin/notary'


def test_notary_missing_is_skipped():
    ctx, _ = make_ctx(tools={})
    result = tools.check_notary(ctx, {})
    assert result.status == 'skipped' and code(result) is None


def test_notary_050_is_compatible():
    ctx, processes = make_ctx(tools={'notary': NOTARY},
                              answers={('notary', 'version'): ok(NOTARY_050)})
    result = tools.check_notary(ctx, {})
    assert result.passed and result.facts == {'path': NOTARY, 'version': '0.5.0'}
    assert processes.calls == [([NOTARY, 'version'], 5.0)]


def test_notary_061_is_a_version_warning():
    ctx, _ = make_ctx(tools={'notary': NOTARY}, answers={('notary', 'version'): ok(NOTARY_061)})
    result = tools.check_notary(ctx, {})
    assert (result.status, code(result)) == ('warning', 'NOTARY_VERSION_ERROR')
    assert message(result) == 'Notary 0.6.1 is 0.6.0 or later: {}.'.format(NOTARY)


@pytest.mark.parametrize('answer', [ok(NOTARY_DEBIAN), ok(''), fail('boom'), timed_out()])
def test_notary_unknown_version_is_a_warning_saying_so(answer):
    ctx, _ = make_ctx(tools={'notary': NOTARY}, answers={('notary', 'version'): answer})
    result = tools.check_notary(ctx, {})
    assert (result.status, code(result)) == ('warning', 'NOTARY_VERSION_ERROR')
    assert 'could not be determined' in message(result)


# ---- the plan, through the runner ---------------------------------------------------------

def run_environment(ctx, ignore_errors=False):
    outcomes = run_plan(build_plan(ctx), ctx, ignore_errors=ignore_errors)
    return {check.id: result for check, result in outcomes}, [c.id for c, _ in outcomes]


HEALTHY_DOCKER = {('docker', 'version'): ok(DOCKER_28_JSON),
                  ('docker', '--version'): ok('Docker version 28.2.2, build e6534b4'),
                  ('docker', 'pull'): PULLED}


def test_plan_with_healthy_docker_passes_every_docker_check():
    ctx, processes = make_ctx(tools={'docker': DOCKER}, answers=HEALTHY_DOCKER)
    results, order = run_environment(ctx)
    assert order == [check.id for check in docker.docker_plan() + tools.tools_plan()]
    for check_id in ('docker-client', 'docker-daemon', 'docker-version', 'docker-pull'):
        assert results[check_id].passed, (check_id, results[check_id])
    assert [DOCKER, 'pull', docker.SAMPLE_IMAGE] in [argv for argv, _ in processes.calls]


def test_plan_without_docker_skips_what_needs_it_naming_the_prerequisite():
    ctx, processes = make_ctx(tools={})
    results, _ = run_environment(ctx)
    assert code(results['docker-client']) == 'DOCKER_COMMAND_ERROR'
    for check_id in ('docker-daemon', 'docker-version', 'docker-pull'):
        assert results[check_id].finding == 'runner.skipped.prerequisite'
        assert results[check_id].facts['prerequisite'] in ('Docker client', 'Docker daemon')
    assert processes.calls == []


def test_plan_with_daemon_down_stops_unless_ignore_errors():
    answers = {('docker', 'version'): fail(DAEMON_DOWN), ('docker', '--version'):
               ok('Docker version 28.2.2, build e6534b4')}
    ctx, _ = make_ctx(tools={'docker': DOCKER}, answers=answers)
    results, _ = run_environment(ctx)
    assert code(results['docker-daemon']) == 'DOCKER_DAEMON_ERROR'
    assert results['docker-version'].finding == 'runner.skipped.stopped'
    assert results['docker-pull'].facts == {'prerequisite': 'Docker daemon'}

    ctx, _ = make_ctx(tools={'docker': DOCKER}, answers=answers)
    results, _ = run_environment(ctx, ignore_errors=True)
    assert results['docker-version'].passed
    assert results['docker-version'].facts['serverVersion'] == 'unknown'


def test_cloud_shell_skips_every_environment_check_without_running_anything():
    ctx, processes = make_ctx(tools={'docker': DOCKER, 'helm': HELM, 'notary': NOTARY},
                              answers=HEALTHY_DOCKER, cloud_shell=True)
    results, order = run_environment(ctx)
    assert len(order) == 7
    for result in results.values():
        assert result.finding == 'runner.skipped.cloud_shell'
        assert message(result) == 'Environment checks do not apply in Azure Cloud Shell.'
    assert processes.calls == []
    report = build_report(list(zip(build_plan(ctx), results.values())), ctx.environment_summary())
    assert report['status'] == 'healthy' and report['summary']['skipped'] == 7


# ---- docker's warnings before its error ---------------------------------------------------

CONFIG_WARNING = ('WARNING: Error loading config file: /root/.docker/config.json: invalid '
                  "character 'b' looking for beginning of object key string")


def test_daemon_error_is_the_daemons_line_not_a_config_warning_before_it():
    ctx, _ = make_ctx(answers={('docker', 'version'): fail(CONFIG_WARNING + '\n' + DAEMON_DOWN)})
    assert docker.check_docker_daemon(ctx, CLIENT).facts['error'] == DAEMON_DOWN


def test_docker_version_error_skips_a_config_warning():
    ctx, _ = make_ctx(answers={('docker', '--version'): fail(CONFIG_WARNING + '\nboom\n')})
    assert docker.check_docker_version(ctx, CLIENT).facts['error'] == 'boom'


@pytest.mark.parametrize('stderr, line', [
    (CONFIG_WARNING + '\nError response from daemon: manifest unknown\n',
     'Error response from daemon: manifest unknown'),
    (CONFIG_WARNING + '\nerror pulling image configuration: download failed\n',
     'error pulling image configuration: download failed'),
    ('Using default tag: latest\nsomething odd\n', 'Using default tag: latest'),
    (CONFIG_WARNING + '\n', CONFIG_WARNING),  # only a warning: better than nothing
])
def test_pull_error_line_skips_warnings(stderr, line):
    ctx, _ = make_ctx(answers={('docker', 'pull'): fail(stderr)})
    assert docker.check_docker_pull(ctx, CLIENT).facts['error'] == line
