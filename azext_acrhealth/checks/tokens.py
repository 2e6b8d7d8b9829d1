# acrhealth (MIT licence). The token checks: the refresh token (exchange) and the access token.
"""The Azure AD token exchanged for a refresh token at ``/oauth2/exchange``, then an access token
at ``/oauth2/token``, both only ever sent to the registry's own login server over HTTPS. A
refusal is explained by the caller's role assignments when they were read, or by the network
when the registry's settings say so; the documented code stays."""

from .. import catalogue
from ..catalogue import FAILED, Finding, PASSED, SKIPPED, WARNING
from .._text import as_text
from .base import Check, CheckResult, login_server
from .._oauth import (DENIED, MALFORMED, OK, REPOSITORY_ACTIONS, THROTTLED, UNREACHABLE,
                      access_scope, granted_actions, http_date, request_token, same_host,
                      token_claims)
from .._roles import ABAC, GRANTS, ask_for
from .._registry_json import private_only
from .._azure import AadTokenError

# The finding of each answer of a token request, for each token (literal keys: grep finds them).
_REFRESH = {OK: 'connectivity.refresh.ok', UNREACHABLE: 'connectivity.refresh.unreachable',
            THROTTLED: 'connectivity.refresh.throttled', DENIED: 'connectivity.refresh.denied',
            MALFORMED: 'connectivity.refresh.malformed'}
_ACCESS = {OK: 'connectivity.access.ok', UNREACHABLE: 'connectivity.access.unreachable',
           THROTTLED: 'connectivity.access.throttled', DENIED: 'connectivity.access.denied',
           MALFORMED: 'connectivity.access.malformed'}


def _result(answer, findings):
    return CheckResult(findings[answer.outcome], answer.facts, data=answer.value)


# ---- refresh token ----------------------------------------------------------------------------

def check_refresh_token(ctx, results):
    host = login_server(results)
    challenge = results['challenge'].data
    url = f'https://{host}/oauth2/exchange'
    facts = {'loginServer': host, 'url': url}
    if not same_host(challenge['realm'], host):
        # Real registries name their own login server; anything else must not get a token.
        return CheckResult('connectivity.refresh.foreign_realm',
                           dict(facts, realm=challenge['realm'][:200]))
    try:
        token, tenant = ctx.aad_token()
    except AadTokenError as ex:
        return CheckResult('connectivity.refresh.no_login', dict(facts, error=str(ex)))
    facts['tenant'] = tenant
    form = {'grant_type': 'access_token', 'service': challenge['service'], 'tenant': tenant,
            'access_token': token}
    answer = request_token(ctx, url, form, 'refresh_token', facts)
    return _refused(_result(answer, _REFRESH), results)


# What the registry's network settings say about a 403 (publicNetworkAccess, the network rules).
_NETWORK = ('publicNetworkAccess', 'networkDefaultAction', 'ipRules')
# A refused token the registry's network settings explain, and the finding that says so.
_NETWORK_DENIED = {'connectivity.refresh.denied': 'connectivity.refresh.network_denied',
                   'connectivity.access.denied': 'connectivity.access.network_denied'}


def network_denied(result, results):
    """A 403 for a token that the registry's network settings explain: the client takes the
    public path (its login server resolved to no private address) to a registry whose public
    access is disabled or whose network rules deny by default, or the registry says so in
    its own words ("... is not allowed access. Refer https://aka.ms/acr/firewall ..."). The
    client is kept out by the network, not by its roles (a real report: MicrosoftDocs
    azure-docs#85239, a 403 at /oauth2/exchange from a registry with public access disabled).
    The code stays; the advice is about the network path."""
    if result.finding not in _NETWORK_DENIED or result.facts.get('statusCode') != 403:
        return result
    registry = results['login-server'].data or {}
    settings = {key: registry.get(key) for key in _NETWORK}
    said = str(result.facts.get('registryMessage') or '').lower()
    kinds = (results['dns'].facts.get('kinds') or {}).values() if 'dns' in results else ()
    public_path = 'private' not in kinds
    closed = public_path and (private_only(settings) or
                              str(settings['networkDefaultAction']).lower() == 'deny')
    if not (closed or 'not allowed access' in said or 'aka.ms/acr/firewall' in said):
        return result
    return CheckResult(_NETWORK_DENIED[result.finding], dict(result.facts, **settings),
                       data=result.data)


# ---- access token -----------------------------------------------------------------------------

