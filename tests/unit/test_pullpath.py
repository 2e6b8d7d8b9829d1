# acrhealth (MIT licence). The pull path: --image pulled without Docker (endpoints: test_endpoints).
import hashlib
import json

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from azext_acrhealth import catalogue
from azext_acrhealth._http import HttpError
from azext_acrhealth.checks.pullpath import pick_platform

from .connectivity_fakes import (LOGIN, FakeHttp, FakeResolver, healthy_answers, make_ctx,
                                 rendered, response, run_through, with_data_endpoints)

DATA = 'myreg.westeurope.data.azurecr.io'
DATA2 = 'myreg.eastus.data.azurecr.io'


# ---- --image -----------------------------------------------------------------------------------

CONFIG = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'
CONFIG_DIGEST = 'sha256:' + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = json.dumps({
    'schemaVersion': 2, 'mediaType': 'application/vnd.docker.distribution.manifest.v2+json',
    'config': {'mediaType': 'application/vnd.docker.container.image.v1+json',
               'size': len(CONFIG), 'digest': CONFIG_DIGEST},
    'layers': []}).encode()
MANIFEST_DIGEST = 'sha256:' + hashlib.sha256(MANIFEST).hexdigest()
INDEX = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.index.v1+json',
                    'manifests': [
                        {'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                         'digest': 'sha256:' + 'a' * 64, 'size': 1,
                         'platform': {'os': 'linux', 'architecture': 'arm64'}},
                        {'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                         'digest': MANIFEST_DIGEST, 'size': len(MANIFEST),
                         'platform': {'os': 'linux', 'architecture': 'amd64'}}]}).encode()
INDEX_DIGEST = 'sha256:' + hashlib.sha256(INDEX).hexdigest()
SIGNED = 'https://{}/blob/{}?se=2026-12-05T07%3A00%3A00Z&sig=SIGNATURE-SECRET'.format(
    DATA, CONFIG_DIGEST)


def manifest_response(body=MANIFEST, media='application/vnd.docker.distribution.manifest.v2+json',
                      digest=MANIFEST_DIGEST):
    return response(200, body, headers={'Content-Type': media, 'Docker-Content-Digest': digest})


def redirect(location=SIGNED, status=307):
    return response(status, b'<a href="x">Temporary Redirect</a>.\n',
                    headers={'Location': location, 'Content-Type': 'text/html; charset=utf-8'})


def pull_answers(**extra):
    answers = healthy_answers()
    answers.update({
        '/v2/app/manifests/v1': manifest_response(),
        '/v2/app/blobs/' + CONFIG_DIGEST: redirect(),
        '{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(200, CONFIG),
    })
    answers.update(extra)
    return answers


