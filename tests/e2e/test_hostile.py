# acrhealth (MIT licence). Our `az acr check-health` against the lab's hostile mode, end to end.
"""Every hostile-mode registry of the lab (tests/lab/scenarios.py, ``HOSTILE``) checked by the
installed extension with the real ``az``: the command ends within its bound, prints no traceback
and a valid JSON report, and reports the expected code on the expected check with the facts; the
lab's request log proves that no credential went anywhere but the registry's own login server,
nothing went over plain HTTP and no redirect or foreign realm was followed. Then every scenario
of the lab (``SCENARIOS`` and ``HOSTILE``) once with ``--debug``: no token the lab issued, no
secret and no Authorization value in any output.

The runs are made once per session, several at a time (they are independent: each registry has
its own login server, and the log records the host of every request); the tests assert on them.
Set ACRHEALTH_HOSTILE_SUMMARY=FILE to get a JSON summary of what the command did per scenario.
"""

import json
import os
import re
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from azext_acrhealth.checks.connectivity import connectivity_plan
from azext_acrhealth.checks.tokens import tokens_plan
from tests.e2e.conftest import registry_path

from tests.lab import scenarios as S

TIMEOUT = 3                       # the --timeout every run passes
WORKERS = 4                       # runs at a time (the lab machine may have 2 CPUs)
# Bounded calls a run makes one after another at most: ARM lookup, DNS, /v2/, AAD token,
# exchange and its one retry, token and its one retry, CMK identity.
BOUNDED_CALLS = 9
BOUND = TIMEOUT * BOUNDED_CALLS + 10
RUN_LIMIT = 120                   # the harness kills a run after this (far beyond BOUND)
SLACK_MS = 1500                   # allowed beyond --timeout for one bounded call
# The registry path, each check needing the one before (read from the plan, never copied).
CONNECTIVITY = registry_path(connectivity_plan() + tokens_plan())
CREDENTIAL_FIELDS = {'access_token', 'refresh_token'}
ARM_HOSTS = {S.ARM_HOST, S.ARM_HOST_NOSUFFIX}
ARM_LIST_PATH = '/subscriptions/{}/providers/microsoft.containerregistry/registries'.format(
    S.SUBSCRIPTION_ID)
TLS_REASONS = {'tlswronghost': 'Hostname mismatch', 'tlsexpired': 'certificate has expired',
               'tlsselfsigned': 'self-signed certificate',
               'tlsunknownissuer': 'unable to get local issuer certificate',
               'untrustedcert': 'self-signed certificate in certificate chain'}
# Hostile rows plus the TLS row that already exists in SCENARIOS.
CHECKED = [s.name for s in S.HOSTILE] + ['untrustedcert']
STATUS = {'v2status500': 500, 'v2status503': 503, 'v2status404': 404, 'v2redirectloop': 302,
          'v2redirectaway': 302, 'v2redirecthttp': 302, 'v2noauthheader': 401, 'exchange500': 500,
          'exchange429': 429, 'exchangeredirect': 307, 'exchangehtml': 200, 'token500': 500, 'token429': 429,
          'tokenredirect': 308, 'tokenhtml': 200}
# Slow rows first, so they overlap with the rest.
SLOW_FIRST = ('armdrip', 'armlate', 'v2dripheaders', 'v2slowbody', 'exchangelate', 'tokenlate',
              'exchange503once', 'token503once', 'exchange429', 'token429', 'armendless', 'v2hugebody')

# Product bugs not fixed yet: name -> reason (the test is then xfail(strict=True)).
# (armhtml, armforeignnext and armdrip were fixed in 42d015d.)
KNOWN_BUGS = {}


def _param(name):
    if name in KNOWN_BUGS:
        return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name]))
    return name


