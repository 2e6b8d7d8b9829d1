# acrhealth (MIT licence). Our `az acr check-health` against every lab scenario, end to end.
"""The installed extension, run with the real `az` inside the lab (real TLS, real AAD login,
real dockerd and docker-registry): the documented code, statuses, exit code and JSON report
for every scenario, the request log's proof of where credentials went, and no token in any
output even with --debug."""

import json
import re
import time

import pytest

from azext_acrhealth import catalogue
from azext_acrhealth.checks.connectivity import connectivity_plan
from azext_acrhealth.checks.tokens import tokens_plan
from tests.e2e.conftest import registry_path

from tests.lab import scenarios as S

# Where each scenario's documented code must appear (the check that fails with it).
FAILING_CHECK = {
    'firewalled': 'challenge',
    'nochallenge': 'challenge',
    'basiconly': 'challenge',
    'exchangedenied': 'refresh-token',
    'tokendenied': 'access-token',
    'throttled': 'refresh-token',
    'untrustedcert': 'challenge',
    'cmkbroken': 'cmk',
    'pullonly': 'access-token',
    'notindns': 'dns',
    'blackholed': 'challenge',
    'privatedns': 'challenge',
    'nosuffix': 'login-server',
    'dockerdown': 'docker-daemon',
    'abacacrpull': 'access-token',
    'datanotindns': 'endpoints',
    'datablackholed': 'endpoints',
    'datauntrusted': 'endpoints',
    'datapublic': 'endpoints',
    'peprivateonly': 'refresh-token',
    'rolescondition': 'access-token',
    'escdataendpoint': 'endpoints',
    'escregistryerror': 'refresh-token',
}
OUR_CODES = catalogue.OUR_CODES  # documented in our README
# The registry path, each check needing the one before (read from the plan, never copied).
CONNECTIVITY = registry_path(connectivity_plan() + tokens_plan())
BLACKHOLE_TIMEOUT = 3


def run_ours(lab, ext, scenario, *extra, timeout=90):
    argv = ['az', 'acr', 'check-health', '-n', scenario.registry, '--yes', '--ignore-errors',
            '-o', 'json'] + list(scenario.extra_args) + list(extra)
    return lab.run(argv, extension_dir=ext, cloud=scenario.cloud,
                   env=lab.scenario_env(scenario), timeout=timeout)


def by_id(report):
    return {check['id']: check for check in report['checks']}


def scenario_args(scenario):
    if scenario.name in ('blackholed', 'datablackholed'):
        return ('--timeout', str(BLACKHOLE_TIMEOUT))
    return ()


