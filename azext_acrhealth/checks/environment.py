# acrhealth (MIT licence). Checks of the local environment: Docker, Azure CLI, Helm, Notary.
"""Environment checks. Each returns a CheckResult naming a finding and its facts."""

import json
import os
import re

from .base import Check, CheckResult, PULL_ALLOWED, PULL_DECLINED, given_seconds

SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'
# OCI registry support is on by default from Helm 3.8.0; Helm 2 and `az acr helm` are retired.
HELM_MINIMUM = (3, 8, 0)
NOTARY_INCOMPATIBLE_FROM = (0, 6, 0)

_VERSION = re.compile(r'(\d+)\.(\d+)(?:\.(\d+))?')


def version_tuple(text):
    """(major, minor, patch) from the first dotted version in ``text``, or None."""
    match = _VERSION.search(text or '')
    if not match:
        return None
    return tuple(int(part or 0) for part in match.groups())


def first_line(text, limit=300):
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    for line in (text or '').splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return ''


def _lines(text):
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


def error_line(text, limit=300):
    """The line of a client's stderr that says what went wrong: the first one that is not a
    warning (docker warns first of e.g. an unreadable config file, then gives its real error),
    else the first line."""
    lines = _lines(text)
    for line in lines:
        if not line.upper().startswith('WARNING'):
            return line[:limit]
    return lines[0][:limit] if lines else ''


# ---- parsers -------------------------------------------------------------------------------

def parse_docker_client_version(output):
    """'Docker version 20.10.24+dfsg1, build 297e128' -> '20.10.24+dfsg1', 'podman version
    4.3.1' -> '4.3.1' (None if absent)."""
    match = re.search(r'(?:Docker|podman) version\s+([^\s,]+)', output or '', re.IGNORECASE)
    return match.group(1) if match else None


def parse_docker_server_version(output):
    """Server version from `docker version --format '{{json .}}'` output, or None."""
    for line in (output or '').splitlines():
        line = line.strip()
        if not line.startswith('{'):
            continue
        try:
            data = json.loads(line)
        except ValueError:
            continue
        server = data.get('Server') if isinstance(data, dict) else None
        if isinstance(server, dict):
            version = server.get('Version')
            if not version:
                engine = [c for c in server.get('Components') or []
                          if isinstance(c, dict) and c.get('Name') == 'Engine']
                version = engine[0].get('Version') if engine else None
            return version or None
    return None


def parse_helm_version(output):
    """Helm 3 ``Version:"v3.12.0"`` or Helm 2 ``SemVer:"v2.16.1"`` -> '3.12.0' (None if absent)."""
    match = re.search(r'(?:SemVer|Version):"v?(\d+\.\d+\.\d+[^"]*)"', output or '')
    if match:
        return match.group(1)
    match = re.match(r'\s*v?(\d+\.\d+\.\d+\S*)\s*$', first_line(output))  # `--short` style
    return match.group(1) if match else None


def parse_notary_version(output):
    """The value after ``Version:`` in `notary version` output ('' when it is empty)."""
    match = re.search(r'^\s*Version:[ \t]*(\S*)', output or '', re.MULTILINE)
    return match.group(1) if match else ''


# What a Windows-containers daemon says of the (Linux) sample image.
WRONG_OS = 'cannot be used on this platform'
_PLATFORM_NOTE = re.compile(r'platform \(([^)]+)\) does not match[^\n]*?platform \(([^)]+)\)')


def parse_pull_platform_note(output):
    """'linux/arm64 image on linux/amd64' when docker warns of a platform mismatch."""
    match = _PLATFORM_NOTE.search(output or '')
    if not match:
        return None
    return f'{match.group(1)} image on {match.group(2)}'


# ---- finding the clients ---------------------------------------------------------------------

def _same_dir(one, other):
    try:
        return os.path.samefile(one, other)
    except (OSError, ValueError):
        return os.path.normcase(os.path.normpath(one)) == os.path.normcase(os.path.normpath(other))


def in_current_directory(path, cwd):
    """Whether ``path`` (or what its symbolic link points at) lies in ``cwd``: on Windows the
    current directory is searched first, so a cloned repository could plant ``docker.exe``."""
    if not cwd:
        return False
    return any(_same_dir(os.path.dirname(os.path.abspath(candidate)), cwd)
               for candidate in (path, os.path.realpath(path)))


def find_client(ctx, names):
    """``(name, path, refused)`` for the first of ``names`` on PATH: ``refused`` when PATH found
    it in the current directory (an absolute path, as DOCKER_COMMAND may give, is trusted, as
    the Azure CLI trusts it); ``(None, None, False)`` when none is there."""
    for name in names:
        path = ctx.which(name)
        if path:
            return name, path, not os.path.isabs(name) and in_current_directory(path, ctx.cwd)
    return None, None, False


