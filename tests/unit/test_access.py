# acrhealth (MIT licence). Why am I denied: identity, registry auth settings, role assignments.
import pytest

from azext_acrhealth._azure import ArmError
from azext_acrhealth._roles import ABAC, LEGACY, ask_for
from azext_acrhealth.checks.access import custom_grants, explain, principal

from .connectivity_fakes import (APP_ID, LOGIN, NAME, PRINCIPAL, REGISTRY_ID, FakeArm, FakeHttp,
                                 arm_registry, healthy_answers, jwt, make_ctx, rendered,
                                 response, run_through)

SUB = REGISTRY_ID.split('/')[2]
RG_SCOPE = '/'.join(REGISTRY_ID.split('/')[:5])
ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
REPO_READER = 'b93aa761-3e63-49ed-ac28-beffa264f7ac'


def assignment(role_id, scope=REGISTRY_ID, condition=None):
    """A role assignment as ARM lists it (Microsoft.Authorization 2022-04-01)."""
    props = {'roleDefinitionId': '/subscriptions/{}/providers/Microsoft.Authorization/'
                                 'roleDefinitions/{}'.format(SUB, role_id),
             'principalId': PRINCIPAL, 'principalType': 'ServicePrincipal', 'scope': scope,
             'condition': condition, 'conditionVersion': '2.0' if condition else None}
    return {'properties': props, 'type': 'Microsoft.Authorization/roleAssignments',
            'id': scope + '/providers/Microsoft.Authorization/roleAssignments/a1', 'name': 'a1'}


def ctx_with(assignments=(), abac=False, definitions=None, **kwargs):
    arm = FakeArm({NAME: arm_registry(abac=abac)}, assignments=assignments,
                  definitions=definitions)
    return make_ctx(arm=arm, **kwargs)


@pytest.mark.parametrize('claims, expected', [
    ({'oid': 'o', 'tid': 't', 'appid': 'a', 'idtyp': 'app'},
     {'type': 'servicePrincipal', 'objectId': 'o', 'tenantId': 't', 'appId': 'a'}),
    ({'oid': 'o', 'tid': 't', 'upn': 'ann@contoso.com', 'scp': 'user_impersonation'},
     {'type': 'user', 'objectId': 'o', 'tenantId': 't', 'upn': 'ann@contoso.com'}),
    ({'oid': 'o', 'tid': 't', 'appid': 'a', 'idtyp': 'app',
      'xms_mirid': '/subscriptions/s/resourcegroups/g/providers/Microsoft.ManagedIdentity/'
                   'userAssignedIdentities/id1'},
     {'type': 'managedIdentity', 'objectId': 'o', 'tenantId': 't', 'appId': 'a',
      'managedIdentity': '/subscriptions/s/resourcegroups/g/providers/'
                         'Microsoft.ManagedIdentity/userAssignedIdentities/id1'}),
])
def test_principal_from_token_claims(claims, expected):
    assert principal(claims) == expected


def test_identity_check_reports_the_principal_and_the_subscriptions_never_the_token():
    ctx = ctx_with()
    result, _ = run_through(ctx, 'identity')
    identity = result.facts['identity']
    assert identity['type'] == 'servicePrincipal' and identity['appId'] == APP_ID
    assert identity['objectId'] == PRINCIPAL
    assert identity['subscriptionSearched'] == ctx.arm.subscription_info['id']
    assert identity['registrySubscription'] == SUB
    entry = rendered('identity', result)
    assert entry['status'] == 'passed' and APP_ID in entry['message']
    assert 'SECRET' not in str(result.facts) + entry['message']


def test_registry_auth_settings():
    registries = {NAME: arm_registry(abac=True)}
    registries[NAME]['properties'].update(adminUserEnabled=True, anonymousPullEnabled=False,
                                          policies={'azureADAuthenticationAsArmPolicy': {
                                              'status': 'disabled'}})
    result, _ = run_through(make_ctx(registries=registries), 'registry-auth')
    message = rendered('registry-auth', result)['message']
    assert 'ABAC repository permissions' in message and 'admin user: enabled' in message
    assert 'ARM-audience tokens: refused (only ACR-audience tokens)' in message


