# acrhealth (MIT licence). The lab's fake ARM: subscriptions, registries, identities, roles, network.
"""The ARM side of the lab's fake Azure: the documents ARM returns (module-level builders, each
naming the recording or REST example its shape follows) and `ArmMixin`, the ARM requests of
`fakeazure.Handler` (token checks, paging, the hostile-mode faults of the registry lists)."""
import functools
import json
import re
import time
import uuid
from urllib.parse import quote

from . import scenarios as S

ARM_RG_ID = '/subscriptions/{}/resourceGroups/{}'.format(S.SUBSCRIPTION_ID, S.RESOURCE_GROUP)
RESOURCES_PAGE_SIZE = 4  # small on purpose, so clients must follow nextLink
REGISTRIES_PAGE_SIZE = 10  # the registries list pages too (clients must follow its nextLink)


# ---------------------------------------------------------------------------------------------
# ARM documents


def registry_id(name, subscription=S.SUBSCRIPTION_ID):
    return '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/registries/{}'.format(
        subscription, S.RESOURCE_GROUP, name)


def identity_id(name):
    return '{}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/{}'.format(ARM_RG_ID, name)


def _uuid_for(*parts):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, 'acrhealth-lab/' + '/'.join(parts)))


def identity_doc(name):
    # azure-rest-api-specs Microsoft.ManagedIdentity stable/2023-01-31/examples/IdentityGet.json.
    return {
        'id': identity_id(name), 'name': name, 'location': S.LOCATION, 'tags': {},
        'type': 'Microsoft.ManagedIdentity/userAssignedIdentities',
        'properties': {'tenantId': S.TENANT_ID, 'principalId': _uuid_for('principal', name),
                       'clientId': _uuid_for('client', name)},
    }


SUBSCRIPTIONS = {S.SUBSCRIPTION_ID: S.SUBSCRIPTION_NAME, S.CROWDED_SUBSCRIPTION_ID: S.CROWDED_SUBSCRIPTION_NAME}

# Identities that exist; 'cmkbroken-identity' is referenced by a registry but deleted.
IDENTITIES = {'healthy-cmk-identity'}

PE_NAME = 'privatedns-pe'
NIC_NAME = 'privatedns-pe.nic.' + _uuid_for('nic')[:8]


def _network_id(kind, name):
    return '{}/providers/Microsoft.Network/{}/{}'.format(ARM_RG_ID, kind, name)


