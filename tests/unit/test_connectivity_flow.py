# acrhealth (MIT licence). The whole plan through the real runner: prerequisites, stops, order.
import time

from azext_acrhealth import report, runner
from azext_acrhealth._azure import DnsError
from azext_acrhealth.checks import build_plan

from .fakes import in_thread
from .connectivity_fakes import (LOGIN, NAME, FakeHttp, FakeResolver,
                                 challenge_response, cmk_gone_arm, healthy_answers, make_ctx,
                                 registry_checks, response)

# The registry checks of a plain run, in plan order (read from the plan, never copied).
REGISTRY_IDS = [check.id for check in registry_checks()]


def run(ctx, limit=15.0):
    """build_plan + run_plan in a thread, so a runner bug fails the test instead of hanging."""
    announced = []
    outcomes, _ = in_thread(lambda: runner.run_plan(
        build_plan(ctx), ctx, ignore_errors=ctx.options.ignore_errors,
        on_result=lambda check, result: announced.append(check.id)), limit)
    assert announced == [check.id for check, _ in outcomes]
    built = report.build_report(outcomes, ctx.environment_summary(), ctx.registry_summary(outcomes))
    return {entry['id']: entry for entry in built['checks']}, built


# The checks these tests follow (the pull-path checks have tests of their own).
CORE_IDS = ['login-server', 'dns', 'challenge', 'refresh-token', 'access-token', 'cmk']


def statuses(entries, ids=CORE_IDS):
    return [entries[check_id]['status'] for check_id in ids]


def test_healthy_registry_passes_every_registry_check_in_plan_order():
    ctx = make_ctx()
    entries, built = run(ctx)
    assert list(entries)[-len(REGISTRY_IDS):] == REGISTRY_IDS
    assert statuses(entries, REGISTRY_IDS) == ['passed'] * len(REGISTRY_IDS)
    assert [(method, url) for method, url, _ in ctx.http.calls] == [
        ('GET', 'https://{}/v2/'.format(LOGIN)),
        ('POST', 'https://{}/oauth2/exchange'.format(LOGIN)),
        ('POST', 'https://{}/oauth2/token'.format(LOGIN))]
    assert built['registry'] == {'name': NAME, 'loginServer': LOGIN, 'resolvedBy': 'arm'}
    # No Docker, Helm or Notary here: warnings and skips, not failures.
    assert built['status'] == 'healthy' and built['summary']['failed'] == 0


def test_registry_summary_says_cloud_suffix_when_arm_does_not_know_it():
    ctx = make_ctx(registries={})
    entries, built = run(ctx)
    assert built['registry'] == {'name': NAME, 'loginServer': LOGIN, 'resolvedBy': 'cloudSuffix'}
    assert entries['cmk']['status'] == 'skipped'


def test_login_server_failure_skips_everything_after_it_and_sends_nothing():
    ctx = make_ctx(registries={}, acr_suffix=None)
    entries, built = run(ctx)
    assert entries['login-server']['code'] == 'LOGIN_SERVER_ERROR'
    assert statuses(entries)[1:] == ['skipped'] * 5
    assert 'needs "Login server"' in entries['dns']['message']
    assert 'needs "Login server"' in entries['cmk']['message']
    assert ctx.resolve.calls == [] and ctx.http.calls == [] and ctx.aad_token.calls == 0
    assert ctx.arm.calls == [('find_registry', NAME)]
    assert built['registry'] == {'name': NAME, 'loginServer': None, 'resolvedBy': None}
    assert built['status'] == 'unhealthy'


def test_dns_failure_skips_the_data_plane_with_the_reason_and_sends_nothing():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: DnsError('Name or service not known')}),
                   ignore_errors=True)
    entries, _ = run(ctx)
    assert statuses(entries) == ['passed', 'failed', 'skipped', 'skipped', 'skipped', 'passed']
    assert entries['challenge']['message'] == 'It needs "DNS lookup", which did not pass.'
    assert entries['refresh-token']['message'] == \
        'It needs "Challenge endpoint", which did not pass.'
    assert entries['access-token']['message'] == 'It needs "Refresh token", which did not pass.'
    # (the identity check reads the CLI's AAD token; nothing is sent anywhere)
    assert ctx.http.calls == []