@pytest.mark.parametrize('role, scope, abac, honoured, grants, level', [
    (ACR_PULL, RG_SCOPE, False, True, ['pull'], 'resource group'),
    (ACR_PULL, RG_SCOPE, True, False, [], 'resource group'),
    (REPO_READER, REGISTRY_ID, True, True, ['pull'], 'registry'),
    # Not documented for the legacy mode: neither claimed honoured nor refused.
    (REPO_READER, REGISTRY_ID, False, None, [], 'registry'),
    ('b24988ac-6180-42a0-ab88-20f7382dd24c', '/subscriptions/' + SUB, True, False, [],
     'subscription'),
])
def test_roles_are_honoured_by_mode(role, scope, abac, honoured, grants, level):
    ctx = ctx_with([assignment(role, scope)], abac=abac)
    result, _ = run_through(ctx, 'role-assignments')
    (entry,) = result.facts['assignments']
    assert (entry['honoured'], entry['grants'], entry['level']) == (honoured, grants, level)
    # Nothing granted is a warning: pulls and pushes with this identity will be refused.
    assert rendered('role-assignments', result)['status'] == (
        'passed' if grants or honoured is None else 'warning')


def test_a_custom_role_is_read_for_its_permissions():
    custom = 'c0ffee00-0000-4000-8000-000000000001'
    definition = {'properties': {'roleName': 'Image Puller', 'type': 'CustomRole',
                                 'permissions': [{'actions': [], 'notActions': [],
                                                  'dataActions': [
                                                      'Microsoft.ContainerRegistry/registries/'
                                                      'repositories/content/*'],
                                                  'notDataActions': [
                                                      'Microsoft.ContainerRegistry/registries/'
                                                      'repositories/content/delete']}]}}
    ctx = ctx_with([assignment(custom)], abac=True, definitions={custom: definition})
    result, _ = run_through(ctx, 'role-assignments')
    assert result.facts['assignments'][0] == {'role': 'Image Puller', 'level': 'registry',
                                              'honoured': True, 'grants': ['pull', 'push']}
    assert custom_grants(definition, LEGACY) == []


def test_reading_role_assignments_denied_is_a_warning_not_a_failure():
    denied = ArmError("ARM answered 403 AuthorizationFailed: The client 'x' does not have "
                      "authorization to perform action 'Microsoft.Authorization/roleAssignments/"
                      "read'", 403)
    result, _ = run_through(ctx_with(denied), 'role-assignments')
    entry = rendered('role-assignments', result)
    assert (entry['status'], entry['code']) == ('warning', None)
    assert 'AuthorizationFailed' in entry['message']
    assert 'needs Microsoft.Authorization/roleAssignments/read' in entry['message']


def test_a_refused_refresh_token_names_the_role_to_ask_for():
    answers = dict(healthy_answers(), **{'/oauth2/exchange': response(401, b'{"errors":[]}')})
    ctx = ctx_with([], http=FakeHttp(answers))
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.runner import run_plan
    from azext_acrhealth import report
    outcomes = run_plan(build_plan(ctx), ctx, ignore_errors=True)
    entry = {e['id']: e for e in report.build_report(outcomes, {})['checks']}['refresh-token']
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert entry['remediation'].startswith('No role assignment of yours applies to this registry')
    assert 'Ask for AcrPull on the registry' in entry['remediation']
    assert entry['details']['roleAssignments'] == []


