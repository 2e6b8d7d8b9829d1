# acrhealth (MIT licence). The pull path: an image pulled without Docker, through the redirect.
"""``image-pull`` (``--image``) pulls a manifest and its config blob as Docker does, following
the registry's redirect to its data host without the registry's token (the endpoints check,
in ``endpoints``, probes every host the registry's ARM resource names)."""

import time
from urllib.parse import urlsplit

from .. import _oci as oci
from .. import catalogue
from ..catalogue import Finding  # step states: _probe's, the same words
from .._text import as_text
from .base import Check, CheckResult, login_server
from .._oci import pick_platform
from .._urls import shown_url
from .._oauth import OK, THROTTLED, UNREACHABLE, request_token
from .endpoints import ROLE_REDIRECT, endpoint_entry, endpoints_plan, region_of
from .._azure import DnsError, address_kind
from .._http import HttpError, header_value
from .._probe import FAILED, PASSED, SKIPPED

MAX_REDIRECTS = 3
MAX_MANIFEST = 4 * 1024 * 1024
MAX_BLOB = 1024 * 1024
# What Docker and the Azure CLI accept for a manifest (recorded in test_acr_check_health.yaml).
MANIFEST_TYPES = ('application/vnd.oci.image.manifest.v1+json',
                  'application/vnd.oci.image.index.v1+json',
                  'application/vnd.docker.distribution.manifest.v2+json',
                  'application/vnd.docker.distribution.manifest.list.v2+json')


# ---- image pull ------------------------------------------------------------------------------

