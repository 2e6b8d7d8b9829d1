# acrhealth (MIT licence). Refresh-token (/oauth2/exchange) and access-token (/oauth2/token) checks.
import pytest

from azext_acrhealth import catalogue
from azext_acrhealth._azure import AadTokenError
from azext_acrhealth._http import HttpError
from azext_acrhealth._oauth import REPOSITORY_ACTIONS, access_scope, granted_actions, token_claims

from .connectivity_fakes import (AAD_TOKEN, CHALLENGE, LOGIN, NAME, NOT_LOGGED_IN, REFRESH_TOKEN, TENANT,
                                 FakeAad, FakeHttp, FakeResolver, acr_access, arm_registry, b64url,
                                 docker_spec_access, challenge_response, flat, healthy_answers, json_response,
                                 jwt, make_ctx, rendered, response, run_through)

EXCHANGE = 'https://{}/oauth2/exchange'.format(LOGIN)
TOKEN = 'https://{}/oauth2/token'.format(LOGIN)


def refresh(exchange=None, challenge=None, aad=None, **kwargs):
    table = healthy_answers()
    if exchange is not None:
        table['/oauth2/exchange'] = exchange
    if challenge is not None:
        table['/v2/'] = challenge
    http = FakeHttp(table)
    ctx = make_ctx(http=http, aad=aad, **kwargs)
    # The token checks alone: the role advice has tests of its own (test_access.py).
    result, _ = run_through(ctx, 'refresh-token', with_access_checks=False)
    return result, http, ctx


def posts(http):
    return [(url, form) for method, url, form in http.calls if method == 'POST']


# ---- refresh token --------------------------------------------------------------------------

def test_refresh_token_ok_sends_the_aad_token_to_the_login_server_only():
    result, http, ctx = refresh()
    assert result.finding == 'connectivity.refresh.ok'
    assert result.data == REFRESH_TOKEN
    assert posts(http) == [(EXCHANGE, {'grant_type': 'access_token', 'service': LOGIN,
                                       'tenant': TENANT, 'access_token': AAD_TOKEN})]
    assert ctx.aad_token.calls == 1
    entry = rendered('refresh-token', result)
    assert entry['status'] == 'passed' and TENANT in entry['message']
    # Tokens are private data, never facts.
    assert REFRESH_TOKEN not in flat(entry) and AAD_TOKEN not in flat(entry)
    assert REFRESH_TOKEN not in repr(result)


@pytest.mark.parametrize('realm', [
    'https://evil.example/oauth2/token',                   # another host
    'http://{}/oauth2/token'.format(LOGIN),                # not HTTPS
    'https://{}:8443/oauth2/token'.format(LOGIN),          # another port
    'https://{}.evil.example/oauth2/token'.format(LOGIN),  # a look-alike
    'https://{}:notaport/oauth2/token'.format(LOGIN),      # unreadable
    '//{}/oauth2/token'.format(LOGIN),                     # no scheme
    'token',
])
def test_refresh_token_foreign_realm_sends_nothing(realm):
    challenge = challenge_response('Bearer realm="{}",service="{}"'.format(realm, LOGIN))
    result, http, ctx = refresh(challenge=challenge)
    assert result.finding == 'connectivity.refresh.foreign_realm'
    assert posts(http) == []
    assert [method for method, _, _ in http.calls] == ['GET']
    assert ctx.aad_token.calls == 0
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert 'no token was sent' in entry['message']


@pytest.mark.parametrize('realm', [
    'https://{}/oauth2/token'.format(LOGIN.upper()),
    'https://{}:443/oauth2/token'.format(LOGIN),
    'HTTPS://{}/oauth2/token'.format(LOGIN),
])
def test_refresh_token_realm_on_the_login_server_itself_is_accepted(realm):
    challenge = challenge_response('Bearer realm="{}",service="{}"'.format(realm, LOGIN))
    result, http, _ = refresh(challenge=challenge)
    assert result.finding == 'connectivity.refresh.ok'
    assert [url for url, _ in posts(http)] == [EXCHANGE]


@pytest.mark.parametrize('error', [NOT_LOGGED_IN,
                                   AadTokenError('AADSTS700082: The refresh token has expired')])
