# acrhealth (MIT licence). Checks of the path to the registry: login server, DNS, challenge, tokens.
"""Connectivity checks. A credential goes only to the registry's own login server, over
HTTPS; every call is bounded by the context's timeout; nothing here raises to the user."""

import base64
import json
from urllib.parse import urlsplit

from .base import Check, CheckResult
from .oci import registry_error
from .._urls import without_userinfo
from .._roles_text import ABAC_MODE
from .._bounded import limit
from .._azure import AadTokenError, ArmError, DnsError, address_kind
from .._http import HttpError, bearer_params, parse_challenges

REPOSITORY_ACTIONS = ('pull', 'push', 'metadata_read', 'metadata_write', 'delete')
MAX_RETRY_WAIT = 5  # seconds: longer Retry-After waits are reported, not slept
PROXY_VARIABLES = ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY',
                   'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


def _login_server(results):
    return results['login-server'].facts['loginServer']


# ---- 1. login server ------------------------------------------------------------------------

def check_login_server(ctx, _results):
    name = ctx.options.registry_name
    facts = {'name': name}
    try:
        registry = ctx.arm.find_registry(name)
    except ArmError as ex:
        registry = None
        facts.update(arm='failed', armError=ex.reason)
    else:
        if registry is None:
            subscription = ctx.arm.subscription()
            facts.update(arm='notFound', subscriptionId=subscription.get('id'),
                         subscriptionName=subscription.get('name'))
    if registry is not None:
        login_server = (registry.get('loginServer') or '').strip().rstrip('/')
        if login_server:
            return CheckResult('registry.login_server.arm', dict(
                facts, loginServer=login_server, resolvedBy='arm', resourceId=registry.get('id')),
                data=registry)
        facts.update(arm='noLoginServer', resourceId=registry.get('id'))
    if not ctx.acr_suffix:
        return CheckResult('registry.login_server.none', dict(facts, cloud=ctx.cloud_name))
    # The login server given with --name (a domain-name-label one cannot be built) or, as the
    # Azure CLI does, the name and the cloud's suffix.
    login_server = ctx.options.login_server_hint or name.lower() + ctx.acr_suffix
    finding = 'registry.login_server.given' if ctx.options.login_server_hint else \
        'registry.login_server.suffix'
    return CheckResult(finding, dict(
        facts, loginServer=login_server, resolvedBy='cloudSuffix', suffix=ctx.acr_suffix),
        data=registry)


# ---- 2. DNS ---------------------------------------------------------------------------------

def check_dns(ctx, results):
    host = _login_server(results)
    facts = {'loginServer': host}
    try:
        addresses = ctx.speculation.resolve(host, ctx.timeout) if ctx.speculation else None
        if addresses is None:  # ARM named another login server than the one speculated on
            addresses = ctx.resolve(host, ctx.timeout)
    except DnsError as ex:
        return CheckResult('connectivity.dns.failed', dict(facts, error=str(ex)))
    kinds = {address: address_kind(address) for address in addresses}
    facts.update(addresses=addresses, kinds=kinds)
    if not addresses or all(kind == 'unusable' for kind in kinds.values()):
        return CheckResult('connectivity.dns.unusable', facts)
    return CheckResult('connectivity.dns.resolved', facts)


# ---- 3. challenge ---------------------------------------------------------------------------

def proxy_settings(environ):
    """The proxy and CA settings in effect, with any credential in a proxy URL hidden."""
    settings = {}
    for name in PROXY_VARIABLES:
        value = environ.get(name)
        if value:
            settings[name] = without_userinfo(value)
    return settings


def check_challenge(ctx, results):  # pylint: disable=too-many-return-statements  # a check: one return per finding
    host = _login_server(results)
    url = f'https://{host}/v2/'
    facts = {'loginServer': host, 'url': url}
    try:
        response = (ctx.speculation.challenge(host) if ctx.speculation else None) or \
            ctx.http.request('GET', url, read_body=False)
    except HttpError as ex:
        if ex.kind == 'ssl':
            return CheckResult('connectivity.challenge.ssl', dict(
                facts, error=ex.detail, proxySettings=proxy_settings(ctx.environ)))
        return CheckResult('connectivity.challenge.unreachable', dict(facts, error=ex.detail))
    facts['statusCode'] = response.status
    if response.status == 403:
        registry = results['login-server'].data or {}
        return CheckResult('connectivity.challenge.forbidden', dict(
            facts, publicNetworkAccess=registry.get('publicNetworkAccess'),
            networkDefaultAction=registry.get('networkDefaultAction'),
            ipRules=registry.get('ipRules')))
    if response.status == 429:
        return CheckResult('connectivity.challenge.throttled', facts)
    if response.status != 401 or not response.challenges:
        return CheckResult('connectivity.challenge.no_challenge', facts)
    params = bearer_params(parse_challenges(response.challenges))
    if not params or not params.get('realm') or not params.get('service'):
        shown = ' | '.join(response.challenges)[:200]
        return CheckResult('connectivity.challenge.not_bearer', dict(facts, challenge=shown))
    facts.update(realm=params['realm'], service=params['service'])
    if not ctx.verify_tls:
        return CheckResult('connectivity.challenge.ok_unverified', facts, data=params)
    return CheckResult('connectivity.challenge.ok', facts, data=params)