@pytest.mark.parametrize('name', [s.name for s in S.SCENARIOS])
def test_scenario_reports_its_documented_code(lab, ext, name):
    scenario = lab.scenario(name)
    started = time.monotonic()
    result = run_ours(lab, ext, scenario, *scenario_args(scenario))
    elapsed = time.monotonic() - started
    assert 'Traceback' not in result.stderr, result.stderr[-2000:]
    assert not re.search(r'\w+Warning: ', result.stderr), result.stderr[-2000:]  # Python's
    report = json.loads(result.stdout)
    checks = by_id(report)
    failed = [c['code'] for c in report['checks'] if c['status'] == 'failed']

    if scenario.code is None:
        assert result.returncode == 0, result.stderr[-2000:]
        assert report['status'] == 'healthy'
        assert failed == []
        for check_id in CONNECTIVITY:
            assert checks[check_id]['status'] == 'passed', checks[check_id]
    else:
        assert result.returncode == 1, result.stderr[-2000:]
        assert report['status'] == 'unhealthy'
        failing = checks[FAILING_CHECK[name]]
        assert (failing['status'], failing['code']) == ('failed', scenario.code), failing
        if scenario.code in OUR_CODES:
            assert failing['docsUrl'].endswith('/README.rst#' + scenario.code.lower())
        else:
            assert failing['docsUrl'] == 'https://aka.ms/acr/errors#' + scenario.code.lower()
        assert failing['remediation']
        # It names what it is about, never a placeholder the run knows the value of.
        for placeholder in ('<registry>', '<host>'):
            assert placeholder not in failing['remediation'], failing
        if name == 'firewalled':
            assert '`az acr show --name firewalled --query networkRuleSet`' in \
                failing['remediation']
        if scenario.code == 'CONNECTIVITY_DATA_ENDPOINT_ERROR':
            host = failing['details']['failing'][0]['host']
            if S.HOSTILE_TEXT.lower() in host:  # not a host name: never put into advice
                assert S.HOSTILE_TEXT.lower() not in failing['remediation'], failing
            else:
                assert failing['remediation'].startswith(f'Allow {host} wherever'), failing
        assert 'check failed' in result.stderr or 'checks failed' in result.stderr

    # A warning the row names (a finding that may not matter) is there, with its code.
    if scenario.warning:
        assert scenario.warning in [c['code'] for c in report['checks']
                                    if c['status'] == 'warning'], report['checks']

    # Every host a pull needs is listed whenever the login server is known.
    if checks['login-server']['status'] == 'passed':
        hosts = [(e['host'], e['role']) for e in report['endpoints']]
        assert hosts[0] == (scenario.login_server, 'loginServer'), hosts
        if scenario.arm.get('data_endpoints'):
            assert (S.data_host(scenario.registry), 'dataEndpoint') in hosts, hosts

    # Everything after a failed connectivity check is skipped and says why.
    for earlier, later in zip(CONNECTIVITY, CONNECTIVITY[1:]):
        if checks[earlier]['status'] != 'passed':
            assert checks[later]['status'] == 'skipped', checks[later]
            assert 'did not pass' in checks[later]['message']

    registry = report['registry']
    assert registry['name'] == scenario.registry
    if scenario.name == 'nosuffix':
        assert registry['loginServer'] is None
    elif scenario.in_arm:
        assert registry == {'name': scenario.registry, 'loginServer': scenario.login_server,
                            'resolvedBy': 'arm'}
    else:
        assert registry == {'name': scenario.registry, 'loginServer': scenario.login_server,
                            'resolvedBy': 'cloudSuffix'}
    if scenario.name == 'blackholed':
        # Bounded: the silent server costs one --timeout, not forever (the built-in hangs).
        assert elapsed < BLACKHOLE_TIMEOUT + 15, elapsed


def test_healthy_report_in_detail(lab, ext):
    scenario = lab.scenario('healthy')
    report = json.loads(run_ours(lab, ext, scenario).stdout)
    checks = by_id(report)
    assert checks['docker-pull']['status'] == 'passed'
    assert checks['dns']['details']['addresses'] and all(
        kind == 'loopback' for kind in checks['dns']['details']['kinds'].values())
    assert checks['challenge']['details']['service'] == scenario.login_server
    assert checks['refresh-token']['details']['tenant'] == S.TENANT_ID
    assert checks['access-token']['details']['scope'] == 'registry:catalog:*'
    assert checks['cmk']['status'] == 'passed'
    assert report['environment']['cloud'] == S.CLOUDS['lab']
    assert report['summary']['failed'] == 0


def test_firewalled_names_the_network_rules(lab, ext):
    report = json.loads(run_ours(lab, ext, lab.scenario('firewalled')).stdout)
    details = by_id(report)['challenge']['details']
    assert details['statusCode'] == 403
    assert details['publicNetworkAccess'] == 'Disabled' or details['networkDefaultAction'] == 'Deny'


def test_pull_only_repository_lists_granted_and_missing_actions(lab, ext):
    report = json.loads(run_ours(lab, ext, lab.scenario('pullonly')).stdout)
    access = by_id(report)['access-token']
    assert access['details']['granted'] == ['pull']
    assert access['details']['missing'] == ['push', 'metadata_read', 'metadata_write', 'delete']
    assert 'grants pull but lacks push' in access['message']