class Run:
    def __init__(self, scenario, argv, seconds, proc=None, timed_out=False):
        self.scenario = scenario
        self.argv = argv
        self.seconds = seconds
        self.timed_out = timed_out
        self.returncode = proc.returncode if proc is not None else None
        self.stdout = (proc.stdout if proc is not None else '') or ''
        self.stderr = (proc.stderr if proc is not None else '') or ''
        if isinstance(self.stdout, bytes):
            self.stdout = self.stdout.decode('utf-8', 'replace')
        if isinstance(self.stderr, bytes):
            self.stderr = self.stderr.decode('utf-8', 'replace')

    def report(self):
        return json.loads(self.stdout)

    def checks(self):
        return {check['id']: check for check in self.report()['checks']}

    def __repr__(self):
        return '{} -> exit {} in {:.1f} s{}\n--- stdout\n{}\n--- stderr (tail)\n{}'.format(
            ' '.join(self.argv), self.returncode, self.seconds, ' (KILLED)' if self.timed_out else '',
            self.stdout[-3000:], self.stderr[-3000:])


def _argv(scenario, debug=False):
    return (['az', 'acr', 'check-health', '-n', scenario.registry, '--yes', '--ignore-errors',
             '-o', 'json', '--timeout', str(TIMEOUT)] + list(scenario.extra_args)
            + (['--debug'] if debug else []))


def _run(lab, ext, scenario, debug=False):
    argv = _argv(scenario, debug)
    started = time.monotonic()
    try:
        proc = lab.run(argv, extension_dir=ext, cloud=scenario.cloud, env=lab.scenario_env(scenario),
                       timeout=RUN_LIMIT)
    except subprocess.TimeoutExpired as ex:
        return Run(scenario, argv, time.monotonic() - started,
                   subprocess.CompletedProcess(argv, None, ex.output, ex.stderr), timed_out=True)
    return Run(scenario, argv, time.monotonic() - started, proc)


def _run_all(lab, ext, scenarios, debug=False):
    order = sorted(scenarios, key=lambda s: (s.name not in SLOW_FIRST, SLOW_FIRST.index(s.name)
                                             if s.name in SLOW_FIRST else 0))
    with ThreadPoolExecutor(WORKERS) as pool:
        runs = list(pool.map(lambda s: _run(lab, ext, s, debug), order))
    return {run.scenario.name: run for run in runs}


@pytest.fixture(scope='session')
def hostile(lab, ext):
    """Every checked scenario run once; ``(runs by name, the request log of those runs, seconds)``."""
    lab.clear_requests()
    started = time.monotonic()
    runs = _run_all(lab, ext, [S.scenario(name) for name in CHECKED])
    seconds = time.monotonic() - started
    log = lab.requests()
    summary = os.environ.get('ACRHEALTH_HOSTILE_SUMMARY')
    if summary:
        with open(summary, 'w') as f:
            json.dump({name: _outcome(run) for name, run in runs.items()}, f, indent=1, sort_keys=True)
    return runs, log, seconds


def _outcome(run):
    out = {'exit': run.returncode, 'seconds': round(run.seconds, 1), 'killed': run.timed_out,
           'traceback': 'Traceback' in run.stderr}
    try:
        report = run.report()
    except ValueError:
        out['report'] = 'not JSON: ' + run.stdout[:200]
        return out
    out['registry'] = report.get('registry')
    out['checks'] = {c['id']: [c['status'], c['code'], c['message'], c['durationMs']]
                     for c in report['checks'] if c['id'] in CONNECTIVITY + ['cmk']}
    return out


def _host_requests(log, host):
    return [(e['method'], e['path']) for e in log if 'event' not in e and e.get('host') == host]


# ---- the table ------------------------------------------------------------------------------

def test_hostile_table_is_separate_and_well_formed():
    names = [s.name for s in S.HOSTILE]
    assert len(set(names)) == len(names)
    assert not set(names) & {s.name for s in S.SCENARIOS}
    assert not [s for s in S.SCENARIOS if isinstance(s, S.Hostile)], 'hostile rows belong in HOSTILE'
    for s in S.HOSTILE:
        assert s.registry.isalnum() and s.registry.islower() and 5 <= len(s.registry) <= 50, s.name
        assert (s.code is None) == (s.check is None) or s.check == 'login-server', s.name
        assert s.description


# ---- each hostile scenario ------------------------------------------------------------------