class _Pull:
    """One pull of ``--image``: a token, the manifest (through an index), the config blob. What
    the servers send is untrusted: documents are checked field by field (``oci``), sizes and
    digests against the bytes, redirects before they are followed."""

    def __init__(self, ctx, results):
        self.ctx = ctx
        self.host = login_server(results)
        self.challenge = results['challenge'].data
        self.refresh_token = results['refresh-token'].data
        image = ctx.options.image
        self.repository, self.reference = image.repository, image.reference
        self.facts = {'image': image.text, 'loginServer': self.host}

    def result(self, finding, **facts):
        return CheckResult(finding, dict(self.facts, **facts))

    def unreadable(self, problem, url=None):
        return self.result('image.unreadable', url=url, problem=problem)

    def run(self):
        token, failure = self.token()
        if failure:
            return failure
        auth = {'Authorization': f"Bearer {token}"}
        manifest, failure = self.manifest(auth)
        if failure:
            return failure
        return self.config_blob(auth, manifest['config'])

    def token(self):
        scope = f'repository:{self.repository}:pull'
        url = f'https://{self.host}/oauth2/token'
        form = {'grant_type': 'refresh_token', 'service': self.challenge['service'],
                'scope': scope, 'refresh_token': self.refresh_token}
        # The access token check's call (one Retry-After retry, the answer read as it reads it),
        # with the image's findings.
        answer = request_token(self.ctx, url, form, 'access_token', {'url': url, 'scope': scope})
        if answer.outcome == OK:
            return answer.value, None
        finding = {UNREACHABLE: 'image.token_unreachable', THROTTLED: 'image.throttled'}.get(
            answer.outcome, 'image.token_denied')
        return None, self.result(finding, **answer.facts)

    def fetch_manifest(self, auth, reference):  # pylint: disable=too-many-return-statements  # a check: one return per finding
        """GET one manifest: ``(response, url, failure)``."""
        url = f'https://{self.host}/v2/{self.repository}/manifests/{reference}'
        started = time.monotonic()
        try:
            response = self.ctx.http.request('GET', url, headers=dict(
                auth, Accept=', '.join(MANIFEST_TYPES)), max_body=MAX_MANIFEST)
        except HttpError as ex:
            return None, url, self.result('image.manifest_unreachable', url=url, error=ex.detail)
        self.facts['manifestMs'] = self.facts.get('manifestMs', 0) + int(
            (time.monotonic() - started) * 1000)
        if response.status in (401, 403):
            return None, url, self.result('image.denied', url=url, statusCode=response.status,
                                          registryError=oci.error_code(response.body))
        if response.status == 404:
            return None, url, self.result('image.manifest_unknown', url=url,
                                          registryError=oci.error_code(response.body))
        if response.status != 200:
            return None, url, self.result('image.manifest_failed', url=url,
                                          statusCode=response.status)
        if response.truncated:
            return None, url, self.unreadable('the manifest is larger than 4 MiB', url)
        return response, url, None

    def get_manifest(self, auth, reference, declared=None):
        """``(document, failure)`` of one manifest, its bytes checked against the size its index
        entry declares (``declared``) and against the digest that names them."""
        response, url, failure = self.fetch_manifest(auth, reference)
        if failure:
            return None, failure
        if declared is not None and len(response.body) != declared:
            return None, self.result('image.size_mismatch', what='manifest', declaredBy='index',
                                     host=self.host, size=declared, received=len(response.body))
        served, named = oci.manifest_digest(reference, response.body, header_value(
            response.headers, 'Docker-Content-Digest'))
        if named:
            return None, self.result('image.digest_mismatch', url=url, what='manifest',
                                     digest=named, served=served, namedBy='reference' if (
                                         named == reference) else 'header')
        self.facts['manifestDigest'] = served
        document, media, problem = oci.read_manifest(
            response.body, header_value(response.headers, 'Content-Type'))
        if problem:
            return None, self.unreadable(problem, url)
        self.facts['mediaType'] = media
        return document, None

    def manifest(self, auth):
        manifest, failure = self.get_manifest(auth, self.reference)
        if failure:
            return None, failure
        if self.facts['mediaType'] in oci.INDEX_TYPES:
            manifest, failure = self.through_index(auth, manifest)
            if failure:
                return None, failure
        config = manifest.get('config')
        if config is None:
            return None, self.unreadable('the manifest names no config blob')
        problem = oci.descriptor_problem(config)
        if problem:
            return None, self.unreadable(f'its config descriptor {problem}')
        return manifest, None

    def through_index(self, auth, index):
        """The manifest an index names for linux/amd64 (else its first), as Docker picks it."""
        problem = oci.index_problem(index)
        if problem:
            return None, self.unreadable(problem)
        chosen = pick_platform(index.get('manifests'))
        if chosen is None:
            return None, self.unreadable('its index lists no manifest')
        self.facts['platform'] = oci.platform_text(chosen)
        problem = oci.descriptor_problem(chosen)
        if problem:
            return None, self.unreadable(
                f"its index entry for {self.facts['platform']} {problem}")
        return self.get_manifest(auth, chosen['digest'], declared=chosen['size'])

    def config_blob(self, auth, config):
        """The config blob, read up to the size its manifest declares (the first MiB of a
        larger one) and one byte more, so a larger answer shows; verified when it is whole."""
        digest, size = config['digest'], config['size']
        self.facts.update(configDigest=digest, configSize=size)
        started = time.monotonic()
        fetched, failure = self.fetch_blob(auth, digest, min(size, MAX_BLOB) + 1)
        if failure:
            return failure
        response, host, url, redirects = fetched
        on_login_server = host == self.host.lower()
        if response.status == 403 and not on_login_server:
            return self.data_host_failure('image.data_forbidden', host, 'answered 403',
                                          redirects, (PASSED, PASSED), statusCode=403)
        if response.status != 200:
            return self.result('image.blob_failed', url=shown_url(url), host=host,
                               statusCode=response.status)
        body, whole = response.body, not response.truncated
        self.facts.update(blobHost=host, redirects=redirects,
                          blobMs=int((time.monotonic() - started) * 1000), verified=whole)
        # Cut short, it is larger than declared, unless it is the first MiB of a larger blob.
        larger = len(body) > size or not whole and (size <= MAX_BLOB or len(body) >= size)
        if larger or (whole and len(body) < size):
            return self.result('image.size_mismatch', what='config blob', declaredBy='manifest',
                               host=host, size=size, received=None if larger else len(body))
        if whole and not oci.digest_matches(digest, body):
            return self.result('image.digest_mismatch', url=shown_url(url), what='config blob',
                               digest=digest, served=oci.digest_of(body, digest.split(':')[0]))
        if not on_login_server:
            self.facts['endpoints'] = [self.redirect_entry(host, None, (PASSED, PASSED))]
        return self.result('image.pulled')

    def fetch_blob(self, auth, digest, max_body):
        """GET the config blob, following the registry's redirects (at most 3) as Docker does:
        ``((response, host, url, redirects), failure)``. The registry's token goes to the
        login server only; a redirect carries its own authorisation."""
        url = f'https://{self.host}/v2/{self.repository}/blobs/{digest}'
        headers, redirects = auth, []
        for hop in range(MAX_REDIRECTS + 1):
            host = (urlsplit(url).hostname or '').lower()
            try:
                response = self.ctx.http.request('GET', url, headers=headers, max_body=max_body)
            except HttpError as ex:
                return None, self.blob_unreachable(url, host, ex, redirects)
            if response.status not in oci.REDIRECTS:
                return (response, host, url, redirects), None
            target, failure = self.redirect_target(url, host, response)
            if failure:
                return None, failure
            if hop == MAX_REDIRECTS:
                break
            target_host = urlsplit(target).hostname.lower()
            redirects.append(target_host)
            if target_host != host:
                headers = {}
            url = target
        return None, self.result('image.too_many_redirects', redirects=redirects)

    def redirect_target(self, url, host, response):
        """Where a redirect of the blob leads, or why it is not followed."""
        location = header_value(response.headers, 'Location')
        target, problem = oci.redirect_target(url, location)
        if problem == 'insecure':
            return None, self.result('image.redirect_refused', host=host, target=shown_url(target))
        if problem:
            return None, self.result('image.redirect_broken', host=host, statusCode=response.status,
                                     location=None if problem == 'missing' else shown_url(target))
        return target, None

    def blob_unreachable(self, url, host, ex, redirects):
        """No answer for the blob: from the login server, or from a data host (whose TCP/TLS
        step the error tells)."""
        if host == self.host.lower():
            return self.result('image.blob_unreachable', url=shown_url(url), error=ex.detail)
        # A refused certificate shows the handshake failed; otherwise TCP did not connect
        # or the answer never came (the TCP/TLS split is the endpoints check's to tell).
        steps = (PASSED, FAILED) if ex.kind == 'ssl' else (FAILED, SKIPPED) \
            if ex.kind == 'connection' else (SKIPPED, FAILED)
        return self.data_host_failure('image.data_unreachable', host, ex.detail, redirects,
                                      steps)

    def redirect_entry(self, host, error, steps):
        """The data host as an ``endpoints`` entry: its addresses, and TCP/TLS as the blob
        request found them (``steps``)."""
        entry = endpoint_entry(host, ROLE_REDIRECT, region_of(host))
        try:
            entry['addresses'] = self.ctx.resolve(host, self.ctx.timeout)
            entry['private'] = 'public' not in {address_kind(a) for a in entry['addresses']}
            entry['dns'] = PASSED
        except DnsError as ex:
            entry['dns'], error = FAILED, error or f'the name did not resolve ({ex})'
        if entry['dns'] == PASSED:
            entry['tcp'], entry['tls'] = steps
        entry['error'] = error
        entry['durationMs'] = self.facts.get('blobMs')
        return entry

    def data_host_failure(self, finding, host, error, redirects, steps, **facts):  # pylint: disable=too-many-arguments
        entry = self.redirect_entry(host, error, steps)
        return self.result(finding, host=host, error=error, redirects=redirects,
                           endpoints=[entry], **facts)


