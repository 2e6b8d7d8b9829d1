# acrhealth (MIT licence). Runs the plan: prerequisites, concurrency, deadlines.
"""The runner starts every check whose prerequisites are done, all at once, each on its own
daemon thread and raced against its own deadline, and returns the results in plan order.

Daemon threads, not a thread pool: a check that overstays its deadline is abandoned, and
an abandoned thread must not keep the process alive (a pool's workers are joined at exit).
"""

import queue
import threading
import time

from .checks.base import CheckResult

GRACE_SECONDS = 2.0


def _guarded(check, ctx, results, outbox):
    started = time.monotonic()
    try:
        result = check.run(ctx, results)
        if not isinstance(result, CheckResult):
            raise TypeError('check returned {!r}, not a CheckResult'.format(type(result).__name__))
    except Exception as ex:  # pylint: disable=broad-except
        # A check must never take the command down: the exception becomes its result.
        result = CheckResult('runner.failed.exception',
                             {'error': '{}: {}'.format(type(ex).__name__, ex)})
    outbox.put((check.id, result, time.monotonic() - started))


def deadline_for(check, timeout):
    """Seconds the runner allows a check before it reports it as timed out."""
    return check.calls * timeout + GRACE_SECONDS


def run_plan(plan, ctx, ignore_errors=False, on_result=None, clock=time.monotonic):
    """Run ``plan`` (a sequence of checks) and return ``[(check, result)]`` in plan order.

    ``on_result(check, result)`` is called as each result becomes known (in completion order).
    Without ``ignore_errors``, after the first failed check no new check starts.
    """
    by_id = {check.id: check for check in plan}
    if len(by_id) != len(plan):
        raise ValueError('check ids must be unique')
    for check in plan:
        unknown = [dep for dep in check.requires + check.after if dep not in by_id]
        if unknown:
            raise ValueError('check {} depends on unknown checks {}'.format(check.id, unknown))

    results = {}
    pending = list(plan)
    running = {}  # id -> (check, start, deadline)
    outbox = queue.Queue()
    stopped = False

    def finish(check, result, seconds):
        nonlocal stopped
        result = result.timed(int(round(seconds * 1000)))
        results[check.id] = result
        if result.status == 'failed' and not ignore_errors:
            stopped = True
        if on_result:
            on_result(check, result)

    while pending or running:
        progressed = True
        while progressed:  # a skip can make other checks ready: loop until nothing moves
            progressed = False
            for check in list(pending):
                if any(dep not in results for dep in check.requires + check.after):
                    continue
                pending.remove(check)
                progressed = True
                unmet = next((dep for dep in check.requires if not results[dep].passed), None)
                if unmet is not None:
                    finish(check, CheckResult('runner.skipped.prerequisite',
                                              {'prerequisite': by_id[unmet].title}), 0)
                elif stopped:
                    finish(check, CheckResult('runner.skipped.stopped'), 0)
                else:
                    inputs = {dep: results[dep] for dep in check.requires + check.after}
                    start = clock()
                    running[check.id] = (check, start, start + deadline_for(check, ctx.timeout))
                    threading.Thread(target=_guarded, args=(check, ctx, inputs, outbox),
                                     name='acrhealth-' + check.id, daemon=True).start()
        if not running:
            continue
        wait = max(0.0, min(deadline for _, _, deadline in running.values()) - clock())
        try:
            check_id, result, seconds = outbox.get(timeout=wait)
        except queue.Empty:
            now = clock()
            for check_id, (check, start, deadline) in list(running.items()):
                if now >= deadline:
                    del running[check_id]
                    finish(check, CheckResult('runner.failed.timeout',
                                              {'seconds': _seconds(deadline - start)}), now - start)
            continue
        if check_id in running:  # a late answer from an abandoned check is dropped
            check = running.pop(check_id)[0]
            finish(check, result, seconds)
    return [(check, results[check.id]) for check in plan]


def _seconds(value):
    return int(value) if float(value).is_integer() else round(value, 1)
