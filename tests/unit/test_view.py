# acrhealth (MIT licence). The view for people: exact text of the progress lines and summary.
import io

from azure.cli.core.style import format_styled_text

from azext_acrhealth import actions, report, view
from tests.unit.test_report import CLIENT, DAEMON_DOWN, ENVIRONMENT, HELM_MISSING, PULL_SKIPPED

WIDTH = len('Docker client')


def plain(styled):
    return format_styled_text([(view.Style(style), text) for style, text in styled], theme='none')


def coloured(styled):
    return format_styled_text([(view.Style(style), text) for style, text in styled],
                              theme='dark')


def entry(outcome):
    return report.check_entry(*outcome)


def test_progress_lines_plain():
    assert plain(view.progress_line(entry(CLIENT), WIDTH)) == \
        '\u2713 Docker client  Docker client found: /usr/bin/docker.'
    assert plain(view.progress_line(entry(DAEMON_DOWN), WIDTH)) == \
        ('\u2717 Docker daemon  DOCKER_DAEMON_ERROR The Docker daemon is not reachable: Cannot '
         'connect to the Docker daemon.')
    assert plain(view.progress_line(entry(HELM_MISSING), WIDTH)) == \
        '! Helm           HELM_COMMAND_ERROR No `helm` executable found on PATH.'
    assert plain(view.progress_line(entry(PULL_SKIPPED), WIDTH)) == \
        '- Docker pull    It needs "Docker daemon", which did not pass.'


def test_progress_lines_without_a_terminal_that_shows_marks():
    assert plain(view.progress_line(entry(CLIENT), WIDTH, fancy=False)).startswith(
        '+ Docker client  ')
    assert plain(view.progress_line(entry(DAEMON_DOWN), WIDTH, fancy=False)).startswith('x ')


def test_progress_lines_coloured_as_the_cli_colours():
    assert coloured(view.progress_line(entry(DAEMON_DOWN), WIDTH)) == (
        '\x1b[91m\u2717\x1b[0m Docker daemon  \x1b[91mDOCKER_DAEMON_ERROR\x1b[0m \x1b[0mThe Docker '
        'daemon is not reachable: Cannot connect to the Docker daemon.\x1b[0m')


def test_summary_lists_only_what_needs_action_and_ends_with_the_health_check_link():
    result = report.build_report([CLIENT, HELM_MISSING, DAEMON_DOWN, PULL_SKIPPED], ENVIRONMENT)
    lines = [plain(line) for line in view.summary_lines(result, 1.234)]  # failures first
    assert lines == [
        '',
        '2 of 4 checks need action (1 passed, 1 failed, 1 with warnings, 1 skipped; 1.2 s):',
        '\u2717 DOCKER_DAEMON_ERROR (Docker daemon): Start (or restart) the Docker daemon, check '
        'its installation, and make sure this user may use its socket (for example membership '
        'of the `docker` group, or DOCKER_HOST).',
        '  https://aka.ms/acr/errors#docker_daemon_error',
        '! HELM_COMMAND_ERROR (Helm): Install Helm 3.8.0 or later and make sure the `helm` '
        'executable is on PATH; ignore this if you do not use Helm charts.',
        '  https://aka.ms/acr/errors#helm_command_error',
        'Please refer to https://aka.ms/acr/health-check for more information.',
    ]


def test_run_time_as_people_read_it():
    assert [actions.took_text(s) for s in (0.0001, 0.042, 0.1, 2.46, 61)] == \
        ['1 ms', '42 ms', '0.1 s', '2.5 s', '61 s']


def test_summary_lists_failures_and_warnings_without_a_code_too():
    from tests.unit.test_report import outcome
    unreadable = outcome('role-assignments', 'Role assignments', 'roles.unreadable',
                         {'error': 'ARM answered 403 AuthorizationFailed'})
    crashed = outcome('identity', 'Identity', 'runner.failed.exception', {'error': 'KeyError: x'})
    result = report.build_report([CLIENT, unreadable, crashed], ENVIRONMENT)
    lines = [plain(line) for line in view.summary_lines(result, 1)]
    assert lines[1].startswith('2 of 3 checks need action (1 passed, 1 failed, 1 with warnings')
    assert lines[2].startswith('\u2717 Identity: ') and 'KeyError: x' in lines[2]
    assert lines[3].startswith('! Role assignments: ')
    assert lines[4].startswith('Please refer to')


def test_a_closed_stderr_turns_the_view_off_without_failing_the_run():
    class Closed(_Stream):
        def write(self, _text):
            raise BrokenPipeError(32, 'Broken pipe')
    shown = view.TerminalView(_Ctx(False), [CLIENT[0]], stream=Closed('utf-8'))
    shown.progress(entry(CLIENT))
    shown.summary(report.build_report([CLIENT], ENVIRONMENT), 1)  # nothing raised


def test_summary_when_nothing_needs_action():
    result = report.build_report([CLIENT, PULL_SKIPPED], ENVIRONMENT)
    assert [plain(line) for line in view.summary_lines(result, 12)] == [
        '', 'No problem found (1 passed, 1 skipped; 12 s).',
        'Please refer to https://aka.ms/acr/health-check for more information.']


class _Ctx:  # pylint: disable=too-few-public-methods
    def __init__(self, only_show_errors):
        self.only_show_errors = only_show_errors


class _Stream(io.StringIO):
    def __init__(self, encoding):
        super().__init__()
        self._encoding = encoding

    @property
    def encoding(self):
        return self._encoding


def test_the_view_prints_to_its_stream_with_marks_the_stream_can_encode(monkeypatch):
    monkeypatch.setattr(format_styled_text, 'theme', 'none', raising=False)  # as without colour
    plan = [check for check, _ in (CLIENT, DAEMON_DOWN)]
    utf8, latin = _Stream('utf-8'), _Stream('cp1252')
    for stream in (utf8, latin):
        shown = view.TerminalView(_Ctx(False), plan, stream=stream)
        shown.progress(entry(CLIENT))
    assert utf8.getvalue() == '\u2713 Docker client  Docker client found: /usr/bin/docker.\n'
    assert latin.getvalue() == '+ Docker client  Docker client found: /usr/bin/docker.\n'


def test_checks_the_run_stopped_before_are_one_line_before_the_summary(monkeypatch):
    monkeypatch.setattr(format_styled_text, 'theme', 'none', raising=False)
    stream = _Stream('utf-8')
    shown = view.TerminalView(_Ctx(False), [CLIENT[0], DAEMON_DOWN[0]], stream=stream)
    shown.progress(entry(DAEMON_DOWN))
    shown.progress(dict(entry(CLIENT), title='Helm'), stopped=True)
    shown.progress(entry(PULL_SKIPPED))
    shown.progress(dict(entry(CLIENT), title='Notary'), stopped=True)
    shown.summary(report.build_report([DAEMON_DOWN], ENVIRONMENT), 1)
    lines = stream.getvalue().splitlines()
    assert lines[1] == '- Docker pull    It needs "Docker daemon", which did not pass.'
    assert lines[2] == ('- 2 checks not run after the first failure (--ignore-errors runs them): '
                        'Helm, Notary')
    assert lines[3:5] == ['', '1 of 1 check needs action (1 failed; 1 s):']


def test_only_show_errors_prints_nothing():
    stream = _Stream('utf-8')
    shown = view.TerminalView(_Ctx(True), [CLIENT[0]], stream=stream)
    shown.progress(entry(CLIENT))
    shown.summary(report.build_report([CLIENT], ENVIRONMENT), 1)
    assert stream.getvalue() == ''
