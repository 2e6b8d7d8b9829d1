# acrhealth (MIT licence). Checks of the registry's Azure resources: CMK identity, private endpoints.
"""Registry checks that read ARM: the identity behind customer-managed-key encryption, and
the DNS routing to the registry's private endpoints in a virtual network (--vnet)."""

from .base import Check, CheckResult
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
            public = str(registry.get('publicNetworkAccess')).lower() != 'disabled'
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
