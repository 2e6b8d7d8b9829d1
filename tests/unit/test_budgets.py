# acrhealth (MIT licence). The time promise: the command never outlives its checks' budgets.
"""Every adapter hangs, for real: the real HttpClient over a session that never answers, the real
Arm over a pipeline that never answers, the real resolver over a getaddrinfo that never returns,
the real probe over a connect that never returns, the real AAD token adapter over a profile
that never answers, and real child processes that sleep. The run must end within the sum of the
checks' budgets, each check reporting its own finding (and code) that says it timed out, never
the runner's last-resort "did not finish"."""

import json
import os
import re
import threading
import time

import pytest
import requests

from azext_acrhealth._validators import parse_image
from azext_acrhealth import _arm, _azure, _bounded, _probe, _process, runner
from azext_acrhealth._http import HttpClient
from azext_acrhealth._speculation import Speculation
from azext_acrhealth.checks import build_plan
from azext_acrhealth.checks.base import CheckContext, Options
from tests.unit.connectivity_fakes import jwt

TIMEOUT = 0.4
NAME = 'hangs'
LOGIN = 'hangs.azurecr.io'
TIMED_OUT = re.compile(r'(no (complete |TCP |TLS )?(answer|connection|handshake) within '
                       r"(the )?[\d.]+ s|did not answer within [\d.]+ s|timed out after [\d.]+ s)")
FAILED, WARNING, SKIPPED = 'failed', 'warning', 'skipped'
# Our own bounds end a check a moment after its budget at most: a killed child is waited for.
MARGIN = _process.KILL_WAIT + 0.2


@pytest.fixture
def released():
    """Set at the end: every hung call then returns, so no thread outlives the test."""
    event = threading.Event()
    yield event
    event.set()


CLAIMS = {'oid': 'o1', 'tid': 't1', 'idtyp': 'user', 'upn': 'me@example.com'}
AAD = jwt(CLAIMS)


def _response(status, body=b'', headers=None):
    answer = requests.Response()
    answer.status_code = status
    answer.headers = requests.structures.CaseInsensitiveDict(headers or {})
    answer.raw = _Raw(body)
    return answer


class _Raw:
    """What requests reads a streamed body from."""

    def __init__(self, body):
        self._body = body

    def stream(self, _size, decode_content=True):  # pylint: disable=unused-argument
        if self._body:
            yield self._body

    def close(self):
        pass


class Network:
    """The outside world of one run: each kind of call answers or hangs."""

    def __init__(self, released, hangs):
        self.released = released
        self.hangs = set(hangs)

    def hang(self, kind):
        if kind in self.hangs:
            self.released.wait(60)
            raise OSError('released at the end of the test')

    # requests.Session.request
    def request(self, method, url, **_kwargs):
        path = url.split(LOGIN, 1)[-1]
        if method == 'GET' and path == '/v2/':
            self.hang('challenge')
            return _response(401, headers={'WWW-Authenticate': (
                f'Bearer realm="https://{LOGIN}/oauth2/token",service="{LOGIN}"')})
        if path == '/oauth2/exchange':
            self.hang('exchange')
            return _response(200, json.dumps({'refresh_token': 'r'}).encode())
        if path == '/oauth2/token':
            self.hang('token')
            return _response(200, json.dumps({'access_token': 'a'}).encode())
        self.hang('image')
        return _response(404, b'{"errors": [{"code": "MANIFEST_UNKNOWN"}]}')

    # the ARM pipeline's send_request
    def send_request(self, _request, **_kwargs):
        self.hang('arm')
        return _response(404, b'{"error": {"code": "NotFound", "message": "gone"}}')

    def getaddrinfo(self, host, *_args, **_kwargs):
        self.hang('dns')
        if host != LOGIN:
            raise OSError(-2, 'Name or service not known')
        return [(2, 1, 6, '', ('20.0.0.1', 443))]

    def create_connection(self, *_args, **_kwargs):
        self.hang('probe')
        raise ConnectionRefusedError(111, 'Connection refused')

    def get_raw_token(self, **_kwargs):
        self.hang('aad')
        return ('Bearer', AAD, {}), None, 't1'