def pull(answers, image='app:v1', resolver=None):
    from .connectivity_fakes import FakeHttp
    ctx = make_ctx(http=FakeHttp(answers), image=image, resolver=resolver or FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    result, _ = run_through(ctx, 'image-pull')
    return result, rendered('image-pull', result), ctx


def test_a_pull_follows_the_redirect_without_the_registry_token():
    result, entry, ctx = pull(pull_answers())
    assert entry['status'] == 'passed', entry
    assert result.facts['blobHost'] == DATA and result.facts['verified'] is True
    assert result.facts['configDigest'] == CONFIG_DIGEST
    urls = ctx.http.urls()
    assert urls[-3:] == ['https://{}/v2/app/manifests/v1'.format(LOGIN),
                         'https://{}/v2/app/blobs/{}'.format(LOGIN, CONFIG_DIGEST), SIGNED]
    sent = dict(zip(urls, ctx.http.headers))
    assert sent['https://{}/v2/app/manifests/v1'.format(LOGIN)]['Authorization'].startswith(
        'Bearer ')
    assert 'Authorization' not in sent[SIGNED]  # the data host gets the signed URL only
    token_form = ctx.http.calls[-4][2]
    assert token_form['scope'] == 'repository:app:pull'
    (redirect_entry,) = result.facts['endpoints']
    assert (redirect_entry['host'], redirect_entry['role']) == (DATA, 'redirect')
    assert DATA in entry['message']
    assert 'SIGNATURE-SECRET' not in json.dumps(result.facts) + entry['message']


def test_an_index_is_followed_to_the_linux_amd64_manifest():
    answers = pull_answers(**{
        '/v2/app/manifests/v1': manifest_response(INDEX, 'application/vnd.oci.image.index.v1+json',
                                                  INDEX_DIGEST),
        '/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response()})
    result, entry, _ = pull(answers)
    assert entry['status'] == 'passed', entry
    assert result.facts['platform'] == 'linux/amd64'


def test_a_pull_by_digest_checks_the_manifest_digest():
    answers = pull_answers(**{'/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response()})
    result, entry, _ = pull(answers, image='app@' + MANIFEST_DIGEST)
    assert entry['status'] == 'passed', entry
    wrong = 'sha256:' + 'c' * 64
    answers = pull_answers(**{'/v2/app/manifests/' + wrong: manifest_response()})
    result, entry, _ = pull(answers, image='app@' + wrong)
    assert (entry['code'], result.facts['what']) == ('IMAGE_PULL_ERROR', 'manifest')


def test_a_missing_tag_names_the_registry_error():
    answers = pull_answers(**{'/v2/app/manifests/v1': response(404, json.dumps({'errors': [{
        'code': 'MANIFEST_UNKNOWN', 'message': 'manifest tagged by "v1" is not found',
        'detail': {'Tag': 'v1'}}]}).encode())})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR'
    assert 'MANIFEST_UNKNOWN' in entry['message'] and 'app:v1' in entry['message']


def test_a_config_blob_that_does_not_match_its_digest():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(200, b'{}')})
    result, entry, _ = pull(answers)
    assert (entry['code'], result.facts['what']) == ('IMAGE_PULL_ERROR', 'config blob')


def test_a_data_host_that_cannot_be_reached_is_a_data_endpoint_error():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): HttpError(
        'timeout', 'no complete answer within 5 s')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert DATA in entry['message']
    assert result.facts['endpoints'][0]['tls'] == 'failed'  # a timeout: no answer came


def test_a_refused_data_host_certificate_fails_its_tls_step():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): HttpError(
        'ssl', 'certificate verify failed: unable to get local issuer certificate')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    data = result.facts['endpoints'][0]
    assert (data['dns'], data['tcp'], data['tls']) == ('passed', 'passed', 'failed')


def test_a_storage_firewall_is_a_data_endpoint_error():
    answers = pull_answers(**{'{}/blob/{}'.format(DATA, CONFIG_DIGEST): response(
        403, b'<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthorizationFailure</Code>'
             b'<Message>This request is not authorized to perform this operation.</Message>'
             b'</Error>')})
    result, entry, _ = pull(answers)
    assert entry['code'] == 'CONNECTIVITY_DATA_ENDPOINT_ERROR'
    assert '403' in entry['message']


@pytest.mark.parametrize('location', ['http://{}/blob'.format(DATA), 'ftp://x/y'])
def test_a_redirect_that_is_not_https_is_not_followed(location):
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: redirect(location)})
    result, entry, ctx = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'not HTTPS' in entry['message']
    assert not [u for u in ctx.http.urls() if not u.startswith('https://')]


def test_at_most_three_redirects():
    loop = 'https://{}/blob/loop'.format(DATA)
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: redirect(loop),
                              '{}/blob/loop'.format(DATA): redirect(loop)})
    result, entry, ctx = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'more than 3' in entry['message']
    assert len([u for u in ctx.http.urls() if '/blob' in u]) == 4


def test_pull_denied():
    answers = pull_answers(**{'/v2/app/manifests/v1': response(401, json.dumps({'errors': [{
        'code': 'UNAUTHORIZED', 'message': 'authentication required', 'detail': [
            {'Type': 'repository', 'Name': 'app', 'Action': 'pull'}]}]}).encode())})
    _, entry, _ = pull(answers)
    assert entry['code'] == 'IMAGE_PULL_ERROR' and 'denied' in entry['message']


def test_pick_platform():
    linux = {'digest': 'sha256:1', 'platform': {'os': 'linux', 'architecture': 'amd64'}}
    arm = {'digest': 'sha256:2', 'platform': {'os': 'linux', 'architecture': 'arm64'}}
    assert pick_platform([arm, linux]) == linux
    assert pick_platform([arm]) == arm
    assert pick_platform([None, {'x': 1}]) is None