def check_image(ctx, results):
    return _Pull(ctx, results).run()


def pullpath_plan(with_image):
    """The pull-path checks, in plan order: every endpoint, then the image."""
    plan = endpoints_plan()
    if with_image:
        # The token (with a Retry-After wait and one retry), an index and a manifest, the
        # blob and up to three redirects, and the data host's addresses.
        plan.append(Check('image-pull', 'Image pull', 'IMAGE_PULL_ERROR', check_image,
                          requires=('refresh-token', 'challenge', 'login-server'), budget=10))
    return plan


def _mismatch(facts):
    """A manifest or config blob whose bytes are not the content its digest names."""
    named = (f"the digest the registry names for it ({as_text(facts.get('digest'))}, its "
             'Docker-Content-Digest header)') if facts.get('namedBy') == 'header' else \
        f"its digest {as_text(facts.get('digest'))}"
    served = f": its bytes hash to {facts['served']}" if facts.get('served') else ''
    return f"The {as_text(facts.get('what'))} of {as_text(facts.get('image'))} does not match " \
        f'{named}{served}.'


def _size_mismatch(facts):
    """A manifest or config blob served with another size than its descriptor declares."""
    received = facts.get('received')
    served = f'is {received} bytes long, not' if isinstance(received, int) else 'is larger than'
    return f"The {as_text(facts.get('what'))} of {as_text(facts.get('image'))} served by " \
        f"{as_text(facts.get('host'))} {served} the {as_text(facts.get('size'))} bytes its " \
        f"{as_text(facts.get('declaredBy'))} declares."


