# acrhealth (MIT licence). What needs action, in the order people read it; advice that matches
# the finding (issue 18, part 5).
from azext_acrhealth import actions, catalogue, report, view
from tests.unit.test_report import CLIENT, DAEMON_DOWN, ENVIRONMENT, HELM_MISSING, outcome
from tests.unit.test_view import plain

NOTARY_UNKNOWN = outcome('notary', 'Notary', 'notary.unknown_version',
                         {'path': '/usr/bin/notary', 'output': 'notary | Version: | Git commit:'},
                         'NOTARY_VERSION_ERROR')
NO_ROLES = outcome('role-assignments', 'Role assignments', 'roles.none',
                   {'mode': 'LegacyRegistryPermissions', 'assignments': []})
CREDENTIALS = outcome('docker-credentials', 'Docker credentials', 'credentials.helper_missing',
                      {'helper': 'desktop', 'executable': 'docker-credential-desktop',
                       'loginServer': 'r.azurecr.io', 'file': '/h/.docker/config.json'},
                      'DOCKER_CREDENTIALS_ERROR')
REFUSED_ROLES = outcome('refresh-token', 'Refresh token', 'connectivity.refresh.denied_roles',
                        {'url': 'https://r.azurecr.io/oauth2/exchange', 'statusCode': 401,
                         'roleAssignments': [], 'registryMode': 'LegacyRegistryPermissions',
                         'needed': 'pull', 'askFor': 'AcrPull'},
                        'CONNECTIVITY_REFRESH_TOKEN_ERROR')
REFUSED = outcome('refresh-token', 'Refresh token', 'connectivity.refresh.denied',
                  {'url': 'https://r.azurecr.io/oauth2/exchange', 'statusCode': 401},
                  'CONNECTIVITY_REFRESH_TOKEN_ERROR')


def summary(outcomes):
    return [plain(line) for line in view.summary_lines(
        report.build_report(outcomes, ENVIRONMENT), 1)]


def test_the_registrys_findings_come_before_optional_clients():
    built = report.build_report([CLIENT, HELM_MISSING, NOTARY_UNKNOWN, CREDENTIALS, REFUSED],
                                ENVIRONMENT)
    assert [entry['id'] for entry in actions.needs_action(built)] == [
        'refresh-token', 'docker-credentials', 'helm', 'notary']
    lines = summary([CLIENT, HELM_MISSING, NOTARY_UNKNOWN, CREDENTIALS, REFUSED])
    marks = [line.split(' (')[0] for line in lines if line[:1] in ('\u2717', '!')]
    assert marks == ['\u2717 CONNECTIVITY_REFRESH_TOKEN_ERROR', '! DOCKER_CREDENTIALS_ERROR',
                     '! HELM_COMMAND_ERROR', '! NOTARY_VERSION_ERROR']


def test_the_exchange_refusal_is_explained_once():
    # The refused token's fix is written from the role assignments: their own warning, word
    # for word its check line, is not repeated in the summary.
    lines = summary([CLIENT, NO_ROLES, REFUSED_ROLES])
    assert not [line for line in lines if line.startswith('! Role assignments')]
    assert lines[1] == '1 of 3 checks needs action (1 passed, 1 failed, 1 with warnings; 1 s):'
    assert lines[2] == ('\u2717 CONNECTIVITY_REFRESH_TOKEN_ERROR (Refresh token): No role '
                        'assignment of yours applies to this registry, which uses RBAC registry '
                        'permissions. Ask for AcrPull on the registry; then run `az login` '
                        'again.')


def test_role_assignments_that_no_fix_explains_stay_in_the_summary():
    lines = summary([CLIENT, NO_ROLES, REFUSED])
    assert [line for line in lines if line.startswith('! Role assignments: None of your role')]


def test_when_only_optional_clients_need_action_one_line_names_the_skip():
    lines = summary([CLIENT, HELM_MISSING, NOTARY_UNKNOWN])
    assert lines[-2] == ('Only optional clients need action: where Helm or Notary is not used, '
                         '--skip helm notary leaves them out.')
    assert summary([CLIENT, HELM_MISSING])[-2] == (
        'Only optional clients need action: where Helm is not used, --skip helm leaves it out.')


def test_no_optional_client_line_when_something_else_needs_action():
    for outcomes in ([CLIENT, HELM_MISSING, DAEMON_DOWN], [CLIENT, HELM_MISSING, CREDENTIALS],
                     [CLIENT]):
        assert not [line for line in summary(outcomes) if 'optional clients' in line]


def test_a_notary_that_does_not_say_its_version_gets_its_own_advice():
    entry = report.check_entry(*NOTARY_UNKNOWN)
    assert (entry['status'], entry['code']) == ('warning', 'NOTARY_VERSION_ERROR')
    assert 'earlier than 0.6.0' not in entry['remediation']
    assert entry['remediation'].startswith('If you sign images with Docker Content Trust, check '
                                           'that this Notary client works with your registry')
    assert '--skip notary' in entry['remediation']
    # A Notary known to be too new keeps the documented advice.
    too_new = report.check_entry(*outcome('notary', 'Notary', 'notary.incompatible',
                                          {'path': '/n', 'version': '0.7.0',
                                           'minimum': '0.6.0'}, 'NOTARY_VERSION_ERROR'))
    assert too_new['remediation'] == catalogue.CODES['NOTARY_VERSION_ERROR'].remediation
    assert 'earlier than 0.6.0' in too_new['remediation']
