# acrhealth (MIT licence). The answer stays on screen: the closing summary comes after the
# report (from knack's EVENT_CLI_SUCCESSFUL_EXECUTE), for every run, and the exit-1 error last.
import io
from types import SimpleNamespace

import pytest
from azure.cli.core.azclierror import UnclassifiedUserFault
from azure.cli.core.style import format_styled_text
from knack import CLI
from knack.events import EVENT_CLI_SUCCESSFUL_EXECUTE

from azext_acrhealth import report, view
from azext_acrhealth.closing import close_after_output
from tests.unit.test_report import CLIENT, DAEMON_DOWN, ENVIRONMENT, HELM_MISSING, PULL_SKIPPED


class Stream(io.StringIO):
    encoding = 'utf-8'


@pytest.fixture(autouse=True)
def without_colour(monkeypatch):
    monkeypatch.setattr(format_styled_text, 'theme', 'none', raising=False)


def closing(outcomes, only_show_errors=False):
    cli = CLI(cli_name='az')
    cli.only_show_errors = only_show_errors
    stream = Stream()
    shown = view.TerminalView(cli, [check for check, _ in outcomes], stream=stream)
    built = report.build_report(outcomes, ENVIRONMENT)
    close_after_output(cli, shown, built, 1.0, failed=report.failed_count(built))
    return cli, stream


def test_nothing_is_printed_before_the_report_is_written():
    cli, stream = closing([CLIENT, HELM_MISSING])
    assert stream.getvalue() == ''
    cli.raise_event(EVENT_CLI_SUCCESSFUL_EXECUTE, result=None)
    assert stream.getvalue().splitlines()[1].startswith('1 of 2 checks needs action')
    cli.raise_event(EVENT_CLI_SUCCESSFUL_EXECUTE, result=None)  # one-shot
    assert stream.getvalue().count('needs action') == 1


def test_a_healthy_run_is_closed_too():
    cli, stream = closing([CLIENT])
    cli.raise_event(EVENT_CLI_SUCCESSFUL_EXECUTE, result=None)
    assert 'No problem found (1 passed; 1 s).' in stream.getvalue()


def test_the_error_comes_after_the_summary():
    cli, stream = closing([CLIENT, DAEMON_DOWN, PULL_SKIPPED])
    with pytest.raises(UnclassifiedUserFault):
        cli.raise_event(EVENT_CLI_SUCCESSFUL_EXECUTE, result=None)
    assert stream.getvalue().rstrip().endswith(
        'Please refer to https://aka.ms/acr/health-check for more information.')


def test_with_only_show_errors_only_the_error_remains():
    cli, stream = closing([CLIENT, DAEMON_DOWN], only_show_errors=True)
    with pytest.raises(UnclassifiedUserFault):
        cli.raise_event(EVENT_CLI_SUCCESSFUL_EXECUTE, result=None)
    assert stream.getvalue() == ''


def test_with_the_table_the_progress_lines_are_not_printed_but_the_summary_is():
    stream = Stream()
    shown = view.TerminalView(SimpleNamespace(), [CLIENT[0], DAEMON_DOWN[0]], stream=stream,
                              listing=False)
    shown.progress(report.check_entry(*CLIENT))
    shown.progress(report.check_entry(*PULL_SKIPPED), stopped=True)
    shown.end_of_run()
    assert stream.getvalue() == ''
    shown.summary(report.build_report([CLIENT, DAEMON_DOWN], ENVIRONMENT), 1)
    assert stream.getvalue().startswith('\n1 of 2 checks needs action')


def test_the_stopped_line_ends_the_progress_lines_once():
    stream = Stream()
    shown = view.TerminalView(SimpleNamespace(), [CLIENT[0]], stream=stream)
    shown.progress(report.check_entry(*PULL_SKIPPED), stopped=True)
    shown.end_of_run()
    assert stream.getvalue() == ('- 1 check not run after the first failure (--ignore-errors '
                                 'runs them): Docker pull\n')
    shown.summary(report.build_report([CLIENT], ENVIRONMENT), 1)
    assert stream.getvalue().count('not run after') == 1


@pytest.mark.parametrize('data, listed', [
    ({'output': 'table'}, True),
    ({'output': 'table', 'query_active': True}, False),  # the query's values, not our rows
    ({'output': 'json'}, False),
    ({}, False),
])
def test_the_table_lists_the_checks_only_without_a_query(data, listed):
    cli_ctx = SimpleNamespace(invocation=SimpleNamespace(data=data))
    assert view.listed_by_table(cli_ctx) is listed
    assert view.listed_by_table(SimpleNamespace()) is False


# A process that ends: what its objects' finalizers do tells whether Python's last collection ran.
EXITING = r'''
import atexit, gc, os, sys
from azext_acrhealth import closing


class Cycle:
    def __init__(self, label):
        self.label, self.me = label, self

    def __del__(self, write=os.write):
        write(1, b'collected:' + self.label + b'\n')


atexit.register(lambda: sys.stdout.write('earlier exit handler ran\n'))
if sys.argv[1] == 'skip':
    closing.skip_the_final_collection()
    closing.skip_the_final_collection()
sys.stdout.write(f'during the run: enabled={gc.isenabled()} frozen={gc.get_freeze_count()}\n')
Cycle(b'during-the-run')
gc.collect()
alive = Cycle(b'at-exit')
sys.stdout.write('unflushed report')
'''


def exited(mode):
    import subprocess
    import sys
    from pathlib import Path
    return subprocess.run([sys.executable, '-c', EXITING, mode], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parents[2], timeout=60, check=True).stdout


def test_the_final_collection_is_skipped_at_exit_only():
    # Without it, Python's last collection finalizes the cycle still alive at exit.
    assert 'collected:at-exit' in exited('collect')
    out = exited('skip')
    assert 'collected:at-exit' not in out
    # Until the exit, collection goes on as before (az interactive runs many commands).
    assert 'during the run: enabled=True frozen=0' in out
    assert 'collected:during-the-run' in out
    # Exit handlers registered before still run, and the standard streams are still flushed.
    assert 'earlier exit handler ran' in out and 'unflushed report' in out


def test_the_final_collection_is_registered_once(monkeypatch):
    import atexit
    from azext_acrhealth import closing
    registered = []
    monkeypatch.setattr(atexit, 'register', registered.append)
    monkeypatch.setattr(atexit, 'unregister', lambda func: [
        registered.remove(func) for _ in range(registered.count(func))])
    closing.skip_the_final_collection()
    closing.skip_the_final_collection()
    import gc
    assert registered == [gc.freeze]
