# acrhealth (MIT licence). The lab controller: start, use and stop the hermetic fake Azure cloud.
"""`Lab` starts the namespace process (inside.py), logs the Azure CLI in to the lab clouds once,
and runs commands inside the lab's network and mount namespace with the lab's environment.

    with Lab() as lab:
        lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes'])

Nothing runs outside loopback; the user's ~/.azure, ~/.docker and network are never touched.
"""
import atexit
import ctypes
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from . import scenarios as S
from .fakeazure import read_log

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.join(REPO, '.venv', 'bin')
VENV_PYTHON = os.path.join(VENV_BIN, 'python')
START_TIMEOUT = 60
# Outer variables that must not leak into the lab (they would point az, requests or docker elsewhere).
SCRUBBED_PREFIXES = ('AZURE_', 'AZ_', 'DOCKER_', 'ACRHEALTH_')
SCRUBBED = {'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE', 'SSL_CERT_FILE', 'SSL_CERT_DIR', 'HTTP_PROXY', 'HTTPS_PROXY',
            'ALL_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'all_proxy', 'no_proxy', 'PYTHONPATH',
            'MSI_ENDPOINT', 'IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'ACC_CLOUD',
            # A CI runner's: a run in the lab is never a pipeline step unless a test says so.
            'GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'TF_BUILD', 'AGENT_TEMPDIRECTORY'}

_libc = ctypes.CDLL('libc.so.6', use_errno=True)


class LabUnavailable(Exception):
    """This machine cannot run the lab; the message says exactly why."""


def preflight():
    """None when the lab can run here, else the reason it cannot."""
    missing = [tool for tool in ('unshare', 'nsenter', 'ip', 'mount', 'dockerd', 'docker-registry', 'tar',
                                 'dnsmasq')
               if shutil.which(tool) is None and not os.path.exists('/usr/sbin/' + tool)]
    if missing:
        return ('the lab needs {} on PATH (Debian packages util-linux, iproute2, docker.io, docker-registry, '
                'dnsmasq-base)').format(', '.join(missing))
    if not os.path.exists('/usr/bin/docker') and shutil.which('docker') is None:
        return 'the lab needs a docker client (Debian package docker.io)'
    if not os.path.exists(VENV_PYTHON):
        return 'the lab needs the repository virtualenv at {}'.format(VENV_PYTHON)
    if os.geteuid() != 0:
        probe = subprocess.run(['unshare', '-r', '-n', '-m', 'true'], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, timeout=10)
        if probe.returncode != 0:
            return ('the lab needs root or unprivileged user namespaces; `unshare -r -n -m true` failed: '
                    + probe.stderr.strip())
    return None


def _pdeathsig(sig):
    def preexec():
        _libc.prctl(1, int(sig), 0, 0, 0)  # PR_SET_PDEATHSIG: die with the lab controller
    return preexec


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class Lab:
    """A running lab. Use as a context manager, or call start() and stop()."""

    scenarios = S.SCENARIOS      # the scenario table (scenarios.Scenario rows)
    hostile = S.HOSTILE          # hostile mode: one registry per way a server misbehaves (scenarios.Hostile rows)
    clouds = S.CLOUDS            # fixture cloud key -> registered cloud name
    facts = S                    # tenant, subscription, SP, host names, ACR suffix ...

    def __init__(self, latency_ms=None, keep=None):
        self.latency_ms = latency_ms if latency_ms is not None else float(
            os.environ.get('ACRHEALTH_LAB_LATENCY_MS') or 0)
        self.keep = keep if keep is not None else os.environ.get('ACRHEALTH_LAB_KEEP') == '1'
        self.state_dir = None
        self.info = {}
        self._proc = None
        self._lock = threading.Lock()
        self._config_dirs = {}
        self._extensions = {}
        self.startup_seconds = None
        self.login_seconds = None

    # -- life cycle ---------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        reason = preflight()
        if reason:
            raise LabUnavailable(reason)
        t0 = time.monotonic()
        self.state_dir = tempfile.mkdtemp(prefix='acrhealth-lab-')
        os.chmod(self.state_dir, 0o755)
        atexit.register(self.stop)
        env = self._scrubbed_environ()
        env['ACRHEALTH_LAB_LATENCY_MS'] = str(self.latency_ms)
        argv = ['unshare'] + ([] if os.geteuid() == 0 else ['-r']) + [
            '-n', '-m', '--fork', '--kill-child=SIGTERM', '--', VENV_PYTHON, '-m', 'tests.lab.inside', self.state_dir]
        log = open(os.path.join(self.state_dir, 'inside.log'), 'wb')
        self._proc = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                      stderr=subprocess.STDOUT,
                                      # unshare --fork ignores SIGTERM while it waits; SIGKILL it, and its
                                      # --kill-child then sends SIGTERM to the namespace process, which cleans up.
                                      preexec_fn=_pdeathsig(signal.SIGKILL))
        log.close()
        try:
            self._wait_ready(t0)
            self.startup_seconds = round(time.monotonic() - t0, 2)
            t1 = time.monotonic()
            self._login_all()
            self.login_seconds = round(time.monotonic() - t1, 2)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self, t0):
        ready = os.path.join(self.state_dir, 'lab.json')
        failed = os.path.join(self.state_dir, 'failed')
        while time.monotonic() - t0 < START_TIMEOUT:
            if os.path.exists(ready):
                with open(ready) as f:
                    self.info = json.load(f)
                return
            if os.path.exists(failed) or self._proc.poll() is not None:
                time.sleep(0.2)
                raise RuntimeError('the lab did not start:\n' + self._tail('inside.log'))
            time.sleep(0.05)
        raise RuntimeError('the lab did not start within {}s:\n{}'.format(START_TIMEOUT, self._tail('inside.log')))

    def _tail(self, name, lines=40):
        try:
            with open(os.path.join(self.state_dir, name), errors='replace') as f:
                return ''.join(f.readlines()[-lines:])
        except OSError as e:
            return str(e)

    def stop(self):
        """Stop everything the lab started (idempotent) and remove its state unless kept."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                pid = self.info.get('pid')
                try:
                    os.kill(pid, signal.SIGTERM) if pid else proc.terminate()
                except ProcessLookupError:
                    pass
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()  # --kill-child takes the namespace process with it
                    proc.wait(timeout=10)
        try:
            atexit.unregister(self.stop)
        except Exception:  # pragma: no cover - interpreter shutting down
            pass
        if self.state_dir and not self.keep:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    @property
    def running(self):
        return self._proc is not None and self._proc.poll() is None

    # -- facts --------------------------------------------------------------------------------
    @property
    def pid(self):
        return self.info['pid']

    @property
    def ca_bundle(self):
        return self.info['ca_bundle']

    @property
    def docker_host(self):
        return self.info['docker_host']

    @property
    def hosts(self):
        return dict(self.info['hosts'])

    def scenario(self, name):
        return S.scenario(name)

    def scenario_env(self, sc):
        """A scenario's environment overrides with '{state}' filled in."""
        return {k: v.format(state=self.state_dir) for k, v in sc.env}

    # -- request log and tokens ---------------------------------------------------------------
    def requests(self):
        """Every request the fake Azure saw since the last clear_requests(), oldest first."""
        return read_log(os.path.join(self.state_dir, 'requests.jsonl'))

    def clear_requests(self):
        with open(os.path.join(self.state_dir, 'requests.jsonl'), 'w'):
            pass

    def issued_tokens(self):
        """Every token value the lab issued (AAD, ACR refresh and access tokens), for leak tests."""
        try:
            with open(os.path.join(self.state_dir, 'issued-tokens.txt')) as f:
                return [line.strip() for line in f if line.strip()]
        except FileNotFoundError:
            return []

    # -- environment and commands -------------------------------------------------------------
    @staticmethod
    def _scrubbed_environ():
        return {k: v for k, v in os.environ.items()
                if k not in SCRUBBED and not k.startswith(SCRUBBED_PREFIXES)}

    def _config_dir(self, cloud, extension_dir):
        """The AZURE_CONFIG_DIR for CLOUD; each extension dir gets its own copy of the logged-in
        config, so the CLI's command index never mixes runs with and without an extension."""
        if cloud not in S.CLOUDS:
            raise ValueError('unknown lab cloud {!r}; known: {}'.format(cloud, ', '.join(S.CLOUDS)))
        base = os.path.join(self.state_dir, 'az', cloud)
        if extension_dir is None:
            return base
        key = (cloud, os.path.abspath(extension_dir))
        with self._lock:
            if key not in self._config_dirs:
                digest = hashlib.sha256(key[1].encode()).hexdigest()[:10]
                path = os.path.join(self.state_dir, 'az', '{}-ext-{}'.format(cloud, digest))
                if not os.path.exists(path):
                    shutil.copytree(base, path, ignore=shutil.ignore_patterns('commandIndex.json', 'logs'))
                self._config_dirs[key] = path
            return self._config_dirs[key]

    def env(self, *, cloud='lab', extension_dir=None, env=None):
        """The environment a command gets inside the lab."""
        e = self._scrubbed_environ()
        no_ext = os.path.join(self.state_dir, 'extensions', 'none')
        home = os.path.join(self.state_dir, 'home')
        for d in (no_ext, home):
            os.makedirs(d, exist_ok=True)
        e.update({
            'HOME': home,  # nothing in the lab writes to the user's home (pip cache, ~/.docker, ~/.azure)
            'PATH': VENV_BIN + os.pathsep + os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin'),
            'AZURE_CONFIG_DIR': self._config_dir(cloud, extension_dir),
            'AZURE_EXTENSION_DIR': os.path.abspath(extension_dir) if extension_dir else no_ext,
            'REQUESTS_CA_BUNDLE': self.ca_bundle,
            'DOCKER_HOST': self.docker_host,
            'DOCKER_CONFIG': self.info['docker_config'],
            'AZURE_CORE_COLLECT_TELEMETRY': 'false',
            'AZURE_CORE_DISABLE_CONFIRM_PROMPT': 'true',
            'AZURE_CORE_NO_COLOR': 'true',
            'AZURE_CORE_SURVEY_MESSAGE': 'false',
            'AZURE_EXTENSION_USE_DYNAMIC_INSTALL': 'no',
            # There is no package index in the lab: fail at once instead of retrying a dead network.
            'PIP_NO_INDEX': '1', 'PIP_NO_CACHE_DIR': '1', 'PIP_DISABLE_PIP_VERSION_CHECK': '1',
            'ACRHEALTH_LAB_STATE': self.state_dir,
            'ACRHEALTH_LAB_CLOUD': S.CLOUDS[cloud],
            'PYTHONUNBUFFERED': '1',
        })
        if env:
            e.update(env)
        return e

    def popen(self, argv, *, extension_dir=None, cloud='lab', env=None, die_with_caller=False, **kwargs):
        """Start ARGV inside the lab in a session of its own; kwargs go to subprocess.Popen.
        DIE_WITH_CALLER: SIGKILL it when the calling *thread* ends (PR_SET_PDEATHSIG)."""
        if not self.running:
            raise RuntimeError('the lab is not running' + (
                ':\n' + self._tail('inside.log') if self.state_dir and os.path.isdir(self.state_dir) else ''))
        full = ['nsenter', '-t', str(self.pid), '-n', '-m', '--'] + list(argv)
        return subprocess.Popen(full, env=self.env(cloud=cloud, extension_dir=extension_dir, env=env),
                                start_new_session=True,
                                preexec_fn=_pdeathsig(signal.SIGKILL) if die_with_caller else None, **kwargs)

    def run(self, argv, *, extension_dir=None, cloud='lab', env=None, timeout=60, input=None):
        """Run ARGV inside the lab; a CompletedProcess (text). On timeout the whole process group is
        killed and subprocess.TimeoutExpired is raised with what it had printed."""
        proc = self.popen(argv, extension_dir=extension_dir, cloud=cloud, env=env, text=True, die_with_caller=True,
                          stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = proc.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            out, err = proc.communicate(timeout=10)
            raise subprocess.TimeoutExpired(list(argv), timeout, output=out, stderr=err) from None
        except BaseException:
            _kill_group(proc)
            proc.wait(timeout=10)
            raise
        _kill_group(proc)  # nothing it started may outlive it
        return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)

    def check(self, argv, **kwargs):
        """run() that raises RuntimeError with the output when the command fails."""
        r = self.run(argv, **kwargs)
        if r.returncode != 0:
            raise RuntimeError('{} exited {}:\n{}\n{}'.format(' '.join(argv), r.returncode, r.stdout, r.stderr))
        return r

    # -- Azure CLI set-up ---------------------------------------------------------------------
    def _login_all(self):
        errors = []

        def one(cloud):
            try:
                self._login(cloud)
            except BaseException as e:  # reported below, from the main thread
                errors.append(e)
        threads = [threading.Thread(target=one, args=(c,)) for c in S.CLOUDS]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        if errors:
            raise errors[0]

    def _login(self, cloud):
        config = self._config_dir(cloud, None)
        os.makedirs(config, exist_ok=True)
        # The CLI's "is there a newer version" check would go to the internet: say it just ran and
        # found nothing newer than what is installed.
        from importlib.metadata import version, PackageNotFoundError
        now = time.strftime('%Y-%m-%d %H:%M:%S.000000')
        versions = {}
        for name, dist in (('azure-cli', 'azure-cli'), ('core', 'azure-cli-core'),
                           ('telemetry', 'azure-cli-telemetry')):
            try:
                versions[name] = {'local': version(dist), 'latest': version(dist)}
            except PackageNotFoundError:
                pass
        with open(os.path.join(config, 'versionCheck.json'), 'w') as f:
            json.dump({'versions': versions, 'update_time': now, 'check_time': now}, f)
        arm = S.ARM_HOST if cloud == 'lab' else S.ARM_HOST_NOSUFFIX
        register = ['az', 'cloud', 'register', '--name', S.CLOUDS[cloud],
                    '--endpoint-resource-manager', 'https://{}/'.format(arm), '--only-show-errors']
        if cloud == 'lab':
            register += ['--suffix-acr-login-server-endpoint', S.ACR_SUFFIX]
        self.check(register, cloud=cloud)
        self.check(['az', 'cloud', 'set', '--name', S.CLOUDS[cloud], '--only-show-errors'], cloud=cloud)
        self.check(['az', 'config', 'set', 'core.instance_discovery=false', '--only-show-errors'], cloud=cloud)
        self.check(self.login_argv(), cloud=cloud, timeout=60)

    @staticmethod
    def login_argv(secret=S.SP_SECRET):
        return ['az', 'login', '--service-principal', '-u', S.SP_APP_ID, '-p', secret,
                '--tenant', S.TENANT_ID, '--only-show-errors', '-o', 'none']

    def install_extension(self, wheel_path):
        """Install the extension from WHEEL_PATH into an extension dir of its own (cached by the
        wheel's content) and return that dir, for run(extension_dir=...)."""
        with open(wheel_path, 'rb') as f:
            digest = hashlib.sha256(f.read()).hexdigest()[:16]
        with self._lock:
            if digest in self._extensions:
                return self._extensions[digest]
        ext_dir = os.path.join(self.state_dir, 'extensions', digest)
        os.makedirs(ext_dir, exist_ok=True)
        self.check(['az', 'extension', 'add', '--source', os.path.abspath(wheel_path), '--yes'],
                   extension_dir=ext_dir, timeout=180)
        with self._lock:
            self._extensions[digest] = ext_dir
        return ext_dir


def install_signal_handlers():
    """Turn SIGTERM/SIGHUP into SystemExit so `finally:` blocks stop the lab (scripts only)."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, handler)


if __name__ == '__main__':  # pragma: no cover - `python -m tests.lab.lab` prints the lab's facts
    with Lab() as _lab:
        print(json.dumps(dict(_lab.info, startup_seconds=_lab.startup_seconds,
                              login_seconds=_lab.login_seconds), indent=1))
        sys.exit(0)
