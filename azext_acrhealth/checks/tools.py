# acrhealth (MIT licence). The other clients: the Azure CLI itself, Helm, Notary.
"""Optional clients a registry's users may need: Helm (OCI charts) and Notary (Docker Content
Trust); their findings are warnings."""

import re

from .. import catalogue
from ..catalogue import Finding, PASSED, SKIPPED, WARNING
from .base import Check, CheckResult, given_seconds
from .._clients import find_client
from .._text import first_line

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


# ---- parsers -------------------------------------------------------------------------------

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


# ---- checks --------------------------------------------------------------------------------

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


def tools_plan():
    """The Azure CLI, Helm and Notary checks, in plan order."""
    return [
        Check('azure-cli', 'Azure CLI', None, check_azure_cli, budget=0),
        Check('helm', 'Helm', 'HELM_VERSION_ERROR', check_helm),
        Check('notary', 'Notary', 'NOTARY_VERSION_ERROR', check_notary),
    ]


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Azure CLI.
    'azure_cli.version': Finding(
        PASSED, None, 'Azure CLI {cliVersion}, acrhealth {extensionVersion}.'),

    # Helm.
    'helm.found': Finding(PASSED, None, 'Helm {version} found: {path}.'),
    'helm.missing': Finding(WARNING, 'HELM_COMMAND_ERROR', 'No `helm` executable found on PATH.'),
    'helm.in_cwd': Finding(
        WARNING, 'HELM_COMMAND_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it.'),
    'helm.too_old': Finding(
        WARNING, 'HELM_VERSION_ERROR', 'Helm {version} is older than {minimum}: {output}'),
    'helm.unparsed': Finding(
        WARNING, 'HELM_VERSION_ERROR', 'The Helm version could not be determined: {output}'),

    # Notary.
    'notary.missing': Finding(SKIPPED, None, 'No `notary` executable found on PATH.'),
    'notary.found': Finding(PASSED, None, 'Notary {version} found: {path}.'),
    'notary.incompatible': Finding(
        WARNING, 'NOTARY_VERSION_ERROR', 'Notary {version} is {minimum} or later: {path}.'),
    'notary.unknown_version': Finding(
        WARNING, 'NOTARY_VERSION_ERROR',
        'The Notary version could not be determined (`notary version` printed: {output}).',
        variant='notary-unknown'),
    'notary.in_cwd': Finding(
        WARNING, 'NOTARY_VERSION_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it.'),
})
