# acrhealth (MIT licence). Why am I denied, through the real `az` in the lab: the identity, the
# registry's auth settings, role assignments explained in the registry's mode, Docker credentials.
import base64
import json
import os
import stat

import pytest

from tests.e2e.conftest import check_health as run, report_checks as checks
from tests.lab import scenarios as S

SECRET = 'LAB-DOCKER-SECRET-must-never-show-3c2b1a'


def test_identity_and_settings_in_json_and_briefly_on_stderr(lab, ext):
    result = run(lab, ext, 'healthy')
    report = json.loads(result.stdout)
    assert report['identity'] == {
        'type': 'servicePrincipal', 'objectId': S.SP_OBJECT_ID, 'tenantId': S.TENANT_ID,
        'appId': S.SP_APP_ID, 'subscriptionSearched': S.SUBSCRIPTION_ID,
        'registrySubscription': S.SUBSCRIPTION_ID, 'registryTenant': S.TENANT_ID}
    found = checks(result)
    assert found['registry-auth']['details']['settings']['roleAssignmentMode'] == \
        'LegacyRegistryPermissions'
    roles = found['role-assignments']
    assert roles['details']['assignments'] == [{'role': 'AcrPush', 'level': 'resource group',
                                                'honoured': True, 'grants': ['pull', 'push']}]
    assert 'Signed in as service principal ' + S.SP_APP_ID in result.stderr
    assert 'Role assignment mode: RBAC registry permissions' in result.stderr
    assert 'your role assignments grant pull, push' in result.stderr


def test_acrpull_on_an_abac_registry_is_explained(lab, ext):
    result = run(lab, ext, 'abacacrpull', '--repository', S.PULLONLY_REPOSITORY)
    access = checks(result)['access-token']
    assert (access['status'], access['code']) == ('failed', 'CONNECTIVITY_ACCESS_TOKEN_ERROR')
    assert access['remediation'].startswith(
        'AcrPull on the resource group: not honoured, the registry uses ABAC repository '
        'permissions. Ask for Container Registry Repository Contributor on the registry')
    assert access['details']['needed'] == 'pull, push, delete'  # --repository asks for all
    assert access['details']['roleAssignments'][0]['honoured'] is False
    assert access['message'] == (f'The access token for {S.PULLONLY_REPOSITORY} grants no action: '
                                 'it lacks pull, push, metadata_read, metadata_write, delete.')
    # Nothing granted is said before any token is asked for, as a warning.
    roles = checks(result)['role-assignments']
    assert (roles['status'], roles['code']) == ('warning', None)
    assert roles['message'].startswith("In this registry's mode (ABAC repository permissions) "
                                       'your role assignments grant nothing on hello-world: AcrPull on the '
                                       'resource group (not honoured in this mode).')


def test_repository_reader_on_an_abac_registry_lacks_push(lab, ext):
    result = run(lab, ext, 'pullonly', '--repository', S.PULLONLY_REPOSITORY)
    access = checks(result)['access-token']
    assert access['details']['roleAssignments'] == [{
        'role': 'Container Registry Repository Reader', 'level': 'registry', 'honoured': True,
        'grants': ['pull']}]
    # It lacks push and delete too: the one role that grants them all.
    assert 'Ask for Container Registry Repository Contributor' in access['remediation']


def test_no_assignment_is_explained(lab, ext):
    refresh = checks(run(lab, ext, 'exchangedenied'))['refresh-token']
    assert refresh['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert refresh['remediation'].startswith('No role assignment of yours applies to this '
                                             'registry, which uses RBAC registry permissions')
    assert 'Ask for AcrPull on the registry' in refresh['remediation']


