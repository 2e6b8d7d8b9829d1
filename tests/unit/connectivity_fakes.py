# acrhealth (MIT licence). Fakes for the connectivity and registry checks: ARM, HTTP, DNS, AAD.
"""Scripted stand-ins for the adapters a CheckContext carries, each recording its calls,
plus builders for ARM registry JSON, challenge answers and JWTs."""

import base64
import json
import re
import time

from azext_acrhealth import catalogue, report
from azext_acrhealth._registry_json import registry_facts
from azext_acrhealth._azure import AadTokenError, ArmError, DnsError
from azext_acrhealth._http import HttpError, HttpResponse
from azext_acrhealth.checks.base import CheckContext, Options
from azext_acrhealth._validators import parse_image

SUB = '00000000-0000-0000-0000-000000000001'
GROUP = 'rg1'
NAME = 'myreg'
LOGIN = 'myreg.azurecr.io'
REGISTRY_ID = ('/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/'
               'registries/{}'.format(SUB, GROUP, NAME))
REFRESH_TOKEN = 'refresh-token-SECRET-abcdef'
TENANT = '11111111-2222-3333-4444-555555555555'
CHALLENGE = 'Bearer realm="https://{0}/oauth2/token",service="{0}"'.format(LOGIN)


def response(status=200, body=b'', headers=None, challenges=None, truncated=False):
    return HttpResponse(status, dict(headers or {}), list(challenges or []), body, truncated)


def json_response(data, status=200):
    return response(status, json.dumps(data).encode('utf-8'),
                    headers={'Content-Type': 'application/json'})


def challenge_response(*values, status=401, date=None):
    """Real ACR's /v2/ answer: the challenge, and the Date header every answer carries (now,
    unless ``date`` says otherwise: seconds since the epoch)."""
    from email.utils import formatdate
    values = values or (CHALLENGE,)
    return response(status, b'{"errors":[{"code":"UNAUTHORIZED"}]}', challenges=values,
                    headers={'Date': formatdate(time.time() if date is None else date,
                                                usegmt=True)})


def b64url(data):
    raw = data if isinstance(data, bytes) else json.dumps(data).encode('utf-8')
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode('ascii')


def jwt(claims):
    """An unsigned-looking JWT whose payload is ``claims`` (a dict, or raw bytes)."""
    return '{}.{}.{}'.format(b64url({'alg': 'RS256', 'typ': 'JWT'}), b64url(claims), 'c2ln')


PRINCIPAL = '9d6c5f1b-0000-4000-8000-0000000000f1'
APP_ID = '3c9b5e0a-0000-4000-8000-0000000000f2'
# The CLI's AAD token (for the ACR audience) of a service principal: its claims are read for the
# identity; the token itself is sent only to the login server's /oauth2/exchange.
AAD_TOKEN = jwt({'aud': 'https://containerregistry.azure.net', 'tid': TENANT, 'oid': PRINCIPAL,
                 'appid': APP_ID, 'idtyp': 'app', 'ver': '1.0'})[:-4] + 'SECRET0123456789'


def acr_access(repository='r', actions=('pull',)):
    """The ``access`` claim as Azure Container Registry emits it: capitalised keys, as
    recorded from a real registry in the Azure CLI's ``test_acr_check_health.yaml``
    (Azure/azure-cli, acr module's ``tests/latest/recordings/``)."""
    return [{'Type': 'repository', 'Name': repository, 'Actions': list(actions)}]


def docker_spec_access(repository='r', actions=('pull',)):
    """The ``access`` claim in the Docker token specification's lower-case form (what
    registries other than ACR send)."""
    return [{'type': 'repository', 'name': repository, 'actions': list(actions)}]


