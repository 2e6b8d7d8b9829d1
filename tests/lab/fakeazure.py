# acrhealth (MIT licence). The lab's fake Azure: AAD, ARM and ACR data planes over HTTPS on loopback.
"""A small, strict stand-in for the Azure endpoints `az` and `az acr check-health` talk to.

One threaded HTTPS server answers every fake host (the TLS certificate is chosen by SNI, the
handler by the Host header). It checks what the real services check — bearer tokens' signature,
audience, tenant and expiry; form fields; the `service` of ACR token requests — and logs every
request as one JSON line (host, method, path, query, form field names, whether an Authorization
header came), never a token value. Every token it issues is appended to a separate file that only
the leak tests read.
"""
import base64
import functools
import hashlib
import hmac
import json
import re
import os
import secrets
import socket
import ssl
import struct
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from . import scenarios as S

TOKEN_LIFETIME = 3600
REFRESH_TOKEN_LIFETIME = 11700   # ACR's, as recorded (exp - iat of a real refresh token)
ACCESS_TOKEN_LIFETIME = 4500     # ACR's, as recorded
ACR_ISSUER = 'Azure Container Registry'
ARM_RG_ID = '/subscriptions/{}/resourceGroups/{}'.format(S.SUBSCRIPTION_ID, S.RESOURCE_GROUP)
RESOURCES_PAGE_SIZE = 4  # small on purpose, so clients must follow nextLink
REGISTRIES_PAGE_SIZE = 10  # the registries list pages too (clients must follow its nextLink)


def _b64url_uint(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, 'big')
    return base64.urlsafe_b64encode(raw).rstrip(b'=').decode()


class Tokens:
    """Issues and verifies the lab's JWTs (one RSA key per lab start) and remembers every value issued."""

    def __init__(self, issued_path):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = uuid.uuid4().hex[:16]
        self.private_pem = self.key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption())
        self.public_key = self.key.public_key()
        self.issued_path = issued_path
        self._lock = threading.Lock()

    def jwks(self):
        numbers = self.public_key.public_numbers()
        return {'keys': [{'kty': 'RSA', 'use': 'sig', 'kid': self.kid, 'x5t': self.kid,
                          'n': _b64url_uint(numbers.n), 'e': _b64url_uint(numbers.e)}]}

    def issue(self, claims, lifetime=TOKEN_LIFETIME):
        now = int(time.time())
        body = {'iat': now, 'nbf': now - 5, 'exp': now + lifetime}
        body.update(claims)
        value = jwt.encode(body, self.private_pem, algorithm='RS256',
                           headers={'kid': self.kid, 'x5t': self.kid})
        with self._lock, open(self.issued_path, 'a') as f:
            f.write(value + '\n')
        return value

    def remember(self, value):
        """Record a token value the lab hands out without issuing it here (an opaque token)."""
        with self._lock, open(self.issued_path, 'a') as f:
            f.write(value + '\n')
        return value

    def verify(self, value, audiences):
        """Decoded claims, or raise ValueError saying what a real service would reject."""
        try:
            return jwt.decode(value, self.public_key, algorithms=['RS256'],
                              audience=list(audiences), leeway=5,
                              options={'require': ['exp', 'iat', 'aud']})
        except jwt.ExpiredSignatureError as e:
            raise ValueError('expired') from e
        except jwt.InvalidAudienceError as e:
            raise ValueError('audience') from e
        except jwt.PyJWTError as e:
            raise ValueError('invalid: {}'.format(type(e).__name__)) from e


class RequestLog:
    """JSON-lines request log shared by all server threads."""

    def __init__(self, path):
        self.path = path
        self._lock = threading.Lock()
        open(path, 'a').close()

    def write(self, entry):
        line = json.dumps(entry, sort_keys=True)
        with self._lock, open(self.path, 'a') as f:
            f.write(line + '\n')


def read_log(path):
    """Entries of a request log file, oldest first."""
    try:
        with open(path) as f:
            # a line without its newline is still being written: not an entry yet
            return [json.loads(line) for line in f if line.endswith('\n') and line.strip()]
    except FileNotFoundError:
        return []


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
        props['dataEndpointHostNames'] = ['{}.{}.data{}'.format(name, S.LOCATION, S.ACR_SUFFIX)]
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
    data_host = '{}.{}.data{}'.format(reg.registry, S.LOCATION, S.ACR_SUFFIX)
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
    data_host = '{}.{}.data{}'.format(reg.registry, S.LOCATION, S.ACR_SUFFIX)
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


# ---------------------------------------------------------------------------------------------
# The lab's image store: what every fake registry serves for its repository hello-world. Shapes:
# the Docker Image Manifest V2 Schema 2 and OCI image-spec (manifest, index) documents; ACR's
# answer headers (Content-Type, Docker-Content-Digest, ETag) and its 307 blob redirect with an HTML
# body, as recorded in the Azure CLI's test_acr_check_health.yaml.

def _compact(doc):
    return json.dumps(doc, separators=(',', ':')).encode()