@pytest.mark.parametrize('name', [_param(n) for n in CHECKED])
def test_hostile_scenario(hostile, name):
    runs, log, _ = hostile
    run = runs[name]
    sc = S.scenario(name)
    assert not run.timed_out, run
    assert run.seconds < BOUND, run
    assert 'Traceback' not in run.stderr, run
    report = run.report()
    assert set(report) >= {'status', 'registry', 'environment', 'checks', 'summary'}, run
    checks = run.checks()
    failed = {c['id']: c['code'] for c in report['checks'] if c['status'] == 'failed'}
    code, check = sc.code, getattr(sc, 'check', None) or ('challenge' if name == 'untrustedcert' else None)

    if code is None and failed and getattr(sc, 'also', ()):
        # A body the client may read: then it must fail cleanly on the challenge, in time.
        assert failed == {'challenge': failed.get('challenge')}, run
        assert failed['challenge'] in sc.also, run
        assert checks['challenge']['durationMs'] <= TIMEOUT * 1000 + SLACK_MS, run
        code, check = failed['challenge'], 'challenge'

    if code is None:
        assert failed == {}, run
        assert run.returncode == 0, run
        assert report['status'] == 'healthy', run
        for check_id in CONNECTIVITY:
            assert checks[check_id]['status'] == 'passed', run
        if check == 'login-server':  # ARM could not be used: the cloud's suffix, and why
            login = checks['login-server']
            assert report['registry'] == {'name': sc.registry, 'loginServer': sc.login_server,
                                          'resolvedBy': 'cloudSuffix'}, run
            for words in sc.says:
                assert words in login['message'], login
    else:
        assert run.returncode == 1, run
        assert report['status'] == 'unhealthy', run
        assert failed == {check: code}, run
        found = checks[check]
        assert found['docsUrl'] == 'https://aka.ms/acr/errors#' + code.lower(), found
        assert found['remediation'], found
        for words in getattr(sc, 'says', ()):
            assert words in found['message'], found
        later = CONNECTIVITY[CONNECTIVITY.index(check) + 1:]
        for check_id in later:
            assert checks[check_id]['status'] == 'skipped', checks[check_id]

    if check != 'login-server' and sc.in_arm:
        assert report['registry'] == {'name': sc.registry, 'loginServer': sc.login_server,
                                      'resolvedBy': 'arm'}, run
    if name in TLS_REASONS:
        assert TLS_REASONS[name] in checks['challenge']['message'], checks['challenge']
    if name in STATUS:  # the fact behind the code: the status the server answered
        assert checks[check]['details']['statusCode'] == STATUS[name], checks[check]
    _assert_traffic(name, sc, run, checks, log)