# ---- 4. refresh token -----------------------------------------------------------------------

def _same_host(url, host):
    try:
        parts = urlsplit(url)
        return (parts.scheme.lower() == 'https' and (parts.hostname or '').lower() == host.lower()
                and parts.port in (None, 443))
    except ValueError:
        return False


def _json_field(body, name):
    """``(value, problem)``: a non-empty string field of a JSON object body."""
    try:
        data = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError, RecursionError):  # RecursionError: "[[[[..."
        return None, 'the answer is not JSON'
    if not isinstance(data, dict):
        return None, 'the answer is not a JSON object'
    value = data.get(name)
    if not isinstance(value, str) or not value:
        return None, f'the answer has no "{name}" string'
    return value, None


def check_refresh_token(ctx, results):
    host = _login_server(results)
    challenge = results['challenge'].data
    url = f'https://{host}/oauth2/exchange'
    facts = {'loginServer': host, 'url': url}
    if not _same_host(challenge['realm'], host):
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
    return with_role_advice(network_denied(token_call(ctx, url, form, 'refresh_token', facts),
                                           results), results, ['pull'])


def retry_after_seconds(headers):
    """Seconds a Retry-After header asks to wait (delay-seconds or HTTP-date), or None."""
    value = next((v for k, v in (headers or {}).items() if k.lower() == 'retry-after'), None)
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        try:
            return int(value)
        except ValueError:  # "²" is a digit to isdigit(); 5000 digits exceed int()'s limit
            return None
    try:
        from email.utils import parsedate_to_datetime
        from datetime import datetime, timezone
        when = parsedate_to_datetime(value)
        if when.tzinfo is None:
            return None
        return max(0, int((when - datetime.now(timezone.utc)).total_seconds()) + 1)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _post_with_one_retry(ctx, url, form):
    """POST; on 429/503 with a short Retry-After (that also fits in one call's time), wait
    and retry once. A longer wait is the user's to decide: it is reported, not slept."""
    response = ctx.http.request('POST', url, form=form)
    if response.status in (429, 503):
        wait = retry_after_seconds(response.headers)
        # The wait and the retry must also fit in what is left of the check's budget.
        if wait is not None and wait <= min(MAX_RETRY_WAIT, ctx.timeout) and \
                limit(wait + ctx.timeout)[0] >= wait + ctx.timeout:
            ctx.sleep(wait)
            response = ctx.http.request('POST', url, form=form)
    return response


def token_call(ctx, url, form, field, facts):
    stage = field.split('_', 1)[0]  # refresh_token -> refresh, access_token -> access
    try:
        response = _post_with_one_retry(ctx, url, form)
    except HttpError as ex:
        return CheckResult(f'connectivity.{stage}.unreachable', dict(facts, error=ex.detail))
    facts['statusCode'] = response.status
    if response.status in (429, 503):
        retry_after = retry_after_seconds(response.headers)
        if retry_after is not None:
            facts['retryAfter'] = retry_after
    if response.status == 429:
        return CheckResult(f'connectivity.{stage}.throttled', facts)
    if response.status != 200:
        facts.update(registry_error(response.body))
        return CheckResult(f'connectivity.{stage}.denied', facts)
    if response.truncated:
        return CheckResult(f'connectivity.{stage}.malformed', dict(
            facts, problem=f'the answer is larger than {len(response.body) // 1024} KiB'))
    value, problem = _json_field(response.body, field)
    if problem:
        return CheckResult(f'connectivity.{stage}.malformed', dict(facts, problem=problem))
    return CheckResult(f'connectivity.{stage}.ok', facts, data=value)


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
    closed = public_path and (str(settings['publicNetworkAccess']).lower() == 'disabled' or
                              str(settings['networkDefaultAction']).lower() == 'deny')
    if not (closed or 'not allowed access' in said or 'aka.ms/acr/firewall' in said):
        return result
    return CheckResult(_NETWORK_DENIED[result.finding], dict(result.facts, **settings),
                       data=result.data)


# ---- 5. access token ------------------------------------------------------------------------

