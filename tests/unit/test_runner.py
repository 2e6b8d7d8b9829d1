# acrhealth (MIT licence). The runner: order, prerequisites, concurrency, deadlines, failures.
import threading
import time
from types import SimpleNamespace

import pytest

from azext_acrhealth import runner
from azext_acrhealth.checks.base import Check, CheckResult
from .fakes import in_thread

PASS = CheckResult('docker.client.found', {'path': '/x'})
FAIL = CheckResult('docker.daemon.unreachable', {'error': 'down'})
WARN = CheckResult('helm.missing')


def ctx(timeout=5.0):
    return SimpleNamespace(timeout=timeout)


def returns(result, delay=0.0, log=None, name=None):
    def run(_ctx, _results):
        if log is not None:
            log.append(('start', name))
        if delay:
            time.sleep(delay)
        return result
    return run


def mk(check_id, run, requires=(), after=(), budget=1, code='DOCKER_PULL_ERROR'):
    return Check(check_id, 'Title ' + check_id, code, run, requires=tuple(requires),
                 after=tuple(after), budget=budget)


def run_bounded(plan, context=None, limit=10.0, **kwargs):
    """run_plan in a thread, so a runner bug fails the test instead of hanging it."""
    return in_thread(lambda: runner.run_plan(plan, context or ctx(), **kwargs), limit)


def by_id(outcomes):
    return {check.id: result for check, result in outcomes}


def finishing(result, delay, finished, name):
    def run(_ctx, _results):
        time.sleep(delay)
        finished.append(name)
        return result
    return run


def test_results_come_in_plan_order_whatever_the_completion_order():
    finished, announced = [], []
    plan = [mk('slow', finishing(PASS, 0.3, finished, 'slow')),
            mk('medium', finishing(FAIL, 0.15, finished, 'medium')),
            mk('fast', finishing(WARN, 0, finished, 'fast'))]
    outcomes, _ = run_bounded(plan, on_result=lambda c, r: announced.append(c.id),
                              ignore_errors=True)
    assert finished == ['fast', 'medium', 'slow']
    assert [c.id for c, _ in outcomes] == ['slow', 'medium', 'fast']
    assert announced == ['slow', 'medium', 'fast']  # progress too comes in plan order
    assert [r.status for _, r in outcomes] == ['passed', 'failed', 'warning']
    assert all(isinstance(r.duration_ms, int) for _, r in outcomes)
    assert by_id(outcomes)['slow'].duration_ms >= 250


def test_a_check_whose_prerequisite_did_not_pass_is_skipped_naming_it():
    calls = []
    plan = [mk('a', returns(WARN)),
            mk('b', returns(PASS, log=calls, name='b'), requires=['a']),
            mk('c', returns(PASS, log=calls, name='c'), requires=['b'])]
    results = by_id(run_bounded(plan)[0])
    assert results['b'].finding == 'runner.skipped.prerequisite'
    assert results['b'].facts == {'prerequisite': 'Title a'}
    assert results['c'].facts == {'prerequisite': 'Title b'}  # skips cascade
    assert calls == []


def test_a_check_gets_only_the_results_it_names_and_after_means_finished_whatever_status():
    seen = {}

    def record(_ctx, results):
        seen.update(results)
        return PASS
    plan = [mk('a', returns(PASS)), mk('b', returns(FAIL, 0.1)), mk('other', returns(PASS)),
            mk('c', record, requires=['a'], after=['b'])]
    results = by_id(run_bounded(plan, ignore_errors=True)[0])
    assert results['c'].passed
    assert set(seen) == {'a', 'b'} and seen['b'].finding == FAIL.finding


def test_after_waits_for_the_other_check():
    order = []
    plan = [mk('first', returns(PASS, 0.2, order, 'first')),
            mk('second', returns(PASS, 0, order, 'second'), after=['first'])]
    run_bounded(plan)
    assert order == [('start', 'first'), ('start', 'second')]


def test_independent_checks_run_concurrently():
    a_ready, b_ready = threading.Event(), threading.Event()

    def a(_ctx, _results):
        a_ready.set()
        return PASS if b_ready.wait(3) else FAIL

    def b(_ctx, _results):
        b_ready.set()
        return PASS if a_ready.wait(3) else FAIL
    outcomes, seconds = run_bounded([mk('a', a), mk('b', b)])
    assert all(result.passed for _, result in outcomes), outcomes
    assert seconds < 2


