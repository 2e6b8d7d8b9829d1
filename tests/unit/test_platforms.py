# acrhealth (MIT licence). The Windows and macOS branches, taken for real with the platform
# switched: sys.platform says win32 or darwin, and what that platform lacks is gone
# (os.killpg and signal.SIGKILL do not exist on Windows); the children are real processes.
import os
import signal
import sys
import textwrap
import time
import types

import pytest

from azext_acrhealth import _process, report
from azext_acrhealth._process import run_process
from azext_acrhealth.checks.credentials import config_files
from azext_acrhealth.checks.docker import check_docker_pull
from tests.unit.fakes import make_ctx
from tests.unit.test_process import _alive

# A child that starts a grandchild holding the pipes, writes its pid, then both sleep.
TREE = textwrap.dedent('''
    import subprocess, sys, time
    grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])
    open(sys.argv[1], 'w').write(str(grandchild.pid))
    print('started', flush=True)
    time.sleep(300)
''')


@pytest.fixture
def on_windows(monkeypatch):
    """sys.platform is win32, and what Windows lacks is gone: os.killpg, and signal.SIGKILL as
    our module sees it (subprocess's own POSIX Popen, which runs these children, keeps it)."""
    monkeypatch.setattr(sys, 'platform', 'win32')
    monkeypatch.delattr(os, 'killpg')
    monkeypatch.setattr(_process, 'signal', types.SimpleNamespace(
        **{name: getattr(signal, name) for name in dir(signal)
           if name.isupper() and name != 'SIGKILL'}))


def _taskkill(tmp_path, monkeypatch):
    """A SystemRoot whose System32\\taskkill.exe logs its arguments and, as /T does, kills the
    process tree (here: the child's process group)."""
    system32 = tmp_path / 'Windows' / 'System32'
    system32.mkdir(parents=True)
    log = tmp_path / 'taskkill.log'
    taskkill = system32 / 'taskkill.exe'
    taskkill.write_text(f'#!/bin/sh\necho "$*" >> "{log}"\nkill -9 "-$2"\n')
    taskkill.chmod(0o755)
    monkeypatch.setenv('SystemRoot', str(tmp_path / 'Windows'))
    return log


def _wait_dead(pid, seconds=3):
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _alive(pid)


def test_taskkill_is_windows_own_never_one_from_path_or_the_current_directory():
    assert _process.taskkill_path({'SystemRoot': 'C:\\Windows'}) == os.path.join(
        'C:\\Windows', 'System32', 'taskkill.exe')
    assert _process.taskkill_path({'SYSTEMROOT': 'D:\\Win'}).startswith('D:\\Win')
    assert _process.taskkill_path({}).startswith('C:\\Windows')


def test_on_windows_a_timed_out_child_and_its_tree_are_ended_by_taskkill(
        tmp_path, monkeypatch, on_windows):  # pylint: disable=redefined-outer-name,unused-argument
    log = _taskkill(tmp_path, monkeypatch)
    pidfile = tmp_path / 'grandchild.pid'
    started = time.monotonic()
    result = run_process([sys.executable, '-c', TREE, str(pidfile)], timeout=1.0)
    elapsed = time.monotonic() - started
    grandchild = int(pidfile.read_text())
    assert result.timed_out and result.seconds == 1.0
    assert elapsed < 3.5, f'{elapsed:.1f} s'
    calls = log.read_text().split('\n')
    assert calls[0].startswith('/PID ') and calls[0].endswith(' /T /F')
    assert _wait_dead(grandchild), 'taskkill /T should have ended the grandchild'


def test_on_windows_without_taskkill_the_child_still_ends_and_the_timeout_is_clean(
        tmp_path, monkeypatch, on_windows):  # pylint: disable=redefined-outer-name,unused-argument
    monkeypatch.setenv('SystemRoot', str(tmp_path / 'nothing-here'))
    pidfile = tmp_path / 'grandchild.pid'
    try:
        result = run_process([sys.executable, '-c', TREE, str(pidfile)], timeout=1.0)
        # No AttributeError for os.killpg: a clean timeout (the grandchild keeps the pipes, so
        # its output is given up on).
        assert result.timed_out and result.returncode is not None
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text()), 9)


def test_on_windows_a_hanging_docker_pull_is_docker_pull_error_not_a_crash(
        tmp_path, monkeypatch, on_windows):  # pylint: disable=redefined-outer-name,unused-argument
    _taskkill(tmp_path, monkeypatch)
    docker = tmp_path / 'docker.exe'
    docker.write_text('#!/bin/sh\nsleep 300\n')
    docker.chmod(0o755)
    ctx, _ = make_ctx(timeout=1.0)
    ctx.run_process = run_process  # the real adapter
    check = type('Check', (), {'id': 'docker-pull', 'title': 'Docker pull',
                               'code': 'DOCKER_PULL_ERROR'})
    result = check_docker_pull(ctx, {'docker-client': _client(str(docker))})
    assert result.finding == 'docker.pull.timeout'
    entry = report.check_entry(check, result)
    assert (entry['status'], entry['code']) == ('failed', 'DOCKER_PULL_ERROR')
    assert entry['message'] == ('Pulling mcr.microsoft.com/mcr/hello-world:latest timed out '
                                'after 1 s.')