def test_refresh_token_not_logged_in_says_az_login(error):
    result, http, _ = refresh(aad=FakeAad(error=error))
    assert result.finding == 'connectivity.refresh.no_login'
    assert posts(http) == []
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert 'az login' in entry['message'] and str(error) in entry['message']


def test_refresh_token_429_is_too_many_requests():
    result, _, _ = refresh(exchange=response(429, b'{"errors":[]}', {'Retry-After': '30'}))
    assert result.finding == 'connectivity.refresh.throttled'
    assert rendered('refresh-token', result)['code'] == 'CONNECTIVITY_TOOMANYREQUESTS_ERROR'


@pytest.mark.parametrize('status', [401, 403, 400, 500, 503, 302])
def test_refresh_token_denied_names_the_status(status):
    result, _, _ = refresh(exchange=response(status, b'{"errors":[{"code":"UNAUTHORIZED"}]}'))
    assert result.finding == 'connectivity.refresh.denied'
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert str(status) in entry['message']


@pytest.mark.parametrize('body, problem', [
    (b'<html><body>Sign in</body></html>', 'not JSON'),
    (b'{"refresh_token": ', 'not JSON'),
    (b'\xff\xfe garbage', 'not JSON'),
    (b'', 'not JSON'),
    (b'["refresh_token"]', 'not a JSON object'),
    (b'{"access_token": "x"}', 'no "refresh_token"'),
    (b'{"refresh_token": 42}', 'no "refresh_token"'),
    (b'{"refresh_token": ["a"]}', 'no "refresh_token"'),
    (b'{"refresh_token": null}', 'no "refresh_token"'),
    (b'{"refresh_token": ""}', 'no "refresh_token"'),
    (b'[' * 60000 + b']' * 60000, 'not JSON'),           # nested deeper than json can go
    (b'{"refresh_token": ' + b'9' * 5000 + b'}', 'not JSON'),  # an integer too long to read
])
def test_refresh_token_malformed_answers(body, problem):
    result, _, _ = refresh(exchange=response(200, body))
    assert result.finding == 'connectivity.refresh.malformed'
    assert problem in result.facts['problem']
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert '200' in entry['message']


@pytest.mark.parametrize('error', [HttpError('timeout', 'no complete answer within 5 s'),
                                   HttpError('connection', 'Connection reset by peer')])
def test_refresh_token_unreachable(error):
    result, _, _ = refresh(exchange=error)
    assert result.finding == 'connectivity.refresh.unreachable'
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR' and error.detail in entry['message']


# ---- access token ---------------------------------------------------------------------------

def access(token_answer=None, repository=None, registries=None):
    table = healthy_answers()
    if token_answer is not None:
        table['/oauth2/token'] = token_answer
    http = FakeHttp(table)
    ctx = make_ctx(http=http, repository=repository, registries=registries)
    result, _ = run_through(ctx, 'access-token', with_access_checks=False)
    return result, http


def test_access_token_catalog_scope_without_repository():
    result, http = access()
    assert result.finding == 'connectivity.access.ok'
    assert result.facts['scope'] == 'registry:catalog:*'
    assert posts(http)[-1] == (TOKEN, {'grant_type': 'refresh_token', 'service': LOGIN,
                                       'scope': 'registry:catalog:*',
                                       'refresh_token': REFRESH_TOKEN})
    entry = rendered('access-token', result)
    assert entry['status'] == 'passed' and 'registry:catalog:*' in entry['message']
    assert REFRESH_TOKEN not in flat(entry)


def test_access_token_repository_scope():
    token = jwt({'access': acr_access('team/app', REPOSITORY_ACTIONS)})
    result, http = access(json_response({'access_token': token}), repository='team/app')
    scope = 'repository:team/app:pull,push,metadata_read,metadata_write,delete'
    assert access_scope('team/app') == scope
    assert posts(http)[-1][1]['scope'] == scope
    assert result.finding == 'connectivity.access.ok_repository'
    assert result.facts['granted'] == sorted(REPOSITORY_ACTIONS)
    assert result.facts['missing'] == []
    entry = rendered('access-token', result)
    assert entry['status'] == 'passed' and 'team/app' in entry['message']
    assert token not in flat(entry)


