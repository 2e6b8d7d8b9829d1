# acrhealth (MIT licence). Why am I denied? The identity, the registry's auth settings, the roles.
"""What this command can read for itself when a token is refused: which principal the CLI's
token represents, how the registry authenticates (role assignment mode, admin user, anonymous
pull, ARM-audience tokens), and which of the caller's role assignments grant pull, push and
delete *in this registry's mode*: in an ABAC registry (``AbacRepositoryPermissions``) AcrPull,
AcrPush, AcrDelete, Owner, Contributor and Reader give no data-plane access; the Container
Registry Repository Reader / Writer / Contributor roles do (Microsoft's
container-registry-rbac-abac-repository-permissions article)."""

import fnmatch

from . import abac
from .. import catalogue
from ..catalogue import Finding, PASSED, SKIPPED, WARNING
from .._text import as_text
from .base import Check, CheckResult
from .._oauth import token_claims
from .._roles import (ABAC, ABAC_DATA_ACTIONS, BUILT_IN_ROLES, GRANTS, LEGACY, LEGACY_ACTIONS,
                      MODES, mode_name, roles_text)
from .._azure import AadTokenError, ArmError

MAX_DEFINITIONS = 5   # custom roles read for their permissions, at most


# ---- identity --------------------------------------------------------------------------------

def principal(claims):
    """The principal an AAD access token represents (documented claims only: ``oid``, ``tid``,
    ``idtyp``, ``upn``/``unique_name``, ``appid``; ``xms_mirid`` names a managed identity)."""
    facts = {'objectId': claims.get('oid'), 'tenantId': claims.get('tid')}
    if isinstance(claims.get('xms_mirid'), str):
        facts.update(type='managedIdentity', appId=claims.get('appid'),
                     managedIdentity=claims['xms_mirid'])
    elif claims.get('idtyp') == 'app' or not (claims.get('upn') or claims.get('unique_name')):
        facts.update(type='servicePrincipal', appId=claims.get('appid') or claims.get('azp'))
    else:
        facts.update(type='user', upn=claims.get('upn') or claims.get('unique_name'))
    return {key: value for key, value in facts.items() if value is not None}


def _subscription_of(resource_id):
    parts = (resource_id or '').split('/')
    return parts[2] if len(parts) > 2 and parts[1].lower() == 'subscriptions' else None


def check_identity(ctx, results):
    try:
        token, _ = ctx.aad_token()
        identity = principal(token_claims(token))
    except AadTokenError as ex:
        return CheckResult('identity.no_token', {'error': str(ex)})
    except ValueError as ex:
        return CheckResult('identity.unreadable', {'problem': str(ex)})
    try:
        searched = ctx.arm.subscription()
    except ArmError:
        searched = {}
    identity['subscriptionSearched'] = searched.get('id')
    registry = results['login-server'].data or {}
    if registry.get('id'):
        identity['registrySubscription'] = _subscription_of(registry['id'])
        if identity['registrySubscription'] == searched.get('id'):
            identity['registryTenant'] = searched.get('tenantId')
    return CheckResult('identity.known', {'identity': identity})


# ---- registry authentication settings ----------------------------------------------------------

def check_registry_auth(_ctx, results):
    registry = results['login-server'].data
    if not registry:
        return CheckResult('registry_auth.not_in_arm')
    return CheckResult('registry_auth.read', {'settings': {
        'roleAssignmentMode': registry.get('roleAssignmentMode') or LEGACY,
        'adminUserEnabled': registry.get('adminUserEnabled'),
        'anonymousPullEnabled': registry.get('anonymousPullEnabled'),
        'armAudienceTokens': registry.get('armAudienceTokens'),
        'quarantine': registry.get('quarantine'),
        'trust': registry.get('trust')}})


# ---- role assignments ---------------------------------------------------------------------------