def _claims(token):
    """A JWT's claims, or {} for the opaque and garbled tokens hostile registries issue."""
    import base64
    try:
        payload = token.split('.')[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return {}
    return claims if isinstance(claims, dict) else {}


def test_the_lab_issues_real_shaped_access_tokens(lab, ext):
    """The tokens behind the two tests around this one carry ACR's capitalised access keys
    (as a real registry does), not the Docker token spec's lower-case ones."""
    scenario = lab.scenario('pullonly')
    run_ours(lab, ext, scenario)
    entries = [entry for token in lab.issued_tokens()
               if _claims(token).get('aud') == scenario.login_server
               for entry in _claims(token).get('access') or []]
    assert entries and all(sorted(entry) == ['Actions', 'Name', 'Type'] for entry in entries)


def test_all_actions_real_token_passes_with_repository(lab, ext):
    scenario = lab.scenario('healthy')
    report = json.loads(run_ours(lab, ext, scenario, '--repository', S.PULLONLY_REPOSITORY).stdout)
    access = by_id(report)['access-token']
    assert access['status'] == 'passed', access
    assert access['details']['granted'] == sorted(
        ['pull', 'push', 'metadata_read', 'metadata_write', 'delete'])
    assert access['details']['missing'] == []


def test_abac_registry_without_repository_gets_a_note(lab, ext):
    scenario = lab.scenario('pullonly')
    result = lab.run(['az', 'acr', 'check-health', '-n', scenario.registry, '--yes', '-o', 'json'],
                     extension_dir=ext, timeout=90)
    access = by_id(json.loads(result.stdout))['access-token']
    assert access['status'] == 'passed'
    assert '--repository' in access['message']


def test_private_endpoint_dns_mismatch_lists_expected_and_actual(lab, ext):
    report = json.loads(run_ours(lab, ext, lab.scenario('privatedns')).stdout)
    endpoints = by_id(report)['private-endpoints']
    assert (endpoints['status'], endpoints['code']) == ('failed', 'CONNECTIVITY_DNS_ERROR')
    mapping = endpoints['details']['mappings'][0]
    assert mapping['fqdn'] == lab.scenario('privatedns').login_server
    assert mapping['expected'] == S.PRIVATE_IP
    assert mapping['actual'] and S.PRIVATE_IP not in mapping['actual']
    assert S.PRIVATE_IP in endpoints['message']


def test_vnet_without_private_endpoints_is_a_clear_failure(lab, ext):
    result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '--ignore-errors',
                      '--vnet', S.VNET, '-o', 'json'], extension_dir=ext, timeout=90)
    endpoints = by_id(json.loads(result.stdout))['private-endpoints']
    assert endpoints['status'] == 'failed'
    assert 'has no private endpoints' in endpoints['message']


def test_stop_at_first_failure_skips_the_rest(lab, ext):
    result = lab.run(['az', 'acr', 'check-health', '-n', 'firewalled', '--yes', '-o', 'json'],
                     extension_dir=ext, timeout=90)
    assert result.returncode == 1
    checks = by_id(json.loads(result.stdout))
    assert checks['challenge']['code'] == 'CONNECTIVITY_FORBIDDEN_ERROR'
    assert checks['cmk']['status'] == 'skipped'
    assert '--ignore-errors' in checks['cmk']['message']


