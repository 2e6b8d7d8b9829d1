# acrhealth (MIT licence). GitHub Actions and Azure Pipelines: annotations, step summary, escaping.
import io
import os

from hypothesis import given, settings, strategies as st

from azext_acrhealth import pipelines, report
from tests.unit.test_report import CLIENT, DAEMON_DOWN, ENVIRONMENT, HELM_MISSING, outcome

GITHUB = {'GITHUB_ACTIONS': 'true'}
AZURE = {'TF_BUILD': 'True'}
FIX = ('Start (or restart) the Docker daemon, check its installation, and make sure this user may '
       'use its socket (for example membership of the `docker` group, or DOCKER_HOST).')
HELM_FIX = ('Install Helm 3.8.0 or later and make sure the `helm` executable is on PATH; ignore '
            'this if you do not use Helm charts.')


# What the runners do with a command's text, as their sources do it (see pipelines.py):
def github_unescape_data(text):
    return text.replace('%0D', '\r').replace('%0A', '\n').replace('%25', '%')


def github_unescape_property(text):
    for escaped, token in (('%0D', '\r'), ('%0A', '\n'), ('%3A', ':'), ('%2C', ','),
                           ('%25', '%')):
        text = text.replace(escaped, token)
    return text


def azure_unescape(text):
    for escaped, token in (('%3B', ';'), ('%0D', '\r'), ('%0A', '\n'), ('%5D', ']')):
        text = text.replace(escaped, token)
    return text.replace('%AZP25', '%')


def built(*outcomes):
    return report.build_report(list(outcomes), ENVIRONMENT)


def test_the_runner_is_told_by_its_variables():
    assert pipelines.runner({'GITHUB_ACTIONS': 'true'}) == pipelines.GITHUB
    assert pipelines.runner({'TF_BUILD': 'True'}) == pipelines.AZURE
    assert pipelines.runner({'TF_BUILD': 'true'}) == pipelines.AZURE
    for environ in ({}, {'GITHUB_ACTIONS': 'false'}, {'TF_BUILD': ''}, {'CI': 'true'}):
        assert pipelines.runner(environ) is None


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_every_text_comes_back_as_it_was_and_on_one_line(text):
    for escaped, unescape in ((pipelines.github_data(text), github_unescape_data),
                              (pipelines.github_property(text), github_unescape_property),
                              (pipelines.azure_escaped(text), azure_unescape)):
        assert '\r' not in escaped and '\n' not in escaped
        assert unescape(escaped) == text
    assert ':' not in pipelines.github_property(text) and ',' not in pipelines.github_property(text)
    assert ';' not in pipelines.azure_escaped(text) and ']' not in pipelines.azure_escaped(text)


def test_escapes_as_each_runner_reads_them():
    assert pipelines.github_data('100%\r\nnext') == '100%25%0D%0Anext'
    assert pipelines.github_property('CODE (a: b, c) 5%') == 'CODE (a%3A b%2C c) 5%25'
    assert pipelines.azure_escaped('a;b]c 5%\r\n') == 'a%3Bb%5Dc 5%AZP25%0D%0A'


def test_github_annotations_for_a_failure_and_a_warning():
    assert pipelines.annotations(built(CLIENT, DAEMON_DOWN, HELM_MISSING), pipelines.GITHUB) == [
        '::error title=DOCKER_DAEMON_ERROR (Docker daemon)::The Docker daemon is not reachable: '
        f'Cannot connect to the Docker daemon.%0AFix: {FIX}%0A'
        'https://aka.ms/acr/errors#docker_daemon_error',
        '::warning title=HELM_COMMAND_ERROR (Helm)::No `helm` executable found on PATH.%0AFix: '
        f'{HELM_FIX}%0Ahttps://aka.ms/acr/errors#helm_command_error']


def test_azure_pipelines_logging_commands_for_a_failure_and_a_warning():
    assert pipelines.annotations(built(CLIENT, DAEMON_DOWN, HELM_MISSING), pipelines.AZURE) == [
        '##vso[task.logissue type=error;code=DOCKER_DAEMON_ERROR]DOCKER_DAEMON_ERROR (Docker '
        'daemon): The Docker daemon is not reachable: Cannot connect to the Docker daemon.%0A'
        f"Fix: {FIX.replace(';', '%3B')}%0Ahttps://aka.ms/acr/errors#docker_daemon_error",
        '##vso[task.logissue type=warning;code=HELM_COMMAND_ERROR]HELM_COMMAND_ERROR (Helm): No '
        f"`helm` executable found on PATH.%0AFix: {HELM_FIX.replace(';', '%3B')}%0A"
        'https://aka.ms/acr/errors#helm_command_error']


