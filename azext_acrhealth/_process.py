# acrhealth (MIT licence). The child-process adapter: every child is bounded in time.
"""Run a child process with a deadline, no stdin, and a kill of its whole process tree
when the deadline passes (a hung `docker pull` must not outlive --timeout).

On Linux and macOS the child leads a new session, and its process group is killed with
SIGKILL. Windows has neither process groups to signal nor SIGKILL (``os.killpg`` and
``signal.SIGKILL`` do not exist there): ``taskkill /T /F`` ends the child and every process
it started, found by parent id, as Windows allows."""

import os
import signal
import subprocess
import sys
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
            _reap(proc)
        timed_out = True
    return ProcessResult(proc.returncode, _text(out), _text(err), timed_out,
                         timeout if timed_out else None)


def _kill_group(proc):
    """Kill the child and everything it started."""
    if sys.platform == 'win32':
        _kill_tree_on_windows(proc)
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # POSIX only, as is this branch
    except (ProcessLookupError, PermissionError):
        # macOS answers EPERM for a group whose leader is already a zombie: the child at least.
        proc.kill()


def taskkill_path(environ=None):
    """Windows' own taskkill.exe, from the system directory (never one that PATH or the current
    directory offers: a cloned repository could plant one there)."""
    environ = os.environ if environ is None else environ
    root = environ.get('SystemRoot') or environ.get('SYSTEMROOT') or 'C:\\Windows'
    return os.path.join(root, 'System32', 'taskkill.exe')


def _kill_tree_on_windows(proc):
    try:
        subprocess.run([taskkill_path(), '/PID', str(proc.pid), '/T', '/F'],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=KILL_WAIT * 4, check=False)
    except (OSError, subprocess.SubprocessError):
        pass  # no taskkill, or it hung: the child itself is still ended below
    if proc.poll() is None:
        proc.kill()  # TerminateProcess: the child, whatever taskkill managed


def _reap(proc):
    """Collect the killed child's exit code (its pipes are given up on, not the child)."""
    try:
        proc.wait(timeout=KILL_WAIT)
    except subprocess.TimeoutExpired:
        pass


def _text(data):
    return (data or b'').decode('utf-8', errors='replace')