# ---- findings: what the checks above conclude (catalogue.render writes their text) ----------

FINDINGS = catalogue.findings({
    # Image pull (--image).
    'image.pulled': Finding(
        PASSED, None, lambda f: f"Pulled the manifest of {f.get('image')} and its config blob "
        f"{f.get('configDigest')} from {f.get('blobHost')}" + (
            '.' if f.get('verified') else
            f" (its first MiB of {as_text(f.get('configSize'))} bytes: digest not checked).")),
    'image.token_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached for a pull token: {error}.'),
    'image.token_denied': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} gave no token for {scope} (it answered {statusCode}).',
        'image-denied'),
    'image.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', '{url} answered 429 Too Many Requests.'),
    'image.manifest_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached: {error}.'),
    'image.denied': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'Pulling {image} is denied: {url} answered {statusCode} '
                                    '({registryError}).', 'image-denied'),
    'image.manifest_unknown': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The registry has no manifest for {image}: {url} answered 404 '
                                    '({registryError}).', 'image-unknown'),
    'image.manifest_failed': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} answered {statusCode} for the manifest of {image}.'),
    'image.unreadable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The manifest of {image} cannot be read: {problem}.'),
    'image.digest_mismatch': Finding(FAILED, 'IMAGE_PULL_ERROR', _mismatch, 'image-mismatch'),
    'image.size_mismatch': Finding(FAILED, 'IMAGE_PULL_ERROR', _size_mismatch, 'image-mismatch'),
    'image.blob_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached: {error}.'),
    'image.blob_failed': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{host} answered {statusCode} for the config blob of {image}.'),
    'image.redirect_refused': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{host} redirects the config blob of {image} to {target}, '
                                    'which is not HTTPS: not followed.'),
    'image.redirect_broken': Finding(
        FAILED, 'IMAGE_PULL_ERROR', lambda f: f"{as_text(f.get('host'))} answered "
        f"{as_text(f.get('statusCode'))} for the config blob of {as_text(f.get('image'))} " + (
            f"with a Location that names no valid host ({f['location']}): not followed."
            if f.get('location') else 'without a Location header.'), 'image-redirect'),
    'image.too_many_redirects': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The config blob of {image} is redirected more than 3 times '
                                    '({redirects}).'),
    'image.data_unreachable': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
        'The layers of {image} come from {host}, which cannot be reached from here: {error}.'),
    'image.data_forbidden': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
        'The layers of {image} come from {host}, which refuses this client (403): a firewall of '
        'the storage behind the registry.'),
})
