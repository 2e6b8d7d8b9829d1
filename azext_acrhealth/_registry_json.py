# acrhealth (MIT licence). The registry's ARM document as the checks read it: every field untrusted.
"""The parts of a registry's ARM document (``Microsoft.ContainerRegistry/registries``) the checks
use (:func:`registry_facts`), each field read as untrusted (of another type: None), and
:func:`private_only`."""


def private_only(registry):
    """Whether the registry (:func:`registry_facts`, or any facts holding its
    ``publicNetworkAccess``) takes connections through private endpoints only (public network
    access disabled), so every endpoint must resolve to a private address from a client that
    can pull. With public access enabled, a private endpoint is one path among two."""
    return str(registry.get('publicNetworkAccess') or '').lower() == 'disabled'


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
