# acrhealth (MIT licence). End-to-end fixtures: the built wheel, installed with the real
# `az extension add` into a throw-away config and extension directory, and a runner for `az`.
"""Every run is the real ``az`` in a subprocess with a timeout, stdin from /dev/null unless a
test gives it a terminal, a PATH holding only the tools a test exposes, and a DOCKER_HOST that
points nowhere (no test talks to a real daemon)."""

import datetime
import glob
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
AZ = Path(sys.executable).parent / 'az'
RUN_TIMEOUT = 60
EXTENSION_NOTICE = 'altered by the following extension: acrhealth'


def seed_config_dir(config_dir):
    """A config dir whose version cache is fresh: no run makes the network version check."""
    config_dir.mkdir(parents=True, exist_ok=True)
    from importlib.metadata import version
    now = str(datetime.datetime.now())
    versions = {name: {'local': version(dist), 'latest': version(dist)} for name, dist in
                (('azure-cli', 'azure-cli'), ('core', 'azure-cli-core'),
                 ('telemetry', 'azure-cli-telemetry'))}
    (config_dir / 'versionCheck.json').write_text(json.dumps(
        {'versions': versions, 'update_time': now, 'check_time': now}))
    (config_dir / 'config').write_text('[core]\ncollect_telemetry = false\nno_color = true\n'
                                       'survey_message = false\n[auto-upgrade]\nenable = no\n')
    return config_dir


class Result:
    def __init__(self, proc, seconds):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.seconds = seconds

    def json(self):
        return json.loads(self.stdout)

    def checks(self):
        return {check['id']: check for check in self.json()['checks']}

    def error_lines(self):
        return [line for line in self.stderr.splitlines() if line.startswith('ERROR:')]

    def __repr__(self):
        return 'exit {} in {:.1f} s\n--- stdout\n{}\n--- stderr\n{}'.format(
            self.returncode, self.seconds, self.stdout, self.stderr)


class AzHome:
    """An installed extension and the environment to run `az` with it."""

    def __init__(self, root, config_dir, extension_dir):
        self.root = root
        self.config_dir = config_dir
        self.extension_dir = extension_dir
        self.empty_bin = root / 'empty-bin'
        self.empty_bin.mkdir(exist_ok=True)

    def env(self, bin_dir=None, config_dir=None, **extra):
        env = {
            'PATH': str(bin_dir or self.empty_bin),
            'HOME': str(self.root / 'home'),
            'LANG': 'C.UTF-8',
            'AZURE_CONFIG_DIR': str(config_dir or self.config_dir),
            'AZURE_EXTENSION_DIR': str(self.extension_dir),
            'AZURE_CORE_COLLECT_TELEMETRY': 'false',
            'AZURE_CORE_NO_COLOR': 'true',
            'DOCKER_HOST': 'unix://{}/no-daemon/docker.sock'.format(self.root),
            'DOCKER_CONFIG': str(self.root / 'docker-config'),
        }
        env.update({key: str(value) for key, value in extra.items()})
        return env

    def run(self, *args, bin_dir=None, config_dir=None, timeout=RUN_TIMEOUT, **extra):
        """`az <args>` with stdin from /dev/null."""
        started = time.monotonic()
        proc = subprocess.run([str(AZ)] + list(args), stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=timeout, cwd=str(self.root),
                              env=self.env(bin_dir, config_dir, **extra))
        return Result(proc, time.monotonic() - started)

    def run_on_terminal(self, *args, answer, bin_dir=None, timeout=RUN_TIMEOUT):
        """`az <args>` with a pseudo-terminal on stdin, typing ``answer`` (stdout and stderr
        stay pipes, so the report and the prompt can be read apart)."""
        master, slave = pty.openpty()
        started = time.monotonic()
        proc = subprocess.Popen([str(AZ)] + list(args), stdin=slave, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, cwd=str(self.root),
                                env=self.env(bin_dir), start_new_session=True)
        os.close(slave)
        try:
            os.write(master, answer.encode())  # the terminal buffers it until az reads it
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            while select.select([master], [], [], 0)[0]:  # drain the echo
                try:
                    if not os.read(master, 4096):
                        break
                except OSError:
                    break
            os.close(master)
        return Result(subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr),
                      time.monotonic() - started)


