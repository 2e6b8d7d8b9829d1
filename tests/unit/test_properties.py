# acrhealth (MIT licence). Property-based tests (hypothesis): hostile input never escapes a check.
import json

from hypothesis import HealthCheck, assume, given, settings, strategies as st

from azext_acrhealth import catalogue
from azext_acrhealth._http import bearer_params, parse_challenges
from azext_acrhealth.checks.base import CheckResult
from azext_acrhealth._oauth import granted_actions, token_claims

from .connectivity_fakes import (LOGIN, FakeHttp, b64url, challenge_response, check_by_id,
                                 healthy_answers, make_ctx, rendered, response, run_through)

SETTINGS = settings(max_examples=150, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                                max_size=5),
    max_leaves=20)

# Header text that looks like challenges: RFC 7235 punctuation, quotes, escapes, tokens.
challenge_text = st.lists(st.sampled_from(
    ['Bearer', 'bearer', 'Basic', 'Negotiate', ' ', '\t', ',', '=', '"', '\\', 'realm', 'service',
     'scope', '"https://{}/oauth2/token"'.format(LOGIN), 'abc==', 'x', '\u00e9', '\x00']),
    max_size=30).map(''.join)
header_values = st.lists(st.one_of(st.text(max_size=60), challenge_text), max_size=4)

statuses = st.integers(min_value=100, max_value=599)
bodies = st.one_of(
    st.binary(max_size=300),
    json_values.map(lambda value: json.dumps(value).encode('utf-8')),
    st.dictionaries(st.sampled_from(['refresh_token', 'access_token', 'error']), json_values,
                    max_size=3).map(lambda value: json.dumps(value).encode('utf-8')))


def assert_reportable(check_id, result):
    assert isinstance(result, CheckResult)
    found = catalogue.finding(result.finding)
    if not result.passed:
        assert result.status in (catalogue.FAILED, catalogue.WARNING, catalogue.SKIPPED)
        if result.status != catalogue.SKIPPED:
            assert (found.code or check_by_id(check_id).code) in catalogue.CODES
    rendered(check_id, result)


@SETTINGS
@given(header_values)
def test_parse_challenges_never_raises(values):
    challenges = parse_challenges(values)
    assert isinstance(challenges, list)
    for scheme, params in challenges:
        assert isinstance(scheme, str) and scheme
        assert all(isinstance(k, str) and k == k.lower() and isinstance(v, str)
                   for k, v in params.items())
    params = bearer_params(challenges)
    assert params is None or isinstance(params, dict)


@SETTINGS
@given(st.text(max_size=200))
def test_parse_challenges_of_one_text_never_raises(value):
    assert isinstance(parse_challenges([value]), list)


@SETTINGS
@given(statuses, header_values)
def test_challenge_check_any_answer_gives_a_finding(status, values):
    ctx = make_ctx(http=FakeHttp({'/v2/': response(status, b'', challenges=values)}))
    result, _ = run_through(ctx, 'challenge')
    assert_reportable('challenge', result)
    if result.passed:
        assert status == 401 and result.facts['realm'] and result.facts['service']


@SETTINGS
@given(statuses, bodies)
def test_refresh_token_check_any_answer_gives_a_finding(status, body):
    http = FakeHttp(dict(healthy_answers(), **{'/oauth2/exchange': response(status, body)}))
    result, _ = run_through(make_ctx(http=http), 'refresh-token')
    assert_reportable('refresh-token', result)
    if result.passed:
        assert status == 200 and isinstance(result.data, str) and result.data


@SETTINGS
@given(st.text(max_size=80))
def test_refresh_token_check_any_realm_never_raises(realm):
    # Braces too: the report test looks for unfilled {placeholders} in the message.
    realm = realm.replace('\\', '').replace('"', '').replace('{', '').replace('}', '')
    value = 'Bearer realm="{}",service="{}"'.format(realm, LOGIN)
    http = FakeHttp(dict(healthy_answers(), **{'/v2/': challenge_response(value)}))
    ctx = make_ctx(http=http)
    challenge, _ = run_through(ctx, 'challenge')
    assume(challenge.passed)  # an empty realm fails the challenge: nothing to exchange
    http.calls.clear()
    result, _ = run_through(ctx, 'refresh-token')
    assert_reportable('refresh-token', result)
    if result.finding == 'connectivity.refresh.foreign_realm':
        assert [method for method, _, _ in http.calls] == ['GET']