def test_a_check_that_overruns_its_deadline_fails_and_the_runner_returns_promptly(monkeypatch):
    monkeypatch.setattr(runner, 'GRACE_SECONDS', 0.05)
    release = threading.Event()

    def hang(_ctx, _results):
        release.wait(30)
        return PASS
    try:
        outcomes, seconds = run_bounded([mk('hang', hang), mk('quick', returns(PASS))],
                                        context=ctx(timeout=0.2), ignore_errors=True)
    finally:
        release.set()
    results = by_id(outcomes)
    assert results['hang'].finding == 'runner.failed.timeout'
    assert results['hang'].status == 'failed'
    assert results['hang'].facts == {'seconds': 0.2}  # 1 call x 0.2 s + 0.05 s grace, shown
    assert results['quick'].passed
    assert seconds < 1.5


def test_deadline_is_the_budget_times_timeout_plus_grace():
    assert runner.deadline_for(mk('x', None, budget=3), 2.0) == 3 * 2.0 + runner.GRACE_SECONDS
    assert runner.deadline_for(mk('x', None, budget=0), 2.0) == runner.GRACE_SECONDS


def test_an_abandoned_checks_late_answer_is_dropped(monkeypatch):
    monkeypatch.setattr(runner, 'GRACE_SECONDS', 0.0)
    plan = [mk('late', returns(PASS, 0.4)), mk('slow', returns(PASS, 0.8), budget=10)]
    results = by_id(run_bounded(plan, context=ctx(timeout=0.1), ignore_errors=True)[0])
    assert results['late'].finding == 'runner.failed.timeout'
    assert results['slow'].passed


def test_an_exception_becomes_a_failed_result_naming_it():
    def boom(_ctx, _results):
        raise RuntimeError('disk on fire')
    results = by_id(run_bounded([mk('boom', boom)])[0])
    assert results['boom'].finding == 'runner.failed.exception'
    assert results['boom'].facts == {'error': 'RuntimeError: disk on fire'}
    assert results['boom'].status == 'failed'


def test_a_check_returning_something_else_is_a_failure_too():
    results = by_id(run_bounded([mk('odd', lambda _c, _r: 'passed')])[0])
    assert results['odd'].finding == 'runner.failed.exception'
    assert 'TypeError' in results['odd'].facts['error']


def _stop_plan(started):
    # 'slow' comes before the failing check in the plan and is running when it fails: it
    # finishes and counts; 'later' and 'last' come after the failure and never start.
    gate = threading.Event()

    def failing(_ctx, _results):
        started.append('fail')
        gate.set()
        return FAIL

    def slow(_ctx, _results):
        started.append('slow')
        gate.wait(3)
        time.sleep(0.1)  # still running when the failure arrives
        return PASS
    return [mk('slow', slow), mk('fail', failing),
            mk('later', returns(PASS, log=started, name='later'), after=['slow']),
            mk('last', returns(PASS, log=started, name='last'), requires=['later'])]


def test_after_the_first_failure_no_new_check_starts_and_the_rest_are_skipped():
    started = []
    results = by_id(run_bounded(_stop_plan(started))[0])
    assert results['fail'].status == 'failed'
    assert results['slow'].passed  # already running: it finishes
    assert ('start', 'later') not in started and ('start', 'last') not in started
    assert results['later'].finding == 'runner.skipped.stopped'
    assert results['later'].status == 'skipped'
    from azext_acrhealth.catalogue import render
    assert '--ignore-errors' in render(results['later'].finding, results['later'].facts)
    # Its prerequisite was not run either: it is stopped too, not "needs X, which did not pass".
    assert results['last'].finding == 'runner.skipped.stopped'


def test_ignore_errors_runs_everything():
    started = []
    results = by_id(run_bounded(_stop_plan(started), ignore_errors=True)[0])
    assert results['later'].passed and results['last'].passed
    assert ('start', 'later') in started and ('start', 'last') in started


def test_warnings_do_not_stop_the_run():
    results = by_id(run_bounded([mk('w', returns(WARN)),
                                 mk('next', returns(PASS), after=['w'])])[0])
    assert results['next'].passed