def test_only_errors_with_only_show_errors_and_nothing_when_nothing_needs_action():
    for kind in (pipelines.GITHUB, pipelines.AZURE):
        lines = pipelines.annotations(built(DAEMON_DOWN, HELM_MISSING), kind, errors_only=True)
        assert len(lines) == 1 and 'error' in lines[0].split('::')[1 if kind == 'github' else 0]
        assert pipelines.annotations(built(CLIENT), kind) == []


def test_a_finding_without_a_code_is_titled_by_its_check():
    unreadable = outcome('role-assignments', 'Role assignments', 'roles.unreadable',
                         {'error': 'ARM answered 403'})
    github, = pipelines.annotations(built(unreadable), pipelines.GITHUB)
    assert github.startswith('::warning title=Role assignments::')
    azure, = pipelines.annotations(built(unreadable), pipelines.AZURE)
    assert azure.startswith('##vso[task.logissue type=warning]Role assignments: ')


HOSTILE = ('bad\r\n::error title=Forged::all good\n##vso[task.setvariable variable=PATH]/evil'
           '; done] 100%0A \x1b[2J,:')


def test_text_a_server_sent_stays_inside_its_own_annotation():
    forged = outcome('docker-daemon', 'Docker daemon', 'docker.daemon.unreachable',
                     {'error': HOSTILE}, 'DOCKER_DAEMON_ERROR')
    github, = pipelines.annotations(built(forged), pipelines.GITHUB)
    azure, = pipelines.annotations(built(forged), pipelines.AZURE)
    for line in (github, azure):
        assert '\n' not in line and '\r' not in line and '\x1b' not in line
    data = github_unescape_data(github.split('::', 2)[2])
    # the server's line breaks and escape are shown as text; only our own lines separate parts
    assert data.split('\n')[0] == ('The Docker daemon is not reachable: bad\\r\\n::error '
                                   'title=Forged::all good\\n##vso[task.setvariable '
                                   'variable=PATH]/evil; done] 100%0A \\x1b[2J,:')
    assert len(data.split('\n')) == 3
    properties, message = azure.split(']', 1)
    assert properties == '##vso[task.logissue type=error;code=DOCKER_DAEMON_ERROR'
    assert azure_unescape(message).split('\n')[0].endswith('done] 100%0A \\x1b[2J,:')


def test_inert_breaks_the_runners_commands_in_lines_for_people(monkeypatch):
    text = '##[error]x ##vso[task.prependpath]/evil ##VSO[a.b]c 2001:db8::1'
    monkeypatch.setenv('GITHUB_ACTIONS', 'true')
    assert pipelines.inert(text) == ('#\\x23[error]x #\\x23vso[task.prependpath]/evil '
                                     '#\\x23VSO[a.b]c 2001:db8::1')
    assert pipelines.inert('::error::x\n  ::warning::y') == '\\x3a:error::x\n  \\x3a:warning::y'
    monkeypatch.delenv('GITHUB_ACTIONS')
    monkeypatch.setenv('TF_BUILD', 'True')
    assert pipelines.inert('##vso[task.complete result=Succeeded]') == \
        '#\\x23vso[task.complete result=Succeeded]'
    monkeypatch.delenv('TF_BUILD')
    assert pipelines.inert(text) == text  # nothing changes outside the runners


MARKDOWN = '''### az acr check-health: unhealthy

2 of 3 checks need action (1 passed, 1 failed, 1 with warnings; 1.2 s).

| Check | Status | Code | Message |
| --- | --- | --- | --- |
| Docker client | \u2713 passed |  | Docker client found: /usr/bin/docker. |
| Docker daemon | \u2717 failed | DOCKER\\_DAEMON\\_ERROR | The Docker daemon is not reachable: Cannot connect to the Docker daemon. |
| Helm | ! warning | HELM\\_COMMAND\\_ERROR | No \\`helm\\` executable found on PATH. |

**What to do**

- \u2717 **DOCKER\\_DAEMON\\_ERROR** (Docker daemon): Start (or restart) the Docker daemon, check its installation, and make sure this user may use its socket (for example membership of the \\`docker\\` group, or DOCKER\\_HOST). <https://aka.ms/acr/errors#docker_daemon_error>
- ! **HELM\\_COMMAND\\_ERROR** (Helm): Install Helm 3.8.0 or later and make sure the \\`helm\\` executable is on PATH; ignore this if you do not use Helm charts. <https://aka.ms/acr/errors#helm_command_error>
'''


def test_the_step_summary_markdown():
    assert pipelines.markdown(built(CLIENT, DAEMON_DOWN, HELM_MISSING), 1.234) == MARKDOWN


