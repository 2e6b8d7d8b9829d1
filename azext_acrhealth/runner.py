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
from ._http import looks_like_repr
from .checks.base import CheckResult, shown_seconds

GRACE_SECONDS = 2.0


def exception_summary(ex):
    """'KeyError: loginServer' for a bug report, without a Python repr in it."""
    text = ' '.join(str(ex).split())[:250]
    name = type(ex).__name__
    return name if not text or looks_like_repr(text) else f'{name}: {text}'


def _guarded(check, ctx, inputs, outbox):
    started = time.monotonic()
    try:
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


def deadline_for(check, timeout):
    """Seconds the runner allows a check before it reports it as timed out."""
    return check.calls * timeout + GRACE_SECONDS


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
        later = [dep for dep in deps if dep not in seen]
        if later:
            raise ValueError(f'check {check.id} depends on later checks {later}')
        seen.add(check.id)


def _prerequisite_skip(check, results, titles):
    unmet = next((dep for dep in check.requires if not results[dep].passed), None)
    if unmet is None:
        return None
    return CheckResult('runner.skipped.prerequisite', {'prerequisite': titles[unmet]})


# The scheduler's closures share its state (issue 11 asks for a class in their place).
def run_plan(plan, ctx, ignore_errors=False, on_result=None, clock=time.monotonic):  # pylint: disable=too-many-statements
    """Run ``plan`` (a sequence of checks) and return ``[(check, result)]`` in plan order.

    ``on_result(check, result)`` is called once per check, in plan order, as soon as that
    check and every check before it are final. A check may depend only on checks before it.
    """
    plan = list(plan)
    _validate(plan)
    position = {check.id: index for index, check in enumerate(plan)}
    titles = {check.id: check.title for check in plan}
    results = {}          # id -> result, as checks finish (or are skipped)
    running = {}          # id -> (check, start, deadline)
    outbox = queue.Queue()
    stop_at = len(plan)   # plan position of the first failure (without ignore_errors)
    announced = 0

    def record(check, result, seconds):
        nonlocal stop_at
        results[check.id] = result.timed(int(round(seconds * 1000)))
        if _fails(check, result) and not ignore_errors:
            stop_at = min(stop_at, position[check.id])

    def start_ready():
        progressed = True
        while progressed:  # a skip can make later checks ready: loop until nothing moves
            progressed = False
            for check in plan:
                if check.id in results or check.id in running or position[check.id] >= stop_at:
                    continue
                deps = check.requires + check.after
                if any(dep not in results for dep in deps):
                    continue
                progressed = True
                skip = _prerequisite_skip(check, results, titles)
                if skip is not None:
                    record(check, skip, 0)
                    continue
                inputs = {dep: results[dep] for dep in deps}
                start = clock()
                running[check.id] = (check, start, start + deadline_for(check, ctx.timeout))
                threading.Thread(target=_guarded, args=(check, ctx, inputs, outbox),
                                 name=f"acrhealth-{check.id}", daemon=True).start()

    def final(check):
        """The reported result of a check, or None while it is not known yet."""
        if position[check.id] <= stop_at:
            return results.get(check.id)
        # After the first failure: every result is replaced, in plan order.
        skip = _prerequisite_skip(check, finals, titles)
        return skip.timed(0) if skip else CheckResult('runner.skipped.stopped').timed(0)

    finals = {}

    def announce():
        nonlocal announced
        while announced < len(plan):
            check = plan[announced]
            if position[check.id] > stop_at and running:
                break  # wait for running checks to end before closing the report
            result = final(check)
            if result is None:
                break
            finals[check.id] = result
            announced += 1
            if on_result:
                on_result(check, result)

    start_ready()
    announce()
    while announced < len(plan):
        if not running:  # nothing can move any more: a guard against a planning bug
            raise RuntimeError(f'the plan cannot progress: {[check.id for check in plan if check.id not in results]}')
        wait = max(0.0, min(deadline for _, _, deadline in running.values()) - clock())
        try:
            check_id, result, seconds = outbox.get(timeout=wait)
        except queue.Empty:
            now = clock()
            for check_id, (check, start, deadline) in list(running.items()):
                if now >= deadline:
                    del running[check_id]
                    record(check, CheckResult('runner.failed.timeout',
                                              {'seconds': shown_seconds(deadline - start)}),
                           now - start)
        else:
            if check_id in running:  # a late answer from an abandoned check is dropped
                check = running.pop(check_id)[0]
                record(check, result, seconds)
        start_ready()
        announce()
    return [(check, finals[check.id]) for check in plan]
