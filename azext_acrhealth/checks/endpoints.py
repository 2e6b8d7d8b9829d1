# acrhealth (MIT licence). Every host a pull needs: the login server, data and regional endpoints.
"""A ``docker pull`` from ACR asks the login server for the manifest, then fetches every blob from
a *data* host the login server redirects to: the registry's dedicated data endpoint
(``<registry>.<region>.data.azurecr.io``) or a storage host; with regional endpoints, a client may
also use ``<registry>.<region>.geo.azurecr.io`` as its login server. Firewalls and private DNS set
up for the login server alone are the classic case where ``docker login`` works and the pull
hangs on its layers. ``endpoints`` probes every host the registry's ARM resource names, each on
its addresses in turn as a client tries them."""

import time

from .. import catalogue
from ..catalogue import Finding, WARNING  # step states: _probe's, the same words
from .._text import as_text
from .base import Check, CheckResult
from .._bounded import gather, spawn
from .connectivity import login_server_steps
from .._urls import without_userinfo
from .._azure import DnsError, address_kind
from .._registry_json import private_only
from .._probe import FAILED, PASSED, SKIPPED

ROLE_LOGIN, ROLE_DATA, ROLE_REDIRECT = 'loginServer', 'dataEndpoint', 'redirect'
ROLE_REGIONAL = 'regionalEndpoint'
MAX_ADDRESSES = 4  # addresses of one host tried in turn, as a client would
MAX_HOSTS = 32     # hosts probed at most (a registry has one of each kind per region)


def region_of(host):
    """'myreg.westeurope.data.azurecr.io' and 'myreg.westeurope.geo.azurecr.io' -> 'westeurope'."""
    parts = host.split('.')
    return parts[1] if len(parts) > 3 and parts[2] in ('data', 'geo') else None


def inventory(results):
    """``[(host, role, region)]``: the login server, then the dedicated data endpoints and the
    regional endpoints (one of each per region the registry is replicated to) that its ARM
    resource names. A pull may use every one of them."""
    login = results['login-server']
    registry = login.data or {}
    hosts = [(login.facts['loginServer'].lower(), ROLE_LOGIN, registry.get('location'))]
    seen = {hosts[0][0]}
    for key, role in (('dataEndpointHostNames', ROLE_DATA),
                      ('regionalEndpointHostNames', ROLE_REGIONAL)):
        for host in registry.get(key) or []:
            if isinstance(host, str) and host and host.lower() not in seen:
                seen.add(host.lower())
                hosts.append((host.lower(), role, region_of(host.lower())))
    return hosts


def endpoint_entry(host, role, region):
    return {'host': host, 'role': role, 'region': region, 'addresses': [], 'private': None,
            'dns': SKIPPED, 'tcp': SKIPPED, 'tls': SKIPPED, 'error': None, 'durationMs': None}


def connect_in_order(ctx, host, addresses):
    """TCP and TLS as a client reaches ``host``: its addresses in the resolver's order until
    one connects (as requests and Docker do). ``{tcp, tls, error, ...}`` of that address (or
    of the last one tried), with ``attempts`` listing each address's outcome when more than
    one was tried."""
    attempts = []
    for address in addresses[:MAX_ADDRESSES]:
        outcome = ctx.probe(host, address, ctx.timeout)
        attempts.append(dict({key: outcome.get(key) for key in ('tcp', 'tls', 'error')},
                             address=address))
        if outcome.get('tcp') == PASSED:
            break
    if len(attempts) > 1:
        outcome['attempts'] = attempts
    return outcome


def probe_endpoint(ctx, host, role, region, must_be_private, known=None):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    """One entry of the report's ``endpoints``: DNS (every address), then TCP and TLS to its
    addresses in order until one connects, unless a proxy carries the traffic or policy
    already fails. ``known``: TCP and TLS as a request to the host already found them (no
    second handshake)."""
    started = time.monotonic()
    entry = endpoint_entry(host, role, region)
    try:
        addresses = ctx.resolve(host, ctx.timeout)
    except DnsError as ex:
        addresses, entry['error'] = [], f'the name did not resolve ({ex})'
    kinds = {address: address_kind(address) for address in addresses}
    usable = [address for address in addresses if kinds[address] != 'unusable']
    entry['addresses'] = list(addresses)
    if not usable:
        entry['dns'] = FAILED
        entry['error'] = entry['error'] or 'it resolves to no usable address'
    else:
        entry['dns'] = PASSED
        entry['private'] = 'public' not in kinds.values()
        if must_be_private and not entry['private']:
            entry['error'] = 'it resolves to a public address'
        else:
            proxy = ctx.proxy_for(host)
            if proxy:
                entry['proxy'] = without_userinfo(proxy)
            else:
                # One address: the request that found ``known`` went there too.
                entry.update(known if known and len(usable) == 1 else
                             connect_in_order(ctx, host, usable))
    entry['durationMs'] = int((time.monotonic() - started) * 1000)
    return entry


