# acrhealth (MIT licence). Adapters to the CLI's Azure context: ARM, AAD tokens, DNS, cloud.
"""What the registry checks need from Azure, behind small functions the unit tests replace.

- :class:`Arm` looks registries up with azure-mgmt-containerregistry through the CLI's client
  factory (its subscription, credentials, cloud and safe logging) and makes other ARM GETs
  through the same pipeline, each call bounded in time and never retried.
- :func:`aad_token` asks the CLI's profile for an AAD token for the ACR audience.
- :func:`resolve` resolves a host name within a deadline.
"""

import ipaddress
import socket
import threading
from urllib.parse import quote, urlsplit

from ._bounded import Overrun, no_answer, within
from ._text import looks_like_repr, plain_reason

ACR_AUDIENCE = 'https://containerregistry.azure.net'
MAX_PAGES = 100
REGISTRY_TYPE = 'Microsoft.ContainerRegistry/registries'
RESOURCES_API_VERSION = '2022-09-01'
# The registry API the Azure CLI's acr module asks (azure-cli 2.91, azure-mgmt-containerregistry
# 15.1.0b3): stable versions leave out regionalEndpoints, regionalEndpointHostNames and
# endpointProtocol, which real registries return at this version (the Azure CLI's
# test_acr_create_with_dual_stack_endpoints.yaml recording), with roleAssignmentMode.
REGISTRY_API_VERSION = '2026-09-01-preview'
AUTHORIZATION_API_VERSION = '2022-04-01'
TURN_POLL = 0.05  # seconds: how often a request waiting for its turn looks whether to stop
API_VERSIONS = {
    'microsoft.managedidentity': '2023-01-31',
    'microsoft.network': '2023-09-01',
}