@SETTINGS
@given(statuses, bodies, st.sampled_from([None, 'r', 'team/app']))
def test_access_token_check_any_answer_gives_a_finding(status, body, repository):
    http = FakeHttp(dict(healthy_answers(), **{'/oauth2/token': response(status, body)}))
    result, _ = run_through(make_ctx(http=http, repository=repository), 'access-token')
    assert_reportable('access-token', result)


tokens = st.one_of(
    st.text(max_size=100),
    st.tuples(st.text(max_size=10), json_values, st.text(max_size=10)).map(
        lambda parts: '{}.{}.{}'.format(parts[0], b64url(parts[1]), parts[2])),
    st.binary(max_size=60).map(lambda raw: 'h.{}.s'.format(b64url(raw))),
    st.dictionaries(st.just('access'), json_values, max_size=1).map(
        lambda claims: 'h.{}.s'.format(b64url(claims))))


@SETTINGS
@given(tokens, st.sampled_from(['r', 'team/app']))
def test_access_token_check_any_token_gives_a_finding(token, repository):
    http = FakeHttp(dict(healthy_answers(), **{'/oauth2/token': response(
        200, json.dumps({'access_token': token}).encode('utf-8'))}))
    result, _ = run_through(make_ctx(http=http, repository=repository), 'access-token')
    assert_reportable('access-token', result)
    if result.passed:
        assert result.facts['missing'] == []


@SETTINGS
@given(tokens)
def test_token_claims_only_raises_value_error(token):
    try:
        claims = token_claims(token)
    except ValueError:
        return
    assert isinstance(claims, dict)


@SETTINGS
@given(st.one_of(st.dictionaries(st.text(max_size=10), json_values, max_size=4),
                 st.builds(lambda access: {'access': access}, json_values),
                 st.builds(lambda entries: {'access': entries}, st.lists(st.builds(
                     lambda keys, kind, name, actions: dict(zip(keys, (kind, name, actions))),
                     # ACR's capitalised keys, the Docker token spec's lower-case ones, a mix
                     st.sampled_from([('Type', 'Name', 'Actions'), ('type', 'name', 'actions'),
                                      ('TYPE', 'name', 'Actions')]),
                     st.sampled_from(['repository', 'registry', 'x']),
                     st.sampled_from(['r', 'R', 'other']), json_values), max_size=4))),
       st.sampled_from(['r', 'other', '']))
def test_granted_actions_only_raises_value_error(claims, repository):
    try:
        granted = granted_actions(claims, repository)
    except ValueError:
        return
    assert granted == sorted(set(granted))
    assert all(isinstance(action, str) for action in granted)


HTTP_DATES = st.datetimes().map(lambda d: d.strftime('%a, %d %b %Y %H:%M:%S GMT'))


@SETTINGS
@given(st.sampled_from([429, 503]), st.one_of(st.text(max_size=40), st.integers().map(str),
                                              HTTP_DATES))
def test_any_retry_after_gives_a_finding_with_at_most_one_bounded_retry(status, value):
    answer = response(status, b'', headers={'Retry-After': value})
    http = FakeHttp(dict(healthy_answers(), **{'/oauth2/exchange': [answer, answer]}))
    ctx = make_ctx(http=http, timeout=5.0)
    result, _ = run_through(ctx, 'refresh-token')
    assert_reportable('refresh-token', result)
    assert len([call for call in http.calls if call[0] == 'POST']) <= 2
    assert all(0 <= wait <= ctx.timeout for wait in ctx.sleep.calls)


# ---- no Python repr in any message or detail (issue 8) ---------------------------------------