def test_default_registry_from_az_configure(lab, ext):
    lab.check(['az', 'configure', '--defaults', 'acr=exchangedenied'], extension_dir=ext)
    try:
        result = lab.run(['az', 'acr', 'check-health', '--yes', '--ignore-errors', '-o', 'json'],
                         extension_dir=ext, timeout=90)
    finally:
        lab.check(['az', 'configure', '--defaults', 'acr='], extension_dir=ext)
    report = json.loads(result.stdout)
    assert report['registry']['name'] == 'exchangedenied'
    assert by_id(report)['refresh-token']['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'


# ---- the request log: where credentials went, and nothing after a failure ------------------

def _acr_requests(lab, host):
    return [(r['method'], r['path']) for r in lab.requests() if r.get('host') == host]


@pytest.mark.parametrize('name', [s.name for s in S.SCENARIOS if s.backend == S.FAKE])
def test_credentials_go_only_to_the_login_server_and_aad(lab, ext, name):
    scenario = lab.scenario(name)
    lab.clear_requests()
    run_ours(lab, ext, scenario, *scenario_args(scenario))
    log = lab.requests()
    assert log, 'the lab logged nothing'
    for entry in log:
        if 'event' in entry:  # a TLS handshake or a connection, not a request
            continue
        if {'access_token', 'refresh_token'} & set(entry['formFields']):
            assert entry['host'] == scenario.login_server, entry
            assert entry['path'] in ('/oauth2/exchange', '/oauth2/token'), entry
        if entry['authorization']:
            assert entry['host'] in (S.ARM_HOST, S.ARM_HOST_NOSUFFIX), entry
        if entry['host'].endswith(S.ACR_SUFFIX):
            assert entry['host'] == scenario.login_server, entry


@pytest.mark.parametrize('name, allowed', [
    ('firewalled', [('GET', '/v2/')]),
    ('exchangedenied', [('GET', '/v2/'), ('POST', '/oauth2/exchange')]),
    ('throttled', [('GET', '/v2/'), ('POST', '/oauth2/exchange')]),
    ('tokendenied', [('GET', '/v2/'), ('POST', '/oauth2/exchange'), ('POST', '/oauth2/token')]),
])
def test_nothing_is_sent_after_a_failed_step(lab, ext, name, allowed):
    scenario = lab.scenario(name)
    lab.clear_requests()
    run_ours(lab, ext, scenario)
    assert _acr_requests(lab, scenario.login_server) == allowed


def test_nothing_is_sent_to_a_registry_whose_name_does_not_resolve(lab, ext):
    lab.clear_requests()
    run_ours(lab, ext, lab.scenario('notindns'))
    assert not [r for r in lab.requests() if r.get('host', '').endswith(S.ACR_SUFFIX)]


@pytest.mark.parametrize('name', ['healthy', 'pullonly', 'exchangedenied'])
def test_no_token_or_secret_in_any_output_even_with_debug(lab, ext, name):
    scenario = lab.scenario(name)
    # (With --debug the CLI itself logs the traceback of the error that sets exit code 1.)
    result = run_ours(lab, ext, scenario, '--debug')
    output = result.stdout + result.stderr
    tokens = lab.issued_tokens()
    assert tokens, 'the lab issued no token'
    for token in tokens:
        assert token not in output
        # No recognisable piece of one either (a JWT's signature part is its most secret bit).
        assert token.rsplit('.', 1)[-1] not in output
    assert S.SP_SECRET not in output


@pytest.mark.parametrize('given', ['healthy' + S.ACR_SUFFIX, 'Healthy-abc123hash' + S.ACR_SUFFIX])
def test_login_server_forms_of_name_run_the_checks_for_the_name(lab, ext, given):
    """As every `az acr` command: NAME.<suffix> and the domain-name-label NAME-<hash>.<suffix>
    run for NAME, with the CLI's warning."""
    result = lab.run(['az', 'acr', 'check-health', '-n', given, '--yes', '-o', 'json'],
                     extension_dir=ext, timeout=90)
    assert result.returncode == 0, result
    assert "Registry name is 'healthy'" in result.stderr or \
        "Registry name is 'Healthy'" in result.stderr, result.stderr
    report = json.loads(result.stdout)
    assert report['registry']['name'].lower() == 'healthy'
    assert report['registry']['loginServer'] == 'healthy' + S.ACR_SUFFIX
    assert report['registry']['resolvedBy'] == 'arm'


def test_a_foreign_login_server_suffix_is_refused_naming_the_clouds(lab, ext):
    result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy.azurecr.io', '--yes'],
                     extension_dir=ext, timeout=90)
    assert result.returncode == 1, result
    assert result.stdout == ''
    assert S.ACR_SUFFIX in result.stderr and 'Traceback' not in result.stderr


def _arm_reads(lab, since):
    return [(e['path'], e['query'].get('$skiptoken')) for e in lab.requests()[since:]
            if e.get('host') == S.ARM_HOST and e.get('method') == 'GET' and
            e.get('path', '').startswith('/subscriptions/') and e.get('path') != '/subscriptions']


@pytest.mark.parametrize('subscription', [S.SUBSCRIPTION_ID, S.CROWDED_SUBSCRIPTION_NAME])
def test_the_lookup_does_not_grow_with_the_subscriptions_registries(lab, ext, subscription):
    """Two ARM reads (the filtered resources list, one GET) find `healthy`, in the lab
    subscription (~90 registries) and in the crowded one (501), selected with --subscription;
    the Azure CLI's lookup pages through every registry (126 pages of 4 in the crowded one)."""
    since = len(lab.requests())
    result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'json',
                      '--subscription', subscription], extension_dir=ext, timeout=90)
    assert result.returncode == 0, result
    report = json.loads(result.stdout)
    login = by_id(report)['login-server']
    assert login['details']['resolvedBy'] == 'arm', login
    sub_id = S.SUBSCRIPTION_ID if subscription == S.SUBSCRIPTION_ID else S.CROWDED_SUBSCRIPTION_ID
    assert login['details']['resourceId'].startswith('/subscriptions/' + sub_id + '/'), login
    # (the CMK check's identity read and the role-assignments check's list are not the lookup)
    reads = [path for path, _ in _arm_reads(lab, since)
             if 'Microsoft.ManagedIdentity' not in path and 'Microsoft.Authorization' not in path]
    assert reads == ['/subscriptions/{}/resources'.format(sub_id),
                     '/subscriptions/{}/resourceGroups/{}/providers/Microsoft.ContainerRegistry/'
                     'registries/healthy'.format(sub_id, S.RESOURCE_GROUP)], reads


