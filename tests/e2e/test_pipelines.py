# acrhealth (MIT licence). In GitHub Actions and Azure Pipelines, through the real `az`: the
# runner's annotations on stderr (exact lines), the step summary (exact Markdown), stdout the
# report alone; nothing of it outside the runners. And --skip / acrhealth.skip end to end.
"""Each run has the variables a runner sets (``GITHUB_ACTIONS=true`` and the file
``GITHUB_STEP_SUMMARY`` names; ``TF_BUILD=True`` and ``AGENT_TEMPDIRECTORY``), and its stderr is
read as the runner reads it: a line that is a command (``::error ...::``, ``##vso[...]``) is an
annotation, unescaped by the runner's own rules."""

import json
import re
from importlib.metadata import version

import pytest

from azext_acrhealth.skipping import all_check_ids
from azext_acrhealth.version import VERSION
from tests.e2e.conftest import seed_config_dir
from tests.e2e.test_terminal_view import (DAEMON_DOWN, ERROR, FIX, HELM, NOTICE, PROGRESS,
                                          STOPPED, SUMMARY, normal)

DAEMON_MESSAGE = f'The Docker daemon is not reachable: {DAEMON_DOWN}'
LINK = 'https://aka.ms/acr/errors#docker_daemon_error'
GITHUB_ERROR = (f'::error title=DOCKER_DAEMON_ERROR (Docker daemon)::{DAEMON_MESSAGE}%0A'
                f'Fix: {FIX}%0A{LINK}')
AZURE_ERROR = (f'##vso[task.logissue type=error;code=DOCKER_DAEMON_ERROR]DOCKER_DAEMON_ERROR '
               f'(Docker daemon): {DAEMON_MESSAGE}%0AFix: {FIX}%0A{LINK}')
HELM_FIX = ('Install Helm 3.8.0 or later and make sure the `helm` executable is on PATH; ignore '
            'this if you do not use Helm charts.')
NOTARY_FIX = ('If you sign images with Docker Content Trust, check that this Notary client works '
              'with your registry (its version is unknown, so nothing here tells whether it is '
              'compatible); better, sign and verify with Notation (https://aka.ms/acr/notation): '
              'Docker Content Trust is being retired for ACR (no new registry may enable it since '
              '2026-05-31; it is removed on 2028-03-31). If this machine does not sign images, '
              '--skip notary leaves the check out.')
NOTARY_MESSAGE = ('The Notary version could not be determined (`notary version` printed: notary | '
                  'Version: | Git commit: abc).')
OPTIONAL = ('Only optional clients need action: where Helm or Notary is not used, --skip helm '
            'notary leaves them out.')


def md(text):
    """The Markdown escapes of the step summary, for expected text written here."""
    return re.sub(r'([\\`*_\[\]<>!|~$&])', r'\\\1', text)


FAILING_MARKDOWN = f'''### az acr check-health: unhealthy

1 of 7 checks needs action (1 passed, 1 failed, 5 skipped; <t>).

| Check | Status | Code | Message |
| --- | --- | --- | --- |
| Docker client | \u2713 passed |  | Docker client found: <bin>/docker. |
| Docker daemon | \u2717 failed | DOCKER\\_DAEMON\\_ERROR | {md(DAEMON_MESSAGE)} |
| Docker version | - skipped |  | {STOPPED} |
| Docker pull | - skipped |  | It needs "Docker daemon", which did not pass. |
| Azure CLI | - skipped |  | {STOPPED} |
| Helm | - skipped |  | {STOPPED} |
| Notary | - skipped |  | {STOPPED} |

**What to do**

- \u2717 **DOCKER\\_DAEMON\\_ERROR** (Docker daemon): {md(FIX)} <{LINK}>
'''


def healthy_progress():
    return f'''\u2713 Docker client   Docker client found: <bin>/docker.
\u2713 Docker daemon   Docker daemon is running (server 28.2.2).
\u2713 Docker version  Docker client 28.2.2, server 28.2.2.
\u2713 Docker pull     Pulled mcr.microsoft.com/mcr/hello-world:latest.
\u2713 Azure CLI       Azure CLI {version('azure-cli-core')}, acrhealth {VERSION}.
! Helm            HELM_COMMAND_ERROR No `helm` executable found on PATH.
! Notary          NOTARY_VERSION_ERROR {NOTARY_MESSAGE}
'''