def test_dns_failure_without_ignore_errors_stops_later_checks():
    ctx = make_ctx(resolver=FakeResolver({LOGIN: ['0.0.0.0']}))
    entries, built = run(ctx)
    assert statuses(entries) == ['passed', 'failed', 'skipped', 'skipped', 'skipped', 'skipped']
    assert entries['dns']['code'] == 'CONNECTIVITY_DNS_ERROR'
    assert 'needs "DNS lookup"' in entries['challenge']['message']
    assert '--ignore-errors' in entries['cmk']['message']
    assert ctx.http.calls == []
    assert built['summary']['failed'] == 1


def test_forbidden_challenge_sends_no_token():
    http = FakeHttp(dict(healthy_answers(), **{'/v2/': response(403)}))
    ctx = make_ctx(http=http, ignore_errors=True)
    entries, _ = run(ctx)
    assert statuses(entries) == ['passed', 'passed', 'failed', 'skipped', 'skipped', 'passed']
    assert entries['challenge']['code'] == 'CONNECTIVITY_FORBIDDEN_ERROR'
    assert [method for method, _, _ in http.calls] == ['GET']
    assert not [call for call in ctx.http.calls if call[0] == 'POST']  # no token sent


def test_foreign_realm_sends_no_token_and_skips_the_access_token():
    foreign = 'Bearer realm="https://evil.example/token",service="{}"'.format(LOGIN)
    http = FakeHttp(dict(healthy_answers(), **{'/v2/': challenge_response(foreign)}))
    ctx = make_ctx(http=http, ignore_errors=True)
    entries, _ = run(ctx)
    assert entries['refresh-token']['code'] == 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
    assert entries['access-token']['message'] == 'It needs "Refresh token", which did not pass.'
    assert [url for _, url, _ in http.calls] == ['https://{}/v2/'.format(LOGIN)]
    assert not [call for call in ctx.http.calls if call[0] == 'POST']  # no token sent


def test_refresh_denied_sends_no_access_token_request():
    http = FakeHttp(dict(healthy_answers(), **{'/oauth2/exchange': response(401)}))
    ctx = make_ctx(http=http)
    entries, _ = run(ctx)
    assert statuses(entries) == ['passed', 'passed', 'passed', 'failed', 'skipped', 'skipped']
    assert [url.rsplit('/', 2)[-2:] for _, url, _ in http.calls] == [
        ['v2', ''], ['oauth2', 'exchange']]


def test_stop_at_first_failure_follows_plan_order_not_finishing_order():
    # The CMK check (late in the plan) fails at once; the challenge (earlier) fails later.
    def slow_forbidden(method, url, form):
        time.sleep(0.4)
        return response(403)
    ctx = make_ctx(arm=cmk_gone_arm(),
                   http=FakeHttp(dict(healthy_answers(), **{'/v2/': slow_forbidden})))
    entries, built = run(ctx)
    assert statuses(entries) == ['passed', 'passed', 'failed', 'skipped', 'skipped', 'skipped']
    assert entries['challenge']['code'] == 'CONNECTIVITY_FORBIDDEN_ERROR'
    assert entries['cmk']['code'] is None and '--ignore-errors' in entries['cmk']['message']
    assert built['summary']['failed'] == 1


def test_with_ignore_errors_both_failures_are_reported():
    ctx = make_ctx(arm=cmk_gone_arm(), ignore_errors=True,
                   http=FakeHttp(dict(healthy_answers(), **{'/v2/': response(403)})))
    entries, built = run(ctx)
    assert entries['cmk']['code'] == 'CMK_ERROR'
    assert entries['challenge']['code'] == 'CONNECTIVITY_FORBIDDEN_ERROR'
    assert built['summary']['failed'] == 2


def test_vnet_adds_the_private_endpoint_check_last():
    ctx = make_ctx(vnet='vnet1', ignore_errors=True)
    entries, _ = run(ctx)
    assert list(entries)[-1] == 'private-endpoints'
    # The fake registry has no private endpoints.
    assert entries['private-endpoints']['code'] == 'CONNECTIVITY_DNS_ERROR'
    assert 'no private endpoints' in entries['private-endpoints']['message']


def test_no_check_crashes_on_a_healthy_run():
    # Every check's inputs are declared: a check reading an undeclared result would end as
    # runner.failed.exception (a KeyError) rather than its own finding.
    ctx = make_ctx(repository='r', vnet='vnet1', ignore_errors=True)
    entries, _ = run(ctx)
    for entry in entries.values():
        assert 'unexpected error' not in entry['message'], entry
    assert entries['challenge']['details']['service'] == LOGIN