def test_a_registry_not_in_the_subscription_names_it_and_subscription(lab, ext):
    result = lab.run(['az', 'acr', 'check-health', '-n', 'pullonly', '--yes', '-o', 'json',
                      '--subscription', S.CROWDED_SUBSCRIPTION_NAME], extension_dir=ext,
                     timeout=90)
    login = by_id(json.loads(result.stdout))['login-server']
    assert login['details']['arm'] == 'notFound', login
    assert 'pullonly is not in subscription "{}" ({})'.format(
        S.CROWDED_SUBSCRIPTION_NAME, S.CROWDED_SUBSCRIPTION_ID) in login['message'], login
    assert '--subscription' in login['message']
    cmk = by_id(json.loads(result.stdout))['cmk']
    assert cmk['status'] == 'skipped' and 'not in the subscription searched' in cmk['message']


def test_arm_unreachable_is_said_in_plain_words_and_is_not_not_found(lab, ext):
    """ARM unreachable (its requests go through a proxy nobody listens on; AAD and the registry
    are reached directly): the login server falls back to the suffix saying why, CMK says it
    could not ask, and no message holds a Python repr."""
    result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'json',
                      '--ignore-errors', '--timeout', '5'], extension_dir=ext, timeout=90,
                     env={'HTTPS_PROXY': 'http://127.0.0.1:9', 'https_proxy': 'http://127.0.0.1:9',
                          'NO_PROXY': '{},{},{}'.format(S.AAD_HOST, S.ACR_SUFFIX, S.MCR_HOST),
                          'no_proxy': '{},{},{}'.format(S.AAD_HOST, S.ACR_SUFFIX, S.MCR_HOST)})
    report = json.loads(result.stdout)
    checks = by_id(report)
    assert 'ARM could not be asked (connection refused)' in checks['login-server']['message'], \
        checks['login-server']
    assert checks['login-server']['details']['arm'] == 'failed'
    assert 'could not be asked' in checks['cmk']['message'] and \
        'not in the subscription' not in checks['cmk']['message'], checks['cmk']
    for mark in ('Error(', "('", '<class'):
        assert mark not in result.stdout and mark not in result.stderr, mark


@pytest.mark.parametrize('name', ['healthy', 'dataendpoints'])
def test_a_healthy_run_makes_one_tls_handshake_per_host(lab, ext, name):
    """Keep-alive: the challenge, the exchange and the token share one connection to the login
    server (the challenge's small body is drained, not dropped), ARM requests share one, and the
    endpoints check does not connect to the login server again. Counted from the lab's log."""
    import collections
    lab.clear_requests()
    result = lab.run(['az', 'acr', 'check-health', '-n', name, '--yes', '-o', 'none'],
                     extension_dir=ext, timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]
    log = lab.requests()
    handshakes = collections.Counter(e['sni'] for e in log if e.get('event') == 'tls-handshake')
    requests = collections.Counter(e['host'] for e in log if 'event' not in e)
    login_server = name + S.ACR_SUFFIX
    assert requests[login_server] == 3 and requests[S.ARM_HOST] >= 2, requests
    assert handshakes and all(count == 1 for count in handshakes.values()), handshakes
    assert handshakes[login_server] == 1 and handshakes[S.ARM_HOST] == 1
    if name == 'dataendpoints':
        assert handshakes[S.data_host(name)] == 1  # the probe: a handshake, no request


# ---- the registry's lookup started while the CLI parses (_early) ----------------------------

def test_arm_hears_the_command_as_the_cli_names_it_early_or_not(lab, ext):
    """Started while the CLI parses (the default) or once it parsed (not early with
    --subscription), the lookup is made once and every ARM request carries what the CLI says of
    its command: CommandName, ParameterSetName, its user agent; and all of them go over the one
    connection opened while the CLI built its client."""
    seen = {}
    for extra in ((), ('--subscription', S.SUBSCRIPTION_ID)):
        lab.clear_requests()
        result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'none'] +
                         list(extra), extension_dir=ext, timeout=120)
        assert result.returncode == 0, result.stderr[-1500:]
        log = lab.requests()
        arm = [e for e in log if e.get('host') == S.ARM_HOST and 'event' not in e]
        assert len([e for e in arm if e['path'].endswith('/resources')]) == 1
        assert [e['sni'] for e in log if e.get('event') == 'tls-handshake'].count(S.ARM_HOST) == 1
        seen[extra] = {(e['commandName'], e['parameterSetName'], e['userAgent']) for e in arm}
    early, late = seen[()], seen[('--subscription', S.SUBSCRIPTION_ID)]
    assert {(name, params) for name, params, _ in early} == {('acr check-health', '-n --yes -o')}
    assert {(name, params) for name, params, _ in late} == \
        {('acr check-health', '-n --yes -o --subscription')}
    assert len({agent for _, _, agent in early | late}) == 1