def _tools(tmp_path):
    """docker, helm, notary and a credential helper that all sleep, and the Docker config
    that names the helper."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for name in ('docker', 'helm', 'notary', 'docker-credential-hangs'):
        exe = bin_dir / name
        exe.write_text('#!/bin/sh\nexec sleep 60\n')
        exe.chmod(0o755)
    config = tmp_path / 'docker-config'
    config.mkdir()
    (config / 'config.json').write_text(json.dumps({'credsStore': 'hangs'}))
    return bin_dir, {'DOCKER_CONFIG': str(config), 'HOME': str(tmp_path)}


def _context(tmp_path, monkeypatch, network):
    import azure.cli.core._profile
    import azure.cli.core.commands.client_factory
    bin_dir, environ = _tools(tmp_path)
    monkeypatch.setattr(_azure.socket, 'getaddrinfo', network.getaddrinfo)
    monkeypatch.setattr(_probe.socket, 'create_connection', network.create_connection)
    monkeypatch.setattr(azure.cli.core._profile.Profile, '__init__', lambda self, **_: None)
    monkeypatch.setattr(azure.cli.core._profile.Profile, 'get_raw_token',
                        lambda self, **kwargs: network.get_raw_token(**kwargs))
    monkeypatch.setattr(azure.cli.core.commands.client_factory, 'get_subscription_id',
                        lambda _cli_ctx: 's1')
    http = HttpClient(TIMEOUT)
    monkeypatch.setattr(http._session, 'request', network.request)  # pylint: disable=protected-access
    arm = _arm.Arm(None, TIMEOUT)
    arm._client = network  # pylint: disable=protected-access
    arm._subscription = {'id': 's1', 'name': 'sub', 'tenantId': 't1'}  # pylint: disable=protected-access
    options = Options(registry_name=NAME, yes=True, ignore_errors=True, vnet='vnet1',
                      image=parse_image('repo:tag'), timeout=TIMEOUT)
    ctx = CheckContext(
        options=options, run_process=_process.run_process, environ=environ,
        which=lambda name: str(bin_dir / name) if (bin_dir / name).exists() else None,
        cli_version='2.91.0', extension_version='1.0.0', cloud_name='AzureCloud',
        acr_suffix='.azurecr.io', resolve=_azure.resolve, http=http, arm=arm,
        aad_token=lambda: _azure.aad_token(None, TIMEOUT),
        probe=lambda host, address, seconds: _probe.probe(host, address, seconds),
        proxy_for=lambda _host: None)
    ctx.speculation = Speculation(LOGIN, ctx.resolve, ctx.http, TIMEOUT)
    return ctx


def _run(ctx):
    plan = build_plan(ctx)
    started = time.monotonic()
    outcomes = runner.run_plan(plan, ctx, ignore_errors=True)
    seconds = time.monotonic() - started
    return plan, outcomes, seconds


def _shown(check, result):
    from azext_acrhealth import report
    return report.check_entry(check, result)


# The child processes always hang (Docker, Helm, Notary, the credential helper).
PROCESSES = {'docker-daemon': (FAILED, 'DOCKER_DAEMON_ERROR'),
             'docker-version': (FAILED, 'DOCKER_VERSION_ERROR'),
             'helm': (WARNING, 'HELM_VERSION_ERROR'), 'notary': (WARNING, 'NOTARY_VERSION_ERROR'),
             'docker-credentials': (WARNING, 'DOCKER_CREDENTIALS_ERROR')}
# What hangs at each stage (what does not hang answers: ARM with 404), and what the checks
# that meet it report: status and code. The identity and the CMK check are informational:
# without an answer they are skipped, saying why.
STAGES = {
    'everything': ({'arm', 'dns', 'aad', 'challenge', 'exchange', 'token', 'image', 'probe'},
                   dict(PROCESSES, **{'dns': (FAILED, 'CONNECTIVITY_DNS_ERROR'),
                                      'identity': (SKIPPED, None), 'cmk': (SKIPPED, None),
                                      'private-endpoints': (FAILED, 'CONNECTIVITY_DNS_ERROR')})),
    # The name resolves; the registry's challenge endpoint never answers.
    'challenge': ({'challenge', 'probe'},
                  dict(PROCESSES, challenge=(FAILED, 'CONNECTIVITY_CHALLENGE_ERROR'))),
    'exchange': ({'exchange', 'probe'},
                 dict(PROCESSES, **{'refresh-token': (FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR')})),
    'token': ({'token', 'probe'},
              dict(PROCESSES, **{'access-token': (FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR'),
                                 'image-pull': (FAILED, 'IMAGE_PULL_ERROR')})),
    'image': ({'image', 'probe'}, dict(PROCESSES, **{'image-pull': (FAILED, 'IMAGE_PULL_ERROR')})),
}


@pytest.mark.parametrize('stage', sorted(STAGES))
def test_when_every_call_hangs_each_check_times_out_itself_within_its_budget(
        stage, tmp_path, monkeypatch, released):
    hangs, expected = STAGES[stage]
    ctx = _context(tmp_path, monkeypatch, Network(released, hangs))
    plan, outcomes, seconds = _run(ctx)
    budgets = sum(runner.budget_seconds(check, TIMEOUT) for check in plan)
    assert seconds <= budgets + runner.GRACE_SECONDS, (seconds, budgets)
    # Each check ended by its own budget, with its own finding: none needed the runner's
    # last resort, which means the check did not end at all.
    assert not [check.id for check, result in outcomes
                if result.finding.startswith('runner.failed')], outcomes
    late = [(check.id, result.duration_ms) for check, result in outcomes
            if result.duration_ms > (runner.budget_seconds(check, TIMEOUT) + MARGIN) * 1000]
    assert not late, late
    entries = {check.id: _shown(check, result) for check, result in outcomes}
    for check_id, (status, code) in expected.items():
        entry = entries[check_id]
        assert (entry['status'], entry['code']) == (status, code), entry
        assert TIMED_OUT.search(entry['message']), entry
    if 'dns' in hangs:  # the login server still comes from the cloud's suffix, saying why
        assert entries['login-server']['status'] == 'passed'
        assert TIMED_OUT.search(entries['login-server']['message'])


def test_a_call_is_cut_to_the_time_its_check_has_left(released):
    deadline = time.monotonic() + 0.3
    started = time.monotonic()
    with _bounded.running_until(deadline):
        with pytest.raises(_bounded.Overrun) as raised:
            _bounded.within(lambda: released.wait(30), 10)
    assert time.monotonic() - started < 1
    assert raised.value.cut
    assert str(raised.value) == "no complete answer within the 0.3 s left of the check's time budget"


def test_a_check_out_of_time_makes_no_call_at_all():
    calls = []
    with _bounded.running_until(time.monotonic() - 1):
        with pytest.raises(_bounded.Overrun):
            _bounded.within(lambda: calls.append(1), 10)
        assert _process.run_process(['sleep', '5'], 10).timed_out
    assert calls == []


def test_a_thread_a_check_starts_hands_its_exception_back():
    def fails():
        raise KeyError('x')
    threads = [_bounded.spawn(lambda: None), _bounded.spawn(fails)]
    with pytest.raises(KeyError):
        _bounded.gather(threads)


def test_a_call_with_no_time_left_says_it_was_not_tried():
    with _bounded.running_until(time.monotonic() + 0.01):
        with pytest.raises(_bounded.Overrun) as raised:
            _bounded.within(lambda: 1, 5)
    assert str(raised.value) == "not tried: the check's time budget was used up"


def test_threads_a_check_starts_keep_its_deadline():
    seen = []
    with _bounded.running_until(123.0):
        _bounded.spawn(lambda: seen.append(_bounded.deadline())).join()
    assert seen == [123.0]
    assert _bounded.deadline() is None


def test_without_a_deadline_a_call_has_its_own_limit():
    assert _bounded.limit(5) == (5.0, False)
    assert _bounded.within(lambda: 42, 1) == 42


def test_process_timeout_reports_the_seconds_it_was_given():
    with _bounded.running_until(time.monotonic() + 0.3):
        result = _process.run_process(['sleep', '5'], 10)
    assert result.timed_out and result.seconds <= 0.3


def test_the_sleeping_stand_ins_are_killed(tmp_path):
    bin_dir, _ = _tools(tmp_path)
    started = time.monotonic()
    result = _process.run_process([str(bin_dir / 'docker')], 0.2)
    assert result.timed_out and time.monotonic() - started < 2
    assert os.access(str(bin_dir / 'docker'), os.X_OK)
