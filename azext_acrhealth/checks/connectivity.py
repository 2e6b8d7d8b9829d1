# acrhealth (MIT licence). The path to the registry: its login server, DNS, the /v2/ challenge.
"""Connectivity checks up to the challenge (the token checks are in ``tokens``). Every call is
bounded by the context's timeout; nothing here raises to the user and no credential is sent:
the challenge is an anonymous GET."""

from .. import catalogue
from ..catalogue import FAILED, Finding, PASSED
from .._text import as_text
from .base import Check, CheckResult, login_server
from .._urls import without_userinfo
from .._azure import ArmError, DnsError, address_kind
from .._http import HttpError, bearer_params, parse_challenges
from .._probe import FAILED as STEP_FAILED, PASSED as STEP_PASSED, SKIPPED as STEP_SKIPPED

PROXY_VARIABLES = ('HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY',
                   'no_proxy', 'REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE')


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
        host = (registry.get('loginServer') or '').strip().rstrip('/')
        if host:
            return CheckResult('registry.login_server.arm', dict(
                facts, loginServer=host, resolvedBy='arm', resourceId=registry.get('id')),
                data=registry)
        facts.update(arm='noLoginServer', resourceId=registry.get('id'))
    if not ctx.acr_suffix:
        return CheckResult('registry.login_server.none', dict(facts, cloud=ctx.cloud_name))
    # The login server given with --name (a domain-name-label one cannot be built) or, as the
    # Azure CLI does, the name and the cloud's suffix.
    host = ctx.options.login_server_hint or name.lower() + ctx.acr_suffix
    finding = 'registry.login_server.given' if ctx.options.login_server_hint else \
        'registry.login_server.suffix'
    return CheckResult(finding, dict(
        facts, loginServer=host, resolvedBy='cloudSuffix', suffix=ctx.acr_suffix),
        data=registry)


# ---- 2. DNS ---------------------------------------------------------------------------------

def check_dns(ctx, results):
    host = login_server(results)
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
    host = login_server(results)
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


# What the challenge's request to the login server found, by its finding: TCP and TLS steps.
_ANSWERED = ('connectivity.challenge.ok', 'connectivity.challenge.ok_unverified',
             'connectivity.challenge.forbidden', 'connectivity.challenge.throttled',
             'connectivity.challenge.no_challenge', 'connectivity.challenge.not_bearer')


def login_server_steps(challenge):
    """TCP and TLS of the login server as the challenge request found them, or None (not
    asked: the endpoint is then probed like the others)."""
    if challenge is None:
        return None
    if challenge.finding in _ANSWERED:
        return {'tcp': STEP_PASSED, 'tls': STEP_PASSED, 'error': None}
    if challenge.finding == 'connectivity.challenge.ssl':
        return {'tcp': STEP_PASSED, 'tls': STEP_FAILED, 'error': challenge.facts.get('error')}
    if challenge.finding == 'connectivity.challenge.unreachable':
        return {'tcp': STEP_SKIPPED, 'tls': STEP_FAILED, 'error': challenge.facts.get('error')}
    return None


def connectivity_plan():
    """The registry path checks up to the challenge, in plan order (each needs the one before)."""
    return [
        # Budgets (x --timeout): the registry lookup (one ARM call that may retry: 2).
        Check('login-server', 'Login server', 'LOGIN_SERVER_ERROR', check_login_server,
              budget=2),
        Check('dns', 'DNS lookup', 'CONNECTIVITY_DNS_ERROR', check_dns,
              requires=('login-server',)),
        # Each check names every result it reads: the runner passes only those. The direct
        # prerequisite comes first, so a skip names it.
        Check('challenge', 'Challenge endpoint', 'CONNECTIVITY_CHALLENGE_ERROR', check_challenge,
              requires=('dns', 'login-server')),
    ]


def _not_from_arm(facts):
    """Why ARM did not give the login server: it could not be asked, the registry is not in
    the subscription searched (--subscription selects another), or its resource names none.
    "Not found" and "could not ask" are different findings."""
    arm = facts.get('arm')
    if arm == 'failed':
        return f"ARM could not be asked ({as_text(facts.get('armError'))})"
    if arm == 'noLoginServer':
        return 'its ARM resource names no login server'
    subscription = as_text(facts.get('subscriptionId'))
    if facts.get('subscriptionName'):
        subscription = f"\"{facts['subscriptionName']}\" ({subscription})"
    return (f"{as_text(facts.get('name'))} is not in subscription {subscription}; if it is in "
            'another subscription, select that one with --subscription')


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Login server.
    'registry.login_server.arm': Finding(
        PASSED, None, 'Found {name} in ARM: login server {loginServer}.'),
    'registry.login_server.suffix': Finding(
        PASSED, None, lambda f: f"Using {f.get('loginServer')}, built from the cloud's ACR suffix: "
                                f"{_not_from_arm(f)}."),
    'registry.login_server.given': Finding(
        PASSED, None, lambda f: f"Using {f.get('loginServer')}, the login server given with "
                                f"--name: {_not_from_arm(f)}."),
    'registry.login_server.none': Finding(
        FAILED, 'LOGIN_SERVER_ERROR', lambda f: f"The login server of {f.get('name')} is unknown: "
        f"{_not_from_arm(f)}, and cloud {f.get('cloud')} has no ACR login server suffix."),

    # DNS.
    'connectivity.dns.resolved': Finding(
        PASSED, None, lambda f: f"{f.get('loginServer')} resolves to " + ', '.join(
            f"{a} ({f.get('kinds', {}).get(a, '?')})" for a in f.get('addresses', [])) + '.'),
    'connectivity.dns.failed': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', '{loginServer} did not resolve: {error}.'),
    'connectivity.dns.unusable': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        '{loginServer} resolves only to addresses that cannot be used: {addresses}.'),

    # Challenge.
    'connectivity.challenge.ok': Finding(
        PASSED, None, '{url} answered 401 with a Bearer challenge (service {service}).'),
    'connectivity.challenge.ok_unverified': Finding(
        PASSED, None, '{url} answered 401 with a Bearer challenge (service {service}). TLS '
                      'certificates are NOT verified: AZURE_CLI_DISABLE_CONNECTION_VERIFICATION '
                      'is set.'),
    'connectivity.challenge.forbidden': Finding(
        FAILED, 'CONNECTIVITY_FORBIDDEN_ERROR',
        '{url} answered 403 Forbidden (public network access: {publicNetworkAccess}; network '
        'rules default action: {networkDefaultAction}; IP rules: {ipRules}).'),
    'connectivity.challenge.ssl': Finding(
        FAILED, 'CONNECTIVITY_SSL_ERROR',
        'No secure connection to {loginServer}: {error}. Proxy and CA settings in effect: '
        '{proxySettings}.'),
    'connectivity.challenge.unreachable': Finding(
        FAILED, 'CONNECTIVITY_CHALLENGE_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.challenge.no_challenge': Finding(
        FAILED, 'CONNECTIVITY_CHALLENGE_ERROR',
        '{url} answered {statusCode} without an authentication challenge (expected 401 with '
        'WWW-Authenticate).'),
    'connectivity.challenge.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', '{url} answered 429 Too Many Requests.'),
    'connectivity.challenge.not_bearer': Finding(
        FAILED, 'CONNECTIVITY_AAD_LOGIN_ERROR',
        '{url} offers no Bearer challenge with a realm and a service: {challenge}'),
})
