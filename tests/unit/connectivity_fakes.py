# acrhealth (MIT licence). Fakes for the connectivity and registry checks: ARM, HTTP, DNS, AAD.
"""Scripted stand-ins for the adapters a CheckContext carries, each recording its calls,
plus builders for ARM registry JSON, challenge answers and JWTs."""

import base64
import json
import re

from azext_acrhealth import catalogue, report
from azext_acrhealth._azure import AadTokenError, ArmError, DnsError, registry_facts
from azext_acrhealth._http import HttpError, HttpResponse
from azext_acrhealth.checks.base import CheckContext, Options
from azext_acrhealth.checks.connectivity import connectivity_plan
from azext_acrhealth.checks.registry import registry_plan

SUB = '00000000-0000-0000-0000-000000000001'
GROUP = 'rg1'
NAME = 'myreg'
LOGIN = 'myreg.azurecr.io'
REGISTRY_ID = ('/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/'
               'registries/{}'.format(SUB, GROUP, NAME))
AAD_TOKEN = 'aad-token-SECRET-0123456789'
REFRESH_TOKEN = 'refresh-token-SECRET-abcdef'
TENANT = '11111111-2222-3333-4444-555555555555'
CHALLENGE = 'Bearer realm="https://{0}/oauth2/token",service="{0}"'.format(LOGIN)


def response(status=200, body=b'', headers=None, challenges=None, truncated=False):
    return HttpResponse(status, dict(headers or {}), list(challenges or []), body, truncated)


def json_response(data, status=200):
    return response(status, json.dumps(data).encode('utf-8'),
                    headers={'Content-Type': 'application/json'})


def challenge_response(*values, status=401):
    values = values or (CHALLENGE,)
    return response(status, b'{"errors":[{"code":"UNAUTHORIZED"}]}', challenges=values)


def b64url(data):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode('utf-8')
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')


def jwt(claims):
    """An unsigned-looking JWT whose payload is ``claims`` (a dict, or raw bytes)."""
    return '{}.{}.{}'.format(b64url({'alg': 'RS256', 'typ': 'JWT'}), b64url(claims), 'c2ln')


def acr_access(repository='r', actions=('pull',)):
    """The ``access`` claim as Azure Container Registry emits it."""
    return [{'type': 'repository', 'name': repository, 'actions': list(actions)}]


class FakeHttp:
    """``HttpClient`` stand-in: ``answers`` maps a URL path (``/v2/``, ``/oauth2/exchange``,
    ``/oauth2/token``) to an HttpResponse, an HttpError to raise, a list of those (one per
    call) or a callable ``(method, url, form)``. Every call is recorded in ``calls``."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []

    def request(self, method, url, form=None):
        self.calls.append((method, url, dict(form) if form is not None else None))
        path = '/' + url.split('://', 1)[-1].split('/', 1)[-1]
        if path not in self.answers:
            raise AssertionError('unexpected HTTP call: {} {}'.format(method, url))
        answer = self.answers[path]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(method, url, form)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    def urls(self):
        return [url for _, url, _ in self.calls]


class FakeArm:
    """``_azure.Arm`` stand-in. ``registries`` maps a registry name to its ARM JSON (given to
    the real ``registry_facts``, as ``Arm.find_registry`` does) or to an exception to raise;
    ``resources`` maps a resource ID to its JSON, None (ARM 404) or an exception."""

    def __init__(self, registries=None, resources=None, find_error=None):
        self.registries = {key.lower(): value for key, value in (registries or {}).items()}
        self.resources = dict(resources or {})
        self.find_error = find_error
        self.calls = []

    def find_registry(self, name):
        self.calls.append(('find_registry', name))
        if self.find_error is not None:
            raise self.find_error
        data = self.registries.get(name.lower())
        return None if data is None else registry_facts(data)

    def get(self, resource_id, api_version=None):
        self.calls.append(('get', resource_id))
        answer = self.resources.get(resource_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class FakeResolver:
    """``resolve(host, timeout)`` stand-in: ``answers`` maps a host to addresses or a DnsError."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []

    def __call__(self, host, timeout):
        self.calls.append((host, timeout))
        answer = self.answers.get(host, DnsError('[Errno -2] Name or service not known'))
        if isinstance(answer, BaseException):
            raise answer
        return list(answer)


class FakeAad:
    """``aad_token()`` stand-in: returns ``(token, tenant)`` or raises ``error``."""

    def __init__(self, token=AAD_TOKEN, tenant=TENANT, error=None):
        self.token, self.tenant, self.error = token, tenant, error
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.error is not None:
            raise self.error
        return self.token, self.tenant


NOT_LOGGED_IN = AadTokenError("Please run 'az login' to setup account.")