HEALTHY_SUMMARY = f'''
2 of 7 checks need action (5 passed, 2 with warnings; <t>):
! HELM_COMMAND_ERROR (Helm): {HELM_FIX}
  https://aka.ms/acr/errors#helm_command_error
! NOTARY_VERSION_ERROR (Notary): {NOTARY_FIX}
  https://aka.ms/acr/errors#notary_version_error
{OPTIONAL}
Please refer to https://aka.ms/acr/health-check for more information.
'''
GITHUB_WARNINGS = (
    f'::warning title=HELM_COMMAND_ERROR (Helm)::No `helm` executable found on PATH.%0AFix: '
    f'{HELM_FIX}%0Ahttps://aka.ms/acr/errors#helm_command_error\n'
    f'::warning title=NOTARY_VERSION_ERROR (Notary)::{NOTARY_MESSAGE}%0AFix: {NOTARY_FIX}%0A'
    'https://aka.ms/acr/errors#notary_version_error\n')
AZURE_WARNINGS = (
    '##vso[task.logissue type=warning;code=HELM_COMMAND_ERROR]HELM_COMMAND_ERROR (Helm): No '
    f"`helm` executable found on PATH.%0AFix: {HELM_FIX.replace(';', '%3B')}%0A"
    'https://aka.ms/acr/errors#helm_command_error\n'
    '##vso[task.logissue type=warning;code=NOTARY_VERSION_ERROR]NOTARY_VERSION_ERROR (Notary): '
    f"{NOTARY_MESSAGE}%0AFix: {NOTARY_FIX.replace(';', '%3B')}%0A"
    'https://aka.ms/acr/errors#notary_version_error\n')


def healthy_markdown():
    rows = [('Docker client', 'Docker client found: <bin>/docker.'),
            ('Docker daemon', 'Docker daemon is running (server 28.2.2).'),
            ('Docker version', 'Docker client 28.2.2, server 28.2.2.'),
            ('Docker pull', 'Pulled mcr.microsoft.com/mcr/hello-world:latest.'),
            ('Azure CLI', f"Azure CLI {version('azure-cli-core')}, acrhealth {VERSION}.")]
    table = ''.join(f'| {check} | \u2713 passed |  | {message} |\n' for check, message in rows)
    return f'''### az acr check-health: healthy

2 of 7 checks need action (5 passed, 2 with warnings; <t>).

| Check | Status | Code | Message |
| --- | --- | --- | --- |
{table}| Helm | ! warning | HELM\\_COMMAND\\_ERROR | No \\`helm\\` executable found on PATH. |
| Notary | ! warning | NOTARY\\_VERSION\\_ERROR | {md(NOTARY_MESSAGE)} |

**What to do**

- ! **HELM\\_COMMAND\\_ERROR** (Helm): {md(HELM_FIX)} <https://aka.ms/acr/errors#helm_command_error>
- ! **NOTARY\\_VERSION\\_ERROR** (Notary): {md(NOTARY_FIX)} <https://aka.ms/acr/errors#notary_version_error>

{OPTIONAL}
'''


def failing(tools):
    return tools.docker(daemon_error=DAEMON_DOWN).helm(HELM)


def healthy(tools):
    """Docker works; no Helm; a Notary that prints an empty version, as Debian's does."""
    return tools.docker().notary('')


def runner_env(kind, tmp_path):
    """The variables the runner sets, with a summary file (GitHub) or a temp dir (Azure)."""
    if kind == 'github':
        return {'GITHUB_ACTIONS': 'true', 'GITHUB_STEP_SUMMARY': str(tmp_path / 'summary.md')}
    if kind == 'azure':
        (tmp_path / 'agent-temp').mkdir()
        return {'TF_BUILD': 'True', 'AGENT_TEMPDIRECTORY': str(tmp_path / 'agent-temp')}
    return {}


def markdown_of(text, tools):
    """A step summary with the run's own paths and seconds made stable (in Markdown, the path's
    underscores are escaped)."""
    text = text.replace(str(tools.path).replace('_', '\\_'), '<bin>')
    return re.sub(r'; [\d.]+ m?s\)', '; <t>)', text)


