# acrhealth (MIT licence). --skip: checks a machine does not need, left out on purpose.
"""Which checks to leave out, and the plan that leaves them out.

The ids come from ``--skip ID [ID ...]`` or, without it, from the CLI's configuration
``acrhealth.skip`` (``az config set acrhealth.skip="helm notary"``; the CLI reads the
environment variable ``AZURE_ACRHEALTH_SKIP`` for that key too). ``--skip`` replaces the
configured list for the run, as a command-line value replaces a configured default everywhere
in the CLI. Ids are the report's ``checks[].id``; spaces or commas separate them.

A skipped check reports ``skipped`` ("Skipped on request"), and so does every check that
requires it, naming it. An unknown id is bad input: the validator rejects it before any check
runs, listing the valid ids.
"""

import re
from dataclasses import replace
from types import SimpleNamespace

# Findings (see the issue 18 block of catalogue.py).
ON_REQUEST = 'runner.skipped.request'
FOR_REQUEST = 'runner.skipped.request_prerequisite'
REQUESTED = frozenset({ON_REQUEST, FOR_REQUEST})

OPTION = '--skip'
CONFIG_SECTION, CONFIG_OPTION = 'acrhealth', 'skip'
CONFIG_NAME = f'{CONFIG_SECTION}.{CONFIG_OPTION}'
_SEPARATORS = re.compile(r'[\s,]+')


def parse_ids(values):
    """The ids in ``values`` (a text, or the texts --skip gave), lower case, each once."""
    if isinstance(values, str):
        values = [values]
    ids = []
    for value in values or ():
        for part in _SEPARATORS.split(str(value).strip().lower()):
            if part and part not in ids:
                ids.append(part)
    return ids


def all_check_ids():
    """Every check id a run may report, in plan order (the registry's checks with every
    option that adds one)."""
    from .checks import build_plan
    everything = SimpleNamespace(cloud_shell=False, options=SimpleNamespace(
        registry_name='registry', image='repository:tag', vnet='network'))
    return [check.id for check in build_plan(everything)]


def requested(config, given):
    """``(ids, source)``: the ids ``--skip`` gave, else those of ``acrhealth.skip`` in the
    CLI's ``config``; source names where they came from (``--skip``, ``acrhealth.skip`` or the
    environment variable)."""
    if given is not None:
        return parse_ids(given), OPTION
    text = config.get(CONFIG_SECTION, CONFIG_OPTION, fallback=None) if config else None
    if text is None:
        return [], None
    import os
    env = config.env_var_name(CONFIG_SECTION, CONFIG_OPTION)
    return parse_ids(text), env if env in os.environ else CONFIG_NAME


def validate_skip(cmd, namespace):
    """Sets ``namespace.skip`` (a tuple of ids) and ``namespace.skip_source``; an id that is
    not a check's is bad input, whatever its source."""
    ids, source = requested(getattr(cmd.cli_ctx, 'config', None),
                            getattr(namespace, 'skip', None))
    namespace.skip, namespace.skip_source = tuple(ids), source
    if not ids:
        return
    valid = all_check_ids()
    unknown = [check_id for check_id in ids if check_id not in valid]
    if not unknown:
        return
    from azure.cli.core.azclierror import InvalidArgumentValueError
    from ._text import quoted
    names = ', '.join(quoted(check_id, 40) for check_id in unknown)
    which = 'is not the id of a check' if len(unknown) == 1 else 'are not ids of checks'
    fix = {OPTION: 'Pass the ids the report gives (checks[].id)',
           CONFIG_NAME: f'Correct it with `az config set {CONFIG_NAME}="helm notary"`, or remove '
                        f'it with `az config unset {CONFIG_NAME}`'}.get(
        source, f'Correct the environment variable {source}, or unset it')
    raise InvalidArgumentValueError(
        f'{source} names {names}, which {which} of az acr check-health.',
        recommendation=f"{fix}. Valid ids: {', '.join(valid)}.")


def closure(plan, ids):
    """``{check id: title of the skipped check it needs}`` for the checks ``ids`` names and
    every check that requires one of them (directly or through another), in ``plan``."""
    titles = {check.id: check.title for check in plan}
    because = {}
    for check in plan:  # a check requires only checks before it (the runner validates that)
        if check.id in ids:
            because[check.id] = titles[check.id]
            continue
        needed = next((dep for dep in check.requires if dep in because), None)
        if needed is not None:
            because[check.id] = because[needed]
    return because


def apply(plan, ids, source):
    """``plan`` with the checks ``ids`` names skipped on request, and those that require them
    skipped for it. Each skipped check becomes a check that only reports so (no prerequisite,
    no time), so it is reported as skipped on request even after the run stopped."""
    from .checks.base import CheckResult
    if not ids:
        return list(plan)
    because = closure(plan, set(ids))

    def skipped(check):
        if check.id in ids:
            result = CheckResult(ON_REQUEST, {'skippedBy': source})
        else:
            result = CheckResult(FOR_REQUEST, {'prerequisite': because[check.id],
                                               'skippedBy': source})
        return replace(check, run=lambda _ctx, _results: result, requires=(), after=(),
                       budget=0)

    return [skipped(check) if check.id in because else check for check in plan]


def speculates(ids):
    """Whether the DNS lookup and anonymous ``/v2/`` GET started ahead (``_speculation``) serve
    a check that runs: not when the challenge check is skipped on request, or a check it
    requires (``dns``, ``login-server``) is; nothing is then sent to the registry for it."""
    from .checks.connectivity import connectivity_plan
    return 'challenge' not in closure(connectivity_plan(), set(ids or ()))


def asks_nothing_when_skipped(ask, ids):
    """``ask`` (the pull question), or None when the pull check will not run because it, or
    a check it requires, is skipped on request: nobody is asked for a pull that never comes."""
    from .checks.docker import docker_plan
    return None if 'docker-pull' in closure(docker_plan(), set(ids or ())) else ask