def _digest(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


class ImageStore:
    """Manifests by tag and digest, blobs by digest (deterministic across lab starts)."""

    def __init__(self):
        self.blobs, self.manifests, self.tags = {}, {}, {}
        layer = b'acrhealth lab layer: not a real filesystem\n'
        self.blobs[_digest(layer)] = layer

        def config(arch):
            body = _compact({'architecture': arch, 'os': 'linux', 'config': {'Cmd': ['/hello']},
                             'rootfs': {'type': 'layers', 'diff_ids': [_digest(layer)]}})
            self.blobs[_digest(body)] = body
            return {'size': len(body), 'digest': _digest(body)}

        def manifest(media, config_media, layer_media, conf):
            body = _compact({'schemaVersion': 2, 'mediaType': media,
                             'config': dict(conf, mediaType=config_media),
                             'layers': [{'mediaType': layer_media, 'size': len(layer),
                                         'digest': _digest(layer)}]})
            self.manifests[_digest(body)] = (media, body)
            return body

        docker_v2 = 'application/vnd.docker.distribution.manifest.v2+json'
        oci = 'application/vnd.oci.image.manifest.v1+json'
        oci_index = 'application/vnd.oci.image.index.v1+json'
        self.tags['latest'] = manifest(docker_v2, 'application/vnd.docker.container.image.v1+json',
                                       'application/vnd.docker.image.rootfs.diff.tar.gzip', config('amd64'))
        platforms = []
        for arch in ('arm64', 'amd64'):
            body = manifest(oci, 'application/vnd.oci.image.config.v1+json',
                            'application/vnd.oci.image.layer.v1.tar+gzip', config(arch))
            platforms.append({'mediaType': oci, 'size': len(body), 'digest': _digest(body),
                              'platform': {'architecture': arch, 'os': 'linux'}})
        index = _compact({'schemaVersion': 2, 'mediaType': oci_index, 'manifests': platforms})
        self.manifests[_digest(index)] = (oci_index, index)
        self.tags['multi'] = index
        # A manifest whose config digest names other bytes than the registry serves under it.
        lost = _compact({'architecture': 'amd64', 'os': 'linux', 'note': 'the config that was pushed'})
        self.tags['badconfig'] = manifest(docker_v2, 'application/vnd.docker.container.image.v1+json',
                                          'application/vnd.docker.image.rootfs.diff.tar.gzip',
                                          {'size': len(lost), 'digest': _digest(lost)})
        self.blobs[_digest(lost)] = b'{"architecture":"amd64","os":"linux","note":"other bytes"}'

    def manifest(self, reference):
        """(media type, body) of a tag or digest, or None."""
        if reference in self.tags:
            return self.manifests[_digest(self.tags[reference])]
        return self.manifests.get(reference)


IMAGES = ImageStore()


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


# ---------------------------------------------------------------------------------------------
# The server


def _aad_error(code, error, description):
    # AAD's error JSON, as in Azure/azure-sdk-for-go azidentity's live recording
    # testdata/recordings/TestClientSecretCredential_InvalidSecretLive.json.
    now = time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime())
    trace, corr = str(uuid.uuid4()), str(uuid.uuid4())
    return {'error': error,
            'error_description': 'AADSTS{}: {}\r\nTrace ID: {}\r\nCorrelation ID: {}\r\nTimestamp: {}'.format(
                code, description, trace, corr, now),
            'error_codes': [code], 'timestamp': now, 'trace_id': trace, 'correlation_id': corr,
            'error_uri': 'https://{}/error?code={}'.format(S.AAD_HOST, code)}


def _acr_errors(code, message, detail=None):  # {"errors": [...]}: OCI distribution spec, as ACR sends it
    return {'errors': [{'code': code, 'message': message, 'detail': detail}]}