def check_access_token(ctx, results):
    host = login_server(results)
    challenge = results['challenge'].data
    repository = ctx.options.repository
    scope = access_scope(repository)
    url = f'https://{host}/oauth2/token'
    facts = {'loginServer': host, 'url': url, 'scope': scope}
    form = {'grant_type': 'refresh_token', 'service': challenge['service'], 'scope': scope,
            'refresh_token': results['refresh-token'].data}
    result = _result(request_token(ctx, url, form, 'access_token', facts), _ACCESS)
    if not result.passed:
        return _refused(result, results)
    registry = results['login-server'].data or {}
    if not repository:
        if registry.get('roleAssignmentMode') == ABAC:
            return CheckResult('connectivity.access.ok_abac', result.facts)
        return CheckResult('connectivity.access.ok', result.facts)
    try:
        granted = granted_actions(token_claims(result.data), repository)
    except ValueError as ex:
        return CheckResult('connectivity.access.unreadable', dict(
            result.facts, repository=repository, problem=str(ex)))
    missing = [action for action in REPOSITORY_ACTIONS if action not in granted]
    facts = dict(result.facts, repository=repository, granted=granted, missing=missing)
    if missing:
        return _refused(CheckResult('connectivity.access.missing_actions', facts), results)
    return CheckResult('connectivity.access.ok_repository', facts)


# The role that grants a repository action (what to ask for when it is missing).
_GRANT_OF_ACTION = {'pull': 'pull', 'metadata_read': 'pull', 'push': 'push',
                    'metadata_write': 'push', 'delete': 'delete'}
# A refusal the caller's role assignments can explain, and the finding that carries the advice.
_EXPLAINED = {'connectivity.refresh.denied': 'connectivity.refresh.denied_roles',
              'connectivity.access.denied': 'connectivity.access.denied_roles',
              'connectivity.access.missing_actions': 'connectivity.access.missing_actions_roles'}


def with_role_advice(result, results, needed):
    """A refused token with what the caller's role assignments say about it (when they were
    read): the assignments, the registry's mode and the role to ask for, for every grant
    ``needed`` (['pull'], ['push', 'delete'], ...). The code stays."""
    roles = results.get('role-assignments')
    if result.finding not in _EXPLAINED or roles is None or \
            roles.finding not in ('roles.explained', 'roles.grant_nothing', 'roles.none'):
        return result
    mode = roles.facts.get('mode')
    needed = sorted(set(needed), key=GRANTS.index)
    return CheckResult(_EXPLAINED[result.finding], dict(
        result.facts, roleAssignments=roles.facts.get('assignments', []), registryMode=mode,
        needed=', '.join(needed), askFor=ask_for(mode, needed)), data=result.data)


def explain_refusal(result, explainers):
    """A refused token's result with the role advice of the caller's role assignments (the
    runner joins it once both are done): for every grant the refusal lacks (the missing
    actions of --repository, else pull)."""
    missing = result.facts.get('missing') if result.finding == \
        'connectivity.access.missing_actions' else None
    needed = [_GRANT_OF_ACTION[action] for action in missing or ()
              if action in _GRANT_OF_ACTION] or ['pull']
    return with_role_advice(result, explainers, needed)


# ---- the clock -------------------------------------------------------------------------------

# Azure AD refuses a client assertion, and a registry a token, whose times are off by more than
# about five minutes (their not-before and expiry claims allow that much skew).
MAX_SKEW_SECONDS = 300


def check_clock_skew(ctx, results):
    """This machine's clock against what the login server and ARM said the time was: the Date
    headers of answers this run already had (no request is made for them)."""
    dates = {'login server': (getattr(ctx.http, 'dates', None) or {}).get(
        login_server(results).lower()), 'ARM': getattr(ctx.arm, 'date', None)}
    now = ctx.now()
    skews = {source: round(now - when) for source, when in (
        (source, http_date(header) if header else None) for source, header in dates.items())
        if when is not None}
    if not skews:
        return CheckResult('clock.unknown')
    worst = max(skews.values(), key=abs)
    facts = {'skewSeconds': skews, 'worst': worst}
    return CheckResult('clock.skewed' if abs(worst) > MAX_SKEW_SECONDS else 'clock.ok', facts)


def _refused(result, results):
    """A refused token with what explains it now: the network; and first of all a clock that is
    off, which makes every token look invalid. The caller's role assignments join it later
    (:func:`explain_refusal`), so the token checks never wait for them."""
    result = network_denied(result, results)
    clock = results.get('clock-skew')
    if result.passed or clock is None or clock.finding != 'clock.skewed':
        return result
    return CheckResult(result.finding, dict(result.facts, remediationFirst=(
        f"This machine's clock is {_minutes(clock.facts['worst'])} off: set it right first "
        '(sync it with a time server); tokens whose times are more than 5 minutes off are '
        'refused.')), data=result.data)


def _whose(source):
    return "the login server's" if source == 'login server' else f"{source}'s"


def _skewed(facts):
    """'This machine's clock is 60 minutes behind the login server's (its Date header); ...'"""
    said = [f"{_minutes(skew)} {'ahead of' if skew > 0 else 'behind'} {_whose(source)} (its Date "
            'header)' if abs(skew) > MAX_SKEW_SECONDS else
            f"{_whose(source)} agrees with it within {_seconds(abs(skew))}"
            for source, skew in facts.get('skewSeconds', {}).items()]
    return "This machine's clock is " + '; '.join(said) + '.'


def _seconds(seconds):
    return f"{seconds} second{'' if seconds == 1 else 's'}"


def _minutes(seconds):
    minutes = abs(seconds) / 60
    return f"{minutes:.0f} minute{'' if round(minutes) == 1 else 's'}"