def arm_registry(name=NAME, login_server=LOGIN, public_network_access='Enabled',
                 default_action='Allow', ip_rules=(), abac=False, encryption=None,
                 identity=None, endpoints=(), registry_id=None):
    """A registry as ARM returns it (camelCase, ``properties``)."""
    props = {'loginServer': login_server, 'publicNetworkAccess': public_network_access,
             'networkRuleSet': {'defaultAction': default_action,
                                'ipRules': [{'action': 'Allow', 'value': ip} for ip in ip_rules]},
             'roleAssignmentMode': 'AbacRepositoryPermissions' if abac else 'LegacyRegistryPermissions',
             'encryption': encryption or {'status': 'disabled'},
             'privateEndpointConnections': [
                 {'id': endpoint + '/conn', 'properties': {'privateEndpoint': {'id': endpoint}}}
                 for endpoint in endpoints]}
    if login_server is None:
        del props['loginServer']
    data = {'id': registry_id or REGISTRY_ID.replace('/' + NAME, '/' + name), 'name': name,
            'location': 'eastus', 'sku': {'name': 'Premium'}, 'properties': props}
    if identity is not None:
        data['identity'] = identity
    return data


def make_ctx(registries=None, http=None, resolver=None, aad=None, arm=None, timeout=5.0,
             acr_suffix='.azurecr.io', environ=None, verify_tls=True, registry_name=NAME,
             repository=None, vnet=None, ignore_errors=False, **extra):
    """A CheckContext for the registry checks with every adapter faked."""
    options = Options(registry_name=registry_name, repository=repository, vnet=vnet,
                      timeout=timeout, ignore_errors=ignore_errors, yes=True)
    if arm is None:
        arm = FakeArm({NAME: arm_registry()} if registries is None else registries)
    ctx = CheckContext(
        options=options, which=lambda name: None, run_process=_no_process,
        environ=dict(environ or {}), cli_version='2.91.0', extension_version='1.0.0b1',
        cloud_name='AzureCloud', acr_suffix=acr_suffix,
        resolve=resolver if resolver is not None else FakeResolver({LOGIN: ['20.62.128.10']}),
        http=http if http is not None else FakeHttp(healthy_answers()),
        arm=arm, aad_token=aad if aad is not None else FakeAad(), verify_tls=verify_tls,
        **extra)
    return ctx


def _no_process(argv, timeout, env=None):
    raise AssertionError('unexpected child process: {}'.format(argv))


def healthy_answers(access_token=None):
    return {
        '/v2/': challenge_response(),
        '/oauth2/exchange': json_response({'refresh_token': REFRESH_TOKEN}),
        '/oauth2/token': json_response({'access_token': access_token or jwt(
            {'access': acr_access('r', ['pull', 'push'])})}),
    }


def registry_checks(with_vnet=False):
    return connectivity_plan() + registry_plan(with_vnet=with_vnet)


def run_through(ctx, until, with_vnet=None):
    """Run the registry checks in plan order, one after the other, up to ``until``;
    return ``(result of until, {id: result})``. A check whose prerequisite did not pass is
    not run (and ``until`` must be reachable: the test says which prerequisites pass)."""
    plan = registry_checks(with_vnet=bool(ctx.options.vnet) if with_vnet is None else with_vnet)
    results = {}
    for check in plan:
        if not all(dep in results and results[dep].passed for dep in check.requires):
            if check.id == until:
                raise AssertionError('{} cannot run: prerequisites {}'.format(
                    until, {dep: results.get(dep) for dep in check.requires}))
            continue
        inputs = {dep: results[dep] for dep in check.requires + check.after}
        results[check.id] = check.run(ctx, inputs)
        if check.id == until:
            return results[check.id], results
    raise AssertionError('no check {}'.format(until))


def check_by_id(check_id, with_vnet=True):
    return next(check for check in registry_checks(with_vnet) if check.id == check_id)


_PLACEHOLDER = re.compile(r'\{[A-Za-z_][A-Za-z0-9_]*\}')


def rendered(check_id, result):
    """The report entry of ``result``; asserts its text has no leftover placeholder and that
    a failure carries a documented code with its remediation."""
    entry = report.check_entry(check_by_id(check_id), result)
    for key in ('message', 'remediation'):
        assert not _PLACEHOLDER.search(entry[key] or ''), (key, entry[key])
    if entry['status'] in (catalogue.FAILED, catalogue.WARNING):
        assert entry['code'] in catalogue.CODES, entry
        assert entry['remediation'] and entry['docsUrl'].endswith(entry['code'].lower())
    else:
        assert entry['code'] is None
    return entry


def flat(value):
    """Everything in a facts structure as one string (to search for leaked secrets)."""
    return json.dumps(value, default=str, sort_keys=True)


__all__ = ['ArmError', 'DnsError', 'HttpError', 'AadTokenError']