def registry_doc(sc, subscription=S.SUBSCRIPTION_ID):
    """Microsoft.ContainerRegistry/registries as ARM returns it: the shape of
    azure-rest-api-specs Registry/examples/2025-11-01/RegistryGet.json (roleAssignmentMode,
    networkRuleBypassAllowedForTasks, "status": null) with the systemData and the policies
    (azureADAuthenticationAsArmPolicy, softDeletePolicy) recorded from a real registry in the
    Azure CLI's test_acr_check_health.yaml."""
    name = sc.registry
    created = '2026-01-15T09:30:00.0000000Z'
    updated = '2026-01-15T09:31:12.8506835+00:00'
    props = {
        'loginServer': name + S.ACR_SUFFIX,
        'creationDate': created,
        'provisioningState': 'Succeeded',
        'adminUserEnabled': False,
        'networkRuleSet': {'defaultAction': 'Allow', 'ipRules': []},
        'policies': {
            'quarantinePolicy': {'status': 'disabled'},
            'trustPolicy': {'type': 'Notary', 'status': 'disabled'},
            'retentionPolicy': {'days': 7, 'lastUpdatedTime': updated, 'status': 'disabled'},
            'exportPolicy': {'status': 'enabled'},
            'azureADAuthenticationAsArmPolicy': {'status': 'enabled'},
            'softDeletePolicy': {'retentionDays': 7, 'lastUpdatedTime': updated, 'status': 'disabled'},
        },
        'encryption': {'status': 'disabled'},
        'status': None,
        'dataEndpointEnabled': False,
        'dataEndpointHostNames': [],
        'privateEndpointConnections': [],
        'publicNetworkAccess': 'Enabled',
        'networkRuleBypassOptions': 'AzureServices',
        'networkRuleBypassAllowedForTasks': False,
        'zoneRedundancy': 'Disabled',
        'anonymousPullEnabled': False,
        'roleAssignmentMode': 'LegacyRegistryPermissions',
    }
    doc = {
        'sku': {'name': 'Premium', 'tier': 'Premium'},
        'type': 'Microsoft.ContainerRegistry/registries',
        'id': registry_id(name, subscription), 'name': name, 'location': S.LOCATION, 'tags': {},
        'systemData': {'createdBy': S.SP_APP_ID, 'createdByType': 'Application',
                       'createdAt': '2026-01-15T09:30:00.0000000+00:00', 'lastModifiedBy': S.SP_APP_ID,
                       'lastModifiedByType': 'Application', 'lastModifiedAt': updated},
        'properties': props,
    }
    if sc.arm.get('cmk'):
        ident = 'healthy-cmk-identity' if sc.arm['cmk'] == 'present' else name + '-identity'
        client_id = identity_doc(ident)['properties']['clientId']
        doc['identity'] = {
            'type': 'UserAssigned',
            'userAssignedIdentities': {identity_id(ident): {
                'principalId': identity_doc(ident)['properties']['principalId'], 'clientId': client_id}},
        }
        props['encryption'] = {'status': 'enabled', 'keyVaultProperties': {
            'keyIdentifier': 'https://labvault.vault.lab.test/keys/acrkey',
            'versionedKeyIdentifier': 'https://labvault.vault.lab.test/keys/acrkey/6b0a47c2d6f54a64',
            'identity': client_id, 'keyRotationEnabled': True,
            'lastKeyRotationTimestamp': created}}
    if sc.arm.get('firewall'):
        props['networkRuleSet'] = {'defaultAction': 'Deny',
                                   'ipRules': [{'action': 'Allow', 'value': '203.0.113.0/24'}]}
    if sc.arm.get('abac'):
        props['roleAssignmentMode'] = 'AbacRepositoryPermissions'
    if sc.arm.get('anonymous_pull'):
        props['anonymousPullEnabled'] = True
    if sc.arm.get('arm_audience'):
        props['policies']['azureADAuthenticationAsArmPolicy'] = {'status': sc.arm['arm_audience']}
    if sc.arm.get('data_endpoints'):
        props['dataEndpointEnabled'] = True
        props['dataEndpointHostNames'] = [S.data_host(name)]
    if sc.arm.get('public_disabled'):
        props['publicNetworkAccess'] = 'Disabled'
        props['networkRuleSet'] = {'defaultAction': 'Deny', 'ipRules': []}
        pe_name = name + '-pe'
        props['privateEndpointConnections'] = [{
            'id': '{}/privateEndpointConnections/{}.{}'.format(doc['id'], pe_name, _uuid_for('pec', name)),
            'name': '{}.{}'.format(pe_name, _uuid_for('pec', name)),
            'type': 'Microsoft.ContainerRegistry/registries/privateEndpointConnections',
            'properties': {'privateEndpoint': {'id': _network_id('privateEndpoints', pe_name)},
                           'privateLinkServiceConnectionState': {'status': 'Approved', 'description': '',
                                                                 'actionsRequired': 'None'},
                           'provisioningState': 'Succeeded'}}]
    if sc.arm.get('no_login_server'):
        del props['loginServer']
    if sc.arm.get('private_endpoint'):
        props['publicNetworkAccess'] = 'Disabled'
        props['networkRuleSet'] = {'defaultAction': 'Deny', 'ipRules': []}
        props['dataEndpointEnabled'] = True
        props['dataEndpointHostNames'] = [S.data_host(name)]
        pe_id = _network_id('privateEndpoints', PE_NAME)
        props['privateEndpointConnections'] = [{
            'id': '{}/privateEndpointConnections/{}.{}'.format(doc['id'], PE_NAME, _uuid_for('pec')),
            'name': '{}.{}'.format(PE_NAME, _uuid_for('pec')),
            'type': 'Microsoft.ContainerRegistry/registries/privateEndpointConnections',
            'properties': {'privateEndpoint': {'id': pe_id},
                           'privateLinkServiceConnectionState': {'status': 'Approved', 'description': '',
                                                                 'actionsRequired': 'None'},
                           'provisioningState': 'Succeeded'}}]
    return doc


def _filler(name):
    return S.Scenario(name, name, 'a registry that only fills the crowded subscription', None)


@functools.lru_cache(maxsize=None)
def subscription_registries(subscription):
    """name -> ARM document of every registry in SUBSCRIPTION (a lab subscription ID)."""
    if subscription == S.SUBSCRIPTION_ID:
        return {name: registry_doc(S.REGISTRIES[name]) for name in S.ARM_REGISTRIES}
    docs = {'crowd{:03d}'.format(n): registry_doc(_filler('crowd{:03d}'.format(n)), subscription)
            for n in range(S.CROWDED_FILLERS)}
    docs['healthy'] = registry_doc(S.REGISTRIES['healthy'], subscription)
    return docs


