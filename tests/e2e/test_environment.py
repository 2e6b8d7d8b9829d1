# acrhealth (MIT licence). The environment checks through the real `az`, with real and
# stand-in docker, helm and notary executables.
import os
import time

import pytest

from azext_acrhealth.checks.docker import docker_plan
from azext_acrhealth.checks.tools import tools_plan

from tests.e2e.conftest import EXTENSION_NOTICE, real_docker

SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'
# Read from the plan, never copied.
DOCKER_CHECKS = tuple(check.id for check in docker_plan())
ENVIRONMENT_IDS = [check.id for check in docker_plan() + tools_plan()]


def statuses(checks):
    return {check_id: (entry['status'], entry['code']) for check_id, entry in checks.items()}


def test_no_docker_on_path(az, tools):
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    assert EXTENSION_NOTICE in result.stderr
    checks = result.checks()
    assert list(checks) == ENVIRONMENT_IDS
    assert (checks['docker-client']['status'], checks['docker-client']['code']) == \
        ('warning', 'DOCKER_COMMAND_ERROR')
    assert checks['docker-client']['docsUrl'] == 'https://aka.ms/acr/errors#docker_command_error'
    for check_id in ('docker-daemon', 'docker-version', 'docker-pull'):
        assert checks[check_id]['status'] == 'skipped'
        assert checks[check_id]['message'].startswith('It needs "Docker ')
    assert checks['docker-daemon']['details'] == {'prerequisite': 'Docker client'}
    assert checks['helm']['code'] == 'HELM_COMMAND_ERROR'
    assert checks['notary']['status'] == 'skipped'
    assert result.json()['status'] == 'healthy'


@pytest.mark.parametrize('docker', ['/usr/local/bin/docker', '/usr/bin/docker'])
def test_real_docker_client_without_daemon(az, tools, docker):
    if not os.access(docker, os.X_OK):
        pytest.skip('{} is not installed here'.format(docker))
    tools.link('docker', docker)
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 1, result
    report = result.json()  # the report is still on stdout
    checks = result.checks()
    assert statuses(checks)['docker-client'] == ('passed', None)
    daemon = checks['docker-daemon']
    assert (daemon['status'], daemon['code']) == ('failed', 'DOCKER_DAEMON_ERROR')
    assert 'Cannot connect to the Docker daemon' in daemon['message']
    assert 'no-daemon/docker.sock' in daemon['details']['error']  # the daemon's own line
    assert checks['docker-version']['status'] == 'skipped'
    assert '--ignore-errors' in checks['docker-version']['message']
    assert checks['docker-pull']['details'] == {'prerequisite': 'Docker daemon'}
    assert report['status'] == 'unhealthy' and report['summary']['failed'] == 1
    assert result.error_lines() == ['ERROR: 1 check failed: the registry workflow is broken here '
                                    '(see the report).']
    assert 'DOCKER_COMMAND_ERROR' not in result.stdout  # the built-in command's mistake


