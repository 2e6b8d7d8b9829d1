# acrhealth (MIT licence). Checks of the registry's Azure resources: CMK identity, private endpoints.
"""Registry checks that read ARM: the identity behind customer-managed-key encryption, and
the DNS routing to the registry's private endpoints in a virtual network (--vnet)."""

from .. import catalogue
from ..catalogue import FAILED, Finding, PASSED, SKIPPED, WARNING
from .base import Check, CheckResult
from .._registry_json import private_only
from .._azure import ArmError, DnsError

SYSTEM_IDENTITY = 'system'
MAX_ENDPOINTS = 20


def _registry(results):
    return results['login-server'].data


def _arm_error(results):
    """ARM's failure when the login server came without it (not found is another finding)."""
    facts = results['login-server'].facts
    return facts.get('armError') if facts.get('arm') == 'failed' else None


# ---- CMK ------------------------------------------------------------------------------------

def check_cmk(ctx, results):  # pylint: disable=too-many-return-statements  # a check: one return per finding
    registry = _registry(results)
    if not registry:
        if _arm_error(results):
            return CheckResult('registry.cmk.arm_failed', {'armError': _arm_error(results)})
        return CheckResult('registry.cmk.not_in_arm')
    client_id = registry.get('encryptionIdentity')
    if not client_id or (registry.get('encryptionStatus') or '').lower() == 'disabled':
        return CheckResult('registry.cmk.not_used')
    principal = registry.get('principalId')
    if client_id.lower() == SYSTEM_IDENTITY or (principal and client_id == principal):
        if principal and 'systemassigned' in (registry.get('identityType') or '').lower():
            return CheckResult('registry.cmk.system_ok', {'principalId': principal})
        return CheckResult('registry.cmk.system_missing', {'clientId': client_id})
    identity_id = next((key for key, value in registry['userAssignedIdentities'].items()
                        if (value or '').lower() == client_id.lower()), None)
    facts = {'clientId': client_id}
    if identity_id is None:
        return CheckResult('registry.cmk.not_assigned', facts)
    facts['identityId'] = identity_id
    try:
        identity = ctx.arm.get(identity_id)
    except ArmError as ex:
        return CheckResult('registry.cmk.unverifiable', dict(facts, error=ex.reason))
    if identity is None:
        return CheckResult('registry.cmk.deleted', facts)
    found = (identity.get('properties') or {}).get('clientId')
    if found and found.lower() != client_id.lower():
        return CheckResult('registry.cmk.deleted', dict(facts, foundClientId=found))
    return CheckResult('registry.cmk.user_ok', facts)


# ---- private endpoints ----------------------------------------------------------------------

def vnet_id(vnet, registry_id):
    """The virtual network's resource ID: as given, or built from a name in the registry's
    subscription and resource group."""
    if vnet.startswith('/'):
        return vnet.rstrip('/')
    from azure.mgmt.core.tools import parse_resource_id, resource_id
    parts = parse_resource_id(registry_id)
    return resource_id(subscription=parts['subscription'], resource_group=parts['resource_group'],
                       namespace='Microsoft.Network', type='virtualNetworks', name=vnet)


def _props(resource):
    return (resource or {}).get('properties') or resource or {}


def endpoint_mappings(arm, endpoint_ids, network):
    """``{fqdn: expected private IP}`` from the NICs of the endpoints in ``network``."""
    mappings = {}
    prefix = f"{network.lower()}/"
    for endpoint_id in endpoint_ids[:MAX_ENDPOINTS]:
        endpoint = arm.get(endpoint_id)
        if endpoint is None:
            continue
        subnet = ((_props(endpoint).get('subnet') or {}).get('id') or '').lower()
        if not subnet.startswith(prefix):
            continue
        for nic_ref in _props(endpoint).get('networkInterfaces') or []:
            nic = arm.get(nic_ref.get('id')) if nic_ref.get('id') else None
            for config in _props(nic).get('ipConfigurations') or []:
                config = _props(config)
                address = config.get('privateIPAddress')
                link = config.get('privateLinkConnectionProperties') or {}
                for fqdn in link.get('fqdns') or []:
                    if address:
                        mappings[fqdn.lower()] = address
    return mappings


def check_private_endpoints(ctx, results):  # pylint: disable=too-many-return-statements  # a check: one return per finding
    registry = _registry(results)
    name = ctx.options.registry_name
    facts = {'name': name, 'vnet': ctx.options.vnet}
    if not registry:
        if _arm_error(results):
            return CheckResult('registry.pe.arm_failed', dict(facts, armError=_arm_error(results)))
        return CheckResult('registry.pe.not_in_arm', facts)
    endpoints = registry.get('privateEndpoints') or []  # those whose connection is Approved
    if not endpoints:
        waiting = registry.get('privateEndpointConnections') or []
        if waiting:  # a connection not (yet) approved carries no traffic
            # With public access enabled the registry still works on the public path.
            public = not private_only(registry)
            connections = [{'privateEndpoint': str(c.get('privateEndpoint')).rsplit('/', 1)[-1][:80],
                            'status': c.get('status') or 'unknown'} for c in waiting[:MAX_ENDPOINTS]]
            return CheckResult('registry.pe.not_approved_public' if public else
                               'registry.pe.not_approved', dict(facts, connections=connections))
        return CheckResult('registry.pe.none', facts)
    try:
        network = vnet_id(ctx.options.vnet, registry.get('id') or '')
        facts['vnet'] = network
        mappings = endpoint_mappings(ctx.arm, endpoints, network)
    except (ArmError, KeyError, ValueError, TypeError) as ex:
        reason = ex.reason if isinstance(ex, ArmError) else \
            'an endpoint\'s resource is not shaped as ARM returns one'
        return CheckResult('registry.pe.unreadable', dict(facts, error=reason))
    if not mappings:
        return CheckResult('registry.pe.none_in_vnet', dict(facts, endpoints=len(endpoints)))
    checked = []
    for fqdn, expected in sorted(mappings.items()):
        try:
            actual = ctx.resolve(fqdn, ctx.timeout)
        except DnsError as ex:
            actual, error = [], str(ex)
        else:
            error = None
        checked.append({'fqdn': fqdn, 'expected': expected, 'actual': actual,
                        'ok': expected in actual and error is None, 'error': error})
    facts['mappings'] = checked
    if all(entry['ok'] for entry in checked):
        return CheckResult('registry.pe.ok', facts)
    return CheckResult('registry.pe.mismatch', facts)


