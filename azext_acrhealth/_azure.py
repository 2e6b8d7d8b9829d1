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
from urllib.parse import urlsplit

ACR_AUDIENCE = 'https://containerregistry.azure.net'
MAX_PAGES = 100
API_VERSIONS = {
    'Microsoft.ManagedIdentity': '2023-01-31',
    'Microsoft.Network': '2023-09-01',
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


def within(work, seconds):
    """``work()`` on a daemon thread, raced against ``seconds``: its value, or its exception
    re-raised, or TimeoutError when it overruns (the thread is abandoned: a blocking call such
    as getaddrinfo or a dripped read cannot be interrupted)."""
    box = {}

    def target():
        try:
            box['value'] = work()
        except BaseException as ex:  # pylint: disable=broad-except
            box['error'] = ex

    worker = threading.Thread(target=target, name='acrhealth-bounded', daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise TimeoutError(seconds)
    if 'error' in box:
        raise box['error']
    return box.get('value')


# ---- ARM ------------------------------------------------------------------------------------

def _first_line(text, limit=200):
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return (lines[0] if lines else '')[:limit]


class Arm:
    """ARM calls for one command run."""

    def __init__(self, cli_ctx, timeout):
        self._cli_ctx = cli_ctx
        self._timeout = float(timeout)
        self._client = None

    def _call_options(self):
        # One immediate retry for a dropped connection (an idle keep-alive the server closed),
        # none for an HTTP status: every call stays within two timeouts.
        return {'retry_total': 1, 'retry_status': 0, 'retry_backoff_factor': 0,
                'connection_timeout': self._timeout, 'read_timeout': self._timeout}

    def _registry_client(self):
        if self._client is None:
            from azure.cli.core.commands.client_factory import get_mgmt_service_client
            from azure.cli.core.profiles import ResourceType
            try:
                self._client = get_mgmt_service_client(
                    self._cli_ctx, ResourceType.MGMT_CONTAINERREGISTRY, **self._call_options())
            except Exception as ex:  # pylint: disable=broad-except
                # Not logged in, no subscription, a broken profile: ARM cannot be asked.
                raise ArmError(_first_line(ex) or type(ex).__name__) from None
        return self._client

    @staticmethod
    def _bounded(work, seconds):
        """``work()`` with a deadline for all of it: the SDK's timeouts bound each socket read
        only, so an ARM answer dripped a byte at a time would outlive them."""
        try:
            return within(work, seconds)
        except ArmError:
            raise
        except TimeoutError:
            raise ArmError('no complete answer within {:g} s'.format(seconds)) from None
        except Exception as ex:  # pylint: disable=broad-except
            # An answer the SDK cannot read (HTML for JSON, a broken page): ARM failed.
            raise ArmError('its answer could not be read ({}: {})'.format(
                type(ex).__name__, _first_line(ex))) from None

    def _arm_host(self):
        try:
            return (urlsplit(self._cli_ctx.cloud.endpoints.resource_manager).hostname or '').lower()
        except Exception:  # pylint: disable=broad-except
            return ''

    def find_registry(self, name):
        """The registry called ``name`` in the current subscription as a plain dict, or None."""
        client = self._registry_client()
        return self._bounded(lambda: self._find_registry(client, name), 2 * self._timeout)

    def _find_registry(self, client, name):
        from azure.core.exceptions import AzureError, HttpResponseError
        seen = set()
        arm_host = self._arm_host()
        try:
            pages = client.registries.list(**self._call_options()).by_page()
            for count, page in enumerate(pages):
                token = getattr(pages, 'continuation_token', None)
                if count >= MAX_PAGES or (token and token in seen):
                    raise ArmError('the registry list never ends (paging stopped after {} '
                                   'page{})'.format(count, '' if count == 1 else 's'))
                if token:
                    seen.add(token)
                    # The next page is asked with the ARM token: only of ARM itself.
                    next_host = (urlsplit(token).hostname or '').lower() \
                        if '://' in str(token) else arm_host
                    if next_host != arm_host:
                        raise ArmError('the registry list points its next page at another '
                                       'host ({}); paging stopped'.format(next_host[:100]))
                for registry in page:
                    if (registry.name or '').lower() == name.lower():
                        return registry_facts(registry.as_dict())
        except HttpResponseError as ex:
            raise ArmError(_first_line(ex.message or ex) or 'HTTP {}'.format(ex.status_code),
                           getattr(ex, 'status_code', None)) from None
        except AzureError as ex:
            raise ArmError(_first_line(ex) or type(ex).__name__) from None
        return None

    def get(self, resource_id, api_version=None):
        """GET an ARM resource by ID as JSON; None when ARM says 404."""
        if not isinstance(resource_id, str) or not resource_id.lower().startswith(
                '/subscriptions/'):
            # IDs come from ARM's own answers; anything but a path would send the token away.
            raise ArmError('not an ARM resource ID: {!r}'.format(str(resource_id)[:100]))
        client = self._registry_client()
        return self._bounded(lambda: self._get_resource(client, resource_id, api_version),
                             2 * self._timeout)

    def _get_resource(self, client, resource_id, api_version):
        from azure.core.exceptions import AzureError
        from azure.core.rest import HttpRequest
        namespace = resource_id.split('/providers/', 1)[-1].split('/', 1)[0]
        version = api_version
        for key, value in API_VERSIONS.items():
            if key.lower() == namespace.lower():
                version = api_version or value
        url = '{}?api-version={}'.format(resource_id, version or '2023-09-01')
        try:
            response = client.send_request(HttpRequest('GET', url), **self._call_options())
        except AzureError as ex:
            raise ArmError(_first_line(ex) or type(ex).__name__) from None
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise ArmError('ARM answered {}'.format(response.status_code), response.status_code)
        try:
            return response.json()
        except ValueError:
            raise ArmError('ARM answered with something that is not JSON') from None


def _get(data, *path):
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def registry_facts(data):
    """The parts of a registry (SDK ``as_dict()`` snake_case or ARM camelCase) the checks use."""
    def pick(*names):
        for name in names:
            value = _get(data, *name.split('.'))
            if value is not None:
                return value
        return None

    identity = pick('identity') or {}
    assigned = identity.get('user_assigned_identities') or identity.get('userAssignedIdentities') \
        or {}
    connections = pick('private_endpoint_connections', 'properties.privateEndpointConnections') \
        or []
    endpoints = []
    for connection in connections:
        endpoint_id = _get(connection, 'private_endpoint', 'id') or \
            _get(connection, 'properties', 'privateEndpoint', 'id')
        if endpoint_id:
            endpoints.append(endpoint_id)
    rules = pick('network_rule_set', 'properties.networkRuleSet') or {}
    return {
        'id': pick('id'),
        'name': pick('name'),
        'loginServer': pick('login_server', 'properties.loginServer'),
        'publicNetworkAccess': pick('public_network_access', 'properties.publicNetworkAccess'),
        'networkDefaultAction': rules.get('default_action') or rules.get('defaultAction'),
        'ipRules': len(rules.get('ip_rules') or rules.get('ipRules') or []),
        'roleAssignmentMode': pick('role_assignment_mode', 'properties.roleAssignmentMode'),
        'encryptionStatus': pick('encryption.status', 'properties.encryption.status'),
        'encryptionIdentity': pick('encryption.key_vault_properties.identity',
                                   'properties.encryption.keyVaultProperties.identity'),
        'identityType': identity.get('type'),
        'principalId': identity.get('principal_id') or identity.get('principalId'),
        'userAssignedIdentities': {
            key: (value or {}).get('client_id') or (value or {}).get('clientId')
            for key, value in assigned.items()},
        'privateEndpoints': endpoints,
    }


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
            'https://{}.azure.net'.format(configured)
    return ACR_AUDIENCE


def aad_token(cli_ctx):
    """``(access token, tenant)`` for the ACR audience from the CLI's profile."""
    from azure.cli.core._profile import Profile
    from azure.cli.core.commands.client_factory import get_subscription_id
    try:
        profile = Profile(cli_ctx=cli_ctx)
        creds, _, tenant = profile.get_raw_token(subscription=get_subscription_id(cli_ctx),
                                                 resource=acr_audience(cli_ctx))
        return creds[1], tenant
    except Exception as ex:  # pylint: disable=broad-except
        raise AadTokenError(_first_line(ex) or type(ex).__name__) from None


# ---- DNS ------------------------------------------------------------------------------------

def resolve(host, timeout):
    """The addresses ``host`` resolves to, in the resolver's order, within ``timeout`` s."""
    try:
        infos = within(lambda: socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM), timeout)
    except TimeoutError:
        raise DnsError('no answer within {:g} s'.format(timeout)) from None
    except UnicodeError as ex:
        raise DnsError('not a valid host name ({})'.format(ex)) from None
    except (OSError, ValueError) as ex:
        raise DnsError(getattr(ex, 'strerror', None) or str(ex)) from None
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