# Real ACR's /v2/ answer (test_acr_check_health.yaml; Azure/acr docs/AAD-OAuth.md): 401 with
# `WWW-Authenticate: Bearer realm="https://<login server>/oauth2/token",service="<login server>"` and this body.
_UNAUTHORIZED = _acr_errors('UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for '
                                            'more information.')


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'acrhealth-lab'
    sys_version = ''

    # -- plumbing ---------------------------------------------------------------------------
    def log_message(self, format, *args):  # noqa: A002 - silence stderr; we log JSON instead
        pass

    def _form(self):
        length = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(length) if length else b''
        ctype = (self.headers.get('Content-Type') or '').split(';')[0].strip().lower()
        if ctype == 'application/x-www-form-urlencoded':
            return {k: v for k, v in parse_qs(raw.decode('utf-8', 'replace'), keep_blank_values=True).items()}
        return {}

    def _dispatch(self, method):
        lab = self.server.lab
        if lab.latency:
            time.sleep(lab.latency)
        url = urlsplit(self.path)
        host = (self.headers.get('Host') or '').split(':')[0].lower()
        form = self._form() if method == 'POST' else {}
        query = parse_qs(url.query, keep_blank_values=True)
        self.url, self.host, self.form, self.query = url, host, form, query
        entry = {'time': round(time.time(), 3), 'host': host, 'method': method, 'path': url.path,
                 'query': {k: (v if 'token' not in k.lower() or k == '$skiptoken' else ['<redacted>'])
                           for k, v in query.items()},
                 'formFields': sorted(form),
                 'authorization': 'Authorization' in self.headers,
                 'sni': getattr(self.connection, 'lab_sni', None)}
        self._entry = entry
        try:
            if host == S.AAD_HOST:
                self._aad(method)
            elif host in (S.ARM_HOST, S.ARM_HOST_NOSUFFIX):
                self._arm(method)
            elif '.data' + S.ACR_SUFFIX in host or host == S.STORAGE_HOST:
                self._data_host()
            elif host.endswith(S.ACR_SUFFIX):
                self._acr(method)
            elif host in (S.COLLECTOR_HOST, S.ARM_COLLECTOR_HOST):
                self._collector()
            else:
                self._json(404, {'error': 'unknown host {}'.format(host)})
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError, socket.timeout):
            self.close_connection = True
        finally:
            self._write_log(None)  # no answer was sent (the client went away)

    def _write_log(self, status):
        # Logged before the answer goes out, so a client that has its answer finds its request logged.
        entry, self._entry = self._entry, None
        if entry is not None:
            entry['status'] = status
            self.server.lab.log.write(entry)

    def do_GET(self):
        self._dispatch('GET')

    def do_POST(self):
        self._dispatch('POST')

    def do_PUT(self):
        self._dispatch('PUT')

    def do_HEAD(self):
        self._dispatch('HEAD')

    def _send(self, status, body=b'', ctype='application/json; charset=utf-8', headers=()):
        self._write_log(status)
        self.send_response(status)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != 'HEAD':
            self.wfile.write(body)

    def _json(self, status, doc, headers=()):
        # Compact, as ARM and ACR write their JSON.
        self._send(status, json.dumps(doc, separators=(',', ':')).encode(), headers=headers)

    def _field(self, name):
        v = self.form.get(name)
        return v[0] if v else None

    # -- AAD --------------------------------------------------------------------------------
    def _aad(self, method):
        parts = [p for p in self.url.path.split('/') if p]
        tokens = self.server.lab.tokens
        if len(parts) < 2 or parts[0].lower() not in (S.TENANT_ID, S.TENANT_DOMAIN, 'organizations', 'common'):
            if parts:
                return self._json(400, _aad_error(90002, 'invalid_tenant',
                                                  "Tenant '{}' not found.".format(parts[0])))
            return self._json(404, {'error': 'not_found'})
        base = 'https://{}/{}'.format(S.AAD_HOST, S.TENANT_ID)
        rest = '/'.join(parts[1:])
        if method == 'GET' and rest in ('v2.0/.well-known/openid-configuration', '.well-known/openid-configuration'):
            return self._json(200, {
                'token_endpoint': base + '/oauth2/v2.0/token',
                'token_endpoint_auth_methods_supported': ['client_secret_post', 'private_key_jwt',
                                                          'client_secret_basic'],
                'jwks_uri': base + '/discovery/v2.0/keys',
                'response_modes_supported': ['query', 'fragment', 'form_post'],
                'subject_types_supported': ['pairwise'],
                'id_token_signing_alg_values_supported': ['RS256'],
                'response_types_supported': ['code', 'id_token', 'code id_token', 'id_token token'],
                'scopes_supported': ['openid', 'profile', 'email', 'offline_access'],
                'issuer': base + '/v2.0',
                'request_uri_parameter_supported': False,
                'userinfo_endpoint': 'https://graph.lab.test/oidc/userinfo',
                'authorization_endpoint': base + '/oauth2/v2.0/authorize',
                'device_authorization_endpoint': base + '/oauth2/v2.0/devicecode',
                'http_logout_supported': True, 'frontchannel_logout_supported': True,
                'end_session_endpoint': base + '/oauth2/v2.0/logout',
                'claims_supported': ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce',
                                     'tid', 'ver', 'at_hash', 'c_hash', 'email'],
                'kerberos_endpoint': base + '/kerberos',
                'tenant_region_scope': 'EU', 'cloud_instance_name': 'lab.test',
                'cloud_graph_host_name': 'graph.lab.test', 'msgraph_host': 'graph.lab.test',
                'rbac_url': 'https://pas.lab.test'})
        if method == 'GET' and rest == 'discovery/v2.0/keys':
            return self._json(200, tokens.jwks())
        if method == 'POST' and rest in ('oauth2/v2.0/token', 'oauth2/token'):
            return self._aad_token(base)
        return self._json(404, _aad_error(900561, 'invalid_request', 'The endpoint only accepts POST requests.'))

    def _aad_token(self, base):
        lab = self.server.lab
        grant = self._field('grant_type')
        client_id = self._field('client_id')
        if grant != 'client_credentials':
            return self._json(400, _aad_error(70003, 'unsupported_grant_type',
                                              'The app requested an unsupported grant type.'))
        if client_id != S.SP_APP_ID:
            return self._json(400, _aad_error(
                700016, 'unauthorized_client',
                "Application with identifier '{}' was not found in the directory 'Lab'.".format(client_id)))
        secret = self._field('client_secret')
        if secret is None and self.headers.get('Authorization', '').startswith('Basic '):
            try:
                secret = base64.b64decode(self.headers['Authorization'][6:]).decode().split(':', 1)[1]
            except (ValueError, IndexError):
                secret = None
        if secret != S.SP_SECRET:
            return self._json(401, _aad_error(
                7000215, 'invalid_client',
                'Invalid client secret provided. Ensure the secret being sent in the request is the client '
                "secret value, not the client secret ID, for a secret added to app '{}'.".format(S.SP_APP_ID)))
        scopes = (self._field('scope') or '').split()
        resources = [s[:-len('/.default')] for s in scopes if s.endswith('/.default')]
        if len(resources) != 1:
            return self._json(400, _aad_error(
                1002012, 'invalid_scope',
                "The provided value for scope '{}' is not valid. Client credential flows must have a scope value "
                'with /.default suffixed to the resource identifier (application ID URI).'.format(
                    self._field('scope'))))
        resource = resources[0].rstrip('/')
        if resource == S.ARM_AUDIENCE.rstrip('/'):
            aud = S.ARM_AUDIENCE
        elif resource == S.ACR_AUDIENCE:
            aud = S.ACR_AUDIENCE
        else:
            return self._json(400, _aad_error(
                500011, 'invalid_resource',
                "The resource principal named {} was not found in the tenant named Lab.".format(resource)))
        token = lab.tokens.issue({
            'aud': aud, 'iss': 'https://sts.lab.test/{}/'.format(S.TENANT_ID),
            'tid': S.TENANT_ID, 'oid': S.SP_OBJECT_ID, 'sub': S.SP_OBJECT_ID,
            'appid': S.SP_APP_ID, 'appidacr': '1', 'idp': 'https://sts.lab.test/{}/'.format(S.TENANT_ID),
            'idtyp': 'app', 'ver': '1.0', 'rh': '0.lab.', 'uti': uuid.uuid4().hex[:22],
            'xms_tcdt': 1600000000})
        # The v2.0 token answer (azidentity's TestClientSecretCredential_Live recording).
        return self._json(200, {'token_type': 'Bearer', 'expires_in': TOKEN_LIFETIME - 1,
                                'ext_expires_in': TOKEN_LIFETIME - 1, 'access_token': token})

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

    # -- hostile mode: a host that must receive nothing ------------------------------------------
    def _collector(self):
        """collector.lab.test: where hostile registries redirect to or point their realm at. It answers
        like a registry would (tempting a client to go on); the tests assert it was never reached."""
        h = self.host
        return self._json(401, _acr_errors('UNAUTHORIZED', 'authentication required'),
                          [('WWW-Authenticate', 'Bearer realm="https://{h}/oauth2/token",service="{h}"'.format(h=h))])

    # -- ACR data plane ---------------------------------------------------------------------
    def _acr(self, method):
        lab = self.server.lab
        name = self.host[:-len(S.ACR_SUFFIX)]
        sc = lab.registries.get(name)
        if sc is None:
            return self._json(404, _acr_errors('NAME_UNKNOWN', 'registry not found'))
        self._sc = sc
        path = self.url.path
        hdr = [('Docker-Distribution-Api-Version', 'registry/2.0'),
               ('X-Content-Type-Options', 'nosniff'),
               ('Strict-Transport-Security', 'max-age=31536000; includeSubDomains')]
        if sc.behaviour == 'forbidden':
            return self._json(403, _acr_errors(
                'DENIED', "client with IP '127.0.0.1' is not allowed access. Refer https://aka.ms/acr/firewall "
                          'to grant access.'), hdr)
        if path in ('/v2', '/v2/') or (path.startswith('/v2/') and method in ('GET', 'HEAD')):
            return self._acr_v2(path, hdr)
        if method == 'POST' and path == '/oauth2/exchange':
            return self._acr_exchange(sc, hdr)
        if method == 'POST' and path == '/oauth2/token':
            return self._acr_token(sc, hdr)
        if method == 'GET' and path == '/oauth2/token':
            return self._acr_token_basic(sc, hdr)
        return self._json(404, _acr_errors('NOT_FOUND', 'not found'), hdr)

    def _acr_v2(self, path, hdr):
        lab = self.server.lab
        auth = self.headers.get('Authorization', '')
        if auth.startswith('Bearer '):
            try:
                claims = lab.tokens.verify(auth[7:], [self.host])
                if claims.get('iss') != ACR_ISSUER or claims.get('grant_type') != 'access_token':
                    raise ValueError('not an access token')
            except ValueError:
                claims = None
            if claims is not None:
                if path in ('/v2', '/v2/'):
                    return self._json(200, {}, hdr)
                pulled = re.fullmatch(r'/v2/(.+)/(manifests|blobs)/([^/]+)', path)
                if pulled:
                    return self._acr_pull(claims, *pulled.groups(), hdr=hdr)
                if path == '/v2/_catalog':
                    granted = any(a.get('Type') == 'registry' and a.get('Name') == 'catalog'
                                  for a in claims.get('access', []))
                    if granted:
                        return self._json(200, {'repositories': [S.PULLONLY_REPOSITORY]}, hdr)
                return self._json(404, _acr_errors('NAME_UNKNOWN', 'repository name not known to registry'), hdr)
        hostile = getattr(self, '_v2_' + self._sc.behaviour, None)
        if hostile is not None:
            return hostile(hdr)
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', self._challenge())])

    def _acr_pull(self, claims, repo, kind, reference, hdr):
        """GET /v2/<repo>/manifests/<ref> and /v2/<repo>/blobs/<digest> with a pull token."""
        granted = any(a.get('Type') == 'repository' and a.get('Name') == repo and 'pull' in (a.get('Actions') or [])
                      for a in claims.get('access') or [])
        if not granted:
            # ACR's 401 for a missing scope (azure-sdk-for-js container-registry recordings).
            return self._json(401, _acr_errors('UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/'
                                               'authorization for more information.',
                                               [{'Type': 'repository', 'Name': repo, 'Action': 'pull'}]),
                              hdr + [('WWW-Authenticate', self._challenge() + ',scope="repository:{}:pull"'.format(repo))])
        if repo != S.PULLONLY_REPOSITORY:
            return self._json(404, _acr_errors('NAME_UNKNOWN', 'repository name not known to registry',
                                               {'name': repo}), hdr)
        if kind == 'manifests':
            found = IMAGES.manifest(reference)
            if found is None:
                # OCI distribution spec's MANIFEST_UNKNOWN, in ACR's words.
                return self._json(404, _acr_errors('MANIFEST_UNKNOWN', 'manifest tagged by "{}" is not found'.format(
                    reference), {'Tag': reference}), hdr)
            media, body = found
            return self._send(200, body, ctype=media, headers=hdr + [
                ('Docker-Content-Digest', _digest(body)), ('ETag', '"{}"'.format(_digest(body)))])
        if reference not in IMAGES.blobs:
            return self._json(404, _acr_errors('BLOB_UNKNOWN', 'blob unknown to registry', reference), hdr)
        target = self._signed_blob_url(reference)
        return self._send(307, '<a href="{}">Temporary Redirect</a>.\n\n'.format(target).encode(),
                          ctype='text/html; charset=utf-8', headers=hdr + [('Location', target)])

    def _signed_blob_url(self, digest):
        """Where ACR redirects a blob GET: its dedicated data endpoint when it has one, else a
        storage host, with a signed, expiring query string (the redirect's own authorisation)."""
        sc = self._sc
        hexa = digest.split(':', 1)[1]
        if sc.arm.get('data_endpoints'):
            host, path = S.data_host(sc.registry), '/{}/blobs/{}'.format(sc.registry, digest)
        else:
            host = S.STORAGE_HOST
            path = '/{}/docker/registry/v2/blobs/sha256/{}/{}/data'.format(sc.registry, hexa[:2], hexa)
        expiry = str(int(time.time()) + 1200)
        return 'https://{}{}?se={}&sig={}'.format(host, path, expiry, quote(self.server.lab.sign(
            host + path + expiry), safe=''))

    def _data_host(self):
        """A data host (a registry's data endpoint, or the storage host): serves a blob for a valid
        signed URL, and nothing else. `datafirewall` answers as a storage account's firewall does."""
        lab = self.server.lab
        expiry, sig = (self.query.get('se') or [''])[0], (self.query.get('sig') or [''])[0]
        parts = [p for p in self.url.path.split('/') if p]
        sc = lab.registries.get(parts[0]) if parts else None
        if sc is not None and sc.behaviour == 'data-firewall':
            # Azure Storage's answer to a client its network rules deny.
            return self._send(403, b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure'
                                   b'</Code><Message>This request is not authorized to perform this operation.'
                                   b'</Message></Error>', ctype='application/xml',
                              headers=[('x-ms-error-code', 'AuthorizationFailure')])
        valid = sc is not None and expiry.isdigit() and int(expiry) > time.time() and hmac.compare_digest(
            sig, lab.sign(self.host + self.url.path + expiry))
        digest = 'sha256:' + parts[-2] if len(parts) > 2 and parts[-1] == 'data' else parts[-1] if parts else ''
        if not valid or digest not in IMAGES.blobs:
            return self._send(403, b'\xef\xbb\xbf<?xml version="1.0" encoding="utf-8"?><Error><Code>'
                                   b'AuthenticationFailed</Code><Message>Server failed to authenticate the request.'
                                   b'</Message></Error>', ctype='application/xml',
                              headers=[('x-ms-error-code', 'AuthenticationFailed')])
        return self._send(200, IMAGES.blobs[digest], ctype='application/octet-stream')

    def _challenge(self):
        # As real ACR words it on /v2/ (no scope there): test_acr_check_health.yaml.
        return 'Bearer realm="https://{h}/oauth2/token",service="{h}"'.format(h=self.host)

    # -- hostile /v2/ answers (one method per behaviour: _v2_<behaviour>) ------------------------
    def _v2_v2status500(self, hdr):
        return self._json(500, _acr_errors('INTERNAL_ERROR', 'internal server error'), hdr)

    def _v2_v2status503(self, hdr):
        return self._json(503, _acr_errors('UNAVAILABLE', 'service unavailable'), hdr + [('Retry-After', '1')])

    def _v2_v2status404(self, hdr):
        return self._json(404, _acr_errors('NOT_FOUND', 'not found'), hdr)

    def _v2_v2redirectloop(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'https://{}/v2/'.format(self.host))])

    def _v2_v2redirectaway(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'https://{}/v2/'.format(S.COLLECTOR_HOST))])

    def _v2_v2redirecthttp(self, hdr):
        return self._send(302, b'', headers=hdr + [('Location', 'http://{}/v2/'.format(S.COLLECTOR_HOST))])

    def _v2_v2noauthheader(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr)

    def _v2_chlowercase(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'bearer' + self._challenge()[6:])])

    def _v2_chuppercase(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'BEARER REALM="https://{h}/oauth2/token",SERVICE="{h}"'.format(h=h))])

    def _v2_chwhitespace(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer   realm = "https://{h}/oauth2/token" ,  service =\t"{h}" '.format(h=h))])

    def _v2_chquotedcomma(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer realm="https://{h}/oauth2/token",scope="registry:catalog:*,'
                                 'repository:a:pull",service="{h}"'.format(h=h))])

    def _v2_chtwoinone(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Basic realm="{}", {}'.format(self.host, self._challenge()))])

    def _v2_chtwoheaders(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Basic realm="{}"'.format(self.host)),
                                                     ('WWW-Authenticate', self._challenge())])

    def _v2_chreversed(self, hdr):
        h = self.host
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer service="{h}",realm="https://{h}/oauth2/token"'.format(h=h))])

    def _v2_chnoservice(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [
            ('WWW-Authenticate', 'Bearer realm="https://{}/oauth2/token"'.format(self.host))])

    def _v2_chbasiconly(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Basic realm="{}"'.format(self.host))])

    def _v2_chhttprealm(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Bearer realm="http://{h}/oauth2/token",'
                                                      'service="{h}"'.format(h=self.host))])

    def _v2_chforeignrealm(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', 'Bearer realm="https://{}/oauth2/token",'
                                                      'service="{}"'.format(S.COLLECTOR_HOST,
                                                                            self.host))])

    def _head(self, status_line, headers):
        lines = [status_line] + ['{}: {}'.format(k, v) for k, v in headers]
        return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')

    def _v2_head(self, hdr, *extra, version='HTTP/1.1'):
        return self._head(version + ' 401 Unauthorized', [('Content-Type', 'application/json; charset=utf-8')] +
                          list(extra) + hdr + [('WWW-Authenticate', self._challenge())])

    def _v2_v2hugebody(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()

        def chunks():
            yield self._v2_head(hdr, ('Content-Length', str(S.HUGE_BODY))) + body
            left, pad = S.HUGE_BODY - len(body), b' ' * 65536
            while left > 0:
                yield pad[:left]
                left -= len(pad)
        return self._raw(401, chunks())

    def _v2_v2slowbody(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Content-Length', str(len(body))))] + [bytes([b]) for b in body],
                         pace=S.DRIP_SECONDS, first_now=True)

    def _v2_v2truncated(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Content-Length', '1000')) + body[:40]])

    def _v2_v2http10(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        return self._raw(401, [self._v2_head(hdr, ('Connection', 'close'), version='HTTP/1.0') + body])

    def _v2_v2badchunked(self, hdr):
        return self._raw(401, [self._v2_head(hdr, ('Transfer-Encoding', 'chunked')) +
                               b'zz\r\n{"errors":[{"code":"UNAUTHORIZED"\r\n-1\r\n'])

    def _v2_v2dripheaders(self, hdr):
        body = json.dumps(_UNAUTHORIZED).encode()
        data = self._v2_head(hdr, ('Content-Length', str(len(body)))) + body
        return self._raw(401, [bytes([b]) for b in data], pace=S.DRIP_SECONDS)

    def _v2_v2garbage(self, hdr):
        return self._raw(None, [b'SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n'])

    def _v2_v2hugeheader(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', self._challenge()),
                                                     ('X-Lab-Padding', 'a' * 200 * 1024)])

    def _v2_v2manyheaders(self, hdr):
        return self._json(401, _UNAUTHORIZED, hdr + [('WWW-Authenticate', self._challenge())] +
                          [('X-Lab-{}'.format(n), str(n)) for n in range(150)])

    def _v2_v2reset(self, hdr):
        self._write_log('reset')
        self.close_connection = True
        # SO_LINGER 0: closing the socket (after this handler returns) sends RST, not FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))

    def _raw(self, status, chunks, pace=None, first_now=False):
        """Write CHUNKS (bytes) on the connection exactly as given, PACE seconds apart, then close."""
        self._write_log(status)
        self.close_connection = True
        stop = self.server.lab.stopping
        for n, chunk in enumerate(chunks):
            if pace and not (first_now and n == 0) and stop.wait(pace):
                return
            self.wfile.write(chunk)
            if stop.is_set():
                return

    # -- hostile /oauth2/exchange and /oauth2/token answers ---------------------------------------
    def _token_fault(self, sc, stage, field, good, hdr):
        """The hostile answer of STAGE ('exchange' or 'token') for SC, or None to answer GOOD()."""
        if not sc.behaviour.startswith(stage):
            return None
        fault = sc.behaviour[len(stage):]
        if fault == 'html':
            return lambda: self._send(200, b'<!DOCTYPE html><html><head><title>Sign in</title></head><body>'
                                           b'<form method="post" action="/login"></form></body></html>',
                                      ctype='text/html; charset=utf-8', headers=hdr)
        if fault == 'malformed':
            return lambda: self._send(200, '{{"{}": "eyJhbGciOiJSUzI1NiJ9.'.format(field).encode(), headers=hdr)
        if fault == 'missing':
            return lambda: self._json(200, {'token_type': 'Bearer', 'expires_in': 3600}, hdr)
        if fault == 'number':
            return lambda: self._json(200, {field: 12345}, hdr)
        if fault == 'object':
            return lambda: self._json(200, {field: {'value': good()}}, hdr)
        if fault == '500':
            return lambda: self._json(500, _acr_errors('INTERNAL_ERROR', 'internal server error'), hdr)
        if fault == 'redirect':  # 307/308 keep the method and the body (the credential)
            return lambda: self._send(307 if stage == 'exchange' else 308, b'', headers=hdr + [
                ('Location', 'https://{}{}'.format(S.COLLECTOR_HOST, self.url.path))])
        if fault == 'huge':
            def huge():
                start = '{{"{}": "{}", "padding": "'.format(field, good()).encode()
                head = self._head('HTTP/1.1 200 OK', [('Content-Type', 'application/json; charset=utf-8'),
                                                      ('Content-Length', str(S.HUGE_BODY))] + hdr)

                def chunks():
                    yield head + start
                    left, pad = S.HUGE_BODY - len(start) - 2, b'A' * 65536
                    while left > 0:
                        yield pad[:left]
                        left -= len(pad)
                    yield b'"}'
                self._raw(200, chunks())
            return huge
        if fault == 'nested':
            return lambda: self._send(200, '{{"{}": {}{}}}'.format(field, '[' * 30000, ']' * 30000).encode(),
                                      headers=hdr)
        if fault == '503once':
            if self.server.lab.count((sc.registry, stage)) % 2 == 1:  # odd requests fail, the retry succeeds
                return lambda: self._json(503, _acr_errors('UNAVAILABLE', 'service unavailable'),
                                          hdr + [('Retry-After', '1')])
            return None
        if fault == '429':
            return lambda: self._json(429, _acr_errors('TOOMANYREQUESTS', 'too many requests'),
                                      hdr + [('Retry-After', '1')])
        if fault == 'late':
            def late():
                value = good()
                if not self.server.lab.stopping.wait(S.LATE_SECONDS):
                    self._json(200, {field: value}, hdr)
            return late
        return None

    def _acr_exchange(self, sc, hdr):
        lab = self.server.lab
        if sc.behaviour == 'throttled':
            return self._json(429, _acr_errors('TOOMANYREQUESTS', 'too many requests'),
                              hdr + [('Retry-After', '30')])
        missing = [f for f in ('grant_type', 'service', 'access_token') if not self._field(f)]
        if missing:
            return self._json(400, _acr_errors('UNSUPPORTED', 'missing form fields: ' + ', '.join(missing)), hdr)
        if self._field('grant_type') != 'access_token':
            return self._json(400, _acr_errors('UNSUPPORTED', 'grant_type not supported'), hdr)
        if self._field('service') != self.host:
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the service does not match the login server'), hdr)
        # Real ACR accepts ARM-audience tokens too, unless azureADAuthenticationAsArmPolicy is disabled
        # (Microsoft's container-registry-disable-authentication-as-arm article); the refusal's text is
        # not published: this one is ours.
        audiences = [S.ACR_AUDIENCE, S.ACR_AUDIENCE + '/']
        if sc.arm.get('arm_audience') != 'disabled':
            audiences += [S.ARM_AUDIENCE, S.ARM_AUDIENCE.rstrip('/')]
        try:
            aad = lab.tokens.verify(self._field('access_token'), audiences)
        except ValueError as e:
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the AAD access token is not valid ({})'.format(e)),
                              hdr)
        tenant = self._field('tenant')
        if aad.get('tid') != S.TENANT_ID or (tenant and tenant != aad.get('tid')):
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the token is not from the expected tenant'), hdr)
        if sc.behaviour == 'exchange-denied':
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the caller has no role assignment on this '
                                               'registry. Visit https://aka.ms/acr/authorization'), hdr)

        def refresh_token():
            # The claims (and their capitalisation) of a real ACR refresh token, recorded in the Azure
            # CLI's test_acr_check_health.yaml: permissions.Actions / NotActions, a 11700 s lifetime.
            return lab.tokens.issue({
                'jti': str(uuid.uuid4()), 'sub': aad.get('oid'), 'iss': ACR_ISSUER, 'aud': self.host,
                'version': '1.0', 'rid': uuid.uuid4().hex, 'grant_type': 'refresh_token',
                'appid': aad.get('appid'), 'tenant': aad.get('tid'),
                'permissions': {'Actions': ['read', 'write', 'delete', 'metadata/read', 'metadata/write',
                                            'deleted/read', 'deleted/restore/action'], 'NotActions': None},
                'roles': []}, lifetime=REFRESH_TOKEN_LIFETIME)
        fault = self._token_fault(sc, 'exchange', 'refresh_token', refresh_token, hdr)
        if fault is not None:
            return fault()
        return self._json(200, {'refresh_token': refresh_token()}, hdr)

    def _acr_token(self, sc, hdr):
        lab = self.server.lab
        grant = self._field('grant_type')
        if grant != 'refresh_token' or not self._field('refresh_token') or not self._field('service'):
            return self._json(400, _acr_errors('UNSUPPORTED', 'expected grant_type=refresh_token with '
                                               'service and refresh_token'), hdr)
        if self._field('service') != self.host:
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the service does not match the login server'), hdr)
        try:
            refresh = lab.tokens.verify(self._field('refresh_token'), [self.host])
            if refresh.get('grant_type') != 'refresh_token' or refresh.get('iss') != ACR_ISSUER:
                raise ValueError('not a refresh token')
        except ValueError as e:
            return self._json(401, _acr_errors('UNAUTHORIZED', 'the refresh token is not valid ({})'.format(e)), hdr)
        if sc.behaviour == 'token-denied':
            return self._json(401, _acr_errors('UNAUTHORIZED', 'authentication required, visit '
                                               'https://aka.ms/acr/authorization for more information.'), hdr)

        def access_token():
            return self._access_token(sc, refresh, self.form.get('scope', []))
        fault = self._token_fault(sc, 'token', 'access_token', access_token, hdr)
        if fault is not None:
            return fault()
        return self._json(200, {'access_token': access_token()}, hdr)

    def _access_token(self, sc, refresh, scopes):
        """An ACR access token granting what SCOPES ask for, minus what the scenario withholds."""
        access = []
        for scope in scopes:
            for one in scope.split(' '):
                bits = one.split(':')
                if len(bits) < 3:
                    continue
                kind, name, actions = bits[0], ':'.join(bits[1:-1]), bits[-1].split(',')
                if sc.behaviour == 'pull-only' and kind == 'repository':
                    actions = [a for a in actions if a == 'pull']
                if sc.behaviour == 'abac-none' and kind == 'repository':
                    actions = []  # an ABAC registry honours none of the caller's roles
                # Real ACR: capitalised keys (Azure/azure-cli, acr tests/latest/recordings/
                # test_acr_check_health.yaml, the access token's claims).
                access.append({'Type': kind, 'Name': name, 'Actions': actions})
        # A real ACR access token's claims (test_acr_check_health.yaml): no tenant, a 4500 s lifetime.
        claims = {
            'jti': str(uuid.uuid4()), 'sub': refresh.get('sub'), 'iss': ACR_ISSUER, 'aud': self.host,
            'version': '1.0', 'rid': refresh.get('rid'), 'access': access, 'roles': [],
            'grant_type': 'access_token', 'appid': refresh.get('appid')}
        repos = [a['Name'] for a in access if a['Type'] == 'repository']
        if sc.behaviour.startswith('claims') and repos:  # hostile mode: the access claim's shapes
            repo, b = repos[0], sc.behaviour
            if b == 'claimsnotjwt':
                return self.server.lab.tokens.remember('labopaque' + secrets.token_urlsafe(48))
            if b == 'claimsgarbled':
                return self.server.lab.tokens.remember('eyJhbGciOiJSUzI1NiJ9.!!' + secrets.token_urlsafe(24) +
                                                       '!!.' + secrets.token_urlsafe(32))
            if b == 'claimsstring':
                claims['access'] = 'repository:{}:pull,push,metadata_read,metadata_write,delete'.format(repo)
            if b == 'claimsnoaccess':
                del claims['access']
            elif b == 'claimsstar':
                claims['access'] = [{'Type': 'repository', 'Name': repo, 'Actions': ['*']}]
            elif b == 'claimslowercase':  # the Docker token specification's keys (other registries)
                claims['access'] = [{'type': 'repository', 'name': repo,
                                     'actions': ['pull', 'push', 'metadata_read', 'metadata_write', 'delete']}]
            elif b == 'claimsspread':
                claims['access'] = [
                    {'Type': 'registry', 'Name': 'catalog', 'Actions': ['*']},
                    {'Type': 'repository', 'Name': repo, 'Actions': ['pull']},
                    {'Type': 'repository', 'Name': repo, 'Actions': ['push', 'metadata_read'],
                     'Parameters': {'pull_limit': '100'}},
                    {'Type': 'repository', 'Name': repo, 'Actions': ['metadata_write', 'delete']}]
            elif b == 'claimsother':
                claims['access'] = [{'Type': 'repository', 'Name': repo + '-other',
                                     'Actions': ['pull', 'push', 'metadata_read', 'metadata_write', 'delete']}]
            elif b == 'claimsempty':
                claims['access'] = []
        return self.server.lab.tokens.issue(claims, lifetime=ACCESS_TOKEN_LIFETIME)

    def _acr_token_basic(self, sc, hdr):
        """GET /oauth2/token with Basic auth, as docker asks after `docker login -u 00000000-... -p
        REFRESH_TOKEN` (what `az acr login` does)."""
        denied = self._json_later(401, _acr_errors('UNAUTHORIZED', 'authentication required, visit '
                                                   'https://aka.ms/acr/authorization for more information.'), hdr)
        auth = self.headers.get('Authorization', '')
        try:
            user, password = base64.b64decode(auth[6:]).decode().split(':', 1) if auth.startswith('Basic ') \
                else (None, None)
        except ValueError:
            user, password = None, None
        if user != '00000000-0000-0000-0000-000000000000' or sc.behaviour == 'token-denied':
            return denied()
        if (self.query.get('service') or [None])[0] != self.host:
            return denied()
        try:
            refresh = self.server.lab.tokens.verify(password, [self.host])
            if refresh.get('grant_type') != 'refresh_token':
                raise ValueError('not a refresh token')
        except ValueError:
            return denied()
        token = self._access_token(sc, refresh, self.query.get('scope', []))
        return self._json(200, {'access_token': token}, hdr)

    def _json_later(self, status, doc, headers):
        return lambda: self._json(status, doc, headers)


