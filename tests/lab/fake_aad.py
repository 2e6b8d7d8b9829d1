# acrhealth (MIT licence). The lab's fake AAD: the token endpoint, OpenID configuration and signing keys.
"""The AAD side of the lab's fake Azure (a mixin of `fakeazure.Handler`): client-credential tokens
for the ARM and ACR audiences, the tenant's OpenID configuration and its JWKS, AAD's error bodies."""
import base64
import time
import uuid

from . import scenarios as S

TOKEN_LIFETIME = 3600


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


class AadMixin:
    """AAD (login host) requests of `fakeazure.Handler`."""

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
