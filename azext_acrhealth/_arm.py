# acrhealth (MIT licence). ARM: the registry lookup and the GETs the checks make, bounded.
"""The ARM calls of one command run, through the CLI's client factory (its subscription,
--subscription included, its credentials, cloud and safe logging): the registry found in two
requests whatever the subscription holds, the role assignments and definitions that apply to
it, the resources its checks read, each bounded in time (the registry's document is read by
``_registry_json``)."""

import threading
from urllib.parse import quote, urlsplit

from ._azure import ArmError
from ._bounded import Overrun, Task, within
from ._pooled import open_connection
from ._registry_json import registry_facts
from ._text import first_words, plain_reason

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
        reason += f" {first_words(code, 80)}"
    if isinstance(message, str) and message.strip():
        reason += f": {first_words(message)}"
    return reason


class Arm:  # pylint: disable=too-many-instance-attributes  # one run's ARM state, each named
    """ARM calls for one command run, through the CLI's client factory (its subscription,
    --subscription included, its credentials, cloud and safe logging)."""

    def __init__(self, cli_ctx, timeout, command=None):
        self._cli_ctx = cli_ctx
        self._timeout = float(timeout)
        # Started before the CLI parsed the command (_early): what its requests say of it.
        self._command = command
        self._client = None
        self._session = None  # requests' session, its connection opened as the client is built
        self._lookup = None  # (name, Task): find_registry(name) started early
        self._subscription = None
        # One request at a time: they then share one keep-alive connection (a second, parallel
        # request would open another TLS connection, which costs as much as waiting). After a
        # request overran, its abandoned thread may hold the turn for long: the others then stop
        # waiting for it and go on their own connections.
        self._one_at_a_time = threading.Lock()
        self._in_turn = True
        self.date = None  # ARM's latest Date header: what its clock says

    def _call_options(self):
        # One immediate retry for a dropped connection (an idle keep-alive the server closed),
        # none for an HTTP status: every call stays within two timeouts.
        return {'retry_total': 1, 'retry_status': 0, 'retry_backoff_factor': 0,
                'connection_timeout': self._timeout, 'read_timeout': self._timeout}

    def _pipeline(self):
        if self._client is None:
            from azure.cli.core.commands.client_factory import get_mgmt_service_client
            from ._arm_pipeline import ArmClient
            extra = {'acrhealth_command': self._command} if self._command else {}
            if self._session is not None:
                extra['acrhealth_session'] = self._session
            try:
                self._client = get_mgmt_service_client(self._cli_ctx, ArmClient,
                                                       **self._call_options(), **extra)
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
            response = self._pipeline().send_request(request, **self._call_options())
            self.date = response.headers.get('Date') or self.date
            return response
        finally:
            if taken:
                self._one_at_a_time.release()

    def connect_ahead(self):
        """Open ARM's connection on a thread of its own while the pipeline is built (the CLI's
        credential: msal's import and token cache take longer than a handshake): it takes the
        first turn, so the first request finds the connection open in the pool and sends at
        once. Only an optimisation: when it cannot, the first request connects as before."""
        if self._client is not None or self._session is not None:
            return
        try:
            from azure.core.pipeline.transport import RequestsTransport
            from azure.cli.core.util import should_disable_connection_verify
            bare = RequestsTransport()  # the session as azure-core makes it (adapter, retries)
            bare.open()
            url = self._cli_ctx.cloud.endpoints.resource_manager
            verify = not should_disable_connection_verify()
        except Exception:  # pylint: disable=broad-except  # an optimisation: the request connects
            return
        self._session = bare.session
        self._one_at_a_time.acquire()  # pylint: disable=consider-using-with  # released by the opener
        try:
            threading.Thread(target=self._connect, args=(bare.session, url, verify),
                             name='acrhealth-arm-connect', daemon=True).start()
        except RuntimeError:  # no thread to be had: the first request connects
            self._one_at_a_time.release()

    def _connect(self, session, url, verify):
        try:
            open_connection(session, url, verify, self._timeout)
        finally:
            self._one_at_a_time.release()

    def _arm_host(self):
        try:
            return (urlsplit(self._cli_ctx.cloud.endpoints.resource_manager).hostname or '').lower()
        except Exception:  # pylint: disable=broad-except
            return ''

    def start_lookup(self, name):
        """Start :meth:`find_registry` for ``name`` now, on a thread of its own: the call for
        the same name then takes its answer (waiting for it within the check's time)."""
        self._lookup = (name, Task(lambda: self._look_up(name), 'acrhealth-early-arm'))

    def find_registry(self, name):
        """The registry called ``name`` in the subscription, as :func:`registry_facts`, or
        None. Two requests whatever the subscription holds: the resources list filtered by
        type and name, then one GET (the Azure CLI pages through every registry instead)."""
        if self._lookup and self._lookup[0] == name:
            try:
                return self._lookup[1].result_in_time()
            except Overrun as ex:
                raise ArmError(str(ex)) from None
        return self._look_up(name)

    def _look_up(self, name):
        self.connect_ahead()
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
            kind = first_words(response.headers.get('Content-Type') or 'no content type', 80)
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
