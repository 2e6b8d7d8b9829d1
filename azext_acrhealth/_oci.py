# acrhealth (MIT licence). The registry's image documents, read as untrusted input.
"""What ``--image`` reads from a registry: manifests and indexes (OCI image-spec; Docker Image
Manifest V2 Schema 2 and its manifest list), their descriptors and digests, and the redirect of
a blob (OCI distribution spec). Every byte is the server's word. A field is used only when it
has the type Docker's decoder gives it; a document that Docker could not decode is told in plain
words (why it cannot be read), never raised."""

import hashlib
import json
import re
from urllib.parse import urljoin, urlsplit

from ._text import bounded
from ._urls import is_host_name

# Digests of the two algorithms the OCI image-spec (descriptor.md, Digests) names, sha256 and
# sha512, each with its encoding in lower-case hex (ACR writes sha256).
_DIGEST = re.compile(r'sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128}')
MAX_SIZE = 2 ** 63 - 1   # a descriptor's size is an int64
REDIRECTS = (301, 302, 303, 307, 308)
INDEX_TYPES = ('application/vnd.oci.image.index.v1+json',
               'application/vnd.docker.distribution.manifest.list.v2+json')
PLATFORM = {'os': 'linux', 'architecture': 'amd64'}
# Fields of an index entry's platform that Docker decodes as strings.
_PLATFORM_STRINGS = ('os', 'architecture', 'variant', 'os.version')


def is_digest(value):
    """Whether ``value`` is a digest of a registered algorithm (``sha256:<64 hex>``...)."""
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def digest_of(body, algorithm='sha256'):
    return f'{algorithm}:{hashlib.new(algorithm, body).hexdigest()}'


def digest_matches(digest, body):
    """Whether ``body`` is the content ``digest`` names."""
    return is_digest(digest) and digest_of(body, digest.partition(':')[0]) == digest


def manifest_digest(reference, body, header):
    """``(served, named)``: the digest of a manifest's bytes, and the digest that names them
    when they do not match it (else None). Pulled by digest, the reference names them; by tag,
    the registry's Docker-Content-Digest header (when it sends one). The bytes are hashed with
    the algorithm of the name when it is sha512, else with sha256."""
    named = reference if is_digest(reference) else header.strip()
    served = digest_of(body, 'sha512' if named.startswith('sha512:') else 'sha256')
    return served, (bounded(named, 140) if named and named != served else None)


def json_object(body):
    """``(document, problem)``: the JSON object in ``body`` (bytes or text), or why there is
    none. Any input: "[[[[..." past the recursion limit is not JSON either."""
    try:
        document = json.loads(body.decode('utf-8') if isinstance(body, bytes) else body)
    except (ValueError, UnicodeError, RecursionError):
        return None, 'it is not JSON'
    if not isinstance(document, dict):
        return None, 'it is not a JSON object'
    return document, None


def registry_error(body):
    """``{registryError, registryMessage}`` of the registry's error body (``{"errors": [{"code",
    "message"}]}``, the OCI distribution spec's, as ACR sends it), bounded; {} without one."""
    document, _ = json_object(body)
    errors = document.get('errors') if document else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return {}
    found = {'registryError': bounded(first.get('code'), 60),
             'registryMessage': bounded(first.get('message'), 300)}
    return {key: value for key, value in found.items() if value and value.strip()}


def error_code(body):
    """The registry's error code (:func:`registry_error`), or None."""
    return registry_error(body).get('registryError')


def read_manifest(body, content_type):
    """``(document, media type, problem)`` of a manifest's bytes: a JSON object whose
    ``mediaType`` (else the Content-Type it was served with) says what it is."""
    document, problem = json_object(body)
    if problem:
        return None, None, problem
    media = document.get('mediaType')
    if media is not None and not isinstance(media, str):
        return None, None, 'its mediaType is not a string'
    return document, bounded(media or content_type.split(';')[0].strip(), 100), None


