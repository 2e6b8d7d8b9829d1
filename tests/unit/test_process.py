# acrhealth (MIT licence). The child-process adapter: bounded, no stdin, whole group killed.
import os
import sys
import textwrap
import time

import pytest

from azext_acrhealth._process import ProcessResult, run_process


def _alive(pid):
    """True if ``pid`` runs (a zombie waiting for its reaper counts as dead)."""
    try:
        with open('/proc/{}/stat'.format(pid)) as stat:
            return stat.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


def test_output_and_exit_code():
    result = run_process([sys.executable, '-c',
                          'import sys; print("out"); print("err", file=sys.stderr); sys.exit(3)'],
                         timeout=10)
    assert result == ProcessResult(3, 'out\n', 'err\n', False)


def test_undecodable_output_is_replaced_not_raised():
    result = run_process([sys.executable, '-c', 'import os; os.write(1, b"\\xff\\xfeok")'],
                         timeout=10)
    assert result.stdout.endswith('ok') and not result.timed_out


def test_a_missing_executable_raises_oserror():
    with pytest.raises(OSError):
        run_process(['/nonexistent/acrhealth-no-such-tool'], timeout=5)


def test_a_sleeping_child_and_its_children_are_killed_at_the_timeout(tmp_path):
    pidfile = tmp_path / 'grandchild.pid'
    # The child starts a grandchild (same process group) that keeps the pipes open, then both
    # sleep far beyond the timeout.
    script = textwrap.dedent('''
        import subprocess, sys, time
        grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])
        open(sys.argv[1], 'w').write(str(grandchild.pid))
        print('started', flush=True)
        time.sleep(300)
    ''')
    started = time.monotonic()
    result = run_process([sys.executable, '-c', script, str(pidfile)], timeout=1.0)
    elapsed = time.monotonic() - started
    grandchild = int(pidfile.read_text())
    try:
        assert result.timed_out is True
        assert elapsed < 2.5, 'run_process took {:.1f} s with a 1 s timeout'.format(elapsed)
        assert result.stdout == 'started\n'
        deadline = time.monotonic() + 2
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(grandchild), 'the grandchild outlived the timeout'
    finally:
        if _alive(grandchild):
            os.kill(grandchild, 9)


def test_stdin_is_not_inherited(tmp_path):
    # Put a pipe that never ends on our fd 0: a child that inherited it would block on read.
    read_end, write_end = os.pipe()
    saved = os.dup(0)
    os.dup2(read_end, 0)
    try:
        result = run_process([sys.executable, '-c', 'import sys; print(repr(sys.stdin.read()))'],
                             timeout=3)
    finally:
        os.dup2(saved, 0)
        for fd in (saved, read_end, write_end):
            os.close(fd)
    assert result.timed_out is False
    assert result.stdout == "''\n"


def test_the_child_runs_in_its_own_session():
    result = run_process([sys.executable, '-c', 'import os; print(os.getsid(0) == os.getpid())'],
                         timeout=10)
    assert result.stdout == 'True\n'


def test_a_grandchild_that_escaped_the_group_with_the_pipes_does_not_hold_us(tmp_path):
    # A grandchild in its own session survives the group kill and keeps our pipes open:
    # run_process gives up on its output instead of waiting for it.
    pidfile = tmp_path / 'escaped.pid'
    script = textwrap.dedent('''
        import subprocess, sys, time
        escaped = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'],
                                   start_new_session=True)
        open(sys.argv[1], 'w').write(str(escaped.pid))
        time.sleep(60)
    ''')
    started = time.monotonic()
    try:
        result = run_process([sys.executable, '-c', script, str(pidfile)], timeout=2)
        elapsed = time.monotonic() - started
        assert result.timed_out is True
        assert pidfile.exists(), 'the escaped grandchild never started: nothing was tested'
        assert elapsed < 5.5, 'run_process took {:.1f} s'.format(elapsed)  # 2 s + 2 s grace
    finally:
        if pidfile.exists() and _alive(int(pidfile.read_text())):
            os.kill(int(pidfile.read_text()), 9)