UPLOAD = re.compile(r'^##vso\[task\.uploadsummary\](.*)$', re.MULTILINE)


def uploaded(stderr, tmp_path):
    """The file the uploadsummary command attaches, checked to be in the agent's temp dir."""
    path, = UPLOAD.findall(stderr)
    assert path.startswith(str(tmp_path / 'agent-temp') + '/acrhealth-'), path
    assert path.endswith('/acr-check-health.md'), path
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def run_in_azure_pipelines(az, tools, tmp_path):
    """``(result, stderr, summary)`` of a run as an Azure Pipelines agent runs it: stderr with
    the uploaded file's path made stable, and the Markdown that file holds."""
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path,
                    **runner_env('azure', tmp_path))
    summary = uploaded(result.stderr, tmp_path)
    return result, UPLOAD.sub('##vso[task.uploadsummary]<file>', result.stderr), summary


def test_github_actions_a_failing_run(az, tools, tmp_path):
    failing(tools)
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path,
                    **runner_env('github', tmp_path))
    assert result.returncode == 1, result
    assert normal(result.stderr, tools) == NOTICE + PROGRESS + GITHUB_ERROR + '\n' + SUMMARY
    assert markdown_of((tmp_path / 'summary.md').read_text(encoding='utf-8'), tools) == \
        FAILING_MARKDOWN
    assert result.json()['status'] == 'unhealthy'


def test_azure_pipelines_a_failing_run(az, tools, tmp_path):
    failing(tools)
    result, stderr, summary = run_in_azure_pipelines(az, tools, tmp_path)
    assert result.returncode == 1, result
    assert normal(stderr, tools) == (NOTICE + PROGRESS + AZURE_ERROR + '\n'
                                     '##vso[task.uploadsummary]<file>\n' + SUMMARY)
    assert markdown_of(summary, tools) == FAILING_MARKDOWN


def test_github_actions_a_healthy_run_with_optional_clients_left(az, tools, tmp_path):
    healthy(tools)
    env = runner_env('github', tmp_path)
    (tmp_path / 'summary.md').write_text('An earlier step wrote this.\n', encoding='utf-8')
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path, **env)
    assert result.returncode == 0, result
    assert normal(result.stderr, tools) == (NOTICE + healthy_progress() + GITHUB_WARNINGS +
                                            HEALTHY_SUMMARY)
    assert markdown_of((tmp_path / 'summary.md').read_text(encoding='utf-8'), tools) == \
        'An earlier step wrote this.\n' + healthy_markdown()  # appended, as GitHub asks


def test_azure_pipelines_a_healthy_run_with_optional_clients_left(az, tools, tmp_path):
    healthy(tools)
    result, stderr, summary = run_in_azure_pipelines(az, tools, tmp_path)
    assert result.returncode == 0, result
    assert normal(stderr, tools) == (NOTICE + healthy_progress() + AZURE_WARNINGS +
                                     '##vso[task.uploadsummary]<file>\n' + HEALTHY_SUMMARY)
    assert markdown_of(summary, tools) == healthy_markdown()


def run_only_show_errors(az, tools, tmp_path, kind):
    """A run with --only-show-errors in a runner: its result and the stderr lines besides the
    step summary's upload."""
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', '--only-show-errors',
                    bin_dir=tools.path, **runner_env(kind, tmp_path))
    return result, [line for line in result.stderr.splitlines()
                    if not line.startswith('##vso[task.uploadsummary]')]


@pytest.mark.parametrize('kind', ['github', 'azure'])
def test_only_show_errors_leaves_out_the_warning_annotations(az, tools, tmp_path, kind):
    healthy(tools)
    result, lines = run_only_show_errors(az, tools, tmp_path, kind)
    assert result.returncode == 0, result
    assert lines == []  # no warning annotation


@pytest.mark.parametrize('kind', ['github', 'azure'])
def test_only_show_errors_keeps_an_error_annotation(az, tools, tmp_path, kind):
    failing(tools)
    result, lines = run_only_show_errors(az, tools, tmp_path, kind)
    assert result.returncode == 1, result
    assert normal('\n'.join(lines), tools) == '\n'.join(
        [GITHUB_ERROR if kind == 'github' else AZURE_ERROR, ERROR])