@pytest.mark.parametrize('plan', [
    [mk('a', returns(PASS), requires=['nope'])],
    [mk('a', returns(PASS), after=['nope'])],
])
def test_unknown_dependencies_raise(plan):
    with pytest.raises(ValueError, match='nope'):
        run_bounded(plan)


def test_duplicate_ids_raise():
    with pytest.raises(ValueError):
        run_bounded([mk('a', returns(PASS)), mk('a', returns(PASS))])


@pytest.mark.parametrize('plan', [
    [mk('a', returns(PASS), requires=['b']), mk('b', returns(PASS), after=['a'])],
    [mk('self', returns(PASS), requires=['self'])],
    [mk('a', returns(PASS), after=['b']), mk('b', returns(PASS))],
])
def test_a_dependency_on_a_later_check_or_a_cycle_raises_instead_of_hanging(plan):
    with pytest.raises(ValueError):
        run_bounded(plan, limit=3)


def test_an_explanation_from_a_later_check_raises_and_one_not_in_the_plan_is_none():
    from dataclasses import replace
    explained = replace(mk('token', returns(PASS)), explained_by=('roles',))
    with pytest.raises(ValueError, match='roles'):
        run_bounded([explained, mk('roles', returns(PASS))])
    # A plan without the explaining check (no registry, say) runs: nothing to join.
    assert by_id(run_bounded([explained])[0])['token'].passed


def test_a_check_after_the_first_failure_in_plan_order_is_stopped_even_if_it_ran():
    # Deterministic reports: whatever ran after the first failure (in plan order) is reported
    # as stopped, so the same machine gives the same report run after run.
    gate = threading.Event()

    def fail_late(_ctx, _results):
        gate.wait(3)
        return FAIL

    def quick(_ctx, _results):
        gate.set()
        return PASS
    results = by_id(run_bounded([mk('first', fail_late), mk('second', quick)])[0])
    assert results['first'].status == 'failed'
    assert results['second'].finding == 'runner.skipped.stopped'
    results = by_id(run_bounded([mk('first', fail_late), mk('second', quick)],
                                ignore_errors=True)[0])
    assert results['second'].passed


def test_on_result_sees_every_check_once():
    seen = []
    plan = [mk('a', returns(FAIL)), mk('b', returns(PASS), requires=['a']),
            mk('c', returns(PASS), after=['a'])]
    run_bounded(plan, on_result=lambda c, r: seen.append((c.id, r.status)))
    assert seen == [('a', 'failed'), ('b', 'skipped'), ('c', 'skipped')]


def test_a_crash_of_a_check_whose_code_is_a_warning_does_not_stop_the_run():
    def boom(_ctx, _results):
        raise RuntimeError('helm exploded')
    plan = [mk('helm', boom, code='HELM_VERSION_ERROR'), mk('next', returns(PASS), after=['helm'])]
    results = by_id(run_bounded(plan)[0])
    assert results['helm'].finding == 'runner.failed.exception'
    assert results['next'].passed


def test_a_crash_of_a_check_whose_code_is_a_failure_stops_the_run():
    def boom(_ctx, _results):
        raise RuntimeError('pull exploded')
    plan = [mk('pull', boom, code='DOCKER_PULL_ERROR'), mk('next', returns(PASS), after=['pull'])]
    assert by_id(run_bounded(plan)[0])['next'].finding == 'runner.skipped.stopped'


def test_an_explanation_joins_a_result_without_the_check_waiting_for_it():
    # The role assignments explain a refused token: the token check starts as soon as its own
    # inputs are ready, and the explanation is joined when both are done.
    started = {}

    def slow_explainer(_ctx, _results):
        time.sleep(0.5)
        return PASS

    def refused(_ctx, _results):
        started['refused'] = time.monotonic()
        return FAIL

    def explain(result, explainers):
        return CheckResult(result.finding, dict(result.facts, explainedBy=sorted(explainers)))
    plan = [mk('explainer', slow_explainer),
            Check('refused', 'Refused', 'DOCKER_DAEMON_ERROR', refused, explained_by=('explainer',),
                  explain=explain)]
    began = time.monotonic()
    outcomes, _ = run_bounded(plan, ignore_errors=True)
    assert started['refused'] - began < 0.3  # it did not wait for the explainer
    assert by_id(outcomes)['refused'].facts == {'error': 'down', 'explainedBy': ['explainer']}