class ArmError(Exception):
    """ARM could not be asked, or refused: ``status`` is the HTTP status when there was one."""

    def __init__(self, reason, status=None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class AadTokenError(Exception):
    """No AAD token could be had from the CLI's profile."""


class DnsError(Exception):
    """A name did not resolve (or not in time)."""


# ---- ARM ------------------------------------------------------------------------------------

def _first_line(text, limit=200):
    """The first line of ``text``, cut at a word before ``limit`` characters ("…" then)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else ''
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    return (cut.rsplit(' ', 1)[0] if ' ' in cut[limit // 2:] else cut) + '\u2026'


def _arm_status_reason(response):
    """'ARM answered 403 AuthorizationFailed: The client ... does not have authorization ...'
    from ARM's error body ``{"error": {"code", "message"}}`` (or the bare status)."""
    try:
        error = response.json().get('error') or {}
    except (ValueError, AttributeError):
        error = {}
    code = error.get('code') if isinstance(error, dict) else None
    message = error.get('message') if isinstance(error, dict) else None
    reason = f'ARM answered {response.status_code}'
    if isinstance(code, str) and code:
        reason += f" {_first_line(code, 80)}"
    if isinstance(message, str) and message.strip():
        reason += f": {_first_line(message)}"
    return reason


class Arm:
    """ARM calls for one command run, through the CLI's client factory (its subscription,
    --subscription included, its credentials, cloud and safe logging)."""

    def __init__(self, cli_ctx, timeout):
        self._cli_ctx = cli_ctx
        self._timeout = float(timeout)
        self._client = None
        self._subscription = None
        # One request at a time: they then share one keep-alive connection (a second, parallel
        # request would open another TLS connection, which costs as much as waiting). After a
        # request overran, its abandoned thread may hold the turn for long: the others then stop
        # waiting for it and go on their own connections.
        self._one_at_a_time = threading.Lock()
        self._in_turn = True

    def _call_options(self):
        # One immediate retry for a dropped connection (an idle keep-alive the server closed),
        # none for an HTTP status: every call stays within two timeouts.
        return {'retry_total': 1, 'retry_status': 0, 'retry_backoff_factor': 0,
                'connection_timeout': self._timeout, 'read_timeout': self._timeout}

    def _pipeline(self):
        if self._client is None:
            from azure.cli.core.commands.client_factory import get_mgmt_service_client
            from azure.cli.core.profiles import ResourceType
            try:
                self._client = get_mgmt_service_client(
                    self._cli_ctx, ResourceType.MGMT_CONTAINERREGISTRY, **self._call_options())
            except Exception as ex:  # pylint: disable=broad-except
                # Not logged in, no subscription, a broken profile: ARM cannot be asked.
                raise ArmError(plain_reason(ex)) from None
        return self._client

    def subscription(self):
        """``{'id', 'name'}`` of the subscription searched (the CLI's, or --subscription)."""
        if self._subscription is None:
            from azure.cli.core.commands.client_factory import get_subscription_id
            try:
                sub_id = get_subscription_id(self._cli_ctx)
            except Exception as ex:  # pylint: disable=broad-except
                raise ArmError(plain_reason(ex)) from None
            known = {}
            try:
                from azure.cli.core._profile import Profile
                known = Profile(cli_ctx=self._cli_ctx).get_subscription(sub_id)
            except Exception:  # pylint: disable=broad-except
                pass  # --subscription with an ID the profile does not list: the ID says enough
            self._subscription = {'id': sub_id, 'name': known.get('name'),
                                  'tenantId': known.get('tenantId')}
        return self._subscription

    def _bounded(self, work, seconds):
        """``work()`` with a deadline for all of it: the SDK's timeouts bound each socket read
        only, so an ARM answer dripped a byte at a time would outlive them."""
        try:
            return within(work, seconds, on_overrun=self._stop_taking_turns)
        except ArmError:
            raise
        except Overrun as ex:
            raise ArmError(str(ex)) from None
        except Exception as ex:  # pylint: disable=broad-except
            raise ArmError(plain_reason(ex)) from None

    def _stop_taking_turns(self):
        self._in_turn = False

    def _send(self, request):
        """One request, in turn with the others while every request ends in time."""
        taken = False
        while self._in_turn and not taken:
            taken = self._one_at_a_time.acquire(timeout=TURN_POLL)  # pylint: disable=consider-using-with  # a wait that can stop is no `with`
        try:
            return self._pipeline().send_request(request, **self._call_options())
        finally:
            if taken:
                self._one_at_a_time.release()

    def _arm_host(self):
        try:
            return (urlsplit(self._cli_ctx.cloud.endpoints.resource_manager).hostname or '').lower()
        except Exception:  # pylint: disable=broad-except
            return ''

    def find_registry(self, name):
        """The registry called ``name`` in the subscription, as :func:`registry_facts`, or
        None. Two requests whatever the subscription holds: the resources list filtered by
        type and name, then one GET (the Azure CLI pages through every registry instead)."""
        self._pipeline()
        sub_id = self.subscription()['id']
        return self._bounded(lambda: self._find_registry(sub_id, name), 2 * self._timeout)

    def _find_registry(self, sub_id, name):
        # Resources - List: `resourceType eq` combines with `substringof(..., name)` (the
        # documented $filter combinations, azure-rest-api-specs Microsoft.Resources
        # 2022-09-01 resources.json); the exact name is matched here, case-insensitively.
        quoted = name.replace("'", "''")
        flt = f"resourceType eq '{REGISTRY_TYPE}' and substringof('{quoted}', name)"
        url = (f"/subscriptions/{quote(sub_id, safe='')}/resources?$filter="
               f"{quote(flt, safe=chr(39))}&api-version={RESOURCES_API_VERSION}")
        for item in self._items(url, 'resource list'):
            if isinstance(item, dict) and str(item.get('name', '')).lower() == name.lower() \
                    and str(item.get('type', '')).lower() == REGISTRY_TYPE.lower():
                registry = self._get_json(f"{item.get('id')}?api-version={REGISTRY_API_VERSION}", missing_ok=True)
                return None if registry is None else registry_facts(registry)
        return None

    def _items(self, url, what):
        """Every item of an ARM list, following its nextLink pages on ARM itself only and at
        most MAX_PAGES of them."""
        seen = set()
        for count in range(MAX_PAGES + 1):
            if count == MAX_PAGES:
                raise ArmError(f'the {what} never ends (paging stopped after {count} pages)')
            page = self._get_json(url)
            yield from page.get('value') or []
            url = page.get('nextLink')
            if not url:
                return
            if url in seen:
                pages = f"{count + 1} page{'' if count == 0 else 's'}"
                raise ArmError(f'the {what} names the same next page again (paging stopped after '
                               f'{pages})')
            seen.add(url)
            # The next page is asked with the ARM token: only of ARM itself.
            next_host = (urlsplit(url).hostname or '').lower()
            if next_host != self._arm_host():
                raise ArmError(f'the {what} points its next page at another host '
                               f'({next_host[:100]}); paging stopped')

    def role_assignments(self, registry_id, object_id):
        """The role assignments of ``object_id`` that apply at the registry, inherited ones
        (resource group, subscription, management group) and its groups' included
        (``assignedTo()``, Microsoft's role-assignments-list-rest article)."""
        url = (f"{registry_id}/providers/Microsoft.Authorization/roleAssignments?$filter="
               f"assignedTo('{quote(object_id, safe='')}')&api-version={AUTHORIZATION_API_VERSION}")
        return self._bounded(lambda: [a for a in self._items(url, 'role assignment list')
                                      if isinstance(a, dict)], 2 * self._timeout)

    def role_definition(self, registry_id, role_id):
        """A role definition by its GUID (None when ARM does not know it)."""
        url = (f"/subscriptions/{registry_id.split('/')[2]}/providers/Microsoft.Authorization/"
               f"roleDefinitions/{quote(role_id, safe='')}?api-version={AUTHORIZATION_API_VERSION}")
        return self._bounded(lambda: self._get_json(url, missing_ok=True), 2 * self._timeout)

    def _get_json(self, url, missing_ok=False):
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest
        path = urlsplit(url).path if '://' in url else url.split('?', 1)[0]
        if not path.lower().startswith('/subscriptions/'):
            # IDs come from ARM's own answers; anything but a path would send the token away.
            raise ArmError(f'not an ARM resource path: {path[:100]}')
        try:
            response = self._send(HttpRequest('GET', url))
        except AzureError as ex:
            raise ArmError(plain_reason(ex)) from None
        if response.status_code == 404 and missing_ok:
            return None
        if response.status_code != 200:
            raise ArmError(_arm_status_reason(response), response.status_code)
        try:
            data = response.json()
        except ValueError:
            kind = _first_line(response.headers.get('Content-Type') or 'no content type', 80)
            raise ArmError(f'its answer is not JSON ({kind})') from None
        if not isinstance(data, dict):
            raise ArmError('its answer is not a JSON object')
        return data

    def get(self, resource_id):
        """GET an ARM resource by ID as JSON; None when ARM says 404."""
        if not isinstance(resource_id, str) or not resource_id.lower().startswith(
                '/subscriptions/'):
            raise ArmError(f'not an ARM resource ID: {str(resource_id)[:100]}')
        namespace = resource_id.split('/providers/', 1)[-1].split('/', 1)[0].lower()
        version = API_VERSIONS.get(namespace, API_VERSIONS['microsoft.network'])
        return self._bounded(lambda: self._get_json(f'{resource_id}?api-version={version}',
                                                    missing_ok=True), 2 * self._timeout)


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def registry_facts(data):
    """The parts of a registry's ARM JSON (``Microsoft.ContainerRegistry/registries``, as
    RegistryGet.json in azure-rest-api-specs shows it) that the checks use."""
    props, identity = _dict(_get(data, 'properties')), _dict(_get(data, 'identity'))
    assigned = _dict(_get(identity, 'userAssignedIdentities'))
    connections = [{'privateEndpoint': _get(connection, 'properties', 'privateEndpoint', 'id'),
                    'status': _get(connection, 'properties', 'privateLinkServiceConnectionState',
                                   'status')}
                   for connection in _list(_get(props, 'privateEndpointConnections'))]
    connections = [{key: value if isinstance(value, str) else None
                    for key, value in connection.items()} for connection in connections]
    rules = _dict(_get(props, 'networkRuleSet'))
    return {
        'id': _str(_get(data, 'id')),
        'name': _str(_get(data, 'name')),
        'location': _str(_get(data, 'location')),
        'dataEndpointHostNames': _strings(_get(props, 'dataEndpointHostNames')) if _get(
            props, 'dataEndpointEnabled') is True else [],
        'regionalEndpointHostNames': _strings(_get(props, 'regionalEndpointHostNames')) if
        _enabled(props, 'regionalEndpoints', 'regionalEndpointEnabled') else [],
        'endpointProtocol': _endpoint_protocol(props),
        'loginServer': _str(_get(props, 'loginServer')),
        'publicNetworkAccess': _str(_get(props, 'publicNetworkAccess')),
        'networkDefaultAction': _str(_get(rules, 'defaultAction')),
        'ipRules': len(_list(_get(rules, 'ipRules'))),
        'roleAssignmentMode': _str(_get(props, 'roleAssignmentMode')),
        'adminUserEnabled': _bool(_get(props, 'adminUserEnabled')),
        'anonymousPullEnabled': _bool(_get(props, 'anonymousPullEnabled')),
        'armAudienceTokens': _str(_get(props, 'policies', 'azureADAuthenticationAsArmPolicy',
                                       'status')),
        'quarantine': _str(_get(props, 'policies', 'quarantinePolicy', 'status')),
        'trust': _str(_get(props, 'policies', 'trustPolicy', 'status')),
        'encryptionStatus': _str(_get(props, 'encryption', 'status')),
        'encryptionIdentity': _str(_get(props, 'encryption', 'keyVaultProperties', 'identity')),
        'identityType': _str(_get(identity, 'type')),
        'principalId': _str(_get(identity, 'principalId')),
        'userAssignedIdentities': {key: _str(_get(value, 'clientId'))
                                   for key, value in assigned.items() if isinstance(key, str)},
        # Each connection with its state (Approved, Pending, Rejected, Disconnected): only an
        # Approved one carries traffic.
        'privateEndpointConnections': [c for c in connections if c['privateEndpoint']],
        'privateEndpoints': [c['privateEndpoint'] for c in connections
                             if c['privateEndpoint'] and str(c['status']).lower() == 'approved'],
    }


def _str(value):
    """A string field of an ARM document, or None when it is of another type (every field of a
    server's document is untrusted)."""
    return value if isinstance(value, str) else None


def _bool(value):
    return value if isinstance(value, bool) else None


def _list(value):
    return value if isinstance(value, list) else []


def _dict(value):
    return value if isinstance(value, dict) else {}


def _strings(value):
    return [item for item in _list(value) if isinstance(item, str) and item]


def _enabled(props, name, flag):
    """Whether a feature is on: ``name`` is "Enabled"/"Disabled" in real bodies (the Azure CLI's
    recordings); azure-rest-api-specs' 2026-01-01-preview example has a boolean ``flag``
    instead. Absent both, the host names ARM lists say so."""
    value = props.get(name, props.get(flag))
    if isinstance(value, str):
        return value.lower() != 'disabled'
    return value is not False


def _endpoint_protocol(props):
    """'IPv4' or 'IPv4AndIPv6' (real bodies: ``endpointProtocol``; the spec's 2026-01-01-preview
    example: ``dualStackEndpointsEnabled``), or None when ARM does not say."""
    value = props.get('endpointProtocol')
    if isinstance(value, str):
        return value[:40]
    if isinstance(props.get('dualStackEndpointsEnabled'), bool):
        return 'IPv4AndIPv6' if props['dualStackEndpointsEnabled'] else 'IPv4'
    return None


def acr_suffix(cli_ctx):
    """The cloud's ACR login server suffix, or None when the cloud has none."""
    try:
        return cli_ctx.cloud.suffixes.acr_login_server_endpoint or None
    except Exception:  # pylint: disable=broad-except
        # CloudSuffixNotSetException (or an older CLI without the attribute).
        return None


# ---- AAD ------------------------------------------------------------------------------------

def acr_audience(cli_ctx):
    """The AAD resource for the registry's /oauth2/exchange, as the CLI chooses it."""
    try:
        configured = cli_ctx.config.get('acr', 'audience_resource', fallback=None)
    except Exception:  # pylint: disable=broad-except
        configured = None
    if configured:
        return configured if configured.startswith('https://') else \
            f'https://{configured}.azure.net'
    return ACR_AUDIENCE


def aad_token(cli_ctx, timeout):
    """``(access token, tenant)`` for the ACR audience from the CLI's profile, within two
    ``timeout``s (MSAL may ask AAD once more after a dropped connection)."""
    from azure.cli.core._profile import Profile
    from azure.cli.core.commands.client_factory import get_subscription_id

    def ask():
        profile = Profile(cli_ctx=cli_ctx)
        creds, _, tenant = profile.get_raw_token(subscription=get_subscription_id(cli_ctx),
                                                 resource=acr_audience(cli_ctx))
        return creds[1], tenant
    try:
        return within(ask, 2 * timeout)
    except Overrun as ex:
        raise AadTokenError(str(ex)) from None
    except Exception as ex:  # pylint: disable=broad-except
        line = _first_line(ex)
        raise AadTokenError(line if line and not looks_like_repr(line) else plain_reason(ex)) \
            from None


# ---- DNS ------------------------------------------------------------------------------------

def resolve(host, timeout):
    """The addresses ``host`` resolves to, in the resolver's order, within ``timeout`` s."""
    try:
        infos = within(lambda: socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM), timeout)
    except Overrun as ex:
        raise DnsError(no_answer(ex.seconds, ex.cut, 'answer')) from None
    except UnicodeError:
        raise DnsError('not a valid host name') from None
    except (OSError, ValueError) as ex:
        raise DnsError(plain_reason(ex)) from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_kind(address):
    """'private', 'public', 'loopback' or 'unusable' for an IP address string."""
    try:
        ip = ipaddress.ip_address(address.split('%', 1)[0])
    except ValueError:
        return 'unusable'
    if getattr(ip, 'ipv4_mapped', None):  # ::ffff:a.b.c.d is a.b.c.d
        ip = ip.ipv4_mapped
    # Loopback first: ::1 lies in ::/8, which ipaddress calls reserved.
    if ip.is_loopback:
        return 'loopback'
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return 'unusable'
    return 'private' if ip.is_private else 'public'