def token_claims(token):
    """The claims of a JWT, decoded without verification; raises ValueError."""
    parts = token.split('.')
    if len(parts) != 3:
        raise ValueError('it is not a JWT')
    payload = parts[1] + '=' * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode('ascii')).decode('utf-8'))
    except (ValueError, UnicodeError, TypeError, RecursionError):
        raise ValueError('its claims are not readable') from None
    if not isinstance(claims, dict):
        raise ValueError('its claims are not a JSON object')
    return claims


def _claim(entry, name):
    """A key of an access entry, whatever its capitalisation: ACR writes ``Type``, ``Name``,
    ``Actions``; the Docker token specification (other registries) ``type``, ``name``,
    ``actions``."""
    return next((value for key, value in entry.items()
                 if isinstance(key, str) and key.lower() == name), None)


def granted_actions(claims, repository):
    """Actions the token's ``access`` claim grants on ``repository`` (a sorted list).

    Real ACR access tokens carry ``"access": [{"Type": "repository", "Name": ...,
    "Actions": [...]}]`` (capitalised keys, as recorded from a real registry in the Azure
    CLI's ``test_acr_check_health.yaml``); other registries follow the Docker token
    specification's lower-case keys: both are read. ``*`` grants everything. Raises
    ValueError when the claim is absent or not of that shape.
    """
    access = claims.get('access')
    if access is None:
        raise ValueError('it has no "access" claim')
    if not isinstance(access, list):
        raise ValueError('its "access" claim is not a list of grants')
    granted = set()
    for entry in access:
        if not isinstance(entry, dict):
            continue
        kind = _claim(entry, 'type')
        if not isinstance(kind, str) or kind.lower() != 'repository' or \
                _claim(entry, 'name') != repository:
            continue
        actions = _claim(entry, 'actions')
        if isinstance(actions, str):  # "pull,push" in place of a list
            actions = [action.strip() for action in actions.split(',')]
        if isinstance(actions, list):
            granted.update(action for action in actions if isinstance(action, str))
    if '*' in granted:
        granted = set(REPOSITORY_ACTIONS)
    return sorted(granted)


def access_scope(repository):
    if repository:
        return f"repository:{repository}:{','.join(REPOSITORY_ACTIONS)}"
    return 'registry:catalog:*'


def check_access_token(ctx, results):
    host = _login_server(results)
    challenge = results['challenge'].data
    repository = ctx.options.repository
    scope = access_scope(repository)
    url = f'https://{host}/oauth2/token'
    facts = {'loginServer': host, 'url': url, 'scope': scope}
    form = {'grant_type': 'refresh_token', 'service': challenge['service'], 'scope': scope,
            'refresh_token': results['refresh-token'].data}
    result = token_call(ctx, url, form, 'access_token', facts)
    if not result.passed:
        return with_role_advice(network_denied(result, results), results, ['pull'])
    registry = results['login-server'].data or {}
    if not repository:
        if registry.get('roleAssignmentMode') == ABAC_MODE:
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
        return with_role_advice(CheckResult('connectivity.access.missing_actions', facts),
                                results, [_GRANT_OF_ACTION[action] for action in missing])
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
    from .access import GRANTS, ask_for  # here: access imports this module (token_claims)
    mode = roles.facts.get('mode')
    needed = sorted(set(needed), key=GRANTS.index)
    return CheckResult(_EXPLAINED[result.finding], dict(
        result.facts, roleAssignments=roles.facts.get('assignments', []), registryMode=mode,
        needed=', '.join(needed), askFor=ask_for(mode, needed)), data=result.data)


def connectivity_plan():
    """The registry path checks, in plan order (each needs the one before)."""
    return [
        # Budgets (x --timeout): the registry lookup (one ARM call that may retry: 2); the
        # AAD token (2), the exchange, a Retry-After wait (at most one --timeout) and one
        # retry; the token call, the wait and its retry.
        Check('login-server', 'Login server', 'LOGIN_SERVER_ERROR', check_login_server,
              budget=2),
        Check('dns', 'DNS lookup', 'CONNECTIVITY_DNS_ERROR', check_dns,
              requires=('login-server',)),
        # Each check names every result it reads: the runner passes only those. The direct
        # prerequisite comes first, so a skip names it.
        Check('challenge', 'Challenge endpoint', 'CONNECTIVITY_CHALLENGE_ERROR', check_challenge,
              requires=('dns', 'login-server')),
        Check('refresh-token', 'Refresh token', 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
              check_refresh_token, requires=('challenge', 'login-server', 'dns'), budget=5),
        Check('access-token', 'Access token', 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
              check_access_token, requires=('refresh-token', 'challenge', 'login-server', 'dns'),
              budget=3),
    ]