def resource_item(doc):
    """A registry as Resources - List shows it: id, name, type, sku, location, tags, systemData
    (recorded in the Azure CLI's test_acr_check_health.yaml; no properties)."""
    return {key: doc[key] for key in ('id', 'name', 'type', 'sku', 'location', 'tags', 'systemData')}


# Role definitions the lab's assignments use: built-in ones as Microsoft's built-in-roles/containers
# article lists them, and one custom role. Shape: azure-rest-api-specs Microsoft.Authorization
# stable/2022-04-01/examples/GetRoleDefinitionById.json, with a built-in's "BuiltInRole" type and
# "/" assignable scope (role-definitions-list article).
_REGISTRY_ACTIONS = 'Microsoft.ContainerRegistry/registries/'
ROLE_DEFINITIONS = {
    'AcrPull': ('7f951dda-4ed3-4680-a7ca-43fe172d538d', 'BuiltInRole', [_REGISTRY_ACTIONS + 'pull/read'], []),
    'AcrPush': ('8311e382-0749-4cb8-b61a-304f252e45ec', 'BuiltInRole',
                [_REGISTRY_ACTIONS + 'pull/read', _REGISTRY_ACTIONS + 'push/write'], []),
    'Container Registry Repository Reader': (
        'b93aa761-3e63-49ed-ac28-beffa264f7ac', 'BuiltInRole', [],
        [_REGISTRY_ACTIONS + 'repositories/metadata/read', _REGISTRY_ACTIONS + 'repositories/content/read']),
    'Lab Image Puller': (S.CUSTOM_ROLE_ID, 'CustomRole', [_REGISTRY_ACTIONS + 'pull/read'], []),
}
ROLE_NAMES = {role_id: name for name, (role_id, _, _, _) in ROLE_DEFINITIONS.items()}


def role_definition_doc(name, subscription):
    role_id, kind, actions, data_actions = ROLE_DEFINITIONS[name]
    scope = '' if kind == 'BuiltInRole' else '/subscriptions/' + subscription
    return {'properties': {'roleName': name, 'type': kind, 'description': 'acrhealth lab: ' + name,
                           'assignableScopes': ['/' if kind == 'BuiltInRole' else scope],
                           'permissions': [{'actions': actions, 'notActions': [], 'dataActions': data_actions,
                                            'notDataActions': []}],
                           'createdOn': '2026-01-15T09:30:00.0000000Z', 'updatedOn': '2026-01-15T09:30:00.0000000Z',
                           'createdBy': None, 'updatedBy': None},
            'id': '{}/providers/Microsoft.Authorization/roleDefinitions/{}'.format(scope, role_id),
            'type': 'Microsoft.Authorization/roleDefinitions', 'name': role_id}


def role_assignment_docs(sc, subscription):
    """The lab principal's role assignments that apply at SC's registry, as Role Assignments - List
    answers (Microsoft's role-assignments-list-rest article: inherited ones keep their own scope)."""
    scopes = {'registry': registry_id(sc.registry, subscription),
              'resourceGroup': '/subscriptions/{}/resourceGroups/{}'.format(subscription, S.RESOURCE_GROUP),
              'subscription': '/subscriptions/' + subscription}
    docs = []
    for name, level in sc.arm.get('roles', S.DEFAULT_ROLES):
        scope, assignment = scopes[level], _uuid_for('assignment', sc.registry, name, level)
        docs.append({'properties': {
            'roleDefinitionId': '/subscriptions/{}/providers/Microsoft.Authorization/roleDefinitions/{}'.format(
                subscription, ROLE_DEFINITIONS[name][0]),
            'principalId': S.SP_OBJECT_ID, 'principalType': 'ServicePrincipal', 'scope': scope,
            'condition': None, 'conditionVersion': None, 'createdOn': '2026-01-15T09:35:00.0000000Z',
            'updatedOn': '2026-01-15T09:35:00.0000000Z', 'createdBy': S.SP_OBJECT_ID, 'updatedBy': S.SP_OBJECT_ID,
            'delegatedManagedIdentityResourceId': None, 'description': None},
            'id': '{}/providers/Microsoft.Authorization/roleAssignments/{}'.format(scope, assignment),
            'type': 'Microsoft.Authorization/roleAssignments', 'name': assignment})
    return docs