def docker_candidates(environ):
    """What may serve as the Docker client, in the Azure CLI's order: DOCKER_COMMAND, else
    docker, podman (hosts without docker) and docker.exe (Docker Desktop seen from WSL)."""
    command = (environ.get('DOCKER_COMMAND') or '').strip()
    if command:
        return [command]
    return ['docker', 'podman', 'docker.exe']


def resolve_docker(ctx):
    """The Docker client this run may use (a path), or None."""
    _, path, refused = find_client(ctx, docker_candidates(ctx.environ))
    return None if refused else path


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
    server = parse_docker_server_version(proc.stdout)
    if proc.returncode == 0 and server:
        return CheckResult('docker.daemon.running', {'serverVersion': server})
    if proc.returncode == 0 and _is_podman(path):
        # Podman runs containers without a daemon: its version answers with a client only.
        return CheckResult('docker.daemon.podman', {'path': path})
    error = error_line(proc.stderr) or first_line(proc.stdout) or \
        f'exit code {proc.returncode}'
    return CheckResult('docker.daemon.unreachable', {'error': error})


def check_docker_version(ctx, results):
    proc = ctx.run_process([_docker(results), '--version'], ctx.timeout)
    client = parse_docker_client_version(proc.stdout)
    if proc.timed_out or proc.returncode != 0 or not client:
        error = (f'timed out after {given_seconds(proc, ctx)} s' if proc.timed_out
                 else error_line(proc.stderr) or first_line(proc.stdout) or
                 f'exit code {proc.returncode}')
        return CheckResult('docker.version.failed', {'error': error})
    daemon = results.get('docker-daemon')
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
    lines = _lines(stderr)
    for line in lines:
        if line.startswith('Error response from daemon'):
            return line[:300]
    for line in lines:
        if 'error' in line.lower() and not line.upper().startswith('WARNING'):
            return line[:300]
    return error_line(stderr)


def check_azure_cli(ctx, _results):
    return CheckResult('azure_cli.version', {'cliVersion': ctx.cli_version,
                                             'extensionVersion': ctx.extension_version})


def check_helm(ctx, _results):
    # helm.exe: Helm for Windows, seen from WSL.
    _, path, refused = find_client(ctx, ['helm', 'helm.exe'])
    if not path:
        return CheckResult('helm.missing')
    if refused:
        return CheckResult('helm.in_cwd', {'path': path, 'cwd': ctx.cwd})
    # --client: Helm 2 would otherwise ask Tiller in the cluster; Helm 3 accepts and ignores it.
    proc = ctx.run_process([path, 'version', '--client'], ctx.timeout)
    output = first_line(proc.stdout) or first_line(proc.stderr)
    version = parse_helm_version(proc.stdout) if not proc.timed_out else None
    if not version:
        if proc.timed_out:
            output = f'timed out after {given_seconds(proc, ctx)} s'
        return CheckResult('helm.unparsed', {'path': path, 'output': output or '(no output)'})
    facts = {'path': path, 'version': version}
    if version_tuple(version) < HELM_MINIMUM:
        return CheckResult('helm.too_old', dict(facts, minimum='.'.join(map(str, HELM_MINIMUM)),
                                                output=output))
    return CheckResult('helm.found', facts)


def check_notary(ctx, _results):
    _, path, refused = find_client(ctx, ['notary'])
    if not path:
        return CheckResult('notary.missing')
    if refused:  # Windows searches the current directory first: a clone could plant notary.exe
        return CheckResult('notary.in_cwd', {'path': path, 'cwd': ctx.cwd})
    proc = ctx.run_process([path, 'version'], ctx.timeout)
    version = parse_notary_version(proc.stdout) if not proc.timed_out else ''
    parsed = version_tuple(version)
    if not parsed:
        output = (f'timed out after {given_seconds(proc, ctx)} s' if proc.timed_out else
                  ' | '.join(line.strip() for line in proc.stdout.splitlines() if line.strip())
                  or first_line(proc.stderr) or '(nothing)')
        return CheckResult('notary.unknown_version', {'path': path, 'output': output[:300]})
    facts = {'path': path, 'version': version}
    if parsed >= NOTARY_INCOMPATIBLE_FROM:
        return CheckResult('notary.incompatible',
                           dict(facts, minimum='.'.join(map(str, NOTARY_INCOMPATIBLE_FROM))))
    return CheckResult('notary.found', facts)


def environment_plan():
    """The environment checks, in plan order."""
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
        Check('azure-cli', 'Azure CLI', None, check_azure_cli, budget=0),
        Check('helm', 'Helm', 'HELM_VERSION_ERROR', check_helm),
        Check('notary', 'Notary', 'NOTARY_VERSION_ERROR', check_notary),
    ]
