# acrhealth (MIT licence). Why am I denied: identity, registry auth settings, role assignments.
import pytest

from azext_acrhealth._azure import ArmError
from azext_acrhealth.checks.access import ABAC, LEGACY, custom_grants, explain, principal

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
    (REPO_READER, REGISTRY_ID, False, False, [], 'registry'),
    ('b24988ac-6180-42a0-ab88-20f7382dd24c', '/subscriptions/' + SUB, True, False, [],
     'subscription'),
])
def test_roles_are_honoured_by_mode(role, scope, abac, honoured, grants, level):
    ctx = ctx_with([assignment(role, scope)], abac=abac)
    result, _ = run_through(ctx, 'role-assignments')
    (entry,) = result.facts['assignments']
    assert (entry['honoured'], entry['grants'], entry['level']) == (honoured, grants, level)
    # Nothing granted is a warning: pulls and pushes with this identity will be refused.
    assert rendered('role-assignments', result)['status'] == ('passed' if grants else 'warning')


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
    from azext_acrhealth.checks.access import ask_for
    assert ask_for(mode, needed) == role


def test_explain_marks_conditions():
    explained, granted = explain([assignment(REPO_READER, condition="@Request[x] Equals 'y'")],
                                 {}, ABAC, REGISTRY_ID)
    assert explained[0]['condition'].startswith('@Request') and granted == ['pull']
    assert LOGIN  # the fakes' registry
