# acrhealth (MIT licence). The path to the registry: its login server, DNS, the /v2/ challenge.
"""Connectivity checks up to the challenge (the token checks are in ``tokens``). Every call is
bounded by the context's timeout; nothing here raises to the user and no credential is sent:
the challenge is an anonymous GET."""

from .base import Check, CheckResult
from .._urls import without_userinfo
from .._azure import ArmError, DnsError, address_kind
from .._http import HttpError, bearer_params, parse_challenges

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