@pytest.mark.parametrize('environ', [
    {}, {'GITHUB_ACTIONS': 'false'}, {'TF_BUILD': 'False'}, {'CI': 'true'},
    {'GITHUB_STEP_SUMMARY': 'summary.md'}, {'AGENT_TEMPDIRECTORY': '.'}])
def test_no_annotation_and_no_summary_outside_the_runners(az, tools, environ):
    failing(tools)
    plain = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path)
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path, **environ)
    assert result.returncode == 1, result
    assert normal(result.stderr, tools) == NOTICE + PROGRESS + SUMMARY == \
        normal(plain.stderr, tools)
    assert not (az.root / 'summary.md').exists()
    assert not list(az.root.glob('acrhealth-*'))


def test_stdout_is_the_report_alone_in_all_three_environments(az, tools, tmp_path):
    failing(tools)
    reports = []
    for kind in ('none', 'github', 'azure'):
        (tmp_path / kind).mkdir()
        env = runner_env(kind, tmp_path / kind)
        result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path, **env)
        assert result.returncode == 1, result
        report = json.loads(result.stdout)  # the whole of stdout parses as the report
        for check in report['checks']:
            check['durationMs'] = None
        reports.append(report)
    assert reports[0] == reports[1] == reports[2]
    assert reports[0]['status'] == 'unhealthy' and len(reports[0]['checks']) == 7


# ---- --skip and acrhealth.skip, end to end ------------------------------------------------------

def test_skip_leaves_a_check_out_and_the_checks_that_require_it(az, tools):
    failing(tools)
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', '--skip', 'docker-daemon', 'helm',
                    bin_dir=tools.path)
    assert result.returncode == 0, result  # the only failing check was left out on purpose
    checks = result.checks()
    assert (checks['docker-daemon']['status'], checks['docker-daemon']['message']) == \
        ('skipped', 'Skipped on request (--skip).')
    assert (checks['docker-pull']['status'], checks['docker-pull']['message']) == \
        ('skipped', 'It needs "Docker daemon", which was skipped on request (--skip).')
    assert checks['helm']['message'] == 'Skipped on request (--skip).'
    assert checks['docker-version']['status'] == 'passed'
    calls = tools.calls('docker')
    assert 'version --format {{json .}}' not in calls and not [c for c in calls if 'pull' in c]
    assert tools.calls('helm') == []
    assert '- Docker pull     It needs "Docker daemon", which was skipped on request (--skip).' \
        in result.stderr.splitlines()


def test_acrhealth_skip_in_the_cli_configuration(az, tools, tmp_path):
    healthy(tools)
    config = seed_config_dir(tmp_path / 'config')
    setting = az.run('config', 'set', 'acrhealth.skip=helm notary', config_dir=config)
    assert setting.returncode == 0, setting
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path, config_dir=config)
    assert result.returncode == 0, result
    checks = result.checks()
    for check_id in ('helm', 'notary'):
        assert checks[check_id]['message'] == 'Skipped on request (acrhealth.skip).'
    assert result.json()['summary'] == {'passed': 5, 'failed': 0, 'warnings': 0, 'skipped': 2}
    assert tools.calls('notary') == []
    assert 'No problem found (5 passed, 2 skipped;' in result.stderr
    # --skip replaces the configured list for one run.
    again = az.run('acr', 'check-health', '--yes', '-o', 'json', '--skip', 'docker-pull',
                   bin_dir=tools.path, config_dir=config)
    assert again.checks()['docker-pull']['message'] == 'Skipped on request (--skip).'
    assert again.checks()['notary']['status'] == 'warning'


def test_the_environment_variable_is_the_configuration_too(az, tools):
    healthy(tools)
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', bin_dir=tools.path,
                    AZURE_ACRHEALTH_SKIP='notary,helm')
    assert result.returncode == 0, result
    assert result.checks()['notary']['message'] == 'Skipped on request (AZURE_ACRHEALTH_SKIP).'
    assert result.json()['summary']['warnings'] == 0


# Every check a run may report, in plan order (read from the plan: a check added there is
# listed in the message without this test changing).
VALID_IDS = ', '.join(all_check_ids())