def test_the_report_lists_every_endpoint_and_the_table_shows_them():
    from azext_acrhealth import report
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.runner import run_plan
    from .connectivity_fakes import FakeHttp
    ctx = make_ctx(http=FakeHttp(pull_answers()), image='app:v1',
                   registries=with_data_endpoints(DATA),
                   resolver=FakeResolver({LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    outcomes = run_plan(build_plan(ctx), ctx)
    built = report.build_report(outcomes, ctx.environment_summary())
    assert [(e['host'], e['role']) for e in built['endpoints']] == [
        (LOGIN, 'loginServer'), (DATA, 'dataEndpoint'), (DATA, 'redirect')]
    rows = report.table_transformer(built, width=200)
    assert [r['Check'] for r in rows[-3:]] == ['Endpoint'] * 3
    assert [r['Message'].split(' (')[0] for r in rows[-3:]] == [LOGIN, DATA, DATA]
    assert rows[-2]['Message'] == (f'{DATA} (data endpoint; 20.62.129.1): DNS passed, '
                                   'TCP passed, TLS passed')


# ---- what the servers send is untrusted (issue 16) --------------------------------------------

BLOB = '{}/blob/{}'.format(DATA, CONFIG_DIGEST)
REPR_MARKS = ('Error(', "('", '<class', ' object at 0x', "{'", "['", '[1')


def plain_words(entry):
    """A message in plain words: no Python repr, no leftover of a server's structure."""
    assert not any(mark in entry['message'] for mark in REPR_MARKS), entry['message']
    return entry['message']


def with_config(**config):
    """A manifest whose config descriptor is CONFIG's with ``config`` over it (None: dropped)."""
    descriptor = {'mediaType': 'application/vnd.docker.container.image.v1+json',
                  'size': len(CONFIG), 'digest': CONFIG_DIGEST}
    descriptor.update(config)
    descriptor = {k: v for k, v in descriptor.items() if v is not None}
    body = json.dumps({'schemaVersion': 2, 'mediaType':
                       'application/vnd.docker.distribution.manifest.v2+json',
                       'config': descriptor, 'layers': []}).encode()
    return manifest_response(body, digest='sha256:' + hashlib.sha256(body).hexdigest())


def blob_calls(ctx):
    return [(url, limit) for (_, url, _), limit in zip(ctx.http.calls, ctx.http.max_bodies)
            if '/blob' in url]


# 1. The config blob: no more than its manifest declares, and exactly that.

def test_a_config_blob_larger_than_declared_fails_and_only_one_byte_more_is_read():
    # The pushed bytes followed by more: the first len(CONFIG) bytes still hash right.
    result, entry, ctx = pull(pull_answers(**{BLOB: response(200, CONFIG + b' ' * 4096)}))
    assert (entry['status'], entry['code']) == ('failed', 'IMAGE_PULL_ERROR'), entry
    assert result.finding == 'image.size_mismatch'
    assert plain_words(entry) == (
        'The config blob of app:v1 served by {} is larger than the {} bytes its manifest '
        'declares.'.format(DATA, len(CONFIG)))
    assert [limit for _, limit in blob_calls(ctx)] == [len(CONFIG) + 1] * 2
    assert entry['remediation'] == catalogue.VARIANTS['image-mismatch'].remediation


def test_a_config_blob_served_larger_than_a_mib_while_declared_small_fails():
    # The bug: read up to 1 MiB, cut short, then passed as "its first MiB: digest not checked".
    result, entry, _ = pull(pull_answers(**{BLOB: response(200, CONFIG + b' ' * (2 << 20))}))
    assert result.finding == 'image.size_mismatch' and result.facts['received'] is None
    assert 'not checked' not in entry['message']


def test_a_config_blob_smaller_than_declared_fails():
    result, entry, _ = pull(pull_answers(**{BLOB: response(200, CONFIG[:-1])}))
    assert result.finding == 'image.size_mismatch'
    assert plain_words(entry).endswith('is {} bytes long, not the {} bytes its manifest '
                                       'declares.'.format(len(CONFIG) - 1, len(CONFIG)))


def test_a_config_blob_of_the_declared_size_with_other_bytes_is_a_digest_mismatch():
    other = CONFIG.replace(b'amd64', b'arm64')
    result, entry, _ = pull(pull_answers(**{BLOB: response(200, other)}))
    assert (result.finding, result.facts['what']) == ('image.digest_mismatch', 'config blob')
    assert 'its bytes hash to sha256:' + hashlib.sha256(other).hexdigest() in entry['message']


def test_an_empty_config_blob_is_read_whole():
    empty = 'sha256:' + hashlib.sha256(b'').hexdigest()
    answers = pull_answers(**{'/v2/app/manifests/v1': with_config(size=0, digest=empty),
                              '/v2/app/blobs/' + empty: response(200, b'')})
    result, entry, ctx = pull(answers)
    assert entry['status'] == 'passed' and result.facts['verified'] is True, entry
    assert blob_calls(ctx) == [('https://{}/v2/app/blobs/{}'.format(LOGIN, empty), 1)]


MIB = 1 << 20


def big_config(size, served):
    """A manifest declaring a config of ``size`` bytes, and the blob answer of ``served`` bytes."""
    body = b'x' * served
    digest = 'sha256:' + hashlib.sha256(b'y' * size).hexdigest()
    return pull_answers(**{'/v2/app/manifests/v1': with_config(size=size, digest=digest),
                           '/v2/app/blobs/' + digest: response(200, body)})


def test_a_config_declared_over_a_mib_is_read_to_its_first_mib_unverified():
    result, entry, ctx = pull(big_config(3 * MIB, 3 * MIB))
    assert entry['status'] == 'passed', entry
    assert result.facts['verified'] is False
    assert entry['message'].endswith('(its first MiB of {} bytes: digest not checked).'.format(
        3 * MIB))
    assert [limit for _, limit in blob_calls(ctx)] == [MIB + 1]


@pytest.mark.parametrize('size, served, finding', [
    (3 * MIB, 100, 'image.size_mismatch'),          # whole, and smaller than declared
    (MIB + 1, MIB + 2, 'image.size_mismatch'),      # one byte more than a MiB and one: larger
    (MIB, MIB + 1, 'image.size_mismatch'),
    (MIB + 1, MIB + 1, 'image.digest_mismatch'),    # whole: its digest is checked
])
def test_sizes_around_the_mib(size, served, finding):
    result, _, _ = pull(big_config(size, served))
    assert result.finding == finding, result.facts


@pytest.mark.parametrize('config, problem', [
    ({'size': None}, 'its config descriptor declares no size'),
    ({'size': '80'}, 'its config descriptor declares a size that is not a whole number'),
    ({'size': True}, 'its config descriptor declares a size that is not a whole number'),
    ({'size': 80.0}, 'its config descriptor declares a size that is not a whole number'),
    ({'size': 2 ** 63}, 'its config descriptor declares a size that is not a whole number'),
    ({'size': -1}, 'its config descriptor declares a negative size'),
    ({'digest': None}, 'its config descriptor names no valid digest'),
    ({'digest': 42}, 'its config descriptor names no valid digest'),
    ({'digest': 'sha256:../../../v2/other/manifests/x'}, 'names no valid digest'),
    ({'digest': 'md5:' + 'a' * 32}, 'names no valid digest'),
    ({'digest': CONFIG_DIGEST.upper()}, 'names no valid digest'),
    ({'mediaType': ['application/json']}, 'its config descriptor has a mediaType that is not'),
])
def test_a_config_descriptor_of_the_wrong_shape_makes_the_manifest_unreadable(config, problem):
    result, entry, ctx = pull(pull_answers(**{'/v2/app/manifests/v1': with_config(**config)}))
    assert (result.finding, entry['code']) == ('image.unreadable', 'IMAGE_PULL_ERROR')
    assert plain_words(entry).startswith('The manifest of app:v1 cannot be read: ' + problem) or \
        problem in entry['message'], entry['message']
    assert not blob_calls(ctx)  # nothing fetched by a descriptor that cannot be trusted


@pytest.mark.parametrize('manifest, problem', [
    ({'schemaVersion': 2, 'config': 'sha256:abc'}, 'its config descriptor is not an object'),
    ({'schemaVersion': 2, 'layers': []}, 'the manifest names no config blob'),
    ({'schemaVersion': 2, 'mediaType': {'a': 1}}, 'its mediaType is not a string'),
])
def test_a_manifest_of_the_wrong_shape_is_unreadable(manifest, problem):
    body = json.dumps(manifest).encode()
    answers = pull_answers(**{'/v2/app/manifests/v1': manifest_response(
        body, digest='sha256:' + hashlib.sha256(body).hexdigest())})
    result, entry, _ = pull(answers)
    assert result.finding == 'image.unreadable'
    assert plain_words(entry) == 'The manifest of app:v1 cannot be read: {}.'.format(problem)


# 2. The manifest's digest is the digest of its bytes.

def test_pulled_by_tag_the_manifest_digest_is_that_of_its_bytes():
    result, entry, _ = pull(pull_answers())
    assert entry['status'] == 'passed' and result.facts['manifestDigest'] == MANIFEST_DIGEST
    # without the header too, and with its name in lower case
    for headers in ({'Content-Type': 'application/vnd.docker.distribution.manifest.v2+json'},
                    {'docker-content-digest': MANIFEST_DIGEST}):
        answers = pull_answers(**{'/v2/app/manifests/v1': response(200, MANIFEST,
                                                                   headers=headers)})
        result, entry, _ = pull(answers)
        assert entry['status'] == 'passed' and result.facts['manifestDigest'] == MANIFEST_DIGEST


@pytest.mark.parametrize('header', [
    'sha256:' + 'b' * 64, 'sha512:' + 'b' * 128, 'sha256:' + MANIFEST_DIGEST[7:].upper(),
    'not-a-digest', 'md5:' + hashlib.md5(MANIFEST).hexdigest()])
def test_a_docker_content_digest_header_that_disagrees_with_the_bytes_fails(header):
    result, entry, ctx = pull(pull_answers(**{'/v2/app/manifests/v1': manifest_response(
        digest=header)}))
    assert (result.finding, entry['code']) == ('image.digest_mismatch', 'IMAGE_PULL_ERROR')
    algorithm = 'sha512' if header.startswith('sha512:') else 'sha256'
    served = '{}:{}'.format(algorithm, hashlib.new(algorithm, MANIFEST).hexdigest())
    assert plain_words(entry) == (
        'The manifest of app:v1 does not match the digest the registry names for it ({}, its '
        'Docker-Content-Digest header): its bytes hash to {}.'.format(header, served))
    assert not blob_calls(ctx)


def test_a_sha512_header_is_checked_and_reported_with_its_algorithm():
    sha512 = 'sha512:' + hashlib.sha512(MANIFEST).hexdigest()
    result, entry, _ = pull(pull_answers(**{'/v2/app/manifests/v1': manifest_response(
        digest=sha512)}))
    assert entry['status'] == 'passed' and result.facts['manifestDigest'] == sha512


def test_pulled_by_digest_the_reference_names_the_bytes_not_the_header():
    answers = pull_answers(**{'/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response(
        digest='sha256:' + 'b' * 64)})
    result, entry, _ = pull(answers, image='app@' + MANIFEST_DIGEST)
    assert entry['status'] == 'passed' and result.facts['manifestDigest'] == MANIFEST_DIGEST
    wrong = 'sha256:' + 'c' * 64
    result, entry, _ = pull(pull_answers(**{'/v2/app/manifests/' + wrong: manifest_response()}),
                            image='app@' + wrong)
    assert plain_words(entry) == ('The manifest of app@{} does not match its digest {}: its '
                                  'bytes hash to {}.'.format(wrong, wrong, MANIFEST_DIGEST))


# 3. Every field of an index (and of an error body) is untrusted.

def index_answers(manifests, **index):
    body = json.dumps(dict({'schemaVersion': 2, 'mediaType':
                            'application/vnd.oci.image.index.v1+json',
                            'manifests': manifests}, **index)).encode()
    return pull_answers(**{
        '/v2/app/manifests/v1': manifest_response(body, 'application/vnd.oci.image.index.v1+json',
                                                  'sha256:' + hashlib.sha256(body).hexdigest()),
        '/v2/app/manifests/' + MANIFEST_DIGEST: manifest_response()})


def entry_for(platform=None, **fields):
    entry = {'mediaType': 'application/vnd.oci.image.manifest.v1+json',
             'digest': MANIFEST_DIGEST, 'size': len(MANIFEST)}
    if platform is not None:
        entry['platform'] = platform
    entry.update(fields)
    return entry


AMD64 = {'os': 'linux', 'architecture': 'amd64'}


def test_an_index_entry_whose_platform_is_a_string_is_unreadable_not_a_crash():
    # It was: AttributeError: 'str' object has no attribute 'get'.
    result, entry, _ = pull(index_answers([entry_for('linux/arm64'), entry_for(AMD64)]))
    assert (result.finding, entry['code']) == ('image.unreadable', 'IMAGE_PULL_ERROR')
    assert plain_words(entry) == ('The manifest of app:v1 cannot be read: entry 1 of its index '
                                  'has a platform that is not an object.')


@pytest.mark.parametrize('manifests, problem', [
    ('not a list', 'its list of manifests is not a list'),
    ({'0': entry_for(AMD64)}, 'its list of manifests is not a list'),
    (['sha256:' + 'a' * 64], 'entry 1 of its index is not an object'),
    ([entry_for(AMD64), None], 'entry 2 of its index is not an object'),
    ([entry_for({'os': 'linux', 'architecture': ['amd64']})],
     'entry 1 of its index has a platform architecture that is not a string'),
    ([entry_for({'os': 7, 'architecture': 'amd64'})],
     'entry 1 of its index has a platform os that is not a string'),
    ([entry_for(AMD64, mediaType=5)], 'entry 1 of its index has a mediaType that is not a string'),
    ([entry_for(AMD64, digest={'sha256': 'a'})], 'has a digest that is not a string'),
    ([entry_for(AMD64, size='12')], 'entry 1 of its index has a size that is not a whole number'),
    ([], 'its index lists no manifest'),
    ([entry_for(AMD64, digest='sha256:x')],
     'its index entry for linux/amd64 names no valid digest'),
    ([entry_for(AMD64, size=None)], 'its index entry for linux/amd64 declares no size'),
])
def test_an_index_of_the_wrong_shape_is_unreadable(manifests, problem):
    result, entry, ctx = pull(index_answers(manifests))
    assert result.finding == 'image.unreadable', result.facts
    assert problem in plain_words(entry)
    assert [url for url in ctx.http.urls() if '/manifests/' in url] == [
        'https://{}/v2/app/manifests/v1'.format(LOGIN)]  # nothing fetched it names


def test_an_index_with_a_media_type_that_is_not_a_string_is_unreadable():
    result, entry, _ = pull(index_answers([entry_for(AMD64)], mediaType=['index']))
    assert plain_words(entry).endswith('cannot be read: its mediaType is not a string.')


def test_a_manifest_of_another_size_than_its_index_entry_declares_fails():
    result, entry, _ = pull(index_answers([entry_for(AMD64, size=len(MANIFEST) + 1)]))
    assert result.finding == 'image.size_mismatch'
    assert plain_words(entry) == (
        'The manifest of app:v1 served by {} is {} bytes long, not the {} bytes its index '
        'declares.'.format(LOGIN, len(MANIFEST), len(MANIFEST) + 1))


def test_the_platform_fact_shows_bounded_strings_only():
    from azext_acrhealth._oci import platform_text
    result, entry, _ = pull(index_answers([entry_for({'os': 'linux' * 20, 'architecture': 'x'})]))
    assert entry['status'] == 'passed', entry
    assert isinstance(result.facts['platform'], str) and len(result.facts['platform']) <= 40
    assert platform_text({'platform': {'os': 5, 'architecture': ['amd64']}}) == '?/?'
    assert platform_text({'platform': 'linux/amd64'}) == '?/?'
    # kept as the server sent it (bounded): what shows it escapes it (_text.shown)
    assert platform_text({'platform': {'os': 'linux\n\x1b[31m', 'architecture': 'amd64'}}) == \
        'linux\n\x1b[31m/amd64'


@pytest.mark.parametrize('body', [
    b'{"errors": {}}', b'{"errors": 5}', b'{"errors": "MANIFEST_UNKNOWN"}', b'[1]', b'\xff',
    b'{"errors": [{"code": {"a": 1}}]}', b'{"errors": [{"code": ["X"]}]}', b'{"errors": [7]}',
    b'[' * 100000])
def test_any_error_body_names_no_code_and_never_raises(body):
    result, entry, _ = pull(pull_answers(**{'/v2/app/manifests/v1': response(404, body)}))
    assert result.finding == 'image.manifest_unknown'
    assert result.facts['registryError'] is None
    assert plain_words(entry).endswith('answered 404 (unknown).')


def test_an_error_code_is_bounded_and_shown_escaped():
    body = json.dumps({'errors': [{'code': 'DENIED\n' + 'X' * 200}]}).encode()
    result, entry, _ = pull(pull_answers(**{'/v2/app/manifests/v1': response(403, body)}))
    assert result.facts['registryError'].startswith('DENIED\nXXX')
    assert len(result.facts['registryError']) <= 60
    from azext_acrhealth._text import shown
    assert '(DENIED\\nXXX' in shown(entry['message'])  # what a terminal gets


def test_pick_platform_ignores_what_is_not_an_object():
    linux = {'digest': 'sha256:1', 'platform': AMD64}
    assert pick_platform([{'digest': 'sha256:0', 'platform': 'linux/amd64'}, linux]) == linux
    assert pick_platform([{'digest': 'sha256:0', 'platform': ['linux']}])['digest'] == 'sha256:0'
    assert pick_platform('linux/amd64') is None and pick_platform({'digest': 'x'}) is None


# 4. A redirect says what is wrong with it.

@pytest.mark.parametrize('headers', [{}, {'Location': ''}, {'Location': '  '}])
def test_a_redirect_without_a_location_says_so(headers):
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: response(307, b'', headers)})
    result, entry, ctx = pull(answers)
    assert (result.finding, entry['code']) == ('image.redirect_broken', 'IMAGE_PULL_ERROR')
    assert plain_words(entry) == ('{} answered 307 for the config blob of app:v1 without a '
                                  'Location header.'.format(LOGIN))
    assert len(blob_calls(ctx)) == 1  # asked once, not four times
    assert entry['remediation'] == catalogue.VARIANTS['image-redirect'].remediation