def _exceptions():
    """Exceptions shaped as the adapters meet them: requests, urllib3 and azure-core wrappers
    around OSErrors, whose str() is a repr of their args."""
    import socket
    import requests
    import urllib3
    from azure.core.exceptions import ServiceRequestError, ServiceResponseError
    leaves = st.sampled_from([
        ConnectionRefusedError(111, 'Connection refused'), ConnectionResetError(104, 'reset'),
        socket.gaierror(-2, 'Name or service not known'), TimeoutError('timed out'),
        OSError('weird', ('a', 1)), ValueError(('tuple', 'arg')), KeyError('k'),
        RuntimeError(ValueError('nested'))])

    def wrap(inner, how):
        if how == 'requests':
            return requests.exceptions.ConnectionError(
                urllib3.exceptions.ProtocolError('Connection aborted.', inner))
        if how == 'urllib3':
            return urllib3.exceptions.NewConnectionError(
                None, 'Failed to establish a new connection: {!r}'.format(inner))
        if how == 'azure':
            return ServiceRequestError(repr(('Connection aborted.', inner)), error=inner)
        if how == 'azure-response':
            return ServiceResponseError(repr(inner), error=inner)
        error = RuntimeError(repr(inner))
        error.__cause__ = inner
        return error
    return st.builds(wrap, leaves, st.sampled_from(['requests', 'urllib3', 'azure',
                                                    'azure-response', 'plain']))


REPR_MARKS = ('Error(', "('", '<class', ' object at 0x')


@SETTINGS
@given(_exceptions(), st.sampled_from(sorted(catalogue.FINDINGS)))
def test_no_finding_shows_a_python_repr_of_an_exception(error, key):
    from azext_acrhealth._text import plain_reason
    from azext_acrhealth.runner import exception_summary
    for words in (plain_reason(error), exception_summary(error)):
        assert not any(mark in words for mark in REPR_MARKS), words

        class Facts(dict):  # every fact a template may ask for is the exception's words
            def __missing__(self, name):
                return words
        facts = Facts(url='https://r/v2/', loginServer='r.azurecr.io', name='r', arm='failed',
                      armError=words, error=words, mappings=[{
                          'fqdn': 'r.azurecr.io', 'expected': '10.0.0.4', 'actual': [],
                          'ok': False, 'error': words}])
        text = catalogue.render(key, facts)
        assert not any(mark in text for mark in REPR_MARKS), (key, text)


# ---- server text never reaches the terminal raw ------------------------------------------------
# Any string a server, a file or a helper sent, whatever its characters: escape sequences, a
# newline and a forged "No problem found", bidirectional overrides, C1 controls, huge.
hostile_text = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(['\x1b[2J', '\x1b[H', '\n\u2713 No problem found', '\r', '\x9b31m',
                              '\u202e', '\u2028', '\x00', '\x7f', '\u200b', 'ok', ' ',
                              '\udfff', '\U000e0041']),  # a lone surrogate: JSON's "\\udfff"
             max_size=12).map(''.join),
    st.integers(min_value=3000, max_value=50000).map(lambda n: 'x\x1b[31m' * n))


def _terminal_text(report_dict):
    """Everything the stderr view and `-o table` would show for a report."""
    from azure.cli.core.style import format_styled_text
    from azext_acrhealth import report, view

    def plain(styled):
        return format_styled_text([(view.Style(style), text) for style, text in styled],
                                  theme='none')
    width = max(len(entry['title']) for entry in report_dict['checks'])
    lines = [plain(view.progress_line(entry, width)) for entry in report_dict['checks']]
    lines += [plain(line) for line in view.summary_lines(report_dict, 1.0)]
    lines.append(plain(view.stopped_line([entry['title'] for entry in report_dict['checks']])))
    rows = report.table_transformer(report_dict, width=100)
    # A message that needs action is wrapped over the lines of its row: each is a cell's line.
    return lines, [line for row in rows for value in row.values() for line in value.split('\n')]


def _assert_safe(lines, cells):
    from azext_acrhealth._text import MAX_SHOWN, is_unsafe
    from azext_acrhealth.report import TABLE_MESSAGE
    for text in lines + cells:
        assert not [char for char in text if is_unsafe(char)], repr(text[:200])
    assert all(len(cell) <= TABLE_MESSAGE for cell in cells)
    # a line is a few bounded pieces (mark, title, code, message)
    assert all(len(line) <= 4 * MAX_SHOWN for line in lines)