def _assert_traffic(name, sc, run, checks, log):
    """What the login server (and ARM) saw from this run, from the lab's request log."""
    seen = _host_requests(log, sc.login_server)
    exchanges = seen.count(('POST', '/oauth2/exchange'))
    tokens = seen.count(('POST', '/oauth2/token'))
    v2 = seen.count(('GET', '/v2/'))
    if name.startswith('v2') and sc.code:
        # No redirect is followed (the loop is asked once) and nothing follows a failed challenge.
        assert seen == [('GET', '/v2/')], seen
    if name in ('chforeignrealm', 'chhttprealm', 'chnoservice', 'chbasiconly'):
        assert seen == [('GET', '/v2/')], seen   # no token to anyone
    if name in TLS_REASONS:
        assert seen == [], seen  # nothing is sent over a connection that failed verification
        failed = [e for e in log if e.get('event') == 'tls-handshake-failed' and e.get('sni') == sc.login_server]
        assert failed, 'the login server saw no refused handshake'
    if name == 'dnszero':
        assert seen == [], seen
    if name.startswith(('exchange', 'token')) or name.startswith('claims') or sc.code is None:
        if checks['challenge']['status'] == 'passed':
            assert v2 == 1, seen
    if name == 'exchange503once':
        assert exchanges == 2, seen            # one retry after Retry-After: 1, then success
        assert checks['refresh-token']['status'] == 'passed'
    if name == 'exchange429':
        assert 1 <= exchanges <= 2, seen       # at most one retry
        assert tokens == 0, seen
    if name == 'token503once':
        assert tokens == 2, seen
    if name == 'token429':
        assert 1 <= tokens <= 2, seen
    if name.startswith('exchange') and name not in ('exchange503once', 'exchange429'):
        assert exchanges == 1 and tokens == (1 if sc.code is None else 0), seen
    if name.startswith('token') and name not in ('token503once', 'token429'):
        assert exchanges == 1 and tokens == 1, seen
    if name in ('exchangelate', 'tokenlate', 'v2dripheaders'):
        late = checks[getattr(sc, 'check')]
        # One bounded call (plus an AAD token from the cache for the exchange): within --timeout.
        assert late['durationMs'] <= TIMEOUT * 1000 + SLACK_MS, late
    if name in ('v2slowbody', 'v2hugebody', 'v2truncated', 'v2http10', 'v2badchunked'):
        assert checks['challenge']['durationMs'] <= TIMEOUT * 1000 + SLACK_MS, checks['challenge']
    fault = getattr(sc, 'arm_fault', None)
    if fault:
        lists = [e for e in log if e.get('host') == S.ARM_HOST and e.get('armFault') == fault]
        assert lists, 'the fake ARM never saw the fault asked for (AZURE_HTTP_USER_AGENT)'
        if fault == 'loop':
            assert len(lists) <= 3, len(lists)   # the repeated page is noticed at once
        if fault == 'endless':
            assert len(lists) <= 101, len(lists)  # a bounded number of pages
        if fault == 'foreignnext':  # the ARM token does not follow a nextLink to another host
            assert [e for e in log if e.get('host') == S.ARM_COLLECTOR_HOST] == []
            assert [e for e in log if e.get('event') == 'connection' and e.get('ip') == '127.0.0.31'] == []
        # The lookup is bounded as a whole (an AAD token for ARM, then pages until a deadline): it
        # gives up in time to fall back, well before the runner would cut the check off.
        assert checks['login-server']['durationMs'] <= 3 * TIMEOUT * 1000, checks['login-server']


def test_access_claim_shapes(hostile):
    """The permission variants name what is granted and what is missing."""
    runs = hostile[0]
    every = ['pull', 'push', 'metadata_read', 'metadata_write', 'delete']
    star = runs['claimsstar'].checks()['access-token']
    spread = runs['claimsspread'].checks()['access-token']
    lowercase = runs['claimslowercase'].checks()['access-token']
    for passed in (star, spread, lowercase):
        assert passed['status'] == 'passed', passed
        assert sorted(passed['details']['granted']) == sorted(every), passed
    for name in ('claimsother', 'claimsempty'):
        access = runs[name].checks()['access-token']
        assert access['details']['granted'] == [], access
        assert access['details']['missing'] == every, access
        assert access['details']['repository'] == S.PULLONLY_REPOSITORY, access
    for name in ('claimsnotjwt', 'claimsnoaccess', 'claimsgarbled', 'claimsstring'):
        access = runs[name].checks()['access-token']
        assert 'granted' not in access['details'], access


def test_arm_fallback_says_why(hostile):
    runs = hostile[0]
    for name in ('armforbidden', 'armnotfound', 'armerror'):
        login = runs[name].checks()['login-server']
        status = {'armforbidden': '403', 'armnotfound': '404', 'armerror': '500'}[name]
        code = {'armforbidden': 'AuthorizationFailed', 'armnotfound': 'SubscriptionNotFound',
                'armerror': 'InternalServerError'}[name]
        assert status in login['message'] or code in login['message'], login


def test_dns_zero_is_never_connected_to(hostile):
    runs, log, _ = hostile
    dns = runs['dnszero'].checks()['dns']
    assert dns['details']['addresses'] == [S.ADDRESS_ZERO], dns