class FakeHttp:
    """``HttpClient`` stand-in: ``answers`` maps a URL path (``/v2/``, ``/oauth2/exchange``,
    ``/oauth2/token``) to an HttpResponse, an HttpError to raise, a list of those (one per
    call) or a callable ``(method, url, form)``. Every call is recorded in ``calls``. A body
    longer than the call's ``max_body`` is cut there and marked truncated, as HttpClient does."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []
        self.read_body = []   # the read_body argument of each call
        self.headers = []     # the headers of each call
        self.max_bodies = []  # the max_body argument of each call
        self.dates = {}       # host -> the Date header of its latest answer, as HttpClient

    def request(self, method, url, form=None, read_body=True, headers=None, max_body=None):
        self.calls.append((method, url, dict(form) if form is not None else None))
        self.read_body.append(read_body)
        self.headers.append(dict(headers or {}))
        self.max_bodies.append(max_body)
        # An answer is keyed by host and path ("data.example/blob"), or by path alone.
        where = url.split('://', 1)[-1].split('?', 1)[0]
        path = '/' + where.split('/', 1)[-1]
        key = where if where in self.answers else path
        if key not in self.answers:
            raise AssertionError('unexpected HTTP call: {} {}'.format(method, url))
        answer = self.answers[key]
        if isinstance(answer, list):
            answer = answer.pop(0)
        if callable(answer) and not isinstance(answer, BaseException):
            answer = answer(method, url, form)
        if isinstance(answer, BaseException):
            raise answer
        self.dates[where.split('/', 1)[0].lower()] = (answer.headers or {}).get('Date')
        if max_body and len(answer.body) > max_body:
            return answer._replace(body=answer.body[:max_body], truncated=True)
        return answer

    def urls(self):
        return [url for _, url, _ in self.calls]


ACR_PUSH_ON_REGISTRY = {
    'type': 'Microsoft.Authorization/roleAssignments', 'name': 'a0',
    'id': REGISTRY_ID + '/providers/Microsoft.Authorization/roleAssignments/a0',
    'properties': {'roleDefinitionId': '/subscriptions/{}/providers/Microsoft.Authorization/'
                                       'roleDefinitions/8311e382-0749-4cb8-b61a-304f252e45ec'
                                       .format(REGISTRY_ID.split('/')[2]),
                   'principalType': 'ServicePrincipal', 'scope': REGISTRY_ID}}


class FakeArm:
    """``_arm.Arm`` stand-in. ``registries`` maps a registry name to its ARM JSON (given to
    the real ``registry_facts``, as ``Arm.find_registry`` does) or to an exception to raise;
    ``resources`` maps a resource ID to its JSON, None (ARM 404) or an exception."""

    def __init__(self, registries=None, resources=None, find_error=None, assignments=None,
                 definitions=None):
        self.registries = {key.lower(): value for key, value in (registries or {}).items()}
        self.resources = dict(resources or {})
        self.find_error = find_error
        # A list of role assignments, or an ArmError; by default AcrPush on the registry (what a
        # healthy registry's user has: the lab's default is AcrPush on the resource group).
        self.assignments = [ACR_PUSH_ON_REGISTRY] if assignments is None else assignments
        self.definitions = dict(definitions or {})
        self.calls = []
        self.date = None  # ARM's latest Date header, as _arm.Arm

    def role_assignments(self, registry_id, object_id):
        self.calls.append(('role_assignments', object_id))
        if isinstance(self.assignments, BaseException):
            raise self.assignments
        return list(self.assignments)

    def role_definition(self, registry_id, role_id):
        self.calls.append(('role_definition', role_id))
        answer = self.definitions.get(role_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer

    subscription_info = {'id': '0b1f6471-0000-4000-8000-0000000000aa', 'name': 'Contoso Dev'}

    def subscription(self):
        return dict(self.subscription_info)

    def find_registry(self, name):
        self.calls.append(('find_registry', name))
        if self.find_error is not None:
            raise self.find_error
        data = self.registries.get(name.lower())
        return None if data is None else registry_facts(data)

    def get(self, resource_id):
        self.calls.append(('get', resource_id))
        answer = self.resources.get(resource_id)
        if isinstance(answer, BaseException):
            raise answer
        return answer


class FakeProbe:
    """``probe(host, address, timeout)`` stand-in: ``answers`` maps a host to the outcome (TCP and
    TLS passed when absent); every call is recorded."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []

    def __call__(self, host, address, timeout):
        self.calls.append((host, address))
        return dict(self.answers.get(host) or {'tcp': 'passed', 'tls': 'passed', 'error': None})


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


class FakeSleep:
    """``sleep(seconds)`` stand-in: records the waits, never waits."""

    def __init__(self):
        self.calls = []

    def __call__(self, seconds):
        self.calls.append(seconds)


NOT_LOGGED_IN = AadTokenError("Please run 'az login' to setup account.")