def test_access_token_429():
    result, _ = access(response(429))
    assert result.finding == 'connectivity.access.throttled'
    assert rendered('access-token', result)['code'] == 'CONNECTIVITY_TOOMANYREQUESTS_ERROR'


@pytest.mark.parametrize('status', [401, 403, 500])
def test_access_token_denied(status):
    result, _ = access(response(status, b'{"errors":[{"code":"DENIED"}]}'))
    assert result.finding == 'connectivity.access.denied'
    entry = rendered('access-token', result)
    assert entry['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert str(status) in entry['message'] and 'registry:catalog:*' in entry['message']


@pytest.mark.parametrize('body', [b'<html/>', b'{"access_token": 7}', b'{}'])
def test_access_token_malformed(body):
    result, _ = access(response(200, body))
    assert result.finding == 'connectivity.access.malformed'
    assert rendered('access-token', result)['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'


def test_access_token_unreachable():
    result, _ = access(HttpError('timeout', 'no complete answer within 5 s'))
    assert result.finding == 'connectivity.access.unreachable'
    assert rendered('access-token', result)['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'


@pytest.mark.parametrize('claims, granted', [
    ({'access': acr_access('r', ['pull'])}, ['pull']),
    ({'access': acr_access('r', ['pull', 'metadata_read'])}, ['metadata_read', 'pull']),
    ({'access': [{'Type': 'repository', 'Name': 'r', 'Actions': 'pull'}]}, ['pull']),
    ({'access': acr_access('other', REPOSITORY_ACTIONS)}, []),
    ({'access': acr_access('r', ['pull']) + acr_access('r', ['push']) +
      acr_access('other', ['delete'])}, ['pull', 'push']),
    ({'access': [{'type': 'registry', 'name': 'catalog', 'actions': ['*']}]
      + acr_access('r', ['pull'])}, ['pull']),
    ({'access': []}, []),
    ({'access': [None, 'x', {'type': 'repository', 'name': 'r', 'actions': [1, None, 'push']}]},
     ['push']),
])
def test_access_token_repository_missing_actions_is_the_permission_variant(claims, granted):
    token = jwt(claims)
    result, _ = access(json_response({'access_token': token}), repository='r')
    assert result.finding == 'connectivity.access.missing_actions'
    assert result.facts['granted'] == granted
    assert result.facts['missing'] == [a for a in REPOSITORY_ACTIONS if a not in granted]
    entry = rendered('access-token', result)
    assert entry['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert entry['remediation'] == catalogue.VARIANTS['repository-permissions'].remediation
    assert entry['remediation'] != catalogue.CODES['CONNECTIVITY_ACCESS_TOKEN_ERROR'].remediation
    assert 'delete' in entry['message']


def test_access_token_star_grants_everything():
    token = jwt({'access': acr_access('r', ['*'])})
    result, _ = access(json_response({'access_token': token}), repository='r')
    assert result.finding == 'connectivity.access.ok_repository'
    assert result.facts['missing'] == []


@pytest.mark.parametrize('token, problem', [
    ('not-a-jwt', 'not a JWT'),
    ('a.b', 'not a JWT'),
    ('a.!!!!.c', 'not readable'),
    ('a.' + b64url(b'\xff\xfe') + '.c', 'not readable'),
    (jwt(b'[1, 2]'), 'not a JSON object'),
    (jwt({'sub': 'x'}), 'no "access" claim'),
    (jwt({'access': {'type': 'repository'}}), '"access" claim is not a list'),
    (jwt(b'[' * 30000 + b']' * 30000), 'not readable'),
])
def test_access_token_unreadable_with_repository(token, problem):
    result, _ = access(json_response({'access_token': token}), repository='r')
    assert result.finding == 'connectivity.access.unreadable'
    assert problem in result.facts['problem']
    entry = rendered('access-token', result)
    assert entry['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert 'for r ' in entry['message']


def test_access_token_abac_registry_without_repository_adds_a_note():
    result, _ = access(registries={NAME: arm_registry(abac=True)})
    assert result.finding == 'connectivity.access.ok_abac'
    entry = rendered('access-token', result)
    assert entry['status'] == 'passed' and '--repository' in entry['message']


def test_access_token_abac_registry_with_repository_has_no_note():
    token = jwt({'access': acr_access('r', REPOSITORY_ACTIONS)})
    result, _ = access(json_response({'access_token': token}), repository='r',
                       registries={NAME: arm_registry(abac=True)})
    assert result.finding == 'connectivity.access.ok_repository'


@pytest.mark.parametrize('shape', [acr_access, docker_spec_access])
def test_a_real_pull_only_token_grants_pull_and_misses_the_rest(shape):
    token = jwt({'access': shape('r', ['pull'])})
    result, _ = access(json_response({'access_token': token}), repository='r')
    assert result.finding == 'connectivity.access.missing_actions'
    assert result.facts['granted'] == ['pull']
    assert result.facts['missing'] == [a for a in REPOSITORY_ACTIONS if a != 'pull']
    assert 'grants pull but lacks push' in rendered('access-token', result)['message']


@pytest.mark.parametrize('shape', [acr_access, docker_spec_access])
def test_a_real_all_actions_token_passes(shape):
    token = jwt({'access': shape('r', REPOSITORY_ACTIONS)})
    result, _ = access(json_response({'access_token': token}), repository='r')
    assert result.finding == 'connectivity.access.ok_repository'


def test_mixed_capitalisation_in_one_entry_is_read():
    claims = {'access': [{'TYPE': 'Repository', 'name': 'r', 'Actions': ['pull', 'push']}]}
    assert granted_actions(claims, 'r') == ['pull', 'push']


def test_token_claims_and_granted_actions_directly():
    claims = token_claims(jwt({'access': acr_access('r', ['pull'])}))
    assert granted_actions(claims, 'r') == ['pull']
    assert granted_actions(claims, 'R') == []
    with pytest.raises(ValueError):
        granted_actions({}, 'r')


# ---- Retry-After: at most one retry, only when the wait fits in one call's time --------------

def test_exchange_429_with_a_short_retry_after_is_retried_once():
    exchange = [response(429, headers={'Retry-After': '2'}),
                json_response({'refresh_token': REFRESH_TOKEN})]
    result, http, ctx = refresh(exchange=exchange)
    assert result.finding == 'connectivity.refresh.ok'
    assert [url for url, _ in posts(http)] == [EXCHANGE, EXCHANGE]
    assert ctx.sleep.calls == [2]


@pytest.mark.parametrize('status, finding', [(429, 'connectivity.refresh.throttled'),
                                             (503, 'connectivity.refresh.denied')])
def test_exchange_is_retried_at_most_once(status, finding):
    again = response(status, headers={'Retry-After': '1'})
    result, http, ctx = refresh(exchange=[again, again, again])
    assert result.finding == finding
    assert len(posts(http)) == 2 and ctx.sleep.calls == [1]


@pytest.mark.parametrize('value', ['6', '3600', 'soon', '', '-1', '1.5', '\u00b2', '9' * 5000,
                                   'Wed, 21 Oct 2099 07:28:00 GMT', 'Wed, 99 Oct 2015 07:28:00'])
def test_exchange_retry_after_that_does_not_fit_or_cannot_be_read_is_not_waited_for(value):
    result, http, ctx = refresh(exchange=[response(429, headers={'Retry-After': value}),
                                          json_response({'refresh_token': REFRESH_TOKEN})],
                                timeout=5.0)
    assert result.finding == 'connectivity.refresh.throttled'
    assert len(posts(http)) == 1 and ctx.sleep.calls == []
    assert rendered('refresh-token', result)['code'] == 'CONNECTIVITY_TOOMANYREQUESTS_ERROR'


def test_a_retry_after_wait_longer_than_the_checks_time_left_is_not_slept():
    import time
    from azext_acrhealth._bounded import running_until

    def exchange():
        return [response(429, headers={'Retry-After': '2'}),
                json_response({'refresh_token': REFRESH_TOKEN})]
    with running_until(time.monotonic() + 6):  # the wait fits, the retry (5 s) after it not
        result, http, ctx = refresh(exchange=exchange(), timeout=5.0)
    assert result.finding == 'connectivity.refresh.throttled'
    assert len(posts(http)) == 1 and ctx.sleep.calls == []
    with running_until(time.monotonic() + 20):  # both fit
        result, http, ctx = refresh(exchange=exchange(), timeout=5.0)
    assert result.finding == 'connectivity.refresh.ok' and ctx.sleep.calls == [2]


def test_exchange_retry_after_as_a_near_http_date_is_waited_for():
    from email.utils import format_datetime
    from datetime import datetime, timedelta, timezone
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=2), usegmt=True)
    result, _, ctx = refresh(exchange=[response(503, headers={'retry-after': when}),
                                       json_response({'refresh_token': REFRESH_TOKEN})])
    assert result.finding == 'connectivity.refresh.ok'
    assert len(ctx.sleep.calls) == 1 and 0 <= ctx.sleep.calls[0] <= 4


def test_access_token_429_with_retry_after_is_retried_once():
    table = [response(429, headers={'Retry-After': '0'}),
             json_response({'access_token': jwt({'access': acr_access('r', ['*'])})})]
    result, http = access(table, repository='r')
    assert result.finding == 'connectivity.access.ok_repository'
    assert [url for url, _ in posts(http)] == [EXCHANGE, TOKEN, TOKEN]


def test_the_challenge_does_not_read_the_body():
    http = FakeHttp(healthy_answers())
    run_through(make_ctx(http=http), 'access-token', with_access_checks=False)
    assert [(call[0], read) for call, read in zip(http.calls, http.read_body)] == [
        ('GET', False), ('POST', True), ('POST', True)]


# ---- a 403 the registry's network settings explain -----------------------------------------
# ACR's own words for a client its network rules keep out (the documented firewall error).
FIREWALL = (b'{"errors":[{"code":"DENIED","message":"client with IP \'203.0.113.9\' is not '
            b'allowed access. Refer https://aka.ms/acr/firewall to grant access."}]}')


@pytest.mark.parametrize('settings, body', [
    ({'public_network_access': 'Disabled'}, b'{"errors":[{"code":"DENIED"}]}'),
    ({'default_action': 'Deny'}, b'{"errors":[]}'),
    ({}, FIREWALL),
])
def test_a_403_exchange_that_the_network_explains_gets_network_advice(settings, body):
    # MicrosoftDocs azure-docs#85239: CONNECTIVITY_REFRESH_TOKEN_ERROR with 403 from a registry
    # whose public access is disabled: roles are not the cause.
    result, _, _ = refresh(exchange=response(403, body),
                           registries={NAME: arm_registry(**settings)})
    assert result.finding == 'connectivity.refresh.network_denied'
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert "the registry's network settings keep this client out" in entry['message']
    assert 'role' not in entry['remediation'].lower()
    if settings.get('public_network_access') == 'Disabled':
        assert entry['remediation'].startswith('Public network access to <registry> is disabled')
    else:
        assert 'az acr show --name <registry> --query networkRuleSet' in entry['remediation']
    if body == FIREWALL:
        assert "client with IP '203.0.113.9' is not allowed access" in entry['message']


def test_a_403_exchange_from_an_open_registry_stays_a_refusal():
    result, _, _ = refresh(exchange=response(403, b'{"errors":[{"code":"DENIED"}]}'))
    assert result.finding == 'connectivity.refresh.denied'
    assert result.facts['registryError'] == 'DENIED'


def test_a_403_access_token_that_the_network_explains_gets_network_advice():
    result, _ = access(response(403, FIREWALL),
                       registries={NAME: arm_registry(public_network_access='Disabled')})
    assert result.finding == 'connectivity.access.network_denied'
    assert rendered('access-token', result)['code'] == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'


@pytest.mark.parametrize('status', [401, 500])
def test_only_a_403_is_read_as_the_network(status):
    result, _, _ = refresh(exchange=response(status, FIREWALL),
                           registries={NAME: arm_registry(public_network_access='Disabled')})
    assert result.finding == 'connectivity.refresh.denied'


def test_a_403_through_a_private_endpoint_is_not_read_as_the_network():
    # Public access disabled, but this client resolves the login server privately (it is on
    # the private path): a plain 403 is then about roles, not the network.
    result, _, _ = refresh(exchange=response(403, b'{"errors":[{"code":"DENIED"}]}'),
                           registries={NAME: arm_registry(public_network_access='Disabled')},
                           resolver=FakeResolver({LOGIN: ['10.1.2.3']}))
    assert result.finding == 'connectivity.refresh.denied'


def test_acr_words_for_its_firewall_are_read_as_the_network_whatever_the_settings():
    result, _, _ = refresh(exchange=response(403, FIREWALL),
                           resolver=FakeResolver({LOGIN: ['10.1.2.3']}))
    assert result.finding == 'connectivity.refresh.network_denied'


@pytest.mark.parametrize('header, waited', [('Sun, 06 Dec 2026 22:00:03 GMT', [4]),
                                            ('Sun, 06 Dec 2026 21:59:00 GMT', [0]),
                                            ('Sun, 06 Dec 2026 22:01:00 GMT', [])])
def test_a_retry_after_date_is_read_against_the_context_clock(header, waited):
    # An HTTP-date Retry-After: how long it asks depends on the clock, the context's (a run or
    # a recording replayed at its own time); a wait longer than 5 s is reported, not slept.
    exchange = [response(429, headers={'Retry-After': header}),
                json_response({'refresh_token': REFRESH_TOKEN})]
    now = 1796594400.0  # 2026-12-06 22:00:00 UTC
    result, _, ctx = refresh(exchange=exchange, now=lambda: now)
    assert ctx.sleep.calls == waited
    assert result.finding == ('connectivity.refresh.ok' if waited else
                              'connectivity.refresh.throttled')


# ---- the clock ---------------------------------------------------------------------------------
NOW = 1796594400.0  # 2026-12-06 22:00:00 UTC: the context's clock in these tests


def clock(login_server_date=NOW, arm_date=None, exchange=None):
    table = dict(healthy_answers(), **{'/v2/': challenge_response(date=login_server_date)})
    if login_server_date is None:
        table['/v2/'] = response(401, b'{}', challenges=[CHALLENGE])
    if exchange is not None:
        table['/oauth2/exchange'] = exchange
    ctx = make_ctx(http=FakeHttp(table), now=lambda: NOW)
    if arm_date is not None:
        from email.utils import formatdate
        ctx.arm.date = formatdate(arm_date, usegmt=True)
    return ctx


def test_a_clock_that_agrees_with_the_servers_passes():
    result, _ = run_through(clock(NOW - 2, arm_date=NOW + 1), 'clock-skew')
    entry = rendered('clock-skew', result)
    assert entry['status'] == 'passed'
    assert result.facts == {'skewSeconds': {'login server': 2, 'ARM': -1}, 'worst': 2}
    assert entry['message'] == ("This machine's clock agrees with the login server's and ARM's "
                                '(their Date headers) within 2 seconds.')


def test_a_registry_clock_an_hour_ahead_is_a_warning_naming_which_server():
    result, _ = run_through(clock(NOW + 3600, arm_date=NOW), 'clock-skew')
    entry = rendered('clock-skew', result)
    assert (entry['status'], entry['code']) == ('warning', 'CLOCK_SKEW_ERROR')
    assert entry['message'] == ("This machine's clock is 60 minutes behind the login server's "
                                "(its Date header); ARM's agrees with it within 0 seconds.")
    assert 'time server' in entry['remediation']
    assert entry['docsUrl'].endswith('README.rst#clock_skew_error')


def test_without_a_date_the_clock_is_not_compared():
    result, _ = run_through(clock(None), 'clock-skew')
    assert rendered('clock-skew', result)['status'] == 'skipped'


def test_a_refused_token_while_the_clock_is_off_says_so_first():
    ctx = clock(NOW - 1200, exchange=response(401, b'{"errors":[{"code":"UNAUTHORIZED"}]}'))
    result, _ = run_through(ctx, 'refresh-token')
    entry = rendered('refresh-token', result)
    assert entry['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert entry['remediation'].startswith(
        "This machine's clock is 20 minutes off: set it right first (sync it with a time "
        'server); tokens whose times are more than 5 minutes off are refused. Then: ')
