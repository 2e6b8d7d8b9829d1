# acrhealth (MIT licence). Docker's own credentials for the registry's login server.
"""`az acr login` can succeed while `docker pull` still says unauthorized: Docker's config names
a credential helper that is not on PATH, or it holds a stale or mis-keyed entry for the login
server. This check reads Docker's config (``DOCKER_CONFIG`` or ``~/.docker/config.json``) and
Podman's ``auth.json``, asks the helper that Docker would ask, and reports only a username and
whether a secret exists: never the secret."""

import base64
import binascii
import os
import sys

from .. import catalogue
from ..catalogue import Finding, PASSED, WARNING
from .._text import as_text
from .._oci import json_object
from .base import Check, CheckResult, given_seconds, login_server
from .._clients import find_client

MAX_CONFIG = 1024 * 1024
# What docker-credential-helpers print (on stdout, exit 1) when they hold nothing for a server.
NOT_FOUND = 'credentials not found in native keychain'


def config_files(environ, platform=None):
    """``[(kind, path)]`` of the credential files Docker and Podman read, in their order, on
    ``platform`` (``sys.platform`` by default)."""
    platform = sys.platform if platform is None else platform
    # Docker on Windows reads the user's profile, never HOME (which Git Bash sets): moby's
    # pkg/homedir/homedir_windows.go uses os.UserHomeDir, that is USERPROFILE.
    home = environ.get('USERPROFILE' if platform == 'win32' else 'HOME') or \
        os.path.expanduser('~')
    docker_dir = environ.get('DOCKER_CONFIG') or os.path.join(home, '.docker')
    files = [('docker', os.path.join(docker_dir, 'config.json'))]
    podman = environ.get('REGISTRY_AUTH_FILE')
    if not podman and platform in ('win32', 'darwin'):
        # containers-auth.json(5): $HOME/.config/containers/auth.json on Windows and macOS.
        podman = os.path.join(home, '.config', 'containers', 'auth.json')
    elif not podman and environ.get('XDG_RUNTIME_DIR'):  # Linux
        podman = os.path.join(environ['XDG_RUNTIME_DIR'], 'containers', 'auth.json')
    if podman:
        files.append(('podman', podman))
    return files


def _read(path):
    """``(config dict or None, problem or None)``; a missing file is neither."""
    try:
        with open(path, 'rb') as handle:
            raw = handle.read(MAX_CONFIG + 1)
    except FileNotFoundError:
        return None, None
    except OSError as ex:
        return None, f'it cannot be read ({ex.strerror or type(ex).__name__})'
    if len(raw) > MAX_CONFIG:
        return None, 'it is larger than 1 MiB'
    data, problem = json_object(raw)
    return data, problem and problem.replace('not JSON', 'not valid JSON')


def _normal(key):
    """A config key as Docker compares it with a login server: without scheme and path."""
    key = key.strip()
    for scheme in ('https://', 'http://'):
        if key.lower().startswith(scheme):
            key = key[len(scheme):]
    return key.split('/', 1)[0]


def _username(entry):
    """The user of an ``auths`` entry (its ``username`` or the user part of ``auth``)."""
    if isinstance(entry.get('username'), str) and entry['username']:
        return entry['username']
    try:
        return base64.b64decode(str(entry.get('auth') or ''), validate=True).decode(
            'utf-8').split(':', 1)[0] or None
    except (binascii.Error, ValueError, UnicodeError):
        return None


def _has_secret(entry):
    return any(isinstance(entry.get(key), str) and entry[key]
               for key in ('auth', 'password', 'identitytoken', 'registrytoken'))


def miskeyed(auths, server):
    """Keys of ``auths`` meant for the login server that Docker will not match: upper case, a
    port, or a path (Docker looks the login server up as it is written, in lower case)."""
    found = []
    for key in auths:
        if not isinstance(key, str) or key == server:
            continue
        host = _normal(key)
        bare = host.rsplit(':', 1)[0] if ':' in host else host
        if bare.lower() != server:
            continue
        reasons = []
        if bare != bare.lower():
            reasons.append('upper case')
        if ':' in host:
            reasons.append('a port')
        if host != key.strip():
            reasons.append('a scheme or path')
        if reasons:
            found.append({'key': key, 'problem': ' and '.join(reasons)})
    return found


def find_helper(ctx, helper):
    """``(path, None)`` of the credential helper Docker would run, or ``(None, (finding,
    facts))`` when it cannot be asked: not on PATH, or found in the current directory, which
    Windows searches first (a cloned repository could have planted it: refused, never run)."""
    executable = f"docker-credential-{helper}"
    _, path, refused = find_client(ctx, [executable])
    if not path:
        return None, ('credentials.helper_missing', {'helper': helper, 'executable': executable})
    if refused:
        return None, ('credentials.helper_in_cwd', {'helper': helper, 'path': path,
                                                    'cwd': ctx.cwd})
    return path, None