def arm_registry(name=NAME, login_server=LOGIN, public_network_access='Enabled',
                 default_action='Allow', ip_rules=(), abac=False, encryption=None,
                 identity=None, endpoints=(), registry_id=None, pending=()):
    """A registry as ARM returns it (camelCase, ``properties``); ``endpoints`` and ``pending``:
    private endpoints whose connections are Approved or Pending (the states' shapes as in the
    Azure CLI's test_acr_with_private_endpoint.yaml)."""
    props = {'loginServer': login_server, 'publicNetworkAccess': public_network_access,
             'networkRuleSet': {'defaultAction': default_action,
                                'ipRules': [{'action': 'Allow', 'value': ip} for ip in ip_rules]},
             'roleAssignmentMode': 'AbacRepositoryPermissions' if abac else 'LegacyRegistryPermissions',
             'encryption': encryption or {'status': 'disabled'},
             'privateEndpointConnections': [
                 {'id': endpoint + '/conn', 'properties': {
                     'privateEndpoint': {'id': endpoint},
                     'privateLinkServiceConnectionState': {'status': 'Approved',
                                                           'description': 'somedescription'},
                     'provisioningState': 'Succeeded'}} for endpoint in endpoints] + [
                 {'id': endpoint + '/conn', 'properties': {
                     'privateEndpoint': {'id': endpoint},
                     'privateLinkServiceConnectionState': {'status': 'Pending'},
                     'provisioningState': 'Succeeded'}} for endpoint in pending]}
    if login_server is None:
        del props['loginServer']
    data = {'id': registry_id or REGISTRY_ID.replace('/' + NAME, '/' + name), 'name': name,
            'location': 'eastus', 'sku': {'name': 'Premium'}, 'properties': props}
    if identity is not None:
        data['identity'] = identity
    return data


GONE_IDENTITY = ('/subscriptions/s/resourceGroups/g/providers/Microsoft.ManagedIdentity/'
                 'userAssignedIdentities/gone')


def cmk_gone_arm():
    """ARM holding the registry encrypted with a customer-managed key whose user-assigned
    identity was deleted (ARM answers 404 for it: CMK_ERROR)."""
    registry = arm_registry(
        identity={'type': 'UserAssigned', 'userAssignedIdentities': {GONE_IDENTITY: {
            'clientId': 'c1'}}},
        encryption={'status': 'enabled', 'keyVaultProperties': {'identity': 'c1'}})
    return FakeArm({NAME: registry}, {GONE_IDENTITY: None})


def with_data_endpoints(*hosts, **kwargs):
    """The registries of a context whose registry has these dedicated data endpoints."""
    registry = arm_registry(**kwargs)
    registry['properties'].update(dataEndpointEnabled=True, dataEndpointHostNames=list(hosts))
    return {NAME: registry}


def make_ctx(registries=None, http=None, resolver=None, aad=None, arm=None, timeout=5.0,
             acr_suffix='.azurecr.io', environ=None, verify_tls=True, registry_name=NAME,
             repository=None, vnet=None, ignore_errors=False, login_server_hint=None, image=None,
             **extra):
    """A CheckContext for the registry checks with every adapter faked."""
    options = Options(registry_name=registry_name, repository=repository, vnet=vnet,
                      timeout=timeout, ignore_errors=ignore_errors, yes=True,
                      login_server_hint=login_server_hint,
                      image=parse_image(image) if isinstance(image, str) else image)
    if arm is None:
        arm = FakeArm({NAME: arm_registry()} if registries is None else registries)
    ctx = CheckContext(
        options=options, which=lambda name: None, run_process=_no_process,
        # HOME names nothing: the Docker credentials check must not read this machine's config
        environ=dict({'HOME': '/nonexistent/acrhealth-unit-home'}, **(environ or {})),
        cli_version='2.91.0', extension_version='1.0.0b1',
        cloud_name='AzureCloud', acr_suffix=acr_suffix,
        resolve=resolver if resolver is not None else FakeResolver({LOGIN: ['20.62.128.10']}),
        http=http if http is not None else FakeHttp(healthy_answers()),
        arm=arm, aad_token=aad if aad is not None else FakeAad(), verify_tls=verify_tls,
        **dict({'sleep': FakeSleep(), 'probe': FakeProbe(), 'proxy_for': lambda host: None},
               **extra))
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


def registry_checks(with_vnet=False, with_image=False, with_access_checks=True):
    """The registry checks of build_plan, in its order (without the environment checks);
    without the identity checks, the token checks run alone (no role advice)."""
    from azext_acrhealth.checks import build_plan
    options = Options(registry_name=NAME, vnet='vnet1' if with_vnet else None,
                      image='app:v1' if with_image else None)
    plan = build_plan(CheckContext(options=options))
    environment = {check.id for check in build_plan(CheckContext(options=Options()))}
    plan = [check for check in plan if check.id not in environment]
    if with_access_checks:
        return plan
    access = {'identity', 'registry-auth', 'role-assignments'}
    return [check for check in plan if check.id not in access]