def _is_int64(value):
    return isinstance(value, int) and not isinstance(value, bool) and \
        -MAX_SIZE - 1 <= value <= MAX_SIZE


def _entry_problem(entry):  # pylint: disable=too-many-return-statements  # one return per problem
    """Why an index entry does not decode as Docker decodes a descriptor, or None."""
    if not isinstance(entry, dict):
        return 'is not an object'
    for key in ('mediaType', 'digest'):
        if entry.get(key) is not None and not isinstance(entry[key], str):
            return f'has a {key} that is not a string'
    if entry.get('size') is not None and not _is_int64(entry['size']):
        return 'has a size that is not a whole number'
    platform = entry.get('platform')
    if platform is None:
        return None
    if not isinstance(platform, dict):
        return 'has a platform that is not an object'
    for key in _PLATFORM_STRINGS:
        if platform.get(key) is not None and not isinstance(platform[key], str):
            return f'has a platform {key} that is not a string'
    return None


def index_problem(index):
    """Why an index does not decode as Docker decodes one, or None: its ``manifests`` must be a
    list of descriptors, each field of the type the image-spec gives it."""
    manifests = index.get('manifests')
    if manifests is None:
        return None
    if not isinstance(manifests, list):
        return 'its list of manifests is not a list'
    for number, entry in enumerate(manifests, 1):
        problem = _entry_problem(entry)
        if problem:
            return f'entry {number} of its index {problem}'
    return None


def descriptor_problem(descriptor):  # pylint: disable=too-many-return-statements  # one return per problem
    """Why a descriptor (a manifest's config, the index entry chosen) cannot be fetched and
    checked, or None: it names its content by a digest of a registered algorithm and declares
    its size (OCI image-spec, descriptor: both REQUIRED)."""
    if not isinstance(descriptor, dict):
        return 'is not an object'
    if descriptor.get('mediaType') is not None and not isinstance(descriptor['mediaType'], str):
        return 'has a mediaType that is not a string'
    if not is_digest(descriptor.get('digest')):
        return 'names no valid digest (sha256:<64 hex digits> or sha512:<128 hex digits>)'
    size = descriptor.get('size')
    if size is None:
        return 'declares no size'
    if not _is_int64(size):
        return 'declares a size that is not a whole number'
    if size < 0:
        return 'declares a negative size'
    return None


def pick_platform(manifests):
    """The linux/amd64 entry of an index's ``manifests``, else the first usable one."""
    entries = [m for m in manifests if isinstance(m, dict) and isinstance(m.get('digest'), str)] \
        if isinstance(manifests, list) else []
    for entry in entries:
        platform = entry.get('platform')
        if isinstance(platform, dict) and \
                all(platform.get(key) == value for key, value in PLATFORM.items()):
            return entry
    return entries[0] if entries else None


def platform_text(entry):
    """``os/architecture`` of an index entry, its strings only (``?`` for any other value)."""
    platform = entry.get('platform') if isinstance(entry, dict) else None
    platform = platform if isinstance(platform, dict) else {}
    return bounded('/'.join(bounded(platform.get(key), 40) or '?'
                            for key in ('os', 'architecture')), 40)


def redirect_target(url, location):
    """``(target, problem)`` of a redirect of ``url`` to ``location`` (its Location header; ''
    when there is none). ``problem``: 'missing', 'invalid' (not a URL with a host name or
    address: no client can follow it) or 'insecure' (not HTTPS); None when it may be followed."""
    location = location.strip()
    if not location:
        return None, 'missing'
    try:
        # An absolute URL is taken as it is ("https:///x" has no host: urljoin would lend it one).
        target = location if urlsplit(location).scheme else urljoin(url, location)
        parts = urlsplit(target)
        _ = parts.port  # a port that is not a number, or out of range, raises
    except ValueError:
        return location, 'invalid'
    if parts.scheme != 'https':
        return target, 'insecure'
    return target, None if is_host_name(parts.hostname) else 'invalid'
