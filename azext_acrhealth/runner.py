# acrhealth (MIT licence). Runs the plan: prerequisites, concurrency, deadlines.
"""The runner starts every check whose prerequisites are done, all at once, each on its own
daemon thread and raced against its own deadline, and returns the results in plan order.

Daemon threads, not a thread pool: a check that overstays its deadline is abandoned, and
an abandoned thread must not keep the process alive (a pool's workers are joined at exit).

Without --ignore-errors the run stops at the first failure *in plan order*, so the report
does not depend on which check happened to finish first: a failure stops the start of every
check after it in the plan; checks before it still run; in the end every check after the
first failed one is reported skipped ("stopped"), or skipped for its prerequisite.
"""

import queue
import threading
import time

from . import catalogue
from ._text import looks_like_repr
from ._bounded import running_until, shown_seconds
from .checks.base import CheckResult
from .skipping import REQUESTED

GRACE_SECONDS = 2.0
STOPPED = 'runner.skipped.stopped'


def exception_summary(ex):
    """'KeyError: loginServer' for a bug report, without a Python repr in it."""
    text = ' '.join(str(ex).split())[:250]
    name = type(ex).__name__
    return name if not text or looks_like_repr(text) else f'{name}: {text}'


def _guarded(check, ctx, inputs, outbox, deadline):
    started = time.monotonic()
    try:
        # Every bounded call this check makes ends by its deadline (see _bounded).
        with running_until(deadline):
            result = check.run(ctx, inputs)
        if not isinstance(result, CheckResult):
            raise TypeError(f'check returned {type(result).__name__}, not a CheckResult')
    except Exception as ex:  # pylint: disable=broad-except
        # A check must never take the command down: the exception becomes its result.
        result = CheckResult('runner.failed.exception', {'error': exception_summary(ex)})
    outbox.put((check.id, result, time.monotonic() - started))


def _fails(check, result):
    """Whether a result is a failure as the report shows it (a crashed optional-client check
    is a warning, and does not stop the run)."""
    return catalogue.outcome(result.finding, check.code)[0] == catalogue.FAILED


def budget_seconds(check, timeout):
    """The seconds a check is given: its budget in --timeout units. Its bounded calls end by
    then (they are cut to the time left), so it reports its own "timed out" finding."""
    return check.budget * timeout


def deadline_for(check, timeout):
    """Seconds after which the runner gives up on a check that did not end (a check that
    blocks outside the bounded calls): its budget and a little grace."""
    return budget_seconds(check, timeout) + GRACE_SECONDS


def _validate(plan):
    ids = [check.id for check in plan]
    if len(set(ids)) != len(ids):
        raise ValueError('check ids must be unique')
    seen = set()
    for check in plan:
        deps = check.requires + check.after
        unknown = [dep for dep in deps if dep not in ids]
        if unknown:
            raise ValueError(f'check {check.id} depends on unknown checks {unknown}')
        # An explanation joins a result only once it is final: the explaining check comes first.
        later = [dep for dep in deps + tuple(d for d in check.explained_by if d in ids)
                 if dep not in seen]
        if later:
            raise ValueError(f'check {check.id} depends on later checks {later}')
        seen.add(check.id)


def _prerequisite_skip(check, results, titles):
    unmet = next((dep for dep in check.requires if not results[dep].passed), None)
    if unmet is None:
        return None
    if results[unmet].finding == STOPPED:  # its prerequisite did not run: neither does it
        return CheckResult(STOPPED)
    return CheckResult('runner.skipped.prerequisite', {'prerequisite': titles[unmet]})


def run_plan(plan, ctx, ignore_errors=False, on_result=None, clock=time.monotonic):
    """Run ``plan`` (a sequence of checks) and return ``[(check, result)]`` in plan order.

    ``on_result(check, result)`` is called once per check, in plan order, as soon as that
    check and every check before it are final. A check may depend only on checks before it.
    """
    return _Run(list(plan), ctx, ignore_errors, on_result, clock).run()