def ask_helper(ctx, helper, host):
    """``(finding, facts)`` of ``docker-credential-<helper> get`` for the login server."""
    path, unusable = find_helper(ctx, helper)
    if unusable:
        return unusable
    proc = ctx.run_process([path, 'get'], ctx.timeout, input=host.encode('utf-8'))
    facts = {'helper': helper, 'path': path}
    if proc.timed_out:
        return 'credentials.helper_timeout', dict(facts, seconds=given_seconds(proc, ctx))
    if proc.returncode != 0:
        said = (proc.stdout.strip() or proc.stderr.strip()).splitlines()
        if said and said[0].strip() == NOT_FOUND:
            return 'credentials.none', dict(facts, store='helper')
        return 'credentials.helper_failed', dict(facts, exitCode=proc.returncode,
                                                 said=(said[0][:200] if said else ''))
    answer, _ = json_object(proc.stdout)
    if answer is None:
        return 'credentials.helper_failed', dict(facts, exitCode=0,
                                                 said='an answer that is not JSON')
    username = answer.get('Username') if isinstance(answer.get('Username'), str) else None
    return 'credentials.saved', dict(facts, store='helper', username=username,
                                     hasSecret=bool(answer.get('Secret')))


def check_docker_credentials(ctx, results):
    host = login_server(results).lower()
    findings = []
    for kind, path in config_files(ctx.environ):
        config, problem = _read(path)
        if problem:
            findings.append(('credentials.unreadable', {'file': path, 'problem': problem}))
            continue
        if config is None:
            continue
        auths = config.get('auths') if isinstance(config.get('auths'), dict) else {}
        for entry in miskeyed(auths, host):
            findings.append(('credentials.miskeyed', dict(entry, file=path)))
        helpers = config.get('credHelpers') if isinstance(config.get('credHelpers'), dict) \
            else {}
        helper = helpers.get(host) or config.get('credsStore')
        if isinstance(helper, str) and helper:
            finding, facts = ask_helper(ctx, helper, host)
            findings.append((finding, dict(facts, file=path, client=kind)))
        elif isinstance(auths.get(host), dict):
            entry = auths[host]
            findings.append(('credentials.saved', {
                'file': path, 'client': kind, 'store': 'file', 'username': _username(entry),
                'hasSecret': _has_secret(entry)}))
    facts = {'loginServer': host, 'entries': [dict(facts, finding=finding)
                                              for finding, facts in findings]}
    problems = [(finding, f) for finding, f in findings if finding not in (
        'credentials.saved', 'credentials.none')]
    if problems:
        finding, first = problems[0]
        return CheckResult(finding, dict(facts, **first))
    saved = [f for finding, f in findings if finding == 'credentials.saved']
    if saved:
        return CheckResult('credentials.saved', dict(facts, **saved[0]))
    return CheckResult('credentials.none', facts)


def credentials_plan():
    # Reading two small files (Docker's and Podman's), each may name a helper to ask.
    return [Check('docker-credentials', 'Docker credentials', 'DOCKER_CREDENTIALS_ERROR',
                  check_docker_credentials, requires=('login-server',), budget=2)]


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Docker credentials.
    'credentials.none': Finding(
        PASSED, None, 'Docker holds no credentials for {loginServer}; `az acr login` saves them.'),
    'credentials.saved': Finding(
        PASSED, None, lambda f: f"Docker has credentials for {f.get('loginServer')} in " + (
            f"docker-credential-{f['helper']}" if f.get('helper') else str(f.get('file'))) +
        f": user {as_text(f.get('username'))}, " + (
            'with a secret.' if f.get('hasSecret') else 'but no secret.')),
    'credentials.helper_in_cwd': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        'Refusing to run {path} (the credential helper {file} names): it is in the current '
        'directory ({cwd}), where a cloned repository could have planted it.'),
    'credentials.helper_missing': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{file} names the credential helper "{helper}", but {executable} is not on PATH: Docker '
        'can neither save nor read credentials for {loginServer}.'),
    'credentials.helper_timeout': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{path} (the credential helper {file} names) did not answer within {seconds} s.'),
    'credentials.helper_failed': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{path} get (the credential helper {file} names) failed with exit code {exitCode}: '
        '{said}.'),
    'credentials.miskeyed': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{file} has an entry "{key}" with {problem}: Docker looks credentials for {loginServer} '
        'up under exactly that name, so it will not use this one.'),
    'credentials.unreadable': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR', 'Docker\'s config {file} cannot be used: {problem}.'),
})