def _level(scope, registry_id):
    """Where an assignment is made, in words: the registry, its resource group, its
    subscription, a management group (named), the root scope "/" (tenant-wide), or the
    scope itself."""
    if not isinstance(scope, str) or not scope.strip():
        return 'unknown scope'
    given = scope.strip().rstrip('/')
    scope = given.lower()
    group = '/providers/microsoft.management/managementgroups/'
    name = given[len(group):]  # a management group's name as ARM spells it
    levels = ((not scope, 'root scope (/)'),
              (scope == (registry_id or '').lower(), 'registry'),
              ('/resourcegroups/' in scope and '/providers/' not in scope, 'resource group'),
              (scope.startswith('/subscriptions/') and scope.count('/') == 2, 'subscription'),
              (scope.startswith(group) and '/' not in name, f'management group {name[:90]}'))
    return next((level for matched, level in levels if matched), f'scope {given[:120]}')


def _matches(patterns, wanted):
    """Whether an action list (a list of strings with ``*``; anything else lists nothing)
    names ``wanted``."""
    return isinstance(patterns, list) and any(
        isinstance(p, str) and fnmatch.fnmatchcase(wanted.lower(), p.lower()) for p in patterns)


def custom_grants(definition, mode):
    """Grants of a role definition's permissions in ``mode`` (actions in legacy mode,
    dataActions in ABAC mode), minus what its not-lists take away."""
    granted = set()
    permissions = _props(definition).get('permissions')
    for permission in permissions if isinstance(permissions, list) else []:
        if not isinstance(permission, dict):
            continue
        allowed, denied, table = (permission.get('dataActions'), permission.get('notDataActions'),
                                  ABAC_DATA_ACTIONS) if mode == ABAC else (
            permission.get('actions'), permission.get('notActions'), LEGACY_ACTIONS)
        for grant, action in table.items():
            if _matches(allowed, action) and not _matches(denied, action):
                granted.add(grant)
    return [grant for grant in GRANTS if grant in granted]


def _role_id(definition_id):
    return (definition_id if isinstance(definition_id, str) else '').rstrip('/').rsplit(
        '/', 1)[-1].lower()


def _props(item):
    props = item.get('properties') if isinstance(item, dict) else None
    return props if isinstance(props, dict) else {}


def _role(role_id, definitions, unknown, mode):
    """``(name, grants, honoured, why)`` of a role in ``mode``: honoured is True, False, or
    None when Microsoft does not document the role in this mode or its definition is unknown
    (``why`` says which); None is never counted as a grant."""
    if role_id in BUILT_IN_ROLES:
        name, grants, modes = BUILT_IN_ROLES[role_id]
        honoured = modes.get(mode)
        return name, list(grants), honoured, None if honoured is not None else 'not documented'
    if role_id in unknown or definitions.get(role_id) is None:
        why = unknown.get(role_id) or 'its definition was not found'
        return role_id or 'an unnamed role', [], None, f'definition unknown: {why}'
    name = _props(definitions[role_id]).get('roleName')
    grants = custom_grants(definitions[role_id], mode)
    return (str(name)[:100] if name else role_id), grants, bool(grants), None


def _with_condition(entry, condition, mode, repository):
    """The entry's grants as its ABAC condition leaves them: those the condition admits for
    ``repository``, or, without one, those it does not restrict (the rest are
    ``conditional``); a condition in a form not read here grants nothing for sure."""
    entry['condition'] = condition[:300] or 'unreadable'
    tree = abac.parse(condition)
    entry['conditionJudged'] = tree is not None
    if tree is None:
        entry['grants'], entry['conditional'] = [], entry['grants']
        return entry
    entry['conditionRepositories'] = abac.repositories(tree)[:20]
    table = ABAC_DATA_ACTIONS if mode == ABAC else LEGACY_ACTIONS
    verdicts = {grant: abac.evaluate(tree, table[grant], repository) for grant in entry['grants']}
    if repository is not None:
        entry['conditionAdmits'] = any(verdicts.values())
    entry['conditional'] = [grant for grant, verdict in verdicts.items() if verdict is None]
    entry['grants'] = [grant for grant, verdict in verdicts.items() if verdict]
    return entry