def run_through(ctx, until, with_vnet=None, with_access_checks=True):
    """Run the registry checks in plan order, one after the other, up to ``until``;
    return ``(result of until, {id: result})``. A check whose prerequisite did not pass is
    not run (and ``until`` must be reachable: the test says which prerequisites pass)."""
    plan = registry_checks(with_vnet=bool(ctx.options.vnet) if with_vnet is None else with_vnet,
                           with_image=bool(ctx.options.image),
                           with_access_checks=with_access_checks)
    results = {}
    for check in plan:
        if not all(dep in results and results[dep].passed for dep in check.requires):
            if check.id == until:
                raise AssertionError('{} cannot run: prerequisites {}'.format(
                    until, {dep: results.get(dep) for dep in check.requires}))
            continue
        inputs = {dep: results[dep] for dep in check.requires + check.after}
        results[check.id] = check.run(ctx, inputs)
        if check.explain and all(e in results for e in check.explained_by):  # as the runner
            results[check.id] = check.explain(results[check.id],
                                              {e: results[e] for e in check.explained_by})
        if check.id == until:
            return results[check.id], results
    raise AssertionError('no check {}'.format(until))


def check_by_id(check_id, with_vnet=True):
    return next(check for check in registry_checks(with_vnet, with_image=True)
                if check.id == check_id)


_PLACEHOLDER = re.compile(r'\{[A-Za-z_][A-Za-z0-9_]*\}')


def rendered(check_id, result):
    """The report entry of ``result``; asserts its text has no leftover placeholder and that
    a failure carries a documented code with its remediation."""
    entry = report.check_entry(check_by_id(check_id), result)
    for key in ('message', 'remediation'):
        assert not _PLACEHOLDER.search(entry[key] or ''), (key, entry[key])
    if entry['status'] in (catalogue.FAILED, catalogue.WARNING) and \
            not catalogue.finding(result.finding).codeless:
        assert entry['code'] in catalogue.CODES, entry
        assert entry['remediation'] and entry['docsUrl'].endswith(entry['code'].lower())
    else:
        assert entry['code'] is None
    return entry


def flat(value):
    """Everything in a facts structure as one string (to search for leaked secrets)."""
    return json.dumps(value, default=str, sort_keys=True)


__all__ = ['ArmError', 'DnsError', 'HttpError', 'AadTokenError']


# ---- a throwaway PKI and a real HTTPS server on 127.0.0.1 (for _http.HttpClient) ------------