def tokens_plan():
    """The token checks, in plan order (each needs the one before), after the clock."""
    return [
        # No request of its own: the Date headers the challenge and ARM already had.
        Check('clock-skew', 'Clock', 'CLOCK_SKEW_ERROR', check_clock_skew,
              requires=('login-server',), after=('challenge',), budget=0),
        # Budgets (x --timeout): the AAD token (2), the exchange, a Retry-After wait (at most one
        # --timeout) and one retry; the token call, the wait and its retry. Each names every
        # result it reads: the runner passes only those. The direct prerequisite comes first.
        # A refusal is explained by the role assignments once both are done (never waited for).
        Check('refresh-token', 'Refresh token', 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
              check_refresh_token, requires=('challenge', 'login-server', 'dns'),
              after=('clock-skew',), budget=5, explained_by=('role-assignments',),
              explain=explain_refusal),
        Check('access-token', 'Access token', 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
              check_access_token, requires=('refresh-token', 'challenge', 'login-server', 'dns'),
              after=('clock-skew',), budget=3, explained_by=('role-assignments',),
              explain=explain_refusal),
    ]


def _missing_actions(facts):
    granted = facts.get('granted')
    if not granted:
        return f"The access token for {facts.get('repository')} grants no action: it lacks " \
               f"{as_text(facts.get('missing'))}."
    return f"The access token for {facts.get('repository')} grants {as_text(granted)} but lacks " \
           f"{as_text(facts.get('missing'))}."


def _network_denied(facts, stage):
    said = f" ({facts['registryMessage']})" if facts.get('registryMessage') else ''
    return (f"{facts.get('url')} answered 403: no {stage} token, and the registry's network "
            f"settings keep this client out{said}: public network access: "
            f"{as_text(facts.get('publicNetworkAccess'))}; network rules default action: "
            f"{as_text(facts.get('networkDefaultAction'))}; IP rules: {as_text(facts.get('ipRules'))}.")


def _throttled(facts):
    wait = facts.get('retryAfter')
    asks = '' if wait is None else f'; it asks to wait {wait} s'
    return f"{facts.get('url')} answered 429 Too Many Requests{asks}."


# Findings: what a check can conclude. The template is formatted with the result's facts.
# A finding whose code is None and status is failed takes the check's own code.


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Refresh token.
    'connectivity.refresh.ok': Finding(
        PASSED, None, '{url} exchanged an Azure AD token (tenant {tenant}) for a refresh '
                      'token.'),
    'connectivity.refresh.no_login': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        'No Azure AD token from the CLI\'s login: {error}. Run `az login`.'),
    'connectivity.refresh.foreign_realm': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        'The challenge names the realm {realm}, which is not https://{loginServer}: no token '
        'was sent.'),
    'connectivity.refresh.denied': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode}: no refresh token for your Azure AD token.'),
    'connectivity.refresh.denied_roles': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode}: no refresh token for your Azure AD token.', 'refresh-roles'),
    'connectivity.refresh.network_denied': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR', lambda f: _network_denied(f, 'refresh'),
        'refresh-network'),
    'connectivity.refresh.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', _throttled),
    'connectivity.refresh.unreachable': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.refresh.malformed': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode} but gave no refresh token: {problem}.'),

    # Access token.
    'connectivity.access.ok': Finding(PASSED, None, '{url} issued an access token for {scope}.'),
    'connectivity.access.ok_abac': Finding(
        PASSED, None, '{url} issued an access token for {scope}. Note: this registry uses '
                      'repository-scoped role assignments (ABAC); add --repository <name> to '
                      'check your access to a repository.'),
    'connectivity.access.ok_repository': Finding(
        PASSED, None, 'The access token for {repository} grants {granted}.'),
    'connectivity.access.denied': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode}: no access token for {scope}.'),
    'connectivity.access.denied_roles': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode}: no access token for {scope}.', 'access-roles'),
    'connectivity.access.network_denied': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR', lambda f: _network_denied(f, 'access'),
        'access-network'),
    'connectivity.access.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', _throttled),
    'connectivity.access.unreachable': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.access.malformed': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode} but gave no access token: {problem}.'),
    'connectivity.access.unreadable': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        'The access token for {repository} could not be read to check its grants: {problem}.'),
    'connectivity.access.missing_actions': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        _missing_actions,
        'repository-permissions'),
    'connectivity.access.missing_actions_roles': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        _missing_actions,
        'repository-roles'),

    # The clock.
    'clock.ok': Finding(PASSED, None, lambda f: "This machine's clock agrees with " + ' and '.join(
        _whose(source) for source in f.get('skewSeconds', {})) + ' (their Date headers) within ' +
        _seconds(abs(f.get('worst', 0))) + '.'),
    'clock.unknown': Finding(
        SKIPPED, None, 'Neither the login server nor ARM said what time it is (no Date header), '
                       "so this machine's clock was not compared."),
    'clock.skewed': Finding(WARNING, 'CLOCK_SKEW_ERROR', _skewed),
})