@pytest.fixture(scope='session')
def wheel():
    """$ACRHEALTH_WHEEL (what `make test` passes), else the wheel `make wheel` builds."""
    given = os.environ.get('ACRHEALTH_WHEEL')
    if given:
        assert Path(given).is_file(), 'ACRHEALTH_WHEEL={} does not exist'.format(given)
        return Path(given)
    proc = subprocess.run(['make', 'wheel'], cwd=str(REPO), stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = sorted(glob.glob(str(REPO / 'dist' / 'acrhealth-*-py3-none-any.whl')))
    assert len(wheels) == 1, wheels
    return Path(wheels[0])


@pytest.fixture(scope='session')
def ext(lab, wheel):
    """The extension installed in the lab (its extension dir, for lab.run)."""
    return lab.install_extension(wheel)


def check_health(lab, ext, registry, *extra, output='json', env=None, debug=False):
    """Our `az acr check-health` on a lab registry: every check (--ignore-errors), no prompt,
    5 s a call."""
    argv = ['az', 'acr', 'check-health', '-n', registry, '--yes', '--ignore-errors', '--timeout',
            '5', '-o', output] + list(extra) + (['--debug'] if debug else [])
    return lab.run(argv, extension_dir=ext, env=env, timeout=120)


def registry_path(plan):
    """The ids of the registry path in ``plan``: from the login server, each the first check
    in plan order whose first prerequisite is the one before (login server, DNS, challenge,
    refresh token, access token), so a check added beside the path does not join it."""
    path = [plan[0].id]
    for check in plan[1:]:
        if check.requires[:1] == (path[-1],):
            path.append(check.id)
    return path


def report_checks(result):
    """The checks of a run's JSON report, by id."""
    return {check['id']: check for check in json.loads(result.stdout)['checks']}


@pytest.fixture(scope='session')
def az(tmp_path_factory, wheel):
    """The extension installed with the real `az extension add --source <wheel> --yes`."""
    root = tmp_path_factory.mktemp('azhome')
    (root / 'home').mkdir()
    home = AzHome(root, seed_config_dir(root / 'config'), root / 'extensions')
    proc = home.run('extension', 'add', '--source', str(wheel), '--yes', timeout=180)
    assert proc.returncode == 0, proc
    listed = home.run('extension', 'list', '-o', 'json')
    assert [e['name'] for e in listed.json()] == ['acrhealth'], listed
    assert (home.extension_dir / 'acrhealth' / 'azext_acrhealth' / '__init__.py').is_file()
    return home


# ---- stand-in executables -----------------------------------------------------------------

DOCKER_CLIENT = 'Docker version 28.2.2, build e6534b4'
DOCKER_SERVER_JSON = ('{"Client":{"Version":"28.2.2","ApiVersion":"1.50"},'
                      '"Server":{"Version":"28.2.2","ApiVersion":"1.50","Os":"linux"}}')
PULLED = ('echo "latest: Pulling from mcr/hello-world"; echo "Digest: sha256:92c7f9c9"; '
          'echo "Status: Downloaded newer image for mcr.microsoft.com/mcr/hello-world:latest"')


class Tools:
    """A bin directory holding only the executables a test exposes."""

    def __init__(self, path):
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def link(self, name, target):
        os.symlink(target, str(self.path / name))
        return self

    def script(self, name, body):
        exe = self.path / name
        exe.write_text('#!/bin/sh\necho "$*" >> "{log}"\n{body}\n'.format(
            log=self.path / (name + '.calls'), body=body))
        exe.chmod(0o755)
        return self

    def calls(self, name):
        log = self.path / (name + '.calls')
        return log.read_text().splitlines() if log.exists() else []

    def docker(self, pull=PULLED, server=DOCKER_SERVER_JSON, daemon_error=None):
        """A Docker client; with ``daemon_error``, one whose daemon is down (`docker version`
        says so on stderr and exits 1)."""
        version = f'echo "{daemon_error}" >&2; exit 1' if daemon_error else f"echo '{server}'"
        return self.script('docker', '\n'.join([
            'case "$1" in',
            '  --version) echo "{}" ;;'.format(DOCKER_CLIENT),
            f"  version) {version} ;;",
            '  pull) {} ;;'.format(pull),
            '  *) echo "unexpected docker $*" >&2; exit 64 ;;',
            'esac']))

    def helm(self, output):
        return self.script('helm', "printf '%s\\n' '{}'".format(output))

    def notary(self, version):
        return self.script('notary', "printf 'notary\\n Version:    {}\\n Git commit: abc\\n'"
                           .format(version))


@pytest.fixture
def tools(tmp_path):
    return Tools(tmp_path / 'bin')


def real_docker():
    for candidate in ('/usr/local/bin/docker', '/usr/bin/docker'):
        if os.access(candidate, os.X_OK):
            return candidate
    return shutil.which('docker')