def make_pki(directory):
    """Write a CA and certificates to ``directory``; return ``{name: path}``:
    ``ca`` (the trusted CA), ``good`` (localhost and 127.0.0.1), ``other_host``
    (registry.example only), ``expired``, ``untrusted`` (signed by another CA) — each
    certificate file holds the key too."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    day = datetime.timedelta(days=1)

    def name(text):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    def ca(common_name):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(name(common_name))
                .issuer_name(name(common_name)).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - day).not_valid_after(now + day)
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False,
                                             False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                               critical=False)
                .sign(key, hashes.SHA256()))
        return key, cert

    def leaf(issuer, sans, not_before=now - day, not_after=now + day):
        issuer_key, issuer_cert = issuer
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.IPAddress(ipaddress.ip_address(san)) if san[0].isdigit()
                 else x509.DNSName(san) for san in sans]
        cert = (x509.CertificateBuilder().subject_name(name(sans[0]))
                .issuer_name(issuer_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(not_before).not_valid_after(not_after)
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]),
                               critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                    issuer_key.public_key()), critical=False)
                .sign(issuer_key, hashes.SHA256()))
        return key, cert

    def write(filename, key, cert):
        path = str(directory / filename)
        with open(path, 'wb') as out:
            out.write(cert.public_bytes(serialization.Encoding.PEM))
            if key is not None:
                out.write(key.private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        return path

    trusted, stranger = ca('acrhealth test CA'), ca('someone else')
    own_key = ec.generate_private_key(ec.SECP256R1())
    # A certificate that signs itself (issuer == subject), trusted by no one.
    self_signed = (own_key, (x509.CertificateBuilder().subject_name(name('localhost'))
                             .issuer_name(name('localhost')).public_key(own_key.public_key())
                             .serial_number(x509.random_serial_number())
                             .not_valid_before(now - day).not_valid_after(now + day)
                             .add_extension(x509.SubjectAlternativeName(
                                 [x509.DNSName('localhost')]), critical=False)
                             .sign(own_key, hashes.SHA256())))
    return {
        'ca': write('ca.pem', None, trusted[1]),
        'good': write('good.pem', *leaf(trusted, ['localhost', '127.0.0.1'])),
        'other_host': write('other.pem', *leaf(trusted, ['registry.example'])),
        'expired': write('expired.pem', *leaf(trusted, ['localhost', '127.0.0.1'],
                                              now - 10 * day, now - 2 * day)),
        'untrusted': write('untrusted.pem', *leaf(stranger, ['localhost', '127.0.0.1'])),
        'self_signed': write('self_signed.pem', *self_signed),
    }


class TlsServer:
    """A tiny HTTPS server on 127.0.0.1 whose answers a test scripts at the byte level.

    ``handler(conn, request, server)`` writes the answer on the TLS socket; ``request`` is
    ``{'method', 'path', 'headers', 'body'}``. Every request is recorded in ``requests``;
    ``connections`` counts accepted TCP connections. ``stop()`` ends everything it started.
    """

    def __init__(self, certfile, handler, tls=True):
        import socket
        import ssl
        import threading
        self.handler = handler
        self.requests = []
        self.connections = 0
        self.sent = 0
        self.stopping = threading.Event()
        self._threads, self._sockets = [], []
        self._lock = threading.Lock()
        self._context = None
        if tls:
            self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self._context.load_cert_chain(certfile)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(('127.0.0.1', 0))
        self._listener.listen(16)
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._spawn(self._accept_loop)

    def url(self, path='/v2/', host='localhost', scheme='https'):
        return '{}://{}:{}{}'.format(scheme, host, self.port, path)

    def _spawn(self, target, *args):
        import threading
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept_loop(self):
        import socket
        while not self.stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._sockets.append(conn)
            self._spawn(self._serve, conn)

    def _serve(self, conn):
        try:
            conn.settimeout(5)
            if self._context is not None:
                conn = self._context.wrap_socket(conn, server_side=True)
                with self._lock:
                    self._sockets.append(conn)
            request = self._read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            self.handler(conn, request, self)
        except Exception:  # pylint: disable=broad-except
            pass  # a client that gave up or refused our certificate
        finally:
            try:
                conn.close()
            except OSError:
                pass

    @staticmethod
    def _read_request(conn):
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = conn.recv(4096)
            if not chunk:
                return None
            data += chunk
        head, body = data.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        method, path = lines[0].split(' ')[:2]
        headers = {}
        for line in lines[1:]:
            key, _, value = line.partition(':')
            headers[key.strip().lower()] = value.strip()
        length = int(headers.get('content-length') or 0)
        while len(body) < length:
            chunk = conn.recv(4096)
            if not chunk:
                break
            body += chunk
        return {'method': method, 'path': path, 'headers': headers, 'body': body}

    def send(self, conn, data):
        conn.sendall(data)
        with self._lock:
            self.sent += len(data)

    def stop(self):
        self.stopping.set()
        try:
            self._listener.close()
        except OSError:
            pass
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            try:
                sock.shutdown(2)  # wakes a thread blocked on it; close() alone may not
            except OSError:
                pass
            try:
                sock.close()
            except OSError:
                pass
        for thread in self._threads:
            thread.join(5)
        alive = [thread for thread in self._threads if thread.is_alive()]
        assert not alive, 'server threads still running: {}'.format(alive)


def http_answer(status=200, reason='OK', headers=(), body=b'', length=True):
    """The bytes of an HTTP/1.1 answer; ``headers`` is a list of pairs (repeats allowed)."""
    lines = ['HTTP/1.1 {} {}'.format(status, reason)]
    lines += ['{}: {}'.format(key, value) for key, value in headers]
    if length:
        lines.append('Content-Length: {}'.format(len(body)))
    lines.append('Connection: close')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + body


def answering(data):
    """A TlsServer handler that writes ``data`` and closes."""
    def handler(conn, _request, server):
        server.send(conn, data)
    return handler


def answering_json(body=b'{"value": []}'):
    """A TlsServer handler that answers 200 with a JSON ``body`` (an empty ARM list)."""
    return answering(http_answer(200, headers=[('Content-Type', 'application/json')], body=body))