class LabHTTPSServer(ThreadingHTTPServer):
    """Threaded HTTPS server; TLS is negotiated in the request's own thread (a client that
    never finishes its handshake cannot stall the others) and the certificate is picked by SNI."""
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address, lab, contexts, default_host, log_connections=False):
        self.lab = lab
        self.log_connections = log_connections
        self.contexts = contexts
        self.default_context = contexts[default_host]

        def pick(sslsock, server_name, _ctx):
            sslsock.lab_sni = server_name
            ctx = contexts.get((server_name or '').lower())
            if ctx is not None:
                sslsock.context = ctx
        for ctx in contexts.values():
            ctx.sni_callback = pick
        super().__init__(address, Handler)

    def finish_request(self, request, client_address):
        request.settimeout(30)
        if self.log_connections:  # a host that must receive nothing logs even a bare connection
            self.lab.log.write({'time': round(time.time(), 3), 'event': 'connection',
                                'ip': self.server_address[0], 'port': self.server_address[1]})

        conn = self.default_context.wrap_socket(request, server_side=True, do_handshake_on_connect=False)
        try:
            conn.do_handshake()
        except (ssl.SSLError, OSError) as e:
            sni = getattr(conn, 'lab_sni', None)
            if sni or not isinstance(e, ssl.SSLEOFError):  # a bare EOF without SNI is a port probe
                self.lab.log.write({'time': round(time.time(), 3), 'event': 'tls-handshake-failed', 'sni': sni,
                                    'error': type(e).__name__, 'reason': getattr(e, 'reason', None)})
            conn.close()
            return
        # Every completed handshake, by the name asked for: what a client's connection reuse costs.
        self.lab.log.write({'time': round(time.time(), 3), 'event': 'tls-handshake',
                            'sni': getattr(conn, 'lab_sni', None)})
        try:
            self.RequestHandlerClass(conn, client_address, self)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def shutdown_request(self, request):
        try:
            request.close()
        except OSError:
            pass