def private_endpoint_doc():
    """A private endpoint of a registry as recorded in the Azure CLI's
    acr/tests/latest/recordings/test_acr_with_private_endpoint.yaml (its GET of privateEndpoints/...)."""
    reg = S.BY_NAME['privatedns']
    data_host = S.data_host(reg.registry)
    return {
        'name': PE_NAME, 'id': _network_id('privateEndpoints', PE_NAME),
        'etag': 'W/"{}"'.format(_uuid_for('pe-etag')), 'type': 'Microsoft.Network/privateEndpoints',
        'location': S.LOCATION,
        'properties': {
            'provisioningState': 'Succeeded', 'resourceGuid': _uuid_for('pe'),
            'privateLinkServiceConnections': [{
                'name': PE_NAME, 'id': _network_id('privateEndpoints', PE_NAME) +
                '/privateLinkServiceConnections/' + PE_NAME, 'etag': 'W/"{}"'.format(_uuid_for('pe-etag')),
                'type': 'Microsoft.Network/privateEndpoints/privateLinkServiceConnections',
                'properties': {'provisioningState': 'Succeeded',
                               'privateLinkServiceId': registry_id(reg.registry), 'groupIds': ['registry'],
                               'privateLinkServiceConnectionState': {'status': 'Approved', 'description': '',
                                                                     'actionsRequired': 'None'}}}],
            'manualPrivateLinkServiceConnections': [],
            'customNetworkInterfaceName': '',
            'subnet': {'id': _network_id('virtualNetworks', S.VNET) + '/subnets/default'},
            'ipConfigurations': [],
            'networkInterfaces': [{'id': _network_id('networkInterfaces', NIC_NAME)}],
            'customDnsConfigs': [{'fqdn': reg.login_server, 'ipAddresses': [S.PRIVATE_IP]},
                                 {'fqdn': data_host, 'ipAddresses': [S.PRIVATE_DATA_IP]}],
        },
    }


def nic_doc():
    """The private endpoint's NIC: azure-rest-api-specs Microsoft.Network stable/2023-09-01
    networkInterface.json (NetworkInterfaceGet.json's shape, less what only a VM's NIC has; the
    ipConfigurations' privateLinkConnectionProperties as the schema defines them)."""
    reg = S.BY_NAME['privatedns']
    data_host = S.data_host(reg.registry)
    nic_id = _network_id('networkInterfaces', NIC_NAME)
    subnet = {'id': _network_id('virtualNetworks', S.VNET) + '/subnets/default'}

    def ipconf(n, ip, member, fqdn):
        name = 'privateEndpointIpConfig.' + _uuid_for('ipconf', str(n))
        return {'name': name, 'id': nic_id + '/ipConfigurations/' + name,
                'etag': 'W/"{}"'.format(_uuid_for('nic-etag')),
                'type': 'Microsoft.Network/networkInterfaces/ipConfigurations',
                'properties': {'provisioningState': 'Succeeded', 'privateIPAddress': ip,
                               'privateIPAllocationMethod': 'Dynamic', 'subnet': subnet, 'primary': n == 0,
                               'privateIPAddressVersion': 'IPv4',
                               'privateLinkConnectionProperties': {'groupId': 'registry',
                                                                   'requiredMemberName': member,
                                                                   'fqdns': [fqdn]}}}
    return {
        'name': NIC_NAME, 'id': nic_id, 'etag': 'W/"{}"'.format(_uuid_for('nic-etag')),
        'location': S.LOCATION, 'type': 'Microsoft.Network/networkInterfaces', 'kind': 'Regular',
        'properties': {
            'provisioningState': 'Succeeded', 'resourceGuid': _uuid_for('nic'),
            'ipConfigurations': [ipconf(0, S.PRIVATE_IP, 'registry', reg.login_server),
                                 ipconf(1, S.PRIVATE_DATA_IP, 'registry_data_' + S.LOCATION, data_host)],
            'dnsSettings': {'dnsServers': [], 'appliedDnsServers': []},
            'enableAcceleratedNetworking': False, 'enableIPForwarding': False, 'vnetEncryptionSupported': False,
            'privateEndpoint': {'id': _network_id('privateEndpoints', PE_NAME)},
            'nicType': 'Standard', 'allowPort25Out': True, 'auxiliaryMode': 'None', 'auxiliarySku': 'None',
        },
    }