@pytest.mark.parametrize('location, shown', [
    ('https://not a host!!/x', 'https://not a host!!/x'),
    ('https://not a host!!/x?sig=SIGNATURE-SECRET', 'https://not a host!!/x'),
    ('https://user:SECRET@bad_host/x', 'https://bad_host/x'),
    ('https:///x', 'https:///x'),
    ('https://[::1/x', 'https://[::1/x'),
    ('https://{}:99999/x'.format(DATA), 'https://{}:99999/x'.format(DATA)),
    ('https://{}:port/x'.format(DATA), 'https://{}:port/x'.format(DATA)),
    ('https://-{}/x'.format(DATA), 'https://-{}/x'.format(DATA)),
])
def test_a_redirect_to_no_valid_host_is_not_followed(location, shown):
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: redirect(location)})
    result, entry, ctx = pull(answers)
    assert result.finding == 'image.redirect_broken', result.facts
    assert plain_words(entry) == (
        '{} answered 307 for the config blob of app:v1 with a Location that names no valid host '
        '({}): not followed.'.format(LOGIN, shown))
    assert len(blob_calls(ctx)) == 1
    assert 'SECRET' not in json.dumps(result.facts) + entry['message']
    assert 'not a host' not in entry['remediation'] and 'bad_host' not in entry['remediation']