def test_missing_push_and_delete_on_an_abac_registry_asks_for_the_role_granting_both():
    token = jwt({'access': [{'Type': 'repository', 'Name': 'r', 'Actions': ['pull']}]})
    answers = dict(healthy_answers(token))
    ctx = ctx_with([assignment(REPO_READER), assignment(ACR_PULL, RG_SCOPE)], abac=True,
                   http=FakeHttp(answers), repository='r')
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.runner import run_plan
    from azext_acrhealth import report
    outcomes = run_plan(build_plan(ctx), ctx, ignore_errors=True)
    entry = {e['id']: e for e in report.build_report(outcomes, {})['checks']}['access-token']
    assert entry['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert entry['remediation'] == (
        'AcrPull on the resource group: not honoured, the registry uses ABAC repository '
        'permissions. Ask for Container Registry Repository Contributor on the registry, or on '
        'the repository with an ABAC condition.')
    assert entry['details']['needed'] == 'pull, push, delete'
    assert entry['details']['registryMode'] == ABAC


@pytest.mark.parametrize('mode, needed, role', [
    ('AbacRepositoryPermissions', ['pull'], 'Container Registry Repository Reader'),
    ('AbacRepositoryPermissions', ['push', 'pull'], 'Container Registry Repository Writer'),
    ('AbacRepositoryPermissions', ['delete'], 'Container Registry Repository Contributor'),
    ('LegacyRegistryPermissions', ['pull'], 'AcrPull'),
    ('LegacyRegistryPermissions', ['pull', 'push'], 'AcrPush'),
    ('LegacyRegistryPermissions', ['push', 'delete'], 'AcrPush and AcrDelete'),
    ('LegacyRegistryPermissions', ['delete'], 'AcrDelete'),
    (None, ['pull'], 'AcrPull'),
])
def test_the_role_to_ask_for_grants_everything_missing(mode, needed, role):
    assert ask_for(mode, needed) == role


def test_a_condition_in_a_form_not_read_is_not_judged_and_grants_nothing_for_sure():
    explained, granted = explain([assignment(REPO_READER, condition="@Request[x] Equals 'y'")],
                                 {}, ABAC, REGISTRY_ID)
    assert explained[0]['condition'].startswith('@Request') and granted == []
    assert explained[0]['conditionJudged'] is False and explained[0]['conditional'] == ['pull']
    result, _ = run_through(ctx_with([assignment(REPO_READER, condition="@Request[x] Equals 'y'")],
                                     abac=True), 'role-assignments')
    entry = rendered('role-assignments', result)
    assert entry['status'] == 'passed'  # no false alarm: it may grant pull
    assert 'conditional: not judged (it may grant pull)' in entry['message']
    assert LOGIN  # the fakes' registry


# The documented repository conditions (container-registry-rbac-abac-repository-permissions), as
# ARM returns them after the CLI strips their newlines.
_READ = ("!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})  AND  "
         "!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})")
_NAME = '@Request[Microsoft.ContainerRegistry/registries/repositories:name]'
NGINX_ONLY = f"( (  {_READ} ) OR  (  {_NAME} StringEqualsIgnoreCase 'nginx' ))"
PREFIXES = (f"( ( {_READ} ) OR ( {_NAME} StringStartsWithIgnoreCase 'backend/' OR "
            f"{_NAME} StringStartsWithIgnoreCase 'frontend/js/' ) )")


