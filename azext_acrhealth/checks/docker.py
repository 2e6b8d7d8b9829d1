# acrhealth (MIT licence). The Docker checks: the client, its daemon, its version, a sample pull.
"""Docker (or Podman, as the Azure CLI allows) as ``az acr login`` and ``docker pull`` use it.
Each check returns a CheckResult naming a finding and its facts."""

import os
import re

from .. import catalogue
from ..catalogue import FAILED, Finding, PASSED, SKIPPED, WARNING
from .base import Check, CheckResult, PULL_ALLOWED, PULL_DECLINED, given_seconds
from .._oci import json_object
from .._clients import docker_candidates, find_client
from .._text import error_line, first_line, output_lines

SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'


# ---- parsers -------------------------------------------------------------------------------

def parse_docker_client_version(output):
    """'Docker version 20.10.24+dfsg1, build 297e128' -> '20.10.24+dfsg1', 'podman version
    4.3.1' -> '4.3.1' (None if absent)."""
    match = re.search(r'(?:Docker|podman) version\s+([^\s,]+)', output or '', re.IGNORECASE)
    return match.group(1) if match else None


def _version_part(output, part):
    """The ``part`` object ('Client', 'Server') of `docker version --format '{{json .}}'`
    output (its first JSON line), or None."""
    for line in (output or '').splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        data, _ = json_object(line)
        value = data.get(part) if data else None
        return value if isinstance(value, dict) else None
    return None


def parse_docker_server_version(output):
    """Server version from `docker version --format '{{json .}}'` output, or None."""
    server = _version_part(output, 'Server')
    if server is None:
        return None
    version = server.get('Version')
    if not version:
        engine = [c for c in server.get('Components') or []
                  if isinstance(c, dict) and c.get('Name') == 'Engine']
        version = engine[0].get('Version') if engine else None
    return version or None


_CLIENT_VERSION = re.compile(r'[^\s,]{1,64}')


def parse_docker_client_version_json(output):
    """Client version from `docker version --format '{{json .}}'` output (Docker and Podman
    print it whether or not a server answered), or None: the same client's own word as
    `docker --version`."""
    client = _version_part(output, 'Client')
    version = client.get('Version') if client else None
    return version if isinstance(version, str) and _CLIENT_VERSION.fullmatch(version) else None


# What a Windows-containers daemon says of the (Linux) sample image.
WRONG_OS = 'cannot be used on this platform'
_PLATFORM_NOTE = re.compile(r'platform \(([^)]+)\) does not match[^\n]*?platform \(([^)]+)\)')


def parse_pull_platform_note(output):
    """'linux/arm64 image on linux/amd64' when docker warns of a platform mismatch."""
    match = _PLATFORM_NOTE.search(output or '')
    if not match:
        return None
    return f'{match.group(1)} image on {match.group(2)}'


# ---- checks --------------------------------------------------------------------------------

def _docker(results):
    return results['docker-client'].facts['path']


def _is_podman(path):
    return os.path.basename(path).lower().startswith('podman')


def check_docker_client(ctx, _results):
    command = (ctx.environ.get('DOCKER_COMMAND') or '').strip()
    name, path, refused = find_client(ctx, docker_candidates(ctx.environ))
    if not path:
        if command:
            return CheckResult('docker.client.command_missing', {'command': command})
        return CheckResult('docker.client.missing')
    facts = {'path': path, 'command': name,
             'source': 'DOCKER_COMMAND' if command else 'PATH'}
    if refused:
        return CheckResult('docker.client.in_cwd', dict(facts, cwd=ctx.cwd))
    if command:
        return CheckResult('docker.client.from_env', facts)
    if _is_podman(path):
        return CheckResult('docker.client.podman', facts)
    return CheckResult('docker.client.found', facts)


def check_docker_daemon(ctx, results):
    path = _docker(results)
    proc = ctx.run_process([path, 'version', '--format', '{{json .}}'], ctx.timeout)
    if proc.timed_out:
        return CheckResult('docker.daemon.timeout', {'seconds': given_seconds(proc, ctx)})
    # The client's version, which the version check then need not ask again.
    known = {'clientVersion': parse_docker_client_version_json(proc.stdout)}
    server = parse_docker_server_version(proc.stdout)
    if proc.returncode == 0 and server:
        return CheckResult('docker.daemon.running', {'serverVersion': server}, data=known)
    if proc.returncode == 0 and _is_podman(path):
        # Podman runs containers without a daemon: its version answers with a client only.
        return CheckResult('docker.daemon.podman', {'path': path}, data=known)
    error = error_line(proc.stderr) or first_line(proc.stdout) or \
        f'exit code {proc.returncode}'
    return CheckResult('docker.daemon.unreachable', {'error': error}, data=known)


def check_docker_version(ctx, results):
    daemon = results.get('docker-daemon')
    client = (daemon.data or {}).get('clientVersion') if daemon else None
    if not client:  # not in what the daemon check read: the client's own `--version`
        proc = ctx.run_process([_docker(results), '--version'], ctx.timeout)
        client = parse_docker_client_version(proc.stdout)
        if proc.timed_out or proc.returncode != 0 or not client:
            error = (f'timed out after {given_seconds(proc, ctx)} s' if proc.timed_out
                     else error_line(proc.stderr) or first_line(proc.stdout) or
                     f'exit code {proc.returncode}')
            return CheckResult('docker.version.failed', {'error': error})
    server = daemon.facts.get('serverVersion') if daemon and daemon.passed else None
    return CheckResult('docker.version.found',
                       {'clientVersion': client, 'serverVersion': server or 'unknown'})


