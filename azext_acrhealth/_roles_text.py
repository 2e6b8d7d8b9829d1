# acrhealth (MIT licence). Role assignments in words: what they grant and what to ask for.
"""The text of the role-assignments findings and of the advice a refused token gets: each
assignment with what it grants in the registry's mode (or why it is not counted), at most
MAX_LISTED of them in a line, and the role to ask for."""

from ._text import as_text as _shown

# A registry's role assignment modes (its roleAssignmentMode), and their names in messages.
ABAC_MODE = 'AbacRepositoryPermissions'
LEGACY_MODE = 'LegacyRegistryPermissions'
MODES = {ABAC_MODE: 'ABAC repository permissions', LEGACY_MODE: 'RBAC registry permissions'}


def mode_name(facts):
    mode = facts.get('registryMode') or facts.get('mode')
    return MODES.get(mode, mode or 'unknown')


def role_advice(facts):
    """What the caller's role assignments say about a refused token, in this registry's mode:
    the assignments the mode does not honour, and the role to ask for."""
    assignments, need, ask = facts.get('roleAssignments') or [], facts.get('needed'), \
        facts.get('askFor')
    granted = {grant for a in assignments for grant in a.get('grants') or []}
    if need and all(grant.strip() in granted for grant in str(need).split(',')):
        return (f'Your role assignments grant {need} here ({_assignments(assignments)}), so the '
                'refusal has another cause: run `az login` again (stale credentials) and check '
                'the conditions on the assignments.')
    where = 'on the registry' + (', or on the repository with an ABAC condition' if (
        facts.get('registryMode') == ABAC_MODE) else '')
    if not assignments:
        return (f'No role assignment of yours applies to this registry, which uses '
                f'{mode_name(facts)}. Ask for {ask} {where}; then run `az login` again.')
    ignored = [a for a in assignments if a.get('honoured') is False]
    said = _listed([f"{a.get('role')} on the {a.get('level')}: not honoured, the registry uses "
                    f"{mode_name(facts)}" for a in ignored], '; ') if ignored else \
        f'Your role assignments ({_assignments(assignments)}) do not grant {need}'
    return f'{said}. Ask for {ask} {where}.'


MAX_LISTED = 10  # role assignments named in a message; the report's details list every one


def _listed(items, separator=', '):
    """At most MAX_LISTED items, then how many more: a principal may hold thousands of role
    assignments, and a message is one line."""
    shown = separator.join(items[:MAX_LISTED])
    more = len(items) - MAX_LISTED
    return f'{shown}{separator}and {more:,} more (see details)' if more > 0 else shown


def _assignments(assignments):
    return _listed([f"{a.get('role')} on the {a.get('level')}" for a in assignments]) or 'none'


def _grants_of(assignment):
    """What one assignment grants, in words: its grants, what its ABAC condition leaves of
    them, or why it grants nothing for sure."""
    if assignment.get('honoured') is False:
        return 'not honoured in this mode'
    if assignment.get('honoured') is None:
        why = assignment.get('unknown') or 'not documented'
        return ('not documented for this mode: not counted' if why == 'not documented'
                else f'{why}: not counted')
    grants, conditional = assignment.get('grants'), assignment.get('conditional')
    if 'condition' not in assignment:
        return f"grants {_shown(grants)}" if grants else 'grants no action here'
    if not assignment.get('conditionJudged'):
        return f"conditional: not judged (it may grant {_shown(conditional)})"
    repositories = _shown(assignment.get('conditionRepositories'))
    if 'conditionAdmits' in assignment:
        return (f"grants {_shown(grants)}: its condition admits the repository"
                if assignment['conditionAdmits'] else
                f"its condition (repositories {repositories}) excludes the repository")
    said = [f"grants {_shown(grants)}"] if grants else []
    if conditional:
        said.append(f"grants {_shown(conditional)} on repositories {repositories} only")
    return '; '.join(said) or 'grants no action here'


def roles_text(facts):
    """'In this registry's mode (...) your role assignments grant pull: AcrPull on the ...'"""
    assignments = facts.get('assignments') or []
    uncertain = any(a.get('conditional') or a.get('honoured') is None for a in assignments)
    granted = _shown(facts.get('granted')) if facts.get('granted') else \
        'nothing for sure' if uncertain else 'nothing'
    on = f" on {facts['repository']}" if facts.get('repository') else ''
    return (f"In this registry's mode ({mode_name(facts)}) your role assignments grant {granted}{on}: "
            + _listed([f"{a.get('role')} on the {a.get('level')} ({_grants_of(a)})"
                       for a in assignments], '; ') + '.')
