# acrhealth (MIT licence). The one bounded-call helper, and the time left to the running check.
"""Every call that leaves the process (HTTP, ARM, DNS, a TCP/TLS probe, the AAD token, a child
process) is bounded twice: by its own limit (``--timeout``, two for a call that may retry once)
and by what is left of the budget of the check that makes it.

The runner gives each check a budget (``Check.budget`` x ``--timeout``) and sets its deadline on
the check's thread (:func:`running_until`); :func:`limit` cuts an adapter's limit to the time
left, and :func:`within` runs the call on a daemon thread raced against it. So a check ends by
its deadline, reporting its own "timed out" finding, and the command never outlives the sum of
its checks' budgets. A check that starts threads of its own starts them with :func:`spawn`, which
carries its deadline over.
"""

import contextlib
import threading
import time

_running = threading.local()


def shown_seconds(value):
    """Seconds as a user reads them: 2.0 -> 2, 2.46 -> 2.5 ("timed out after 2 s")."""
    value = round(float(value), 1)
    return int(value) if value.is_integer() else value


class Overrun(TimeoutError):
    """A bounded call did not end within ``seconds`` (``cut``: the check's budget ran out
    before the call's own limit; ``seconds`` 0: it was not even started). A TimeoutError, so
    an OSError too: catch it before any ``except OSError`` that would hide it."""

    def __init__(self, seconds, cut=False):
        super().__init__(seconds)
        self.seconds = seconds
        self.cut = cut

    def __str__(self):
        return no_answer(self.seconds, self.cut)


def no_answer(seconds, cut=False, what='complete answer'):
    """How a timed-out call is reported: 'no complete answer within 2 s', or 'no complete
    answer within the 0.5 s left of the check's time budget'."""
    if cut and seconds <= 0:
        return "not tried: the check's time budget was used up"
    if cut:
        return f"no {what} within the {shown_seconds(seconds)} s left of the check's time budget"
    return f'no {what} within {shown_seconds(seconds)} s'


# Seconds: a call cut by less than this is reported at its own limit, and a call with less than
# this left is not started.
SLACK = 0.1


@contextlib.contextmanager
def running_until(until):
    """``with running_until(deadline):`` the calls made on this thread end by ``deadline``
    (a ``time.monotonic()`` value; None: no deadline)."""
    before = getattr(_running, 'deadline', None)
    _running.deadline = until
    try:
        yield
    finally:
        _running.deadline = before


def deadline():
    """The deadline of the check running on this thread, or None."""
    return getattr(_running, 'deadline', None)


def limit(seconds):
    """``(seconds, cut)``: a call's own limit, or the time its check has left when that is
    shorter (``cut`` True; never below 0)."""
    until = deadline()
    if until is None:
        return float(seconds), False
    left = max(0.0, until - time.monotonic())
    if left >= seconds:
        return float(seconds), False
    return left, left < seconds - SLACK


class Task:
    """``work()`` started now on a daemon thread that keeps this thread's deadline: a small
    future. Daemon threads, not a pool: an overrunning call is abandoned, and an abandoned
    thread must not keep the process alive."""

    def __init__(self, work, name='acrhealth-worker'):
        self._done = threading.Event()
        self._value = self._error = None
        until = deadline()

        def run():
            with running_until(until):
                try:
                    self._value = work()
                except BaseException as ex:  # pylint: disable=broad-except  # re-raised by result()
                    self._error = ex
                finally:
                    self._done.set()
        threading.Thread(target=run, name=name, daemon=True).start()

    def join(self, seconds=None):
        """Whether the work ended within ``seconds`` (None: wait until it does)."""
        return self._done.wait(seconds)

    def result(self):
        """The work's value, or its exception re-raised (once it ended)."""
        if self._error is not None:
            raise self._error
        return self._value

    def result_in_time(self):
        """:meth:`result`, waiting no longer than the running check's time left: raises
        :class:`Overrun` when that runs out first (work started before the check, for it: the
        work itself is bounded by its own adapter's limit)."""
        seconds, cut = limit(float('inf'))
        if not self.join(None if seconds == float('inf') else seconds):
            raise Overrun(seconds, cut)
        return self.result()


def within(work, seconds, on_overrun=None):
    """``work()`` on a daemon thread, raced against ``seconds`` cut to the running check's time
    left: its value, or its exception re-raised, or :class:`Overrun` when it overruns. The
    thread is then abandoned (a blocking call such as getaddrinfo or a dripped read cannot be
    interrupted); ``on_overrun()`` may release what it holds (shut its socket down)."""
    seconds, cut = limit(seconds)
    if seconds <= 0 or (cut and seconds < SLACK):  # no time to do it in: do not start it
        raise Overrun(0, cut)
    task = Task(work, 'acrhealth-bounded')
    if not task.join(seconds):
        if on_overrun is not None:
            on_overrun()
        raise Overrun(seconds, cut)
    return task.result()


def spawn(target, args=(), name='acrhealth-worker'):
    """Start ``target(*args)`` as a :class:`Task` (it keeps this thread's deadline)."""
    return Task(lambda: target(*args), name)


def gather(tasks):
    """Wait for tasks :func:`spawn` started; re-raise the first exception one of them had."""
    for task in tasks:
        task.join()
    for task in tasks:
        task.result()
