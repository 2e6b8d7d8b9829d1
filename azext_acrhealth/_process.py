# acrhealth (MIT licence). The child-process adapter: every child is bounded in time.
"""Run a child process with a deadline, no stdin, and a kill of its whole process group
when the deadline passes (a hung `docker pull` must not outlive --timeout)."""

import os
import signal
import subprocess
from collections import namedtuple

from ._bounded import limit

# seconds: how long the child was given, when it timed out.
ProcessResult = namedtuple('ProcessResult', 'returncode stdout stderr timed_out seconds',
                           defaults=(None,))
KILL_WAIT = 0.5


def run_process(argv, timeout, env=None, input=None):  # pylint: disable=redefined-builtin
    """Run ``argv`` (with ``input`` bytes on its stdin, else none) for at most ``timeout`` s, or
    the time left to the running check; return a :data:`ProcessResult`. Raises OSError if it
    cannot start."""
    timeout, _ = limit(timeout)
    # Not `with`: on a timeout the whole process group is killed and its pipes given up on; the
    # context manager would wait for a grandchild that holds them.
    proc = subprocess.Popen(  # pylint: disable=consider-using-with
        argv, stdin=subprocess.DEVNULL if input is None else subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = proc.communicate(input, timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=KILL_WAIT)
        except subprocess.TimeoutExpired:  # a grandchild holds the pipes: give up on them
            out, err = b'', b''
        timed_out = True
    return ProcessResult(proc.returncode, _text(out), _text(err), timed_out,
                         timeout if timed_out else None)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()


def _text(data):
    return (data or b'').decode('utf-8', errors='replace')
