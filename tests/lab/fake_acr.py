# acrhealth (MIT licence). The lab's fake ACR data plane: /v2/, token endpoints, image store, blobs.
"""The registry data plane of the lab's fake Azure: the image store every fake registry serves,
ACR's error bodies, and `AcrMixin`, the login-server and data-host requests of
`fakeazure.Handler` (/v2/, pulls and blob redirects, /oauth2/exchange and /oauth2/token, with
their hostile-mode faults)."""
import base64
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from urllib.parse import quote

from . import scenarios as S

REFRESH_TOKEN_LIFETIME = 11700   # ACR's, as recorded (exp - iat of a real refresh token)
ACCESS_TOKEN_LIFETIME = 4500     # ACR's, as recorded
ACR_ISSUER = 'Azure Container Registry'


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
    """Manifests by tag and digest, blobs by digest (deterministic across lab starts); the
    Docker-Content-Digest a tag is served with when it is not its manifest's digest; how the login
    server answers a blob GET when it is not a redirect to the blob (by the blob's digest)."""

    def __init__(self):
        self.blobs, self.manifests, self.tags = {}, {}, {}
        self.digest_headers, self.blob_redirects = {}, {}
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
        self._untrusted(docker_v2, manifest, platforms, oci_index)

    def _untrusted(self, docker_v2, manifest, platforms, oci_index):
        """Images whose registry says one thing and serves another (issue 16). Real shapes as
        above (Docker Image Manifest V2 Schema 2, OCI image index, OCI image-spec config); each
        comment says what is wrong. None was seen from a real registry: they are made up."""
        v2_config, v2_layer = ('application/vnd.docker.container.image.v1+json',
                               'application/vnd.docker.image.rootfs.diff.tar.gzip')

        def config(label):  # a config of its own (image-spec config.Labels), so a digest of its own
            body = _compact({'architecture': 'amd64', 'os': 'linux',
                             'config': {'Cmd': ['/hello'], 'Labels': {'lab.acrhealth.case': label}},
                             'rootfs': {'type': 'layers', 'diff_ids': []}})
            self.blobs[_digest(body)] = body
            return {'size': len(body), 'digest': _digest(body)}

        # bigconfig: the config blob is served as the pushed bytes followed by 2 MiB of whitespace
        # (still JSON): larger than its manifest declares, though its first declared bytes hash right.
        conf = config('bigconfig')
        self.tags['bigconfig'] = manifest(docker_v2, v2_config, v2_layer, conf)
        self.blobs[conf['digest']] += b' ' * (2 * 1024 * 1024)
        # wrongdigest: served with the Docker-Content-Digest (and ETag) of other bytes: latest's.
        self.tags['wrongdigest'] = manifest(docker_v2, v2_config, v2_layer, config('wrongdigest'))
        self.digest_headers['wrongdigest'] = _digest(self.tags['latest'])
        # badplatform: an OCI index whose first entry's platform is a string, not an object.
        index = _compact({'schemaVersion': 2, 'mediaType': oci_index, 'manifests': [
            dict(platforms[0], platform='linux/arm64'), platforms[1]]})
        self.manifests[_digest(index)] = (oci_index, index)
        self.tags['badplatform'] = index
        # nolocation, badhost: the login server answers the config blob's GET with a 307 without
        # Location, or with a Location whose host is no host name (S.BAD_LOCATION).
        for tag in ('nolocation', 'badhost'):
            conf = config(tag)
            self.tags[tag] = manifest(docker_v2, v2_config, v2_layer, conf)
            self.blob_redirects[conf['digest']] = tag

    def manifest(self, reference):
        """(media type, body, Docker-Content-Digest) of a tag or digest, or None."""
        if reference in self.tags:
            media, body = self.manifests[_digest(self.tags[reference])]
        elif reference in self.manifests:
            media, body = self.manifests[reference]
        else:
            return None
        return media, body, self.digest_headers.get(reference) or _digest(body)


IMAGES = ImageStore()