def test_a_lower_case_location_header_is_followed():
    answers = pull_answers(**{'/v2/app/blobs/' + CONFIG_DIGEST: response(
        307, b'', headers={'location': SIGNED})})
    _, entry, _ = pull(answers)
    assert entry['status'] == 'passed', entry


def test_a_redirect_to_a_data_host_that_fails_names_it_in_the_remediation():
    answers = pull_answers(**{BLOB: HttpError('connection', 'connection refused')})
    _, entry, _ = pull(answers)
    assert entry['remediation'].startswith('Allow {} wherever'.format(DATA))


# 6. Any document, any types, nested: a finding, never an exception.

PROPERTIES = settings(max_examples=200, deadline=None, database=None,
                      suppress_health_check=[HealthCheck.too_slow])
INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json'
# Braces stay out of random text: a message quoting one would look like an unfilled placeholder
# to rendered(), which asserts there is none.
words = st.text(st.characters(blacklist_characters='{}'), max_size=20)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=-2, max_value=200),
    st.floats(allow_nan=False, allow_infinity=False), words,
    st.sampled_from([CONFIG_DIGEST, MANIFEST_DIGEST, 'sha256:x', 'linux', 'amd64', INDEX_TYPE,
                     MANIFEST_TYPE, len(CONFIG), len(MANIFEST), 2 ** 63, True]))
