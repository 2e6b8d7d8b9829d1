# acrhealth (MIT licence). Real registry configurations and hostile server text, end to end.
"""The lab's rows built from real recorded bodies (private endpoints with public access, public
access disabled but resolved publicly, regional endpoints, a dual-stack registry with a dead
IPv6 address, role assignments at the root scope, a management group and with ABAC conditions,
a custom role ARM fails to give, thousands of assignments) and its hostile-text rows (escape
sequences and forged lines in a data endpoint's name, a custom role's name and a registry's
error), checked by the installed extension with the real ``az``: no false alarm on a healthy
configuration, and nothing a server sent reaches the terminal raw, on stderr (the view) or in
``-o table``. Each row is run once, several at a time."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.lab import scenarios as S

ROWS = ('pependingpublic', 'peapprovedpublic', 'peprivateonly', 'regional', 'dualstack',
        'dualstacksilent',
        'rolesrootscope', 'rolescondition', 'rolesdefunknown', 'rolesthousands',
        'escdataendpoint', 'escrolename', 'escregistryerror')
ESCAPES = ('escdataendpoint', 'escrolename', 'escregistryerror')
LINE_ENDS = '\n'


def _run(lab, ext, name, output):
    sc = S.scenario(name)
    argv = ['az', 'acr', 'check-health', '-n', sc.registry, '--yes', '--ignore-errors',
            '--timeout', '5', '-o', output] + list(sc.extra_args)
    # A table is cut to the terminal's width (120 without one): wide enough here for whole rows.
    env = {'COLUMNS': '400'} if output == 'table' else None
    return lab.run(argv, extension_dir=ext, cloud=sc.cloud, env=env, timeout=120)


@pytest.fixture(scope='module')
def runs(lab, ext):
    """Every row with -o json, and the hostile-text rows with -o table too."""
    jobs = [(name, 'json') for name in ROWS] + [(name, 'table') for name in ESCAPES]
    with ThreadPoolExecutor(4) as pool:
        done = list(pool.map(lambda job: _run(lab, ext, *job), jobs))
    return dict(zip(jobs, done))


def checks_of(result):
    return {check['id']: check for check in json.loads(result.stdout)['checks']}


def endpoints_of(result):
    return json.loads(result.stdout)['endpoints']


@pytest.mark.parametrize('name', ROWS)
def test_every_row_ends_as_its_table_says(runs, name):
    result, sc = runs[(name, 'json')], S.scenario(name)
    assert 'Traceback' not in result.stderr, result.stderr[-2000:]
    report = json.loads(result.stdout)
    failed = [c['code'] for c in report['checks'] if c['status'] == 'failed']
    if sc.code is None:  # no false alarm on a healthy configuration
        assert (result.returncode, failed) == (0, []), result.stderr[-3000:]
    else:
        assert result.returncode == 1 and sc.code in failed, result.stderr[-3000:]


@pytest.mark.parametrize('name, states', [('pependingpublic', {'Pending': 1}),
                                          ('peapprovedpublic', {'Approved': 1})])
def test_a_private_endpoint_with_public_access_is_a_path_not_a_fault(runs, name, states):
    result = runs[(name, 'json')]
    endpoint = checks_of(result)['endpoints']
    assert endpoint['status'] == 'passed', endpoint
    assert endpoint['details']['privateOnly'] is False
    assert endpoint['details']['privateEndpoints'] == {'connections': states, 'path': 'public'}
    assert 'this client takes the public path' in endpoint['message']
    login = endpoints_of(result)[0]
    assert (login['addresses'], login['private']) == ([S.PUBLIC_IP], False)


def test_public_access_disabled_but_resolved_publicly_gets_network_advice(runs):
    checks = checks_of(runs[('peprivateonly', 'json')])
    refresh = checks['refresh-token']
    assert (refresh['status'], refresh['code']) == ('failed', 'CONNECTIVITY_REFRESH_TOKEN_ERROR')
    assert "the registry's network settings keep this client out" in refresh['message']
    assert "client with IP '{}' is not allowed access".format(S.PUBLIC_CLIENT_IP) in \
        refresh['message']
    assert refresh['remediation'].startswith('Public network access to peprivateonly is disabled')
    assert 'AcrPull' not in refresh['remediation']  # not a role problem
    endpoint = checks['endpoints']
    assert (endpoint['status'], endpoint['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')
    assert endpoint['message'].startswith('The registry takes private connections only, but from '
                                          'here peprivateonly' + S.ACR_SUFFIX)


def test_regional_endpoints_are_probed(runs):
    result = runs[('regional', 'json')]
    rows = [(e['host'], e['role'], e['region'], e['dns'], e['tcp'], e['tls'])
            for e in endpoints_of(result)]
    assert rows == [('regional' + S.ACR_SUFFIX, 'loginServer', S.LOCATION) + ('passed',) * 3,
                    (S.regional_host('regional'), 'regionalEndpoint', S.LOCATION) +
                    ('passed',) * 3]
    assert '(regional endpoint, {})'.format(S.LOCATION) in checks_of(result)['endpoints']['message']


def test_a_dead_ipv6_address_is_a_note_and_ipv4_is_used(runs):
    result = runs[('dualstack', 'json')]
    checks = checks_of(result)
    assert checks['dns']['details']['addresses'][0] == S.DEAD_IPV6  # sorted first (RFC 6724)
    for endpoint in endpoints_of(result):
        assert (endpoint['tcp'], endpoint['tls']) == ('passed', 'passed'), endpoint
        assert [(a['address'], a['tcp']) for a in endpoint['attempts']] == [
            (S.DEAD_IPV6, 'failed'), ('127.0.0.10', 'passed')], endpoint
    message = checks['endpoints']['message']
    assert checks['endpoints']['status'] == 'passed'
    assert 'Note: {} did not connect on {} (connection refused); it did on 127.0.0.10'.format(
        S.data_host('dualstack'), S.DEAD_IPV6) in message, message


def test_an_ipv6_address_that_never_answers_leaves_ipv4_its_chance(runs):
    # urllib3 tries a host's addresses in turn: the first may not take all of the call's time.
    result = runs[('dualstacksilent', 'json')]
    checks = checks_of(result)
    assert checks['dns']['details']['addresses'][0] == S.SILENT_IPV6
    assert checks['challenge']['status'] == 'passed', checks['challenge']
    assert checks['access-token']['status'] == 'passed', checks['access-token']
    endpoint = checks['endpoints']
    assert endpoint['status'] == 'passed', endpoint
    assert 'Note: {} did not connect on {}'.format(S.data_host('dualstacksilent'), S.SILENT_IPV6) in \
        endpoint['message'], endpoint['message']


def test_root_scope_and_management_group_assignments_are_named(runs):
    roles = checks_of(runs[('rolesrootscope', 'json')])['role-assignments']
    assert roles['status'] == 'passed'
    assert 'AcrPush on the root scope (/) (grants pull, push)' in roles['message'], roles
    assert 'Reader on the management group lab-platform (grants pull)' in roles['message'], roles


def test_conditions_are_judged_for_the_repository(runs):
    checks = checks_of(runs[('rolescondition', 'json')])
    reader, writer = checks['role-assignments']['details']['assignments']
    assert (reader['grants'], reader['conditionAdmits']) == (['pull'], True), reader
    assert (writer['grants'], writer['conditionAdmits']) == ([], False), writer
    assert writer['conditionRepositories'] == ['backend/*']
    assert 'its condition (repositories backend/*) excludes the repository' in \
        checks['role-assignments']['message']
    access = checks['access-token']
    assert (access['status'], access['code']) == ('failed', 'CONNECTIVITY_ACCESS_TOKEN_ERROR')
    assert 'Ask for Container Registry Repository Contributor' in access['remediation']


def test_a_custom_role_arm_fails_to_give_keeps_the_rest(runs):
    roles = checks_of(runs[('rolesdefunknown', 'json')])['role-assignments']
    assert roles['status'] == 'passed' and roles['details']['granted'] == ['pull', 'push']
    assert 'definition unknown: ARM answered 500 InternalServerError' in roles['message'], roles


def test_thousands_of_assignments_are_summarised(runs):
    roles = checks_of(runs[('rolesthousands', 'json')])['role-assignments']
    assert len(roles['details']['assignments']) == 5001
    assert len(roles['message']) < 2000 and roles['message'].endswith('more (see details).')


def _raw_controls(text, c0_only=False):
    return sorted({repr(char) for char in text if (ord(char) < 32 and char not in LINE_ENDS) or (
        not c0_only and (0x7f <= ord(char) <= 0x9f or char in '\u202e\u2028\u2029'))})


@pytest.mark.parametrize('name', ESCAPES)
@pytest.mark.parametrize('output', ['json', 'table'])
def test_server_text_never_reaches_the_terminal_raw(runs, name, output):
    result = runs[(name, output)]
    assert 'Traceback' not in result.stderr
    for stream in (result.stdout, result.stderr):
        # JSON escapes C0 controls (ESC among them) and keeps the rest of the text as it is (the
        # CLI writes it with ensure_ascii=False): the view and the table escape everything.
        assert _raw_controls(stream, c0_only=stream is result.stdout and output == 'json') == [], \
            stream[-3000:]
        # the forged line stays inside the line of the check that quoted it
        assert not [line for line in stream.splitlines()
                    if line.lstrip().startswith('\u2713 No problem found')], stream[-3000:]
    if output == 'table':
        assert '\\x1b[' in result.stdout  # shown, escaped, in the table (which lists the checks)
    else:
        assert '\\x1b[' in result.stderr  # shown, escaped, in the view


def test_a_registry_error_code_with_escapes_is_shown_escaped(lab, ext):
    """The --image pull quotes the registry's error code: one that clears the screen and draws
    a "No problem found" is shown as text, on its own check's line."""
    argv = ['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '--ignore-errors', '--timeout',
            '5', '--image', S.IMAGE_ESCAPES, '-o', 'table']
    result = lab.run(argv, extension_dir=ext, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    for stream in (result.stdout, result.stderr):
        assert _raw_controls(stream) == [], stream[-3000:]
        assert not [line for line in stream.splitlines()
                    if line.lstrip().startswith('\u2713 No problem found')], stream[-3000:]
    # With -o table, the table lists the checks: the check's row, wrapped over its lines.
    lines = result.stdout.splitlines()
    first = next(index for index, line in enumerate(lines) if line.startswith('Image pull '))
    end = next((index for index in range(first + 1, len(lines))
                if not lines[index].startswith(' ')), len(lines))
    text = ' '.join(line.strip() for line in lines[first:end])
    # the forged line stays inside the check's own row, its controls made harmless
    assert '(MANIFEST_UNKNOWN' in text and 'No problem found' in text, lines[first:end]