class _Run:  # pylint: disable=too-many-instance-attributes  # the scheduler's state, named
    """One run of a plan: which checks are done, running, stopped and announced."""

    def __init__(self, plan, ctx, ignore_errors, on_result, clock):  # pylint: disable=too-many-arguments,too-many-positional-arguments  # run_plan's, passed on
        _validate(plan)
        self.plan, self.ctx, self.clock = plan, ctx, clock
        self.ignore_errors, self.on_result = ignore_errors, on_result
        self.position = {check.id: index for index, check in enumerate(plan)}
        self.titles = {check.id: check.title for check in plan}
        self.results = {}          # id -> result, as checks finish (or are skipped)
        self.running = {}          # id -> (check, start, deadline)
        self.finals = {}           # id -> the result as reported
        self.outbox = queue.Queue()
        self.stop_at = len(plan)   # plan position of the first failure (without ignore_errors)
        self.announced = 0         # how many checks (a plan prefix) on_result has seen

    def run(self):
        self.start_ready()
        self.announce()
        while self.announced < len(self.plan):
            if not self.running:  # nothing can move any more: a guard against a planning bug
                waiting = [check.id for check in self.plan if check.id not in self.results]
                raise RuntimeError(f'the plan cannot progress: {waiting}')
            self.wait_for_one()
            self.start_ready()
            self.announce()
        return [(check, self.finals[check.id]) for check in self.plan]

    def record(self, check, result, seconds):
        self.results[check.id] = result.timed(int(round(seconds * 1000)))
        if _fails(check, result) and not self.ignore_errors:
            self.stop_at = min(self.stop_at, self.position[check.id])

    def start_ready(self):
        """Start every check whose prerequisites are done; skip those whose did not pass."""
        progressed = True
        while progressed:  # a skip can make later checks ready: loop until nothing moves
            progressed = False
            for check in self.plan:
                if check.id in self.results or check.id in self.running or \
                        self.position[check.id] >= self.stop_at:
                    continue
                deps = check.requires + check.after
                if any(dep not in self.results for dep in deps):
                    continue
                progressed = True
                skip = _prerequisite_skip(check, self.results, self.titles)
                if skip is not None:
                    self.record(check, skip, 0)
                    continue
                self.start(check, {dep: self.results[dep] for dep in deps})

    def start(self, check, inputs):
        start = self.clock()
        self.running[check.id] = (check, start, start + deadline_for(check, self.ctx.timeout))
        # The check's own deadline, on the monotonic clock its bounded calls read.
        deadline = time.monotonic() + budget_seconds(check, self.ctx.timeout)
        threading.Thread(target=_guarded, args=(check, self.ctx, inputs, self.outbox, deadline),
                         name=f"acrhealth-{check.id}", daemon=True).start()

    def wait_for_one(self):
        """Take the next finished check, or time out the ones past their deadline."""
        wait = max(0.0, min(deadline for _, _, deadline in self.running.values()) - self.clock())
        try:
            check_id, result, seconds = self.outbox.get(timeout=wait)
        except queue.Empty:
            now = self.clock()
            for check_id, (check, start, deadline) in list(self.running.items()):
                if now >= deadline:
                    del self.running[check_id]
                    self.record(check, CheckResult('runner.failed.timeout',
                                                   {'seconds': shown_seconds(deadline - start)}),
                                now - start)
        else:
            if check_id in self.running:  # a late answer from an abandoned check is dropped
                check = self.running.pop(check_id)[0]
                self.record(check, result, seconds)

    def final(self, check):
        """The reported result of a check, or None while it is not known yet."""
        if self.position[check.id] <= self.stop_at:
            return self.results.get(check.id)
        kept = self.results.get(check.id)
        if kept is not None and kept.finding in REQUESTED:
            return kept  # skipped on request: --ignore-errors would not run it either
        # After the first failure: every other result is replaced, in plan order.
        skip = _prerequisite_skip(check, self.finals, self.titles)
        return (skip or CheckResult(STOPPED)).timed(0)

    def explained(self, check, result):
        """``result`` with the explanation of the checks that explain it (earlier in the plan,
        so already final): joined here, so the check itself never waited for them."""
        if check.explain is None or not all(e in self.finals for e in check.explained_by):
            return result
        try:
            return check.explain(result, {e: self.finals[e] for e in check.explained_by})
        except Exception:  # pylint: disable=broad-except  # an explanation is a bonus
            return result

    def announce(self):
        """Report every check, in plan order, whose result is final."""
        while self.announced < len(self.plan):
            check = self.plan[self.announced]
            if self.position[check.id] > self.stop_at and self.running:
                break  # wait for running checks to end before closing the report
            result = self.final(check)
            if result is None:
                break
            result = self.explained(check, result)
            self.finals[check.id] = result
            self.announced += 1
            if self.on_result:
                self.on_result(check, result)