KEYS = st.sampled_from(['schemaVersion', 'mediaType', 'manifests', 'config', 'digest', 'size',
                        'platform', 'os', 'architecture', 'variant', 'layers', 'errors', 'code'])
# Any JSON, nested; keys often the ones a manifest has.
documents = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
    KEYS | words, inner, max_size=6), max_leaves=30)


def rarely(usual, other, times=6):
    """``usual``, or once in ``times + 1`` draws ``other`` (one_of would choose half and half:
    it merges a strategy given more than once)."""
    return st.integers(0, times).flatmap(lambda draw: other if draw == 0 else usual)


def mostly(*good):
    """A field's value: one of ``good``, once in seven any JSON."""
    return rarely(st.sampled_from(good), documents)


def shaped(**fields):
    """A document with these fields (each mostly well-formed), once in four any JSON."""
    return rarely(st.fixed_dictionaries(fields, optional={'extra': documents}), documents, 3)


platforms = shaped(os=mostly('linux', 'windows'), architecture=mostly('amd64', 'arm64'))
configs = shaped(mediaType=mostly('application/vnd.oci.image.config.v1+json'),
                 digest=mostly(CONFIG_DIGEST, 'sha256:' + 'a' * 64),
                 size=mostly(len(CONFIG), 0, len(CONFIG) + 1, 2 << 20))