def _client(path):
    from azext_acrhealth.checks.base import CheckResult
    return CheckResult('docker.client.found', {'path': path, 'command': 'docker',
                                               'source': 'PATH'})


def test_on_macos_the_process_group_is_killed(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'darwin')
    pidfile = tmp_path / 'grandchild.pid'
    result = run_process([sys.executable, '-c', TREE, str(pidfile)], timeout=1.0)
    assert result.timed_out
    assert _wait_dead(int(pidfile.read_text()))


def test_on_macos_a_group_killpg_refuses_still_ends_the_child(tmp_path, monkeypatch):
    # macOS answers EPERM to killpg for a group whose leader is a zombie.
    monkeypatch.setattr(sys, 'platform', 'darwin')

    def refused(_pid, _signal):
        raise PermissionError(1, 'Operation not permitted')
    monkeypatch.setattr(os, 'killpg', refused)
    started = time.monotonic()
    result = run_process([sys.executable, '-c', 'import time; time.sleep(300)'], timeout=0.5)
    assert result.timed_out and result.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 3


def test_docker_reads_the_user_profile_on_windows_never_home():
    environ = {'USERPROFILE': 'C:\\Users\\me', 'HOME': '/c/Users/me'}  # HOME: Git Bash's
    files = config_files(environ, platform='win32')
    assert files[0] == ('docker', os.path.join('C:\\Users\\me', '.docker', 'config.json'))
    assert files[1] == ('podman', os.path.join('C:\\Users\\me', '.config', 'containers',
                                               'auth.json'))


def test_podman_on_macos_reads_its_config_dir_and_on_linux_the_runtime_dir():
    mac = config_files({'HOME': '/Users/me', 'XDG_RUNTIME_DIR': '/run/x'}, platform='darwin')
    assert mac == [('docker', '/Users/me/.docker/config.json'),
                   ('podman', '/Users/me/.config/containers/auth.json')]
    linux = config_files({'HOME': '/home/me', 'XDG_RUNTIME_DIR': '/run/user/1000'},
                         platform='linux')
    assert linux == [('docker', '/home/me/.docker/config.json'),
                     ('podman', '/run/user/1000/containers/auth.json')]
    given = config_files({'HOME': '/h', 'DOCKER_CONFIG': '/d', 'REGISTRY_AUTH_FILE': '/a.json'},
                         platform='darwin')
    assert given == [('docker', '/d/config.json'), ('podman', '/a.json')]


def test_the_default_platform_is_this_one(monkeypatch):
    monkeypatch.setattr(sys, 'platform', 'win32')
    assert config_files({'USERPROFILE': 'P'})[0][1].startswith('P')


# ---- executables Windows would find in the current directory ----------------------------------
# Windows' search (and shutil.which there) looks in the current directory first: a cloned
# repository could plant notary.exe or docker-credential-desktop.exe. Like docker and helm, they
# are refused there and never run.

def test_a_notary_in_the_current_directory_is_refused_and_not_run(tmp_path):
    from azext_acrhealth.checks.tools import check_notary
    planted = tmp_path / 'notary.exe'
    ctx, processes = make_ctx(tools={'notary': str(planted)}, cwd=str(tmp_path))
    result = check_notary(ctx, {})
    entry = report.check_entry(type('Check', (), {'id': 'notary', 'title': 'Notary',
                                                  'code': 'NOTARY_VERSION_ERROR'}), result)
    assert (entry['status'], entry['code']) == ('warning', 'NOTARY_VERSION_ERROR')
    assert entry['message'] == (f'Refusing to use {planted}: it is in the current directory '
                                f'({tmp_path}), where a cloned repository could have planted it.')
    assert processes.calls == []


def test_a_credential_helper_in_the_current_directory_is_refused_and_not_run(tmp_path):
    import json
    from azext_acrhealth.checks.base import CheckResult
    from azext_acrhealth.checks.credentials import check_docker_credentials
    (tmp_path / '.docker').mkdir()
    (tmp_path / '.docker' / 'config.json').write_text(json.dumps({'credsStore': 'desktop'}))
    planted = tmp_path / 'docker-credential-desktop.exe'
    ctx, processes = make_ctx(tools={'docker-credential-desktop': str(planted)},
                              cwd=str(tmp_path), environ={'HOME': str(tmp_path)})
    login = {'login-server': CheckResult('registry.login_server.arm',
                                         {'loginServer': 'r.azurecr.io', 'name': 'r'})}
    result = check_docker_credentials(ctx, login)
    assert result.finding == 'credentials.helper_in_cwd', result
    entry = report.check_entry(type('Check', (), {'id': 'docker-credentials',
                                                  'title': 'Docker credentials',
                                                  'code': 'DOCKER_CREDENTIALS_ERROR'}), result)
    assert (entry['status'], entry['code']) == ('warning', 'DOCKER_CREDENTIALS_ERROR')
    assert entry['message'].startswith(f'Refusing to run {planted} (the credential helper ')
    assert processes.calls == []