def test_the_step_summary_of_a_healthy_registry_with_only_optional_clients_left():
    result = report.build_report([CLIENT, HELM_MISSING], ENVIRONMENT,
                                 registry={'name': 'myregistry', 'loginServer': None,
                                           'resolvedBy': None})
    text = pipelines.markdown(result, 0.04)
    assert text.startswith('### az acr check-health --name myregistry: healthy\n\n'
                           '1 of 2 checks needs action (1 passed, 1 with warnings; 40 ms).\n')
    assert text.endswith('\n\nOnly optional clients need action: where Helm is not used, --skip '
                         'helm leaves it out.\n')
    assert pipelines.markdown(built(CLIENT), 1).split('\n')[2] == \
        'No problem found (1 passed; 1 s).'


def test_markdown_shows_a_servers_text_and_nothing_else():
    assert pipelines.md('a | b <script>x</script> ![i](http://t/p) *e* `c` $m$ &amp; \\ \n') == (
        'a \\| b \\<script\\>x\\</script\\> \\!\\[i\\](http://t/p) \\*e\\* \\`c\\` \\$m\\$ '
        '\\&amp; \\\\ \\\\n')  # the line break: escaped as text by _text.shown, then its "\"


def test_github_annotations_on_stderr_and_the_summary_appended_to_its_file(tmp_path):
    summary = tmp_path / 'step_summary.md'
    summary.write_text('# earlier step\n', encoding='utf-8')
    stream = io.StringIO()
    pipelines.announce(built(CLIENT, DAEMON_DOWN), 1.234,
                       environ=dict(GITHUB, GITHUB_STEP_SUMMARY=str(summary)), stream=stream)
    assert stream.getvalue().startswith('::error title=DOCKER_DAEMON_ERROR (Docker daemon)::')
    assert len(stream.getvalue().splitlines()) == 1
    assert summary.read_text(encoding='utf-8') == '# earlier step\n' + pipelines.markdown(
        built(CLIENT, DAEMON_DOWN), 1.234)


def test_azure_pipelines_summary_is_a_file_attached_by_uploadsummary(tmp_path):
    stream = io.StringIO()
    result = report.build_report([CLIENT, HELM_MISSING], ENVIRONMENT, registry={
        'name': 'myregistry', 'loginServer': None, 'resolvedBy': None})
    pipelines.announce(result, 1, quiet=True,
                       environ=dict(AZURE, AGENT_TEMPDIRECTORY=str(tmp_path)), stream=stream)
    line, = stream.getvalue().splitlines()  # quiet: no warning annotation, the summary only
    assert line.startswith('##vso[task.uploadsummary]')
    path = azure_unescape(line[len('##vso[task.uploadsummary]'):])
    assert os.path.dirname(os.path.dirname(path)) == str(tmp_path)
    assert os.path.basename(path) == 'acr-check-health-myregistry.md'
    with open(path, encoding='utf-8') as handle:
        assert handle.read() == pipelines.markdown(result, 1)


def test_nothing_at_all_outside_the_runners(tmp_path):
    stream = io.StringIO()
    pipelines.announce(built(DAEMON_DOWN), 1, environ={'GITHUB_STEP_SUMMARY': str(tmp_path / 's')},
                       stream=stream)
    assert stream.getvalue() == '' and not (tmp_path / 's').exists()


def test_a_summary_that_cannot_be_written_is_a_warning_and_the_annotations_still_come(
        tmp_path, caplog):
    stream = io.StringIO()
    pipelines.announce(built(DAEMON_DOWN), 1, stream=stream, environ=dict(
        GITHUB, GITHUB_STEP_SUMMARY=str(tmp_path / 'missing-dir' / 'summary.md')))
    assert stream.getvalue().startswith('::error ')
    assert 'The step summary could not be written' in caplog.text


def test_in_a_runner_no_text_of_the_report_is_a_command():
    report_dict = {'status': 'unhealthy', 'summary': {'failed': 1}, 'checks': [
        {'id': 'refresh-token', 'message': 'x ##vso[task.setvariable variable=A]1', 'code': None,
         'details': {'registryMessage': '::error::forged', 'statusCode': 403,
                     'list': ['##[add-mask]Failed', True]}}]}
    assert pipelines.inert_report(report_dict, environ={}) is report_dict  # untouched elsewhere
    inert = pipelines.inert_report(report_dict, environ=AZURE)
    check = inert['checks'][0]
    assert check['message'] == 'x #\\x23vso[task.setvariable variable=A]1'
    assert check['details'] == {'registryMessage': '\\x3a:error::forged', 'statusCode': 403,
                                'list': ['#\\x23[add-mask]Failed', True]}
    assert inert['summary'] == {'failed': 1} and check['code'] is None
    assert report_dict['checks'][0]['message'].startswith('x ##vso[')  # a copy was made