def _failed(entry):
    return FAILED in (entry['dns'], entry['tcp'], entry['tls'])


def fallbacks(entries):
    """``[{host, failed: [{address, error}], connected}]``: hosts reached on a later address
    after earlier ones failed (a dead IPv6 address before a working IPv4 one): worth a note,
    not a failure, since clients go on to the next address as well."""
    notes = []
    for entry in entries:
        attempts = entry.get('attempts') or []
        if len(attempts) > 1 and attempts[-1].get('tcp') == PASSED:
            notes.append({'host': entry['host'], 'connected': attempts[-1]['address'],
                          'failed': [{'address': a['address'], 'error': a.get('error')}
                                     for a in attempts[:-1]]})
    return notes


def probe_all(ctx, hosts, must_be_private, login_steps=None):
    """Every host probed at once; entries in inventory order. The login server is not
    connected to again when the challenge request already did (one handshake a host)."""
    entries = {}

    def work(index, host, role, region):
        known = login_steps if role == ROLE_LOGIN else None
        entries[index] = probe_endpoint(ctx, host, role, region, must_be_private, known)

    gather([spawn(work, (index,) + host, name='acrhealth-endpoint')
            for index, host in enumerate(hosts)])  # each probe is bounded (its calls end by the check's deadline)
    return [entries[index] for index in range(len(hosts))]


def private_path(registry, login):
    """With public access enabled and private endpoints, which path this client takes: the
    private one when the login server resolves to a private address here, else the public
    one (a fact, not a fault: the network rules decide whether it may). None otherwise."""
    connections = registry.get('privateEndpointConnections') or []
    if private_only(registry) or not connections:
        return None
    states = {}
    for connection in connections:
        state = str(connection.get('status') or 'unknown')[:30]
        states[state] = states.get(state, 0) + 1
    return {'connections': states,
            'path': 'private' if login.get('private') else 'public' if
            login.get('private') is False else 'unknown'}


def _facts(registry, entries, hosts):
    """What the check reports besides its verdict: the entries, whether the registry is
    private-only, the path this client takes to a registry with private endpoints, the hosts
    reached on a later address, and how many hosts were left unprobed."""
    facts = {'endpoints': entries, 'privateOnly': private_only(registry)}
    for key, value in (('privateEndpoints', private_path(registry, entries[0])),
                       ('fallbacks', fallbacks(entries)),
                       ('endpointProtocol', registry.get('endpointProtocol')),
                       ('notProbed', max(0, len(hosts) - MAX_HOSTS))):
        if value:
            facts[key] = value
    return facts


def check_endpoints(ctx, results):
    registry = results['login-server'].data or {}
    hosts = inventory(results)
    entries = probe_all(ctx, hosts[:MAX_HOSTS], private_only(registry),
                        login_server_steps(results.get('challenge')))
    facts = _facts(registry, entries, hosts)
    public = [e for e in entries if facts['privateOnly'] and e['private'] is False]
    if public:
        return CheckResult('endpoints.public', dict(facts, failing=_failing(public)))
    # Login server faults are the DNS and challenge checks' (with their documented codes).
    unreachable = [e for e in entries if e['role'] != ROLE_LOGIN and _failed(e)]
    if [e for e in unreachable if e['role'] != ROLE_REGIONAL]:
        return CheckResult('endpoints.unreachable', dict(facts, failing=_failing(unreachable)))
    if unreachable:  # regional endpoints only: a client uses them by choice, not by default
        return CheckResult('endpoints.regional_unreachable',
                           dict(facts, failing=_failing(unreachable)))
    if len(entries) == 1:
        return CheckResult('endpoints.login_only', facts)
    return CheckResult('endpoints.ok', facts)