def _acr_errors(code, message, detail=None):  # {"errors": [...]}: OCI distribution spec, as ACR sends it
    return {'errors': [{'code': code, 'message': message, 'detail': detail}]}


# Real ACR's /v2/ answer (test_acr_check_health.yaml; Azure/acr docs/AAD-OAuth.md): 401 with
# `WWW-Authenticate: Bearer realm="https://<login server>/oauth2/token",service="<login server>"` and this body.
_UNAUTHORIZED = _acr_errors('UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for '
                                            'more information.')


# How far ahead of the lab's clock a registry's own clock runs (its Date headers).
CLOCK_AHEAD_SECONDS = 3600


class AcrMixin:
    """ACR (login server and data host) requests of `fakeazure.Handler`."""

    def date_time_string(self, timestamp=None):
        """The Date header of every answer (BaseHTTPRequestHandler's), from a registry whose
        clock is an hour ahead for ``clock-ahead`` (real ACR sends its own time in it)."""
        host = getattr(self, 'host', '') or ''
        sc = self.server.lab.registries.get(host[:-len(S.ACR_SUFFIX)]) if host.endswith(
            S.ACR_SUFFIX) else None
        if timestamp is None and sc is not None and sc.behaviour == 'clock-ahead':
            timestamp = time.time() + CLOCK_AHEAD_SECONDS
        return super().date_time_string(timestamp)

    # -- ACR data plane ---------------------------------------------------------------------
    def _acr(self, method):
        lab = self.server.lab
        name = self.host[:-len(S.ACR_SUFFIX)]
        if name.endswith('.geo'):  # a regional endpoint, <registry>.<region>.geo.<suffix>: its registry
            name = name.split('.', 1)[0]
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
            if reference == S.IMAGE_ESCAPES.split(':', 1)[1]:
                # Hostile: the OCI error body with a code that clears the screen and forges a line.
                return self._json(404, _acr_errors('MANIFEST_UNKNOWN' + S.HOSTILE_TEXT, 'manifest tagged by '
                                                   '"{}" is not found'.format(reference), {'Tag': reference}), hdr)
            if found is None:
                # OCI distribution spec's MANIFEST_UNKNOWN, in ACR's words.
                return self._json(404, _acr_errors('MANIFEST_UNKNOWN', 'manifest tagged by "{}" is not found'.format(
                    reference), {'Tag': reference}), hdr)
            media, body, digest = found
            return self._send(200, body, ctype=media, headers=hdr + [
                ('Docker-Content-Digest', digest), ('ETag', '"{}"'.format(digest))])
        if reference not in IMAGES.blobs:
            return self._json(404, _acr_errors('BLOB_UNKNOWN', 'blob unknown to registry', reference), hdr)
        behaviour = IMAGES.blob_redirects.get(reference)
        if behaviour == 'nolocation':  # ACR's 307 and its HTML body, without the Location
            return self._send(307, b'<a href="">Temporary Redirect</a>.\n\n', ctype='text/html; charset=utf-8',
                              headers=hdr)
        target = S.BAD_LOCATION if behaviour == 'badhost' else self._signed_blob_url(reference)
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
        if sc.behaviour == 'exchange-network-denied':
            # ACR's documented firewall error (container-registry-troubleshoot-access), at the exchange
            # as in MicrosoftDocs azure-docs#85239 (public access disabled, a client from a public IP).
            return self._json(403, _acr_errors('DENIED', "client with IP '{}' is not allowed access. Refer "
                                               'https://aka.ms/acr/firewall to grant access.'.format(
                                                   S.PUBLIC_CLIENT_IP)), hdr)
        if sc.behaviour == 'exchange-denied-escapes':  # hostile: the same error, its text forged
            return self._json(403, _acr_errors('DENIED', "client with IP '{}' is not allowed access.{} Refer "
                                               'https://aka.ms/acr/firewall to grant access.'.format(
                                                   S.PUBLIC_CLIENT_IP,
                                                   S.HOSTILE_TEXT + S.RUNNER_COMMANDS)), hdr)

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