class LabHTTPSServer6(LabHTTPSServer):
    address_family = socket.AF_INET6


class FakeAzure:
    """The running fake cloud: one HTTPS server (all fake hosts) and the blackhole listeners."""

    def __init__(self, state_dir, certs, latency=0.0):
        """CERTS maps host name -> (certfile, keyfile)."""
        self.log = RequestLog(os.path.join(state_dir, 'requests.jsonl'))
        self.tokens = Tokens(os.path.join(state_dir, 'issued-tokens.txt'))
        self.latency = latency
        self.registries = {name: s for name, s in S.REGISTRIES.items() if s.backend == S.FAKE}
        self.contexts = {}
        for host, (crt, key) in certs.items():
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(crt, key)
            self.contexts[host] = ctx
        self.servers = []
        self.holes = []
        self._held = []
        self._stop = threading.Event()
        self._counts = {}
        self._count_lock = threading.Lock()
        self._secret = secrets.token_bytes(32)

    def sign(self, text):
        """The lab's signature of a data-host URL (what a SAS signature stands for)."""
        return base64.urlsafe_b64encode(hmac.new(self._secret, text.encode(), hashlib.sha256).digest()).decode()

    @property
    def stopping(self):
        """Set when the lab stops: a hostile answer that waits must wait on this."""
        return self._stop

    def count(self, key):
        """1, 2, 3 ... : how many times KEY was counted, this time included."""
        with self._count_lock:
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def serve(self, ip, port=443, log_connections=False):
        cls = LabHTTPSServer6 if ':' in ip else LabHTTPSServer
        server = cls((ip, port), self, self.contexts, S.ARM_HOST, log_connections=log_connections)
        t = threading.Thread(target=server.serve_forever, kwargs={'poll_interval': 0.2}, daemon=True,
                             name='fakeazure-{}'.format(ip))
        t.start()
        self.servers.append(server)
        return server

    def _accept_loop(self, ip, port, backlog, name, on_connection):
        """Listen on IP:PORT and hand every accepted connection to ON_CONNECTION on a daemon
        thread, until the lab stops (the socket is closed with the lab's other listeners)."""
        family = socket.AF_INET6 if ':' in ip else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((ip, port))
        sock.listen(backlog)
        sock.settimeout(0.2)
        self.holes.append(sock)

        def loop():
            while not self._stop.is_set():
                try:
                    conn, _ = sock.accept()
                except socket.timeout:
                    continue
                except OSError:
                    return
                on_connection(conn)
        threading.Thread(target=loop, daemon=True, name=name).start()

    def blackhole(self, ip, port=443):
        """Accept TCP connections on IP:PORT and never send a byte."""
        def hold(conn):
            self._held.append(conn)
            self.log.write({'time': round(time.time(), 3), 'event': 'blackhole-accepted', 'ip': ip})
        self._accept_loop(ip, port, 64, 'blackhole-{}'.format(ip), hold)

    def tap(self, ip, port, label):
        """Hostile mode: accept TCP connections on IP:PORT and log each one (with the request line,
        if one comes within a second), so a test can prove nothing ever connected there."""
        def watch(conn):
            first = b''
            try:
                conn.settimeout(1)
                first = conn.recv(256)
            except OSError:
                pass
            finally:
                conn.close()
            line = first.split(b'\r\n', 1)[0].decode('latin-1')
            words = line.split(' ')
            self.log.write({'time': round(time.time(), 3), 'event': 'tap-connection', 'label': label,
                            'ip': ip, 'port': port,
                            # the request line's method and path only; TLS shows up as 'tls'
                            'request': ' '.join(words[:2]) if line[:1].isalpha() else ('tls' if first else '')})
        self._accept_loop(ip, port, 16, 'tap-{}-{}'.format(ip, port), watch)

    def stop(self):
        self._stop.set()
        for server in self.servers:
            server.shutdown()
            server.server_close()
        for s in self.holes + self._held:
            try:
                s.close()
            except OSError:
                pass