@pytest.mark.parametrize('args, env, message, fix', [
    (['--skip', 'helmet'], {}, "--skip names 'helmet', which is not the id of a check of az acr "
     'check-health.', 'Pass the ids the report gives (checks[].id).'),
    ([], {'AZURE_ACRHEALTH_SKIP': 'helm helmet'}, "AZURE_ACRHEALTH_SKIP names 'helmet', which is "
     'not the id of a check of az acr check-health.',
     'Correct the environment variable AZURE_ACRHEALTH_SKIP, or unset it.'),
])
def test_an_unknown_id_is_bad_input_and_no_check_runs(az, tools, args, env, message, fix):  # pylint: disable=too-many-arguments,too-many-positional-arguments
    failing(tools)
    result = az.run('acr', 'check-health', '--yes', '-o', 'json', *args, bin_dir=tools.path, **env)
    assert result.returncode == 1, result
    assert result.stdout == ''
    assert result.error_lines() == [f'ERROR: {message}']
    assert f'{fix} Valid ids: {VALID_IDS}.' in result.stderr
    assert tools.calls('docker') == [] and tools.calls('helm') == []  # no check ran


# ---- what the runner reads, when a server's text holds its commands (the lab) -----------------

def commands_read(text, kind):
    """The lines of ``text`` a runner takes for commands, as its source finds them: GitHub's
    ``::command::`` at the start of a line (after spaces) and its legacy ``##[command]``
    anywhere; Azure Pipelines' ``##vso[`` anywhere."""
    if kind == 'github':
        return [line for line in text.splitlines()
                if re.match(r'\s*::[^:]+::', line) or '##[' in line]
    return [line for line in text.splitlines() if '##vso[' in line]


@pytest.mark.parametrize('kind', ['github', 'azure'])
@pytest.mark.parametrize('output', ['json', 'table'])
def test_a_registry_error_holding_runner_commands_is_never_one(lab, ext, kind, output):
    """escregistryerror's /oauth2/exchange answers 403 with a message that holds GitHub's and
    Azure Pipelines' commands (set a variable, mask a word, complete the task): the only commands
    the runner reads are our annotations, on stderr; stdout has none."""
    # Files that exist inside the lab's mount namespace too.
    env = {'GITHUB_ACTIONS': 'true', 'GITHUB_STEP_SUMMARY': '/dev/null'} if kind == 'github' \
        else {'TF_BUILD': 'True', 'AGENT_TEMPDIRECTORY': lab.state_dir}
    argv = ['az', 'acr', 'check-health', '-n', 'escregistryerror', '--yes', '--ignore-errors',
            '--timeout', '5', '-o', output]
    result = lab.run(argv, extension_dir=ext, env=env, timeout=120)
    assert result.returncode == 1, result.stderr[-3000:]
    assert 'FORGED' in (result.stdout + result.stderr)  # the server's text is shown, as text
    assert commands_read(result.stdout, kind) == []
    ours = commands_read(result.stderr, kind)
    if kind == 'github':
        assert [line.split('::')[1] for line in ours] == [
            'error title=CONNECTIVITY_REFRESH_TOKEN_ERROR (Refresh token)',
            'warning title=HELM_COMMAND_ERROR (Helm)',
            'warning title=NOTARY_VERSION_ERROR (Notary)']
    else:
        assert [line.split(']')[0] for line in ours] == [
            '##vso[task.logissue type=error;code=CONNECTIVITY_REFRESH_TOKEN_ERROR',
            '##vso[task.logissue type=warning;code=HELM_COMMAND_ERROR',
            '##vso[task.logissue type=warning;code=NOTARY_VERSION_ERROR',
            '##vso[task.uploadsummary']
        assert all(line.count('##vso[') == 1 for line in ours)
    if output == 'json':
        refresh, = [check for check in json.loads(result.stdout)['checks']
                    if check['id'] == 'refresh-token']
        message = refresh['details']['registryMessage']
        # The report keeps the text, its runner commands broken: '##' is written '#\\x23'.
        assert '#\\x23vso[task.setvariable variable=FORGED]1 #\\x23[add-mask]Failed' in message
        assert '##' not in message