def test_a_custom_role_is_read_and_a_refusal_despite_it_says_so(lab, ext):
    lab.clear_requests()
    access = checks(run(lab, ext, 'tokendenied'))['access-token']
    assert access['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert 'grant pull here (Lab Image Puller on the registry)' in access['remediation']
    definitions = [e for e in lab.requests() if 'roleDefinitions' in e.get('path', '')]
    assert [e['path'].rsplit('/', 1)[-1] for e in definitions] == [S.CUSTOM_ROLE_ID]


def test_role_assignments_that_may_not_be_read_are_a_warning(lab, ext):
    result = run(lab, ext, 'rolesdenied')
    roles = checks(result)['role-assignments']
    assert roles['status'] == 'warning' and 'AuthorizationFailed' in roles['message']
    assert result.returncode == 0 and json.loads(result.stdout)['status'] == 'healthy'


def test_a_registry_that_refuses_arm_audience_tokens(lab, ext):
    result = run(lab, ext, 'acraudienceonly')
    assert result.returncode == 0, result.stderr[-1500:]
    assert 'ARM-audience tokens: refused (only ACR-audience tokens)' in \
        checks(result)['registry-auth']['message']
    assert checks(result)['refresh-token']['status'] == 'passed'
    # AcrPull on a legacy-mode registry: honoured, grants pull
    assert checks(result)['role-assignments']['details']['assignments'] == [
        {'role': 'AcrPull', 'level': 'registry', 'honoured': True, 'grants': ['pull']}]


def test_anonymous_pull_is_shown(lab, ext):
    auth = checks(run(lab, ext, 'anonymouspull'))['registry-auth']
    assert auth['details']['settings']['anonymousPullEnabled'] is True
    assert 'anonymous pull: enabled' in auth['message']


# ---- Docker credentials ---------------------------------------------------------------------

def docker_home(tmp_path, config, helpers=()):
    """A DOCKER_CONFIG holding CONFIG and a bin directory with the named helper scripts."""
    config_dir, bin_dir = tmp_path / 'docker', tmp_path / 'bin'
    config_dir.mkdir()
    bin_dir.mkdir()
    (config_dir / 'config.json').write_text(json.dumps(config))
    for name, body in helpers:
        helper = bin_dir / ('docker-credential-' + name)
        helper.write_text('#!/bin/sh\n' + body + '\n')
        helper.chmod(helper.stat().st_mode | stat.S_IEXEC)
    for path in (tmp_path, config_dir, bin_dir):
        os.chmod(str(path), 0o755)
    return {'DOCKER_CONFIG': str(config_dir),
            'PATH': '{}:{}'.format(bin_dir, lab_path())}


def lab_path():
    from tests.lab.lab import VENV_BIN
    return VENV_BIN + os.pathsep + os.environ.get('PATH', '/usr/local/bin:/usr/bin:/bin')


LOGIN = 'healthy' + S.ACR_SUFFIX
SAVED = base64.b64encode('00000000-0000-0000-0000-000000000000:{}'.format(SECRET).encode()).decode()


@pytest.mark.parametrize('name, config, helpers, finding, says', [
    ('missing helper', {'credsStore': 'desktop'}, (), 'credentials.helper_missing',
     'docker-credential-desktop is not on PATH'),
    ('silent helper', {'credHelpers': {LOGIN: 'slow'}}, (('slow', 'sleep 30'),),
     'credentials.helper_timeout', 'did not answer within 5 s'),
    ('upper-case entry', {'auths': {'Healthy' + S.ACR_SUFFIX: {'auth': SAVED}}}, (),
     'credentials.miskeyed', 'upper case'),
    ('helper with a secret', {'credsStore': 'lab'},
     (('lab', 'read server; printf \'{"ServerURL":"%s","Username":"labuser","Secret":"' + SECRET
       + '"}\' "$server"'),), 'credentials.saved', 'user labuser, with a secret'),
])
def test_docker_credentials(lab, ext, tmp_path, name, config, helpers, finding, says):
    result = run(lab, ext, 'healthy', env=docker_home(tmp_path, config, helpers))
    creds = checks(result)['docker-credentials']
    assert says in creds['message'], creds
    if finding == 'credentials.saved':
        assert creds['status'] == 'passed'
    else:
        assert (creds['status'], creds['code']) == ('warning', 'DOCKER_CREDENTIALS_ERROR')
        assert creds['docsUrl'].endswith('README.rst#docker_credentials_error')
    assert result.returncode == 0  # a warning: the registry workflow itself works


def test_no_docker_secret_in_any_output_even_with_debug(lab, ext, tmp_path):
    env = docker_home(tmp_path, {'auths': {LOGIN: {'auth': SAVED}}, 'credHelpers': {
        'other' + S.ACR_SUFFIX: 'lab'}}, (('lab', 'printf \'{"Username":"u","Secret":"'
                                          + SECRET + '"}\''),))
    result = run(lab, ext, 'healthy', env=env, debug=True)
    for text in (result.stdout, result.stderr):
        assert SECRET not in text
        assert SAVED not in text
    assert 'Docker has credentials for ' + LOGIN in result.stderr
