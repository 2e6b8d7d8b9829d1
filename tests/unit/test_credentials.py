# acrhealth (MIT licence). Docker's credentials for the login server: config files, helpers,
# mis-keyed entries; never a secret in a fact or a message.
import base64
import json

import pytest

from azext_acrhealth.checks.base import CheckResult
from azext_acrhealth.checks.credentials import NOT_FOUND, check_docker_credentials, miskeyed

from .connectivity_fakes import LOGIN, rendered
from .fakes import fail, make_ctx, ok, timed_out

SECRET = 'DOCKER-SECRET-do-not-print-9f8e7d'
LOGIN_RESULT = {'login-server': CheckResult('registry.login_server.arm',
                                            {'loginServer': LOGIN, 'name': 'myreg'})}


def home(tmp_path, config=None, podman=None):
    """A HOME (and XDG_RUNTIME_DIR) with the given Docker and Podman configs."""
    environ = {'HOME': str(tmp_path), 'XDG_RUNTIME_DIR': str(tmp_path / 'run')}
    if config is not None:
        (tmp_path / '.docker').mkdir()
        (tmp_path / '.docker' / 'config.json').write_text(
            config if isinstance(config, str) else json.dumps(config))
    if podman is not None:
        (tmp_path / 'run' / 'containers').mkdir(parents=True)
        (tmp_path / 'run' / 'containers' / 'auth.json').write_text(json.dumps(podman))
    return environ


def check(environ, tools=None, answers=None):
    ctx, processes = make_ctx(tools=tools, answers=answers, environ=environ)
    result = check_docker_credentials(ctx, LOGIN_RESULT)
    entry = rendered('docker-credentials', result)
    assert SECRET not in json.dumps(result.facts) + entry['message'] + (entry['remediation'] or '')
    return result, entry, processes


def auth(user, secret=SECRET):
    return base64.b64encode('{}:{}'.format(user, secret).encode()).decode()


def test_no_config_no_credentials(tmp_path):
    result, entry, _ = check(home(tmp_path))
    assert result.finding == 'credentials.none' and entry['status'] == 'passed'


def test_an_entry_in_the_file_reports_the_user_only(tmp_path):
    user = '00000000-0000-0000-0000-000000000000'
    result, entry, _ = check(home(tmp_path, {'auths': {LOGIN: {'auth': auth(user)}}}))
    assert result.finding == 'credentials.saved'
    assert (result.facts['username'], result.facts['hasSecret']) == (user, True)
    assert user in entry['message']


def test_a_helper_that_is_not_on_path_is_a_warning(tmp_path):
    result, entry, _ = check(home(tmp_path, {'credsStore': 'desktop'}))
    assert (entry['status'], entry['code']) == ('warning', 'DOCKER_CREDENTIALS_ERROR')
    assert 'docker-credential-desktop is not on PATH' in entry['message']
    assert entry['docsUrl'].endswith('README.rst#docker_credentials_error')


def test_the_helper_is_asked_with_the_login_server_on_stdin(tmp_path):
    answer = ok(json.dumps({'ServerURL': LOGIN, 'Username': 'ann', 'Secret': SECRET}) + '\n')
    result, entry, processes = check(
        home(tmp_path, {'credsStore': 'secretservice'}),
        tools={'docker-credential-secretservice': '/usr/bin/docker-credential-secretservice'},
        answers={('docker-credential-secretservice', 'get'): answer})
    assert result.finding == 'credentials.saved' and result.facts['username'] == 'ann'
    assert processes.inputs == [LOGIN.encode()]
    assert processes.calls[0][0] == ['/usr/bin/docker-credential-secretservice', 'get']


def test_cred_helpers_win_over_creds_store(tmp_path):
    config = {'credsStore': 'desktop', 'credHelpers': {LOGIN: 'acr-env'}}
    result, _, processes = check(
        home(tmp_path, config), tools={'docker-credential-acr-env': '/bin/docker-credential-acr-env'},
        answers={('docker-credential-acr-env', 'get'): fail(stdout=NOT_FOUND + '\n')})
    assert result.finding == 'credentials.none'
    assert processes.calls[0][0][0].endswith('docker-credential-acr-env')


@pytest.mark.parametrize('answer, finding', [
    (timed_out(), 'credentials.helper_timeout'),
    (fail(stdout='error getting credentials - err: exit status 1, out: `dbus unavailable`\n'),
     'credentials.helper_failed'),
    (ok('not json'), 'credentials.helper_failed'),
    (ok('[' * 100000), 'credentials.helper_failed'),  # nested past Python's recursion limit
])
def test_a_helper_that_fails_or_hangs_is_a_warning(tmp_path, answer, finding):
    result, entry, _ = check(
        home(tmp_path, {'credsStore': 'pass'}), tools={'docker-credential-pass': '/bin/dcp'},
        answers={('dcp', 'get'): answer})
    assert result.finding == finding
    assert (entry['status'], entry['code']) == ('warning', 'DOCKER_CREDENTIALS_ERROR')


@pytest.mark.parametrize('key, problem', [
    ('MyReg.azurecr.io', 'upper case'),
    (LOGIN + ':443', 'a port'),
    ('https://{}/v2/'.format(LOGIN), 'a scheme or path'),
])
def test_mis_keyed_entries_are_flagged(tmp_path, key, problem):
    result, entry, _ = check(home(tmp_path, {'auths': {key: {'auth': auth('ann')}}}))
    assert result.finding == 'credentials.miskeyed'
    assert result.facts['key'] == key and problem in result.facts['problem']
    assert entry['code'] == 'DOCKER_CREDENTIALS_ERROR'


def test_other_registries_are_left_alone():
    assert miskeyed({'docker.io': {}, 'other.azurecr.io': {}, LOGIN: {}}, LOGIN) == []


def test_an_unreadable_config_is_a_warning(tmp_path):
    result, entry, _ = check(home(tmp_path, '{"auths": {'))
    assert result.finding == 'credentials.unreadable' and 'not valid JSON' in entry['message']


def test_podman_auth_json_is_read(tmp_path):
    result, _, _ = check(home(tmp_path, podman={'auths': {LOGIN: {'auth': auth('bob')}}}))
    assert result.finding == 'credentials.saved' and result.facts['username'] == 'bob'
    assert result.facts['client'] == 'podman'