def explain(assignments, definitions, mode, registry_id, repository=None, unknown=None):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    """Each assignment as ``{role, level, honoured, grants, ...}`` and what they grant for
    sure (on ``repository`` when one is given). ``unknown``: role id -> why its definition
    could not be read."""
    explained = []
    for assignment in assignments:
        props = _props(assignment)
        name, grants, honoured, why = _role(_role_id(props.get('roleDefinitionId')),
                                            definitions, unknown or {}, mode)
        entry = {'role': name, 'level': _level(props.get('scope'), registry_id),
                 'honoured': honoured, 'grants': grants if honoured else []}
        if why:
            entry['unknown'] = why[:200]
        condition = props.get('condition')
        if honoured and condition not in (None, ''):
            # A condition of another type than text cannot be read either: not judged.
            entry = _with_condition(entry, condition if isinstance(condition, str) else '',
                                    mode, repository)
        explained.append(entry)
    granted = [g for g in GRANTS if any(g in e['grants'] for e in explained)]
    return explained, granted


def _definitions(ctx, registry_id, assignments):
    """The custom role definitions the assignments name (at most MAX_DEFINITIONS), and why
    each of the others is unknown: a failed read keeps what was read already."""
    wanted = sorted({_role_id(_props(a).get('roleDefinitionId')) for a in assignments} -
                    set(BUILT_IN_ROLES) - {''})
    definitions, unknown = {}, {}
    for role in wanted[:MAX_DEFINITIONS]:
        try:
            definitions[role] = ctx.arm.role_definition(registry_id, role)
        except ArmError as ex:
            unknown[role] = ex.reason
    for role in wanted[MAX_DEFINITIONS:]:
        unknown[role] = f'not read (only {MAX_DEFINITIONS} custom roles are)'
    return definitions, unknown


def check_role_assignments(ctx, results):
    registry = results['login-server'].data
    identity = results['identity'].facts.get('identity') if results['identity'].passed else None
    if not registry or not registry.get('id'):
        return CheckResult('roles.not_in_arm')
    if not identity or not identity.get('objectId'):
        return CheckResult('roles.no_identity')
    mode = registry.get('roleAssignmentMode') or LEGACY
    facts = {'mode': mode, 'principal': identity['objectId']}
    try:
        assignments = ctx.arm.role_assignments(registry['id'], identity['objectId'])
    except ArmError as ex:
        # Only ARM's 403 says a permission is missing; a network failure says nothing of it.
        return CheckResult('roles.forbidden' if ex.status == 403 else 'roles.unreadable',
                           dict(facts, error=ex.reason, statusCode=ex.status))
    definitions, unknown = _definitions(ctx, registry['id'], assignments)
    explained, granted = explain(assignments, definitions, mode, registry['id'],
                                 ctx.options.repository, unknown)
    facts.update(assignments=explained, granted=granted,
                 missing=[g for g in GRANTS if g not in granted])
    if ctx.options.repository:
        facts['repository'] = ctx.options.repository
    if not explained:
        return CheckResult('roles.none', facts)
    maybe = any(e.get('conditional') or e['honoured'] is None for e in explained)
    return CheckResult('roles.explained' if granted or maybe else 'roles.grant_nothing', facts)


def access_plan():
    """The identity checks, in plan order (before the token checks, which read them)."""
    return [
        # The AAD token is the CLI's (cached after the exchange's or fetched once: 2).
        Check('identity', 'Identity', None, check_identity, requires=('login-server',),
              budget=2),
        Check('registry-auth', 'Registry authentication', None, check_registry_auth,
              requires=('login-server',), budget=0),
        # The role assignments list, and a few custom role definitions.
        Check('role-assignments', 'Role assignments', None, check_role_assignments,
              requires=('identity', 'login-server'), budget=2 * (1 + MAX_DEFINITIONS)),
    ]