def registry_plan(with_vnet):
    """The ARM-backed registry checks, in plan order."""
    # CMK: one ARM read of the identity (2, it may retry once).
    plan = [Check('cmk', 'Encryption identity (CMK)', 'CMK_ERROR', check_cmk,
                  requires=('login-server',), budget=2)]
    if with_vnet:
        # Endpoints and their NICs: ARM reads and DNS lookups, each bounded; with many
        # endpoints the budget, not their number, ends the check ("timed out" on the rest).
        plan.append(Check('private-endpoints', 'Private endpoint DNS', 'CONNECTIVITY_DNS_ERROR',
                          check_private_endpoints, requires=('login-server',), budget=8))
    return plan


def _not_approved(facts):
    return (f"No private endpoint connection of {facts.get('name')} is Approved (" + ', '.join(
        f"{c.get('privateEndpoint')}: {c.get('status')}" for c in facts.get('connections', [])) +
        '): a private endpoint carries no traffic until its connection is approved.')


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Customer-managed key.
    'registry.cmk.not_in_arm': Finding(
        SKIPPED, None, 'The registry is not in the subscription searched, so its encryption '
                       'cannot be read.'),
    'registry.cmk.arm_failed': Finding(
        SKIPPED, None, 'ARM could not be asked ({armError}), so the registry\'s encryption was '
                       'not checked.'),
    'registry.cmk.not_used': Finding(
        PASSED, None, 'The registry is not encrypted with a customer-managed key.'),
    'registry.cmk.system_ok': Finding(
        PASSED, None, 'The customer-managed key is reached through the registry\'s '
                      'system-assigned identity.'),
    'registry.cmk.user_ok': Finding(
        PASSED, None, 'The customer-managed key is reached through identity {identityId} '
                      '(client ID {clientId}), which exists.'),
    'registry.cmk.system_missing': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity is the system-assigned one, but the registry '
                             'has no system-assigned identity.'),
    'registry.cmk.not_assigned': Finding(
        FAILED, 'CMK_ERROR', 'No identity with client ID {clientId} (the key\'s identity) is '
                             'assigned to the registry.'),
    'registry.cmk.deleted': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity {identityId} (client ID {clientId}) no longer '
                             'exists.'),
    'registry.cmk.unverifiable': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity {identityId} could not be read through ARM: '
                             '{error}.'),

    # Private endpoints (--vnet).
    'registry.pe.not_in_arm': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'Registry {name} is not in the subscription searched, so its private endpoints cannot be '
        'read; select its subscription with --subscription.',
        variant='private-endpoints-unread'),
    'registry.pe.arm_failed': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'ARM could not be asked ({armError}), so the private endpoints of {name} could not be '
        'read.', variant='private-endpoints-unread'),
    'registry.pe.none': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', 'Registry {name} has no private endpoints.',
        variant='no-private-endpoint'),
    'registry.pe.not_approved': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', _not_approved, variant='private-endpoint-pending'),
    'registry.pe.not_approved_public': Finding(
        WARNING, None, lambda f: _not_approved(f) + ' Public network access is enabled: clients '
        'outside the virtual network take the public path meanwhile; a Pending connection is '
        f"approved with `az acr private-endpoint-connection approve --registry-name {f.get('name')}"
        " --name <connection>`.", codeless=True),
    'registry.pe.none_in_vnet': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'None of the {endpoints} private endpoint(s) of {name} is in virtual network {vnet}.',
        variant='no-private-endpoint'),
    'registry.pe.unreadable': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'The private endpoints of {name} could not be read through ARM: {error}.', variant='private-endpoints-unread'),
    'registry.pe.ok': Finding(
        PASSED, None, lambda f: 'DNS here resolves ' + ', '.join(
            m['fqdn'] for m in f.get('mappings', [])) + ' to the private endpoint addresses in '
        'the virtual network.'),
    'registry.pe.mismatch': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', lambda f: 'DNS here does not route to the private '
        'endpoints: ' + '; '.join(
            f"{m['fqdn']}: expected {m['expected']}, got "
            f"{m['error'] or ', '.join(m['actual']) or 'nothing'}"
            for m in f.get('mappings', []) if not m['ok']) + '.', variant='private-dns'),
})