manifests = shaped(schemaVersion=mostly(2), mediaType=mostly(MANIFEST_TYPE), config=configs,
                   layers=st.lists(documents, max_size=2))
index_entries = shaped(mediaType=mostly('application/vnd.oci.image.manifest.v1+json'),
                       digest=mostly(MANIFEST_DIGEST, 'sha256:' + 'a' * 64),
                       size=mostly(len(MANIFEST), 1), platform=platforms)
indexes = shaped(schemaVersion=mostly(2), mediaType=mostly(INDEX_TYPE),
                 manifests=st.lists(index_entries, min_size=1, max_size=3) | documents)
headers = rarely(st.just({}), st.fixed_dictionaries({}, optional={
    'Content-Type': st.sampled_from([INDEX_TYPE, MANIFEST_TYPE, 'text/html', '']) | words,
    'Docker-Content-Digest': st.sampled_from(['sha256:' + 'b' * 64, 'garbage', '']) | words}), 3)
# What the login server and the data host answer for the config blob.
blob_answers = st.one_of(
    st.just(redirect()), st.just(response(200, CONFIG)), st.just(response(307, b'')),
    st.sampled_from([CONFIG + b' ', CONFIG[:-1], CONFIG + b' ' * (2 << 20)]).map(
        lambda body: response(200, body)),
    (words | st.sampled_from(['https://not a host!!/x', '//{}/blob/{}'.format(
        DATA, CONFIG_DIGEST), 'https://[::1/x', '/v2/app/blobs/' + CONFIG_DIGEST])).map(redirect))