def test_real_docker_without_daemon_and_ignore_errors_runs_everything(az, tools):
    tools.link('docker', real_docker())
    result = az.run('acr', 'check-health', '--ignore-errors', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 1, result  # --ignore-errors changes how far, not the exit code
    checks = result.checks()
    assert checks['docker-daemon']['code'] == 'DOCKER_DAEMON_ERROR'
    version = checks['docker-version']
    assert version['status'] == 'passed' and version['details']['serverVersion'] == 'unknown'
    assert 'Stopped after the first failure' not in result.stdout
    # Only the pull, which needs the daemon, is skipped - for that reason.
    assert [c for c, e in checks.items() if e['status'] == 'skipped'] == ['docker-pull', 'notary']
    assert checks['docker-pull']['details'] == {'prerequisite': 'Docker daemon'}


def test_real_debian_notary_has_an_empty_version(az, tools):
    if not os.access('/usr/bin/notary', os.X_OK):
        pytest.skip("Debian's notary is not installed (make deps installs it)")
    tools.link('notary', '/usr/bin/notary')
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    notary = result.checks()['notary']
    assert (notary['status'], notary['code']) == ('warning', 'NOTARY_VERSION_ERROR')
    assert 'could not be determined' in notary['message']
    assert notary['details']['path'] == str(tools.path / 'notary')


@pytest.mark.parametrize('version, status, code', [
    ('0.5.0', 'passed', None),
    ('0.6.1', 'warning', 'NOTARY_VERSION_ERROR'),
])
def test_notary_versions(az, tools, version, status, code):
    tools.notary(version)
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    notary = result.checks()['notary']
    assert (notary['status'], notary['code']) == (status, code)
    assert notary['details']['version'] == version
    assert tools.calls('notary') == ['version']


HELM2 = ('Client: &version.Version{SemVer:"v2.16.1", '
         'GitCommit:"bbdfe5e7803a12bbdf97e94cd847859890cf4050", GitTreeState:"clean"}')
HELM2_OLD = ('Client: &version.Version{SemVer:"v2.10.0", '
             'GitCommit:"9ad53aac42165a5fadc6c87be0dea6b115f93090", GitTreeState:"clean"}')
HELM3 = ('version.BuildInfo{Version:"v3.12.0", '
         'GitCommit:"c9f554d75773799f72ceef38c51210f1842a1dea", '
         'GitTreeState:"clean", GoVersion:"go1.20.3"}')


@pytest.mark.parametrize('output, status, code, version', [
    (HELM2, 'warning', 'HELM_VERSION_ERROR', '2.16.1'),   # Helm 2: no OCI support
    (HELM3, 'passed', None, '3.12.0'),
    (HELM2_OLD, 'warning', 'HELM_VERSION_ERROR', '2.10.0'),
    ('helm: something went sideways', 'warning', 'HELM_VERSION_ERROR', None),
])
def test_helm_versions(az, tools, output, status, code, version):
    tools.helm(output)
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    helm = result.checks()['helm']
    assert (helm['status'], helm['code']) == (status, code)
    assert helm['details'].get('version') == version
    if code:
        assert output in helm['message']  # the raw line
    assert tools.calls('helm') == ['version --client']


def test_stand_in_docker_daemon_up_and_pull_succeeds(az, tools):
    tools.docker()
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    checks = result.checks()
    for check_id in DOCKER_CHECKS:
        assert checks[check_id]['status'] == 'passed', checks[check_id]
    assert checks['docker-daemon']['details'] == {'serverVersion': '28.2.2'}
    assert checks['docker-version']['details'] == {'clientVersion': '28.2.2',
                                                   'serverVersion': '28.2.2'}
    assert checks['docker-pull']['message'] == 'Pulled {}.'.format(SAMPLE_IMAGE)
    assert 'pull ' + SAMPLE_IMAGE in tools.calls('docker')


def test_stand_in_docker_pull_platform_mismatch_passes_with_a_note(az, tools):
    warning = ("WARNING: The requested image's platform (linux/arm64/v8) does not match the "
               "detected host platform (linux/amd64) and no specific platform was requested")
    tools.docker(pull='echo "Status: Downloaded newer image"; echo "{}" >&2'.format(warning))
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    pull = result.checks()['docker-pull']
    assert (pull['status'], pull['code']) == ('passed', None)
    assert 'not built for this platform (linux/arm64/v8 image on linux/amd64)' in pull['message']


def test_stand_in_docker_pull_failure_reports_the_daemons_line(az, tools):
    line = ('Error response from daemon: Get "https://mcr.microsoft.com/v2/": dial tcp: lookup '
            'mcr.microsoft.com on 127.0.0.11:53: no such host')
    tools.docker(pull="echo 'Using default tag: latest'; echo '{}' >&2; exit 1".format(line))
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 1, result
    pull = result.checks()['docker-pull']
    assert (pull['status'], pull['code']) == ('failed', 'DOCKER_PULL_ERROR')
    assert pull['details']['error'] == line
    assert pull['message'] == 'Pulling {} failed: {}'.format(SAMPLE_IMAGE, line)
    assert pull['docsUrl'] == 'https://aka.ms/acr/errors#docker_pull_error'


HANG_MARK = '987.654321'


def _sleepers():
    found = []
    for pid in os.listdir('/proc'):
        if not pid.isdigit():
            continue
        try:
            with open('/proc/{}/cmdline'.format(pid), 'rb') as cmdline:
                argv = cmdline.read().split(b'\0')
            with open('/proc/{}/stat'.format(pid)) as stat:
                zombie = stat.read().rsplit(')', 1)[1].split()[0] == 'Z'
        except OSError:
            continue
        if HANG_MARK.encode() in argv and not zombie:
            found.append(int(pid))
    return found


def test_stand_in_docker_pull_that_hangs_is_killed_at_the_timeout(az, tools):
    tools.docker(pull='echo "latest: Pulling from mcr/hello-world"; /bin/sleep {}'.format(
        HANG_MARK))
    try:
        result = az.run('acr', 'check-health', '--yes', '--timeout', '2', '-o', 'json',
                        bin_dir=tools.path, timeout=30)
        assert result.returncode == 1, result
        pull = result.checks()['docker-pull']
        assert (pull['status'], pull['code']) == ('failed', 'DOCKER_PULL_ERROR')
        assert pull['message'] == 'Pulling {} timed out after 2 s.'.format(SAMPLE_IMAGE)
        assert result.seconds < 8, result.seconds
        assert 2000 <= pull['durationMs'] < 5000
        time.sleep(0.2)
        assert _sleepers() == [], 'the hung pull outlived the command'
    finally:
        for pid in _sleepers():
            os.kill(pid, 9)


def test_real_docker_with_a_broken_config_file_still_reports_the_daemons_line(az, tools,
                                                                              tmp_path):
    # docker warns of the unreadable config before its real error; the report keeps the error.
    config = tmp_path / 'docker-config'
    config.mkdir()
    (config / 'config.json').write_text('{broken')
    tools.link('docker', real_docker())
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path,
                    DOCKER_CONFIG=config)
    assert result.returncode == 1, result
    error = result.checks()['docker-daemon']['details']['error']
    assert error.startswith('Cannot connect to the Docker daemon'), error


def test_cloud_shell_skips_the_environment_checks(az, tools):
    tools.docker().helm(HELM3).notary('0.6.1')
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path,
                    ACC_CLOUD='1')  # what the CLI reads to know it runs in Cloud Shell
    assert result.returncode == 0, result
    report = result.json()
    assert report['environment']['cloudShell'] is True
    assert {c['status'] for c in report['checks']} == {'skipped'}
    assert {c['message'] for c in report['checks']} == {
        'Environment checks do not apply in Azure Cloud Shell.'}
    assert tools.calls('docker') == tools.calls('helm') == tools.calls('notary') == []