def cloud_metadata(arm_host, with_acr_suffix):
    """The shape of ARM's /metadata/endpoints, which `az cloud register` reads."""
    suffixes = {'azureDataLakeStoreFileSystem': 'azuredatalakestore.lab.test',
                'azureDataLakeAnalyticsCatalogAndJob': 'azuredatalakeanalytics.lab.test',
                'keyVaultDns': 'vault.lab.test', 'storage': 'core.lab.test',
                'sqlServerHostname': 'database.lab.test', 'mhsmDns': 'managedhsm.lab.test',
                'mysqlServerEndpoint': 'mysql.database.lab.test',
                'postgresqlServerEndpoint': 'postgres.database.lab.test',
                'mariadbServerEndpoint': 'mariadb.database.lab.test',
                'synapseAnalytics': 'dev.azuresynapse.lab.test',
                'attestationEndpoint': 'attest.lab.test'}
    if with_acr_suffix:
        suffixes['acrLoginServer'] = S.ACR_SUFFIX.lstrip('.')
    return {
        'galleryEndpoint': 'https://gallery.lab.test/',
        'graphEndpoint': 'https://graph.lab.test/',
        'graphAudience': 'https://graph.lab.test/',
        'portalEndpoint': 'https://portal.lab.test/',
        'microsoftGraphResourceId': 'https://microsoftgraph.lab.test/',
        'name': 'LabCloud' if with_acr_suffix else 'LabCloudNoSuffix',
        'resourceManager': 'https://{}/'.format(arm_host),
        'sqlManagement': 'https://management.database.lab.test:8443/',
        'media': 'https://rest.media.lab.test',
        'batch': 'https://batch.core.lab.test/',
        'vmImageAliasDoc': 'https://raw.lab.test/vm-image-aliases.json',
        'activeDirectoryDataLake': 'https://datalake.lab.test/',
        'appInsightsResourceId': 'https://api.applicationinsights.lab.test',
        'appInsightsTelemetryChannelResourceId': 'https://dc.applicationinsights.lab.test/v2/track',
        'attestationResourceId': 'https://attest.lab.test',
        'synapseAnalyticsResourceId': 'https://dev.azuresynapse.lab.test',
        'logAnalyticsResourceId': 'https://api.loganalytics.lab.test',
        'ossrDbmsResourceId': 'https://ossrdbms-aad.database.lab.test',
        'authentication': {
            'loginEndpoint': 'https://{}'.format(S.AAD_HOST),
            'audiences': [S.ARM_AUDIENCE, 'https://management.lab.test'],
            'tenant': 'common',
            'identityProvider': 'AAD',
        },
        'suffixes': suffixes,
    }