def _failing(entries):
    return [{key: entry[key] for key in ('host', 'role', 'region', 'addresses', 'error')}
            for entry in entries]


def endpoints_plan():
    """The endpoints check (DNS, TCP, TLS and a second look at a refused certificate, every
    host at once). After the challenge: its request already reached the login server."""
    return [Check('endpoints', 'Registry endpoints', 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
                  check_endpoints, requires=('login-server',), after=('challenge',), budget=4)]


_ROLES = {'loginServer': 'login server', 'dataEndpoint': 'data endpoint',
          'regionalEndpoint': 'regional endpoint', 'redirect': 'data host of a blob redirect'}


def endpoint_role(role):
    """An endpoint's role in words ('data endpoint' for 'dataEndpoint')."""
    return _ROLES.get(role, role)


def _role(endpoint):
    role = endpoint_role(endpoint.get('role'))
    return f"{role}, {endpoint['region']}" if endpoint.get('region') else role


def _endpoint(endpoint):
    shown = f"{endpoint.get('host')} ({_role(endpoint)})"
    return f"{shown} through proxy {endpoint['proxy']}" if endpoint.get('proxy') else shown


def _endpoint_notes(facts):
    """Facts about the path a pull takes that are not faults: which path this client takes to a
    registry with private endpoints and public access (the network rules decide the rest),
    hosts reached on a later address after an earlier one failed (a dead IPv6 address), and
    hosts left unprobed."""
    notes = []
    path = facts.get('privateEndpoints')
    if isinstance(path, dict):
        connections = path.get('connections') or {}
        states = ', '.join(f'{count} {state}' for state, count in sorted(connections.items()))
        taken = {'private': 'a private address: this client takes the private path',
                 'public': 'a public address: this client takes the public path, where the '
                           "registry's network rules apply"}.get(
                               path.get('path'), 'no address known')
        also = 'also takes private connections' if 'Approved' in connections else \
            'has private endpoint connections, none Approved yet'
        notes.append(f'The registry {also} (private endpoint connections: {states}); from here '
                     f'its login server resolves to {taken}.')
    for note in facts.get('fallbacks') or []:
        failed = '; '.join(f"{item.get('address')} ({item.get('error') or 'failed'})"
                           for item in note.get('failed') or [])
        notes.append(f"Note: {note.get('host')} did not connect on {failed}; it did on "
                     f"{note.get('connected')}, as a client goes on to the next address.")
    if facts.get('notProbed'):
        notes.append(f"{facts['notProbed']} more host(s) that ARM lists were not probed.")
    return ''.join(' ' + note for note in notes)


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Endpoints: every host a pull needs.
    'endpoints.ok': Finding(
        PASSED, None, lambda f: 'Every host a pull needs is reachable from here: ' + ', '.join(
            _endpoint(e) for e in f.get('endpoints', [])) + '.' + _endpoint_notes(f)),
    'endpoints.login_only': Finding(
        PASSED, None, lambda f: 'Reachable from here: ' + ', '.join(
            _endpoint(e) for e in f.get('endpoints', [])) + '. The registry has no dedicated data '
        'endpoints: its layers come from the storage host its blob redirects name (--image '
        'follows one and probes it).' + _endpoint_notes(f)),
    'endpoints.unreachable': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR', lambda f: '; '.join(
            f"{e.get('host')} ({_role(e)}) cannot be reached from here: {as_text(e.get('error'))}"
            for e in f.get('failing', [])) + '.' + _endpoint_notes(f)),
    # Only regional endpoints: pulls through the global login server are not affected.
    'endpoints.regional_unreachable': Finding(
        WARNING, None, lambda f: '; '.join(
            f"{e.get('host')} ({_role(e)}) cannot be reached from here: {as_text(e.get('error'))}"
            for e in f.get('failing', [])) + '. Pulls through the login server are not affected; '
        'clients that use this regional endpoint (`az acr login --endpoint <region>`) are.' +
        _endpoint_notes(f), codeless=True),
    'endpoints.public': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', lambda f: 'The registry takes private connections only, '
        'but from here ' + '; '.join(
            f"{e.get('host')} ({_role(e)}) resolves to {as_text(e.get('addresses'))}"
            for e in f.get('failing', [])) + '.', variant='private-dns'),
})