@SETTINGS
@given(hostile_text, hostile_text, hostile_text, hostile_text)
def test_any_text_in_a_report_entry_renders_without_a_control_character(message, code, host,
                                                                        remediation):
    entry = {'id': 'x', 'title': 'Check', 'status': 'failed', 'code': code, 'message': message,
             'remediation': remediation, 'docsUrl': host, 'details': {}, 'durationMs': 1}
    skipped = dict(entry, status='skipped', code=None)
    warned = dict(entry, status='warning', code=None)
    endpoint = {'host': host, 'role': 'dataEndpoint', 'region': host, 'addresses': [host, code],
                'private': None, 'dns': 'passed', 'tcp': 'failed', 'tls': 'skipped',
                'error': message, 'durationMs': 1}
    report_dict = {'checks': [entry, skipped, warned], 'endpoints': [endpoint],
                   'summary': {'passed': 0, 'failed': 1, 'warnings': 1, 'skipped': 1}}
    _assert_safe(*_terminal_text(report_dict))


def _hostile_outcomes(text):
    """Findings whose facts hold text from a server: a registry's error code and message, a
    data endpoint's name from ARM, a custom role's name, a helper's output, a Docker user."""
    from tests.unit.test_report import outcome
    from azext_acrhealth.checks.endpoints import endpoint_entry
    failing = [dict(endpoint_entry(text, 'dataEndpoint', text), addresses=[text], error=text)]
    roles = [{'role': text, 'level': 'registry', 'honoured': True, 'grants': ['pull']},
             {'role': text, 'level': 'root scope (/)', 'honoured': None, 'unknown': text}]
    return [
        outcome('image-pull', 'Image pull', 'image.denied',
                {'image': 'a:b', 'url': text, 'statusCode': 403, 'registryError': text}),
        outcome('endpoints', 'Registry endpoints', 'endpoints.unreachable',
                {'failing': failing, 'endpoints': failing}),
        outcome('role-assignments', 'Role assignments', 'roles.explained',
                {'mode': text, 'assignments': roles * 30, 'granted': ['pull']}),
        outcome('refresh-token', 'Refresh token', 'connectivity.refresh.network_denied',
                {'url': text, 'registryMessage': text, 'publicNetworkAccess': text,
                 'loginServer': text}),
        outcome('helm', 'Helm', 'helm.unparsed', {'output': text}, code='HELM_VERSION_ERROR'),
        outcome('docker-credentials', 'Docker credentials', 'credentials.saved',
                {'loginServer': text, 'file': text, 'username': text, 'hasSecret': True}),
        outcome('challenge', 'Challenge endpoint', 'connectivity.challenge.not_bearer',
                {'url': text, 'challenge': text}, code='CONNECTIVITY_CHALLENGE_ERROR'),
    ]


@SETTINGS
@given(hostile_text)
def test_server_text_in_findings_renders_without_a_control_character(text):
    from azext_acrhealth import report
    report_dict = report.build_report(_hostile_outcomes(text), {}, registry={'name': 'r'})
    _assert_safe(*_terminal_text(report_dict))


# ---- a registry document of any shape ------------------------------------------------------------
registry_properties = st.dictionaries(
    st.sampled_from(['loginServer', 'publicNetworkAccess', 'roleAssignmentMode', 'networkRuleSet',
                     'privateEndpointConnections', 'dataEndpointEnabled', 'dataEndpointHostNames',
                     'regionalEndpoints', 'regionalEndpointHostNames', 'endpointProtocol',
                     'encryption', 'policies', 'adminUserEnabled', 'anonymousPullEnabled']),
    json_values, max_size=8)


@SETTINGS
@given(registry_properties, json_values, json_values)
def test_a_registry_document_of_any_shape_never_breaks_the_run(props, identity, name):
    """Every field of ARM's registry document is untrusted: whatever its types, every check
    ends with a known finding and the report (messages, remediations, view, table) is written."""
    from azext_acrhealth import report
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.runner import run_plan
    from .connectivity_fakes import NAME, FakeArm, arm_registry
    document = arm_registry()
    document['properties'].update(props)
    document.update(identity=identity, location=name)
    ctx = make_ctx(arm=FakeArm({NAME: document}), repository='team/app', vnet='net1')
    outcomes = run_plan(build_plan(ctx), ctx, ignore_errors=True)
    built = report.build_report(outcomes, {}, registry={'name': NAME})
    for (check, result), entry in zip(outcomes, built['checks']):
        assert result.finding != 'runner.failed.exception', (check.id, result.facts)
        assert 'could not be written' not in entry['message'], entry
    _assert_safe(*_terminal_text(built))