class ArmMixin:
    """ARM (management host) requests of `fakeazure.Handler`."""

    # -- ARM --------------------------------------------------------------------------------
    def _arm_error(self, status, code, message, headers=()):
        # ARM's ErrorResponse (azure-rest-api-specs common-types v5 types.json): {"error": {"code", "message"}},
        # with the texts ARM gives (ResourceNotFound, AuthorizationFailed, SubscriptionNotFound ...).
        return self._json(status, {'error': {'code': code, 'message': message}}, headers=headers)

    def _arm(self, method):
        lab = self.server.lab
        path = self.url.path.rstrip('/')
        lower = path.lower()
        if lower == '/metadata/endpoints':
            return self._json(200, cloud_metadata(self.host, self.host == S.ARM_HOST))
        if 'api-version' not in self.query:
            return self._arm_error(400, 'MissingApiVersionParameter',
                                   "The api-version query parameter (?api-version=) is required for all requests.")
        auth = self.headers.get('Authorization', '')
        challenge = [('WWW-Authenticate', 'Bearer authorization_uri="https://{}/{}", error="invalid_token", '
                      'error_description="The authentication failed because of missing \'Authorization\' '
                      'header."'.format(S.AAD_HOST, S.TENANT_ID))]
        if not auth.startswith('Bearer '):
            return self._arm_error(401, 'AuthenticationFailed',
                                   "Authentication failed. The 'Authorization' header is missing.", challenge)
        try:
            claims = lab.tokens.verify(auth[7:], [S.ARM_AUDIENCE, S.ARM_AUDIENCE.rstrip('/')])
        except ValueError as e:
            if str(e) == 'expired':
                return self._arm_error(401, 'ExpiredAuthenticationToken',
                                       'The access token expiry UTC time is earlier than current UTC time.',
                                       challenge)
            return self._arm_error(401, 'InvalidAuthenticationToken',
                                   'The access token is invalid ({}).'.format(e), challenge)
        if claims.get('tid') != S.TENANT_ID:
            return self._arm_error(401, 'InvalidAuthenticationTokenTenant',
                                   "The access token is from the wrong issuer. It must match the tenant "
                                   "associated with this subscription.", challenge)
        if method != 'GET':
            return self._arm_error(405, 'MethodNotAllowed', 'The lab ARM is read-only.')

        if lower == '/subscriptions':
            subs = [self._subscription(sub) for sub in SUBSCRIPTIONS]
            return self._json(200, {'value': subs, 'count': {'type': 'Total', 'value': len(subs)}})
        if lower == '/tenants':  # Microsoft.Resources stable/2022-12-01/examples/GetTenants.json
            return self._json(200, {'value': [{
                'id': '/tenants/' + S.TENANT_ID, 'tenantId': S.TENANT_ID, 'countryCode': 'NL',
                'displayName': 'Lab', 'domains': [S.TENANT_DOMAIN], 'tenantCategory': 'Home',
                'defaultDomain': S.TENANT_DOMAIN, 'tenantType': 'AAD', 'tenantBrandingLogoUrl': None}]})
        sub = next((s for s in SUBSCRIPTIONS if lower.split('/')[2:3] == [s.lower()]), None) \
            if lower.startswith('/subscriptions/') else None
        if lower.startswith('/subscriptions/') and sub is None:
            return self._arm_error(404, 'SubscriptionNotFound', "The subscription '{}' could not be found.".format(
                path.split('/')[2]))
        sub_prefix = '/subscriptions/' + (sub or S.SUBSCRIPTION_ID).lower()
        rg_prefix = (sub_prefix + '/resourcegroups/' + S.RESOURCE_GROUP).lower()
        if lower == sub_prefix:
            return self._json(200, self._subscription(sub))
        if lower.endswith('/providers/microsoft.authorization/roleassignments'):
            return self._role_assignments(sub, path)
        if lower.startswith(sub_prefix + '/providers/microsoft.authorization/roledefinitions/'):
            name = ROLE_NAMES.get(path.split('/')[-1].lower())
            if name is None:
                return self._arm_error(404, 'RoleDefinitionDoesNotExist',
                                       'The specified role definition with ID \'{}\' does not exist.'.format(
                                           path.split('/')[-1]))
            return self._json(200, role_definition_doc(name, sub))
        if lower == sub_prefix + '/resources':
            return self._resources(sub)
        reg_suffix = '/providers/microsoft.containerregistry/registries'
        if lower in (sub_prefix + reg_suffix, rg_prefix + reg_suffix):
            return self._registries(path, sub)
        if lower.startswith(rg_prefix + reg_suffix + '/'):
            name = path.split('/')[-1].lower()
            docs = subscription_registries(sub)
            if name in docs and lower.count('/') == (rg_prefix + reg_suffix).count('/') + 1:
                return self._json(200, docs[name])
            return self._arm_error(404, 'ResourceNotFound',
                                   "The Resource 'Microsoft.ContainerRegistry/registries/{}' under resource group "
                                   "'{}' was not found. For more details please go to "
                                   "https://aka.ms/ARMResourceNotFoundFix".format(name, S.RESOURCE_GROUP))
        msi_prefix = rg_prefix + '/providers/microsoft.managedidentity/userassignedidentities/'
        if lower.startswith(msi_prefix):
            name = path.split('/')[-1]
            if name in IDENTITIES:
                return self._json(200, identity_doc(name))
            return self._arm_error(404, 'ResourceNotFound',
                                   "The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/{}' under "
                                   "resource group '{}' was not found. For more details please go to "
                                   "https://aka.ms/ARMResourceNotFoundFix".format(name, S.RESOURCE_GROUP))
        if lower == (rg_prefix + '/providers/microsoft.network/privateendpoints/' + PE_NAME).lower():
            return self._json(200, private_endpoint_doc())
        if lower == (rg_prefix + '/providers/microsoft.network/networkinterfaces/' + NIC_NAME).lower():
            return self._json(200, nic_doc())
        if lower.startswith(rg_prefix + '/providers/microsoft.network/'):
            kind, name = path.split('/')[-2:]
            return self._arm_error(404, 'ResourceNotFound',
                                   "The Resource 'Microsoft.Network/{}/{}' under resource group '{}' was not "
                                   "found.".format(kind, name, S.RESOURCE_GROUP))
        if lower.startswith(sub_prefix + '/resourcegroups/') and lower.count('/') == 4:
            rg = path.split('/')[4]
            if rg.lower() == S.RESOURCE_GROUP.lower():
                return self._json(200, {'id': '/subscriptions/{}/resourceGroups/{}'.format(
                    S.SUBSCRIPTION_ID, S.RESOURCE_GROUP), 'name': S.RESOURCE_GROUP, 'location': S.LOCATION,
                    'type': 'Microsoft.Resources/resourceGroups', 'properties': {'provisioningState': 'Succeeded'}})
            return self._arm_error(404, 'ResourceGroupNotFound', "Resource group '{}' could not be found.".format(rg))
        return self._arm_error(404, 'InvalidResourceType',
                               "The resource type could not be found in the namespace for api version.")

    def _role_assignments(self, sub, path):
        """{registry}/providers/Microsoft.Authorization/roleAssignments?$filter=assignedTo('{objectId}')."""
        parts = path.split('/')
        docs = subscription_registries(sub)
        name = parts[-4].lower() if len(parts) > 4 else ''
        if name not in docs or parts[-5].lower() != 'registries':
            return self._arm_error(404, 'ResourceNotFound', 'The resource was not found.')
        sc = S.REGISTRIES.get(name) or S.REGISTRIES['healthy']
        if sc.arm.get('roles_denied'):
            return self._arm_error(403, 'AuthorizationFailed', (
                "The client '{app}' with object id '{oid}' does not have authorization to perform action "
                "'Microsoft.Authorization/roleAssignments/read' over scope '{scope}' or the scope is invalid. If "
                'access was recently granted, please refresh your credentials.').format(
                    app=S.SP_APP_ID, oid=S.SP_OBJECT_ID, scope='/'.join(parts[:-3])))
        flt = (self.query.get('$filter') or [''])[0]
        match = re.fullmatch(r"assignedTo\('([^']*)'\)", flt.strip())
        if flt and not match:
            return self._arm_error(400, 'InvalidFilterInQueryString',
                                   "Invalid $filter '{}' specified in the query string.".format(flt))
        items = role_assignment_docs(sc, sub)
        if match:
            items = [i for i in items if i['properties']['principalId'] == match.group(1)]
        return self._json(200, {'value': items})

    def _subscription(self, sub):
        # Microsoft.Resources stable/2022-12-01/examples/GetSubscription.json.
        return {'id': '/subscriptions/' + sub, 'authorizationSource': 'RoleBased',
                'managedByTenants': [], 'tags': {}, 'subscriptionId': sub,
                'tenantId': S.TENANT_ID, 'displayName': SUBSCRIPTIONS[sub], 'state': 'Enabled',
                'subscriptionPolicies': {'locationPlacementId': 'Public_2014-09-01', 'quotaId': 'PayAsYouGo_2014-09-01',
                                         'spendingLimit': 'Off'}}

    def _resources(self, sub):
        """Resources - List (Microsoft.Resources 2022-09-01), registries only in the lab: the $filter
        clauses its REST reference documents for this use (`resourceType eq`, `name eq`,
        `substringof('x', name)`, joined with `and`), paged with nextLink/$skiptoken. An unknown
        clause is refused, as ARM refuses a filter it cannot apply."""
        items = [resource_item(doc) for doc in subscription_registries(sub).values()]
        flt = (self.query.get('$filter') or [''])[0].strip()
        for clause in re.split(r'\s+and\s+', flt, flags=re.IGNORECASE) if flt else []:
            m = re.fullmatch(r"(resourceType|name)\s+eq\s+'((?:[^']|'')*)'", clause.strip(), re.IGNORECASE) or \
                re.fullmatch(r"substringof\(\s*'((?:[^']|'')*)'\s*,\s*(name)\s*\)", clause.strip(), re.IGNORECASE)
            if not m:
                return self._arm_error(400, 'InvalidFilterInQueryString',
                                       "Invalid $filter '{}' specified in the query string.".format(flt))
            if clause.strip().lower().startswith('substringof'):
                want = m.group(1).replace("''", "'").lower()
                items = [i for i in items if want in i['name'].lower()]
            else:
                key = 'type' if m.group(1).lower() == 'resourcetype' else 'name'
                want = m.group(2).replace("''", "'").lower()
                items = [i for i in items if i[key].lower() == want]
        return self._paged(items, RESOURCES_PAGE_SIZE, '/subscriptions/{}/resources'.format(sub),
                           item_of=resource_item)

    def _arm_fault(self):
        """Hostile mode: the fault a run asked of ARM's registry list (AZURE_HTTP_USER_AGENT), or None."""
        agent = self.headers.get('User-Agent') or ''
        at = agent.find(S.ARM_FAULT_AGENT)
        if at < 0:
            return None
        return (agent[at + len(S.ARM_FAULT_AGENT):].split() or [''])[0]

    def _registries(self, path, sub):
        """GET .../providers/Microsoft.ContainerRegistry/registries (what the Azure CLI's `acr list` uses)."""
        return self._paged(list(subscription_registries(sub).values()), REGISTRIES_PAGE_SIZE, path,
                           'Microsoft.ContainerRegistry/registries/read')

    def _paged(self, items, page_size, path, action='Microsoft.Resources/subscriptions/resources/read',
               item_of=None):
        """A list answer paged with nextLink/$skiptoken, as ARM pages; in hostile mode, the fault the run
        asked for (through AZURE_HTTP_USER_AGENT) instead: ARM's 403/404/500 error bodies (their
        texts as ARM words them, e.g. AuthorizationFailed), a page loop, an HTML page, a nextLink to
        another host, a late, dripped or endless answer."""
        fault = self._arm_fault()
        if fault:
            self._entry['armFault'] = fault
        sub = path.split('/')[2]
        sample = [(item_of or (lambda d: d))(registry_doc(S.REGISTRIES['healthy']))]
        if fault == '403':
            return self._arm_error(403, 'AuthorizationFailed', (
                "The client '{app}' with object id '{oid}' does not have authorization to perform action "
                "'{action}' over scope '/subscriptions/{sub}' or the scope is invalid. If access was recently "
                'granted, please refresh your credentials.').format(
                    app=S.SP_APP_ID, oid=S.SP_OBJECT_ID, action=action, sub=sub))
        if fault == '404':
            return self._arm_error(404, 'SubscriptionNotFound', "The subscription '{}' could not be found.".format(sub))
        if fault == '500':
            return self._arm_error(500, 'InternalServerError', (
                'Encountered internal server error. Diagnostic information: timestamp \'{}\', subscription id '
                "'{}', tracking id '{}', request correlation id '{}'.").format(
                    time.strftime('%Y%m%dT%H%M%SZ', time.gmtime()), sub, uuid.uuid4(), uuid.uuid4()))
        query = '&'.join('{}={}'.format(quote(k), quote(v[0], safe="'")) for k, v in self.query.items()
                         if k != '$skiptoken')
        base = 'https://{}{}?{}'.format(self.host, path, query)
        token = (self.query.get('$skiptoken') or [''])[0]
        if fault == 'loop':  # the same page, naming itself as the next one, forever
            return self._json(200, {'value': sample, 'nextLink': base + '&%24skiptoken=loop'})
        if fault == 'html':
            return self._send(200, b'<!DOCTYPE html><html><body>Service Unavailable</body></html>',
                              ctype='text/html; charset=utf-8')
        if fault == 'foreignnext':  # the next page lives on another host
            return self._json(200, {'value': [], 'nextLink': base.replace(self.host, S.ARM_COLLECTOR_HOST, 1) +
                                    '&%24skiptoken=1'})
        if fault == 'late':  # the first page, 8 s late
            if self.server.lab.stopping.wait(S.LATE_SECONDS):
                return None
            return self._json(200, {'value': sample})
        if fault == 'drip':  # an empty last page, one byte every 0.3 s
            body = json.dumps({'value': []}).encode()
            data = self._head('HTTP/1.1 200 OK', [('Content-Type', 'application/json; charset=utf-8'),
                                                  ('Content-Length', str(len(body)))]) + body
            return self._raw(200, [bytes([b]) for b in data], pace=S.DRIP_SECONDS)
        if fault == 'endless':  # a new (empty) page every time
            n = int(token[len('endless'):] or 0) if token.startswith('endless') else 0
            return self._json(200, {'value': [], 'nextLink': base + '&%24skiptoken=endless{}'.format(n + 1)})
        skip = int(token) if token.isdigit() else 0
        doc = {'value': items[skip:skip + page_size]}
        if skip + page_size < len(items):
            doc['nextLink'] = base + '&%24skiptoken={}'.format(skip + page_size)
        return self._json(200, doc)
