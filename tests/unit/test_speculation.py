# acrhealth (MIT licence). Speculate, then confirm: DNS and the challenge for name + suffix start
# before ARM answers; the checks use them only for the login server ARM confirms.
from azext_acrhealth._azure import DnsError
from azext_acrhealth._speculation import Speculation

from .connectivity_fakes import (LOGIN, NAME, FakeHttp, FakeResolver, arm_registry,
                                 healthy_answers, make_ctx, run_through)


def speculating(ctx, host=LOGIN):
    ctx.speculation = Speculation(host, ctx.resolve, ctx.http, ctx.timeout)
    return ctx


def test_the_confirmed_login_server_uses_the_speculation_once():
    ctx = speculating(make_ctx())
    result, results = run_through(ctx, 'challenge')
    assert results['dns'].finding == 'connectivity.dns.resolved'
    assert result.finding == 'connectivity.challenge.ok'
    assert ctx.resolve.calls == [(LOGIN, 5.0)]                           # one lookup
    assert [url for _, url, _ in ctx.http.calls] == ['https://{}/v2/'.format(LOGIN)]  # one GET


def test_another_login_server_from_arm_is_asked_again():
    other = 'myreg-abc123.azurecr.io'
    resolver = FakeResolver({LOGIN: ['20.62.128.10'], other: ['20.62.128.11']})
    http = FakeHttp(dict(healthy_answers(), **{other + '/v2/': healthy_answers()['/v2/']}))
    ctx = speculating(make_ctx(registries={NAME: arm_registry(login_server=other)},
                               resolver=resolver, http=http))
    result, results = run_through(ctx, 'challenge')
    assert results['dns'].facts['addresses'] == ['20.62.128.11']
    assert result.facts['loginServer'] == other
    assert (other, 5.0) in ctx.resolve.calls
    assert 'https://{}/v2/'.format(other) in [url for _, url, _ in ctx.http.calls]


def test_no_challenge_is_speculated_for_a_name_that_resolves_to_nothing_usable():
    ctx = speculating(make_ctx(resolver=FakeResolver({LOGIN: ['0.0.0.0']})))
    assert ctx.speculation.challenge(LOGIN) is None
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.unusable'
    assert ctx.http.calls == []


def test_no_challenge_is_speculated_for_a_name_that_does_not_resolve():
    ctx = speculating(make_ctx(resolver=FakeResolver({LOGIN: DnsError('Name or service not '
                                                                      'known')})))
    assert ctx.speculation.challenge(LOGIN) is None
    result, _ = run_through(ctx, 'dns')
    assert result.finding == 'connectivity.dns.failed'
    assert ctx.http.calls == []
