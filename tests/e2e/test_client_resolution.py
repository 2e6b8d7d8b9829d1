# acrhealth (MIT licence). Which executable serves as the Docker (and Helm) client, through the
# real `az`: DOCKER_COMMAND, Podman on hosts without docker, docker.exe and helm.exe from WSL,
# and an executable in the current directory refused, as the Azure CLI resolves them.
import pytest

from tests.e2e.conftest import DOCKER_CLIENT, DOCKER_SERVER_JSON, PULLED

SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'
# Podman 4.3 (Debian bookworm): `podman version --format '{{json .}}'` has no Server without a
# remote service; `podman --version` and a pull as it prints them.
PODMAN_JSON = ('{"Client":{"APIVersion":"4.3.1","Version":"4.3.1","GoVersion":"go1.19.8",'
               '"GitCommit":"","BuiltTime":"Thu Jan  1 00:00:00 1970","Built":0,'
               '"OsArch":"linux/amd64","Os":"linux"}}')
PODMAN_PULL = ('echo "Trying to pull {0}..." >&2; echo "Getting image source signatures" >&2; '
               'echo "Writing manifest to image destination" >&2; '
               'echo "8f8d1f2c0b6e0c6d1b2f3a4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b0a1f2e3d4c"'
               ).format(SAMPLE_IMAGE)
HELM3 = ('version.BuildInfo{Version:"v3.14.4", GitCommit:"81c902a123462fd4052bc5e9aa9c513c4c8fc142", '
         'GitTreeState:"clean", GoVersion:"go1.21.9"}')


def docker_script(pull=PULLED):
    return '\n'.join([
        'case "$1" in',
        '  --version) echo "{}" ;;'.format(DOCKER_CLIENT),
        "  version) echo '{}' ;;".format(DOCKER_SERVER_JSON),
        '  pull) {} ;;'.format(pull),
        '  *) echo "unexpected $*" >&2; exit 64 ;;',
        'esac'])


def run(az, tools, *args, **env):
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', *args, bin_dir=tools.path,
                    **env)
    assert 'Traceback' not in result.stderr, result
    return result


def test_podman_serves_when_there_is_no_docker(az, tools):
    tools.script('podman', '\n'.join([
        'case "$1" in',
        '  --version) echo "podman version 4.3.1" ;;',
        "  version) echo '{}' ;;".format(PODMAN_JSON),
        '  pull) {} ;;'.format(PODMAN_PULL),
        '  *) exit 64 ;;',
        'esac']))
    result = run(az, tools)
    assert result.returncode == 0, result
    checks = result.checks()
    client = checks['docker-client']
    assert client['status'] == 'passed' and client['details']['command'] == 'podman'
    assert client['message'].startswith('Podman (used as the Docker client) found')
    assert checks['docker-daemon']['status'] == 'passed'
    assert 'without a daemon' in checks['docker-daemon']['message']
    assert checks['docker-version']['details']['clientVersion'] == '4.3.1'
    assert checks['docker-pull']['status'] == 'passed'
    # The version check takes the client version the daemon check read (no `--version`).
    calls = tools.calls('podman')
    assert calls == ['version --format {{json .}}', 'pull ' + SAMPLE_IMAGE]


def test_docker_wins_over_podman(az, tools):
    tools.script('docker', docker_script())
    tools.script('podman', 'exit 64')
    result = run(az, tools)
    assert result.checks()['docker-client']['details']['command'] == 'docker'
    assert tools.calls('podman') == []


def test_docker_exe_from_wsl(az, tools):
    tools.script('docker.exe', docker_script())
    tools.script('helm.exe', "printf '%s\\n' '{}'".format(HELM3))
    result = run(az, tools)
    assert result.returncode == 0, result
    checks = result.checks()
    assert checks['docker-client']['details']['command'] == 'docker.exe'
    assert checks['docker-pull']['status'] == 'passed'
    assert checks['helm']['status'] == 'passed'
    assert checks['helm']['details']['path'].endswith('/helm.exe')
    assert tools.calls('helm.exe') == ['version --client']


def test_docker_command_names_the_client(az, tools, tmp_path):
    elsewhere = tmp_path / 'trusted'
    elsewhere.mkdir()
    exe = elsewhere / 'my-docker'
    exe.write_text('#!/bin/sh\necho "$*" >> "{}.calls"\n{}\n'.format(exe, docker_script()))
    exe.chmod(0o755)
    tools.script('docker', 'exit 64')  # on PATH, but DOCKER_COMMAND wins
    result = run(az, tools, DOCKER_COMMAND=str(exe))
    assert result.returncode == 0, result
    client = result.checks()['docker-client']
    assert client['details'] == {'path': str(exe), 'command': str(exe),
                                 'source': 'DOCKER_COMMAND'}
    assert 'named by DOCKER_COMMAND' in client['message']
    assert tools.calls('docker') == []


def test_docker_command_that_does_not_exist_is_a_clear_finding(az, tools):
    tools.script('docker', docker_script())
    result = run(az, tools, DOCKER_COMMAND='/nowhere/docker')
    client = result.checks()['docker-client']
    assert (client['status'], client['code']) == ('warning', 'DOCKER_COMMAND_ERROR')
    assert 'DOCKER_COMMAND names /nowhere/docker' in client['message']
    assert tools.calls('docker') == []


@pytest.mark.parametrize('name', ['docker', 'podman'])
def test_a_client_in_the_current_directory_is_refused(az, tools, name):
    """az runs in az.root: a PATH that reaches it (".", or the directory itself) must not make
    a planted executable the Docker client."""
    planted = az.root / name
    planted.write_text('#!/bin/sh\necho planted >> "{}.calls"\n'.format(planted))
    planted.chmod(0o755)
    try:
        result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir='.:{}'.format(
            tools.path))
        client = result.checks()['docker-client']
        assert (client['status'], client['code']) == ('warning', 'DOCKER_COMMAND_ERROR'), client
        assert client['message'].startswith('Refusing to use ')
        assert 'DOCKER_COMMAND' in client['message']
        assert result.checks()['docker-pull']['status'] == 'skipped'
        assert not (az.root / (name + '.calls')).exists()  # it never ran
    finally:
        planted.unlink()


def test_windows_containers_daemon_pull_passes_with_the_note(az, tools):
    tools.script('docker', docker_script(
        pull='echo "latest: Pulling from mcr/hello-world"; echo "Error response from daemon: '
             'image operating system \\"linux\\" cannot be used on this platform: operating '
             'system is not supported" >&2; exit 1'))
    result = run(az, tools)
    assert result.returncode == 0, result
    pull = result.checks()['docker-pull']
    assert (pull['status'], pull['code']) == ('passed', None)
    assert 'cannot be used on this platform' in pull['message']