# The CLI's entry point, recording which thread first imports each module (Python's per-module
# import locks: two threads importing one package whose modules import each other can deadlock,
# and Python then raises _DeadlockError in one of them).
IMPORTS_BY_THREAD = r"""
import atexit, importlib.abc, json, sys, threading
seen, out = [], sys.argv.pop(1)
class Recorder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name not in sys.modules:
            seen.append([threading.current_thread().name, name])
sys.meta_path.insert(0, Recorder())
atexit.register(lambda: open(out, 'w').write(json.dumps(seen)))
from azure.cli.__main__ import *  # noqa
"""


def test_only_the_clis_thread_imports_while_the_registry_side_starts_early(lab, ext, tmp_path):
    """Everything the early threads (and the checks) need is imported on the CLI's own thread
    first: two threads importing urllib3 at once once made a run fail with _DeadlockError."""
    script, out = tmp_path / 'az_imports.py', tmp_path / 'imports.json'
    script.write_text(IMPORTS_BY_THREAD)
    result = lab.run(['python', str(script), str(out), 'acr', 'check-health', '-n', 'healthy',
                      '--yes', '-o', 'none'], extension_dir=ext, timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]
    seen = json.loads(out.read_text())
    assert ['MainThread', 'azext_acrhealth._early'] in seen  # started early, recorded
    assert [name for thread, name in seen if thread != 'MainThread'] == []


def test_the_summary_counts_the_time_from_the_registry_sides_early_start(lab, ext):
    """The closing summary's time covers every request of the run, those sent while the CLI
    still parsed included (it counted from the plan's start, and said 62 ms of a run whose
    registry traffic took longer)."""
    lab.clear_requests()
    result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'none'],
                     extension_dir=ext, timeout=120)
    assert result.returncode == 0, result.stderr[-1500:]
    took = re.search(r'checks? (?:passed|needs? action) \(.*; ([0-9.]+) (s|ms)\)', result.stderr)
    assert took, result.stderr[-1500:]
    seconds = float(took.group(1)) / (1000 if took.group(2) == 'ms' else 1)
    times = [e['time'] for e in lab.requests()]
    assert seconds >= max(times) - min(times) - 0.05  # (the summary rounds to a tenth)


@pytest.mark.parametrize('skipped', ['challenge', 'dns'])
def test_nothing_is_sent_to_the_login_server_for_a_skipped_challenge(lab, ext, skipped):
    """DNS and ``/v2/`` are asked ahead only for a challenge check that runs: skipped (or the
    DNS check it needs), no request reaches the registry, early start or not."""
    for extra in ((), ('--subscription', S.SUBSCRIPTION_ID)):
        lab.clear_requests()
        result = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'json',
                          '--skip', skipped] + list(extra), extension_dir=ext, timeout=120)
        assert result.returncode == 0, result.stderr[-1500:]
        time.sleep(0.3)  # anything started would have reached the lab by now
        # (The endpoints check's own TCP/TLS probe of the login server still runs: no request.)
        assert [e for e in lab.requests()
                if 'event' not in e and e.get('host') == 'healthy' + S.ACR_SUFFIX] == []
        report = {c['id']: c for c in json.loads(result.stdout)['checks']}
        assert report['login-server']['status'] == 'passed'
        assert report['challenge']['status'] == 'skipped'


@pytest.mark.parametrize('argv', [
    ['-n', 'healthy', '-h'],
    ['-n', 'healthy', '--timeout', '0'],  # refused by the validator: nothing started early
])
def test_help_and_refused_input_send_nothing(lab, ext, argv):
    lab.clear_requests()
    result = lab.run(['az', 'acr', 'check-health'] + argv, extension_dir=ext, timeout=120)
    time.sleep(0.3)  # anything started would have reached the lab by now
    assert result.returncode in (0, 1, 2) and 'Traceback' not in result.stderr
    assert lab.requests() == []