def test_ipv6_only_login_server(hostile, lab):
    runs, log, _ = hostile
    checks = runs['dnsipv6only'].checks()
    assert lab.info.get('ipv6') is True, lab.info.get('ipv6')
    assert checks['dns']['details']['addresses'] == [S.ADDRESS_IPV6], checks['dns']
    assert _host_requests(log, S.scenario('dnsipv6only').login_server) == [
        ('GET', '/v2/'), ('POST', '/oauth2/exchange'), ('POST', '/oauth2/token')]


# ---- where credentials went -----------------------------------------------------------------

def test_no_credential_left_the_login_server(hostile):
    runs, log, _ = hostile
    assert [e for e in log if 'event' not in e], 'the lab logged nothing'
    login_servers = {S.scenario(name).login_server for name in CHECKED}
    sent = [e for e in log if CREDENTIAL_FIELDS & set(e.get('formFields', ()))]
    assert len({e['host'] for e in sent}) >= 20, 'too few token requests logged: the check would prove nothing'
    for entry in log:
        if 'event' in entry:
            continue
        if 'client_secret' in entry['formFields']:
            assert entry['host'] == S.AAD_HOST, entry
        if CREDENTIAL_FIELDS & set(entry['formFields']):
            assert entry['host'] in login_servers, entry
            assert entry['path'] in ('/oauth2/exchange', '/oauth2/token'), entry
            assert entry['sni'] == entry['host'], entry   # over TLS to that very host
            assert entry['host'] != S.scenario('chforeignrealm').login_server, entry
            assert entry['host'] != S.scenario('chhttprealm').login_server, entry
        if entry['authorization'] and entry['host'] != S.ARM_COLLECTOR_HOST:  # that one: armforeignnext
            assert entry['host'] in ARM_HOSTS, entry
        if entry['host'].endswith(S.ACR_SUFFIX):
            assert entry['method'] in ('GET', 'POST'), entry


def test_redirect_target_and_foreign_realm_got_nothing(hostile):
    _, log, _ = hostile
    collector_ip = '127.0.0.30'
    assert [e for e in log if e.get('host') == S.COLLECTOR_HOST] == []
    assert [e for e in log if e.get('event') == 'connection' and e.get('ip') == collector_ip] == []
    assert [e for e in log if e.get('sni') == S.COLLECTOR_HOST] == []


def test_nothing_over_plain_http_nor_to_the_unspecified_address(hostile):
    _, log, _ = hostile
    assert [e for e in log if e.get('event') == 'tap-connection'] == []


def test_the_whole_file_stays_fast(hostile):
    seconds = hostile[2]
    assert seconds < 180, seconds


# ---- --debug: no secret in any output -------------------------------------------------------

# A credential in an Authorization header or a bearer value, as --debug would print it.
AUTH_VALUE = re.compile(r"""Authorization['"]?\s*[:=]\s*['"]?(?:Bearer|Basic)\s+(?!\*)[A-Za-z0-9._~+/-]{8,}""",
                        re.IGNORECASE)
BEARER_JWT = re.compile(r'Bearer\s+eyJ[A-Za-z0-9_-]{10,}')


@pytest.fixture(scope='session')
def debug_runs(lab, ext, hostile):  # after the hostile runs: they share registries and counters
    return _run_all(lab, ext, S.ALL_SCENARIOS, debug=True)


@pytest.mark.parametrize('name', [s.name for s in S.ALL_SCENARIOS])
def test_no_secret_in_debug_output(lab, debug_runs, name):
    run = debug_runs[name]
    assert not run.timed_out, run
    output = run.stdout + run.stderr
    assert '--debug' in ' '.join(run.argv) and 'cli.knack.cli' in run.stderr, 'not a --debug run'
    tokens = lab.issued_tokens()
    assert tokens, 'the lab issued no token'
    for token in tokens:
        assert token not in output, name
        assert token.rsplit('.', 1)[-1] not in output, name  # a JWT's signature part
    assert S.SP_SECRET not in output
    assert not AUTH_VALUE.search(output), AUTH_VALUE.search(output).group(0)[:40]
    assert not BEARER_JWT.search(output), BEARER_JWT.search(output).group(0)[:20]