class AnyHttp(FakeHttp):
    """FakeHttp answering 404 (a registry's MANIFEST_UNKNOWN) where the test gives no answer."""

    def request(self, method, url, form=None, read_body=True, headers=None, max_body=None):
        try:
            return super().request(method, url, form, read_body, headers, max_body)
        except AssertionError:
            return response(404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}')


def served(document, header_set=None):
    """A manifest answer: ``document`` as JSON with ``header_set``; its Docker-Content-Digest
    right unless the header set names one."""
    body = document if isinstance(document, bytes) else json.dumps(document).encode()
    return response(200, body, headers=dict(
        {'Docker-Content-Digest': 'sha256:' + hashlib.sha256(body).hexdigest()},
        **(header_set or {})))


def assert_a_known_finding(answers):
    ctx = make_ctx(http=AnyHttp(answers), image='app:v1', resolver=FakeResolver(
        {LOGIN: ['20.62.128.10'], DATA: ['20.62.129.1']}))
    result, _ = run_through(ctx, 'image-pull')  # raises if the check does
    assert result.finding in catalogue.FINDINGS and result.finding.startswith('image.')
    entry = rendered('image-pull', result)
    assert entry['status'] in ('passed', 'failed')
    assert isinstance(result.facts.get('platform', ''), str)
    assert len(result.facts.get('platform', '')) <= 40
    json.dumps(result.facts)  # plain data only
    if result.passed:
        assert result.facts['configDigest'] == CONFIG_DIGEST
    return result


@PROPERTIES
@given(manifests | indexes, manifests, headers, blob_answers)
def test_any_json_served_as_the_manifest_gives_a_known_finding(document, child, header_set,
                                                               blob):
    assert_a_known_finding(pull_answers(**{
        '/v2/app/manifests/v1': served(document, header_set),
        '/v2/app/manifests/' + MANIFEST_DIGEST: served(child),
        '/v2/app/blobs/' + CONFIG_DIGEST: blob}))


@PROPERTIES
@given(indexes, manifests, st.booleans())
def test_any_index_gives_a_known_finding(index, child, real_child):
    result = assert_a_known_finding(pull_answers(**{
        '/v2/app/manifests/v1': served(index, {'Content-Type': INDEX_TYPE}),
        '/v2/app/manifests/' + MANIFEST_DIGEST: served(MANIFEST if real_child else child)}))
    if result.passed:
        assert result.facts['verified'] and result.facts['manifestDigest'] in (
            MANIFEST_DIGEST, served(child).headers['Docker-Content-Digest'])
