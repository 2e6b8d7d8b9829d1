# acrhealth (MIT licence). Roles: what each grants in a registry's mode, what to ask for, in words.
"""What Microsoft documents of the roles that reach a registry's data plane, by role assignment
mode, the role to ask for when a token is refused, and the text of the role-assignments
findings and of that advice: each assignment with what it grants in the registry's mode (or why
it is not counted), at most MAX_LISTED of them in a line."""

from ._text import as_text as _shown

# A registry's role assignment modes (its roleAssignmentMode), and their names in messages.
ABAC = 'AbacRepositoryPermissions'
LEGACY = 'LegacyRegistryPermissions'
MODES = {ABAC: 'ABAC repository permissions', LEGACY: 'RBAC registry permissions'}
GRANTS = ('pull', 'push', 'delete')

# Built-in roles (Microsoft's built-in-roles/containers article): id -> (name, grants, modes).
# ``modes``: whether each role assignment mode honours the role for the data plane, only where
# Microsoft documents it (container-registry-rbac-built-in-roles-overview and
# container-registry-rbac-abac-repository-permissions): True, False, or absent (not documented:
# the Repository roles in the legacy mode), which is never counted as a grant.
_ACR_ROLE = {LEGACY: True, ABAC: False}          # not honoured in ABAC registries
_REPOSITORY_ROLE = {ABAC: True}                  # documented for ABAC registries only
_BOTH = {LEGACY: True, ABAC: True}
BUILT_IN_ROLES = {
    '7f951dda-4ed3-4680-a7ca-43fe172d538d': ('AcrPull', ('pull',), _ACR_ROLE),
    '8311e382-0749-4cb8-b61a-304f252e45ec': ('AcrPush', ('pull', 'push'), _ACR_ROLE),
    'c2f4ef07-c644-48eb-af81-4b1b4947fb11': ('AcrDelete', ('delete',), _ACR_ROLE),
    'b93aa761-3e63-49ed-ac28-beffa264f7ac': ('Container Registry Repository Reader', ('pull',),
                                             _REPOSITORY_ROLE),
    '2a1e307c-b015-4ebd-883e-5b7698a07328': ('Container Registry Repository Writer',
                                             ('pull', 'push'), _REPOSITORY_ROLE),
    '2efddaa5-3f1f-4df3-97df-af3f13818f4c': ('Container Registry Repository Contributor',
                                             ('pull', 'push', 'delete'), _REPOSITORY_ROLE),
    '577a9874-89fd-4f24-9dbd-b5034d0ad23a': ('Container Registry Data Importer and Data Reader',
                                             ('pull',), _BOTH),
    '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': ('Owner', ('pull', 'push', 'delete'), _ACR_ROLE),
    'b24988ac-6180-42a0-ab88-20f7382dd24c': ('Contributor', ('pull', 'push', 'delete'),
                                             _ACR_ROLE),
    'acdd72a7-3385-48ef-bd42-f606fba81ae7': ('Reader', ('pull',), _ACR_ROLE),
}
# What a custom role's permissions grant: legacy mode reads actions, ABAC mode dataActions.
LEGACY_ACTIONS = {'pull': 'Microsoft.ContainerRegistry/registries/pull/read',
                  'push': 'Microsoft.ContainerRegistry/registries/push/write',
                  'delete': 'Microsoft.ContainerRegistry/registries/artifacts/delete'}
ABAC_DATA_ACTIONS = {
    'pull': 'Microsoft.ContainerRegistry/registries/repositories/content/read',
    'push': 'Microsoft.ContainerRegistry/registries/repositories/content/write',
    'delete': 'Microsoft.ContainerRegistry/registries/repositories/content/delete'}
# The role to ask for, per mode and grant.
ADVICE = {ABAC: {'pull': 'Container Registry Repository Reader',
                 'push': 'Container Registry Repository Writer',
                 'delete': 'Container Registry Repository Contributor'},
          LEGACY: {'pull': 'AcrPull', 'push': 'AcrPush', 'delete': 'AcrDelete'}}


def ask_for(mode, needed):
    """The role(s) that grant every one of ``needed`` (grants) in the registry's mode: in ABAC
    mode one role grants the ones below it (Contributor: pull, push, delete); in the legacy mode
    AcrPush grants pull and push, and AcrDelete only delete."""
    needed = sorted(set(needed), key=GRANTS.index)
    if mode == ABAC:
        return ADVICE[ABAC][needed[-1]]
    roles = [ADVICE[LEGACY]['push' if 'push' in needed else 'pull']] if (
        {'pull', 'push'} & set(needed)) else []
    return ' and '.join(roles + ([ADVICE[LEGACY]['delete']] if 'delete' in needed else []))


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
        facts.get('registryMode') == ABAC) else '')
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