_PRINCIPALS = {'user': 'user', 'servicePrincipal': 'service principal',
               'managedIdentity': 'managed identity'}


def _identity(identity):
    who = identity.get('upn') or identity.get('appId') or identity.get('objectId')
    kind = _PRINCIPALS.get(identity.get('type'), 'principal')
    text = (f"Signed in as {kind} {who} (object ID {as_text(identity.get('objectId'))}) of tenant "
            f"{as_text(identity.get('tenantId'))}")
    if identity.get('subscriptionSearched'):
        text += f"; subscription searched: {identity['subscriptionSearched']}"
    if identity.get('registrySubscription'):
        text += f"; the registry is in subscription {identity['registrySubscription']}"
    return f"{text}."


def _on_off(value, on='enabled', off='disabled'):
    if value is None:
        return 'unknown'
    if isinstance(value, str):
        return value.lower()
    return on if value else off


def _settings(settings):
    mode = settings.get('roleAssignmentMode')
    arm = {'enabled': 'accepted', 'disabled': 'refused (only ACR-audience tokens)'}.get(
        str(settings.get('armAudienceTokens')).lower(), 'unknown')
    return (f"Role assignment mode: {MODES.get(mode, mode)}; "
            f"admin user: {_on_off(settings.get('adminUserEnabled'))}; "
            f"anonymous pull: {_on_off(settings.get('anonymousPullEnabled'))}; "
            f"ARM-audience tokens: {arm}; quarantine: {_on_off(settings.get('quarantine'))}; "
            f"content trust: {_on_off(settings.get('trust'))}.")


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Identity, registry authentication settings, role assignments.
    'identity.known': Finding(PASSED, None, lambda f: _identity(f.get('identity') or {})),
    'identity.no_token': Finding(
        SKIPPED, None, 'No Azure AD token from the CLI\'s login ({error}): the identity is '
                       'unknown.'),
    'identity.unreadable': Finding(
        SKIPPED, None, 'The CLI\'s Azure AD token cannot be read ({problem}).'),
    'registry_auth.read': Finding(PASSED, None, lambda f: _settings(f.get('settings') or {})),
    'registry_auth.not_in_arm': Finding(
        SKIPPED, None, 'The registry\'s ARM resource was not read, so its authentication '
                       'settings are unknown.'),
    'roles.explained': Finding(PASSED, None, roles_text),
    # Nothing granted: pulls and pushes with the CLI's identity are refused (a warning: the
    # admin user, a token or anonymous pull may be how this registry is meant to be used).
    'roles.grant_nothing': Finding(WARNING, None, lambda f: roles_text(f) + (
        ' Pulls and pushes with this identity will be refused.'), codeless=True),
    'roles.none': Finding(
        WARNING, None, lambda f: 'None of your role assignments applies to this registry (its '
                                 f'mode: {mode_name(f)}): pulls and pushes with this identity will be '
                                 'refused.', codeless=True),
    'roles.not_in_arm': Finding(
        SKIPPED, None, 'The registry\'s ARM resource was not read, so role assignments on it '
                       'cannot be listed.'),
    'roles.no_identity': Finding(
        SKIPPED, None, 'The identity is unknown, so its role assignments cannot be listed.'),
    'roles.forbidden': Finding(
        WARNING, None, 'Your role assignments could not be read ({error}), so who may pull and '
                       'push here cannot be explained; reading them needs '
                       'Microsoft.Authorization/roleAssignments/read.', codeless=True),
    # Not a 403: nothing says a permission is missing.
    'roles.unreadable': Finding(
        WARNING, None, 'Your role assignments could not be read ({error}), so who may pull and '
                       'push here cannot be explained.', codeless=True),
})