@pytest.mark.parametrize('condition, repository, grants, admits', [
    (NGINX_ONLY, 'nginx', ['pull'], True),
    (NGINX_ONLY, 'NGINX', ['pull'], True),
    (NGINX_ONLY, 'hello-world', [], False),
    (PREFIXES, 'backend/api', ['pull'], True),
    (PREFIXES, 'frontend/js/app', ['pull'], True),
    (PREFIXES, 'frontend/css', [], False),
    (PREFIXES, 'backendsvc/api', [], False),
    (f"{_NAME} StringLike 'team-?/*'", 'team-a/app', ['pull'], True),
    (f"{_NAME} StringLike 'team-?/*'", 'team-ab/app', [], False),
    (f"@Resource[Microsoft.ContainerRegistry/registries/repositories:name] StringEquals 'app' "
     f"AND {_NAME} StringNotStartsWith 'app/'", 'app', ['pull'], True),
])
def test_a_repository_condition_is_judged_for_the_repository(condition, repository, grants,
                                                             admits):
    ctx = ctx_with([assignment(REPO_READER, condition=condition)], abac=True, repository=repository,
                   http=FakeHttp(healthy_answers(jwt({'access': [
                       {'Type': 'repository', 'Name': repository, 'Actions': ['*']}]}))))
    result, _ = run_through(ctx, 'role-assignments')
    (entry,) = result.facts['assignments']
    assert (entry['grants'], entry['conditionAdmits'], entry['conditionJudged']) == (
        grants, admits, True)
    message = rendered('role-assignments', result)['message']
    assert ('its condition admits the repository' if admits else 'excludes the repository') \
        in message, message


def test_without_a_repository_a_condition_grants_on_its_repositories_only():
    result, _ = run_through(ctx_with([assignment(REPO_READER, condition=PREFIXES)], abac=True),
                            'role-assignments')
    (entry,) = result.facts['assignments']
    assert (entry['grants'], entry['conditional']) == ([], ['pull'])
    assert entry['conditionRepositories'] == ['backend/*', 'frontend/js/*']
    message = rendered('role-assignments', result)
    assert message['status'] == 'passed', message
    assert ('Container Registry Repository Reader on the registry (grants pull on repositories '
            'backend/*, frontend/js/* only)') in message['message']


@pytest.mark.parametrize('scope, level', [
    ('/', 'root scope (/)'),
    ('/providers/Microsoft.Management/managementGroups/contoso-platform',
     'management group contoso-platform'),
    ('/subscriptions/' + SUB, 'subscription'),
    (RG_SCOPE, 'resource group'),
])
def test_every_scope_is_named(scope, level):
    result, _ = run_through(ctx_with([assignment(ACR_PULL, scope)]), 'role-assignments')
    assert result.facts['assignments'][0]['level'] == level
    assert f'AcrPull on the {level} (grants pull)' in rendered('role-assignments', result)['message']


def test_an_unreadable_custom_role_keeps_the_assignments_read():
    custom = 'c0ffee00-0000-4000-8000-000000000002'
    ctx = ctx_with([assignment(ACR_PULL), assignment(custom)],
                   definitions={custom: ArmError('ARM answered 500 InternalServerError', 500)})
    result, _ = run_through(ctx, 'role-assignments')
    pull, unknown = result.facts['assignments']
    assert pull['grants'] == ['pull'] and result.facts['granted'] == ['pull']
    assert (unknown['role'], unknown['honoured'], unknown['grants']) == (custom, None, [])
    message = rendered('role-assignments', result)['message']
    assert (f'{custom} on the registry (definition unknown: ARM answered 500 '
            'InternalServerError: not counted)') in message, message


def test_a_role_assignments_read_that_failed_on_the_network_claims_no_missing_permission():
    failed = ArmError('connection refused')
    result, _ = run_through(ctx_with(failed), 'role-assignments')
    entry = rendered('role-assignments', result)
    assert (entry['status'], result.finding) == ('warning', 'roles.unreadable')
    assert 'connection refused' in entry['message']
    assert 'roleAssignments/read' not in entry['message']


def test_thousands_of_assignments_are_summarised_and_kept_in_details():
    many = [assignment(ACR_PULL, scope) for scope in
            ['/subscriptions/{}/resourceGroups/rg{}'.format(SUB, n) for n in range(5000)]]
    result, _ = run_through(ctx_with(many), 'role-assignments')
    entry = rendered('role-assignments', result)
    assert len(entry['details']['assignments']) == 5000
    assert len(entry['message']) < 1000, len(entry['message'])
    assert entry['message'].endswith('and 4,990 more (see details).')