def check_docker_pull(ctx, results):  # pylint: disable=too-many-return-statements  # a check: one return per finding
    facts = {'image': SAMPLE_IMAGE}
    if ctx.pull_consent == PULL_DECLINED:
        return CheckResult('docker.pull.declined', facts)
    if ctx.pull_consent != PULL_ALLOWED:
        return CheckResult('docker.pull.no_terminal', facts)
    proc = ctx.run_process([_docker(results), 'pull', SAMPLE_IMAGE], ctx.timeout)
    if proc.timed_out:
        return CheckResult('docker.pull.timeout', dict(facts, seconds=given_seconds(proc, ctx)))
    output = f"{proc.stdout}\n{proc.stderr}"
    if proc.returncode != 0 and WRONG_OS in proc.stderr:
        # A Windows-containers daemon pulled the Linux image and refuses to use it: the daemon
        # and the pull path are healthy (the Azure CLI counts this as a pass too).
        return CheckResult('docker.pull.other_os', dict(facts, note=_daemon_error_line(
            proc.stderr)))
    if proc.returncode != 0:
        return CheckResult('docker.pull.failed', dict(
            facts, error=_daemon_error_line(proc.stderr) or f'exit code {proc.returncode}'))
    note = parse_pull_platform_note(output)
    if note:
        return CheckResult('docker.pull.platform_mismatch', dict(facts, note=note))
    return CheckResult('docker.pull.pulled', facts)


def _daemon_error_line(stderr):
    """The daemon's own error line (docker prints 'Error response from daemon: ...'), else
    the first error that is not a warning."""
    lines = output_lines(stderr)
    for line in lines:
        if line.startswith('Error response from daemon'):
            return line[:300]
    for line in lines:
        if 'error' in line.lower() and not line.upper().startswith('WARNING'):
            return line[:300]
    return error_line(stderr)


def docker_plan():
    """The Docker checks, in plan order."""
    return [
        Check('docker-client', 'Docker client', 'DOCKER_COMMAND_ERROR', check_docker_client,
              budget=0),
        Check('docker-daemon', 'Docker daemon', 'DOCKER_DAEMON_ERROR', check_docker_daemon,
              requires=('docker-client',)),
        Check('docker-version', 'Docker version', 'DOCKER_VERSION_ERROR', check_docker_version,
              requires=('docker-client',), after=('docker-daemon',)),
        # docker-client too: a check sees only the results it names, and the pull needs its path.
        Check('docker-pull', 'Docker pull', 'DOCKER_PULL_ERROR', check_docker_pull,
              requires=('docker-client', 'docker-daemon')),
    ]


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Docker.
    'docker.client.found': Finding(PASSED, None, 'Docker client found: {path}.'),
    'docker.client.podman': Finding(
        PASSED, None, 'Podman (used as the Docker client) found: {path}; there is no docker.'),
    'docker.client.from_env': Finding(
        PASSED, None, 'Docker client found: {path}, named by DOCKER_COMMAND.'),
    'docker.client.command_missing': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'DOCKER_COMMAND names {command}, which is not an executable on PATH or at that path.'),
    'docker.client.in_cwd': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it. Set DOCKER_COMMAND to the absolute path of the '
        'trusted client.'),
    'docker.client.missing': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'No `docker` (or `podman`) executable found on PATH.'),
    'docker.daemon.running': Finding(
        PASSED, None, 'Docker daemon is running (server {serverVersion}).'),
    'docker.daemon.podman': Finding(
        PASSED, None, 'Podman runs containers without a daemon; `{path} version` answered.'),
    'docker.daemon.unreachable': Finding(
        FAILED, 'DOCKER_DAEMON_ERROR', 'The Docker daemon is not reachable: {error}'),
    'docker.daemon.timeout': Finding(
        FAILED, 'DOCKER_DAEMON_ERROR', 'The Docker daemon did not answer within {seconds} s.'),
    'docker.version.found': Finding(
        PASSED, None, 'Docker client {clientVersion}, server {serverVersion}.'),
    'docker.version.failed': Finding(
        FAILED, 'DOCKER_VERSION_ERROR', '`docker --version` did not report a version: {error}'),
    'docker.pull.pulled': Finding(PASSED, None, 'Pulled {image}.'),
    'docker.pull.platform_mismatch': Finding(
        PASSED, None, 'Pulled {image}; note: it is not built for this platform ({note}).'),
    'docker.pull.other_os': Finding(
        PASSED, None, 'Pulled {image}; note: this daemon runs containers of another operating '
                      'system and cannot run it ({note}).'),
    'docker.pull.failed': Finding(
        FAILED, 'DOCKER_PULL_ERROR', 'Pulling {image} failed: {error}'),
    'docker.pull.timeout': Finding(
        FAILED, 'DOCKER_PULL_ERROR', 'Pulling {image} timed out after {seconds} s.'),
    'docker.pull.declined': Finding(
        SKIPPED, None, 'You chose not to pull {image}.'),
    'docker.pull.no_terminal': Finding(
        SKIPPED, None, 'Pulling {image} needs confirmation and there is no terminal to '
                       'ask on; pass --yes to pull without asking.'),
})
