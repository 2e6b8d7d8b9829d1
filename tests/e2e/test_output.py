# acrhealth (MIT licence). The report through the CLI's output layer: -o json|table|tsv, --query,
# and the exit code with the report still on stdout.
from importlib.metadata import version

from azext_acrhealth.version import VERSION
from tests.e2e.conftest import real_docker

TOP_KEYS = {'status', 'registry', 'environment', 'checks', 'summary'}
CHECK_KEYS = {'id', 'title', 'status', 'code', 'message', 'remediation', 'docsUrl', 'details',
              'durationMs'}
ERROR = 'ERROR: 1 check failed: the registry workflow is broken here (see the report).'


def test_json_report(az, tools):
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    report = result.json()
    assert set(report) == TOP_KEYS
    assert report['registry'] is None  # environment only, without --name
    assert report['environment'] == {'cloud': 'AzureCloud', 'cliVersion': version('azure-cli-core'),
                                     'extensionVersion': VERSION, 'cloudShell': False}
    assert all(set(check) == CHECK_KEYS for check in report['checks'])
    assert report['summary'] == {'passed': 1, 'failed': 0, 'warnings': 2, 'skipped': 4}
    assert report['status'] == 'healthy'
    assert result.error_lines() == []
    # progress is on stderr, not stdout
    assert '! Docker client   DOCKER_COMMAND_ERROR No `docker`' in result.stderr


def test_table(az, tools):
    result = az.run('acr', 'check-health', '-o', 'table', bin_dir=tools.path)
    assert result.returncode == 0, result
    lines = result.stdout.splitlines()
    assert lines[0].split() == ['Check', 'Status', 'Code', 'Message']
    assert set(lines[1]) <= {'-', ' '}
    rows = lines[2:]
    assert len(rows) == 7
    assert rows[0].split()[:3] == ['Docker', 'client', 'warning']
    assert 'DOCKER_COMMAND_ERROR' in rows[0] and 'No `docker` (or `podman`) executable found on PATH.' in rows[0]
    assert [row.split()[0] for row in rows] == ['Docker', 'Docker', 'Docker', 'Docker', 'Azure',
                                                'Helm', 'Notary']


def test_tsv(az, tools):
    result = az.run('acr', 'check-health', '-o', 'tsv', '--query', 'checks[].[id, status, code]',
                    bin_dir=tools.path)
    assert result.returncode == 0, result
    assert result.stdout.splitlines() == [
        'docker-client\twarning\tDOCKER_COMMAND_ERROR', 'docker-daemon\tskipped\tNone',
        'docker-version\tskipped\tNone', 'docker-pull\tskipped\tNone', 'azure-cli\tpassed\tNone',
        'helm\twarning\tHELM_COMMAND_ERROR', 'notary\tskipped\tNone']
    plain = az.run('acr', 'check-health', '-o', 'tsv', bin_dir=tools.path)
    # The whole report as tsv: scalars in key order (checks count, -, registry, status, -).
    assert plain.stdout == '7\t\tNone\thealthy\t\n', plain


def test_query_without_failures_is_empty_and_exit_zero(az, tools):
    result = az.run('acr', 'check-health', '--query', "checks[?status=='failed'].code", '-o',
                    'json', bin_dir=tools.path)
    assert result.returncode == 0, result
    assert result.json() == []


def test_failure_with_query_keeps_the_result_on_stdout_and_exits_one(az, tools):
    tools.link('docker', real_docker())
    result = az.run('acr', 'check-health', '--query', "checks[?status=='failed'].code", '-o',
                    'tsv', bin_dir=tools.path)
    assert result.returncode == 1, result
    assert result.stdout == 'DOCKER_DAEMON_ERROR\n'
    assert result.error_lines() == [ERROR]


def test_failure_as_table_keeps_the_table_on_stdout_and_exits_one(az, tools):
    tools.link('docker', real_docker())
    result = az.run('acr', 'check-health', '-o', 'table', bin_dir=tools.path)
    assert result.returncode == 1, result
    # One row per check; the failed one's message wraps over more lines of its row.
    rows = [line for line in result.stdout.splitlines()[2:] if not line.startswith(' ')]
    assert len(rows) == 7
    assert 'failed' in rows[1] and 'DOCKER_DAEMON_ERROR' in rows[1]
    assert result.error_lines() == [ERROR]
    assert 'Traceback' not in result.stderr


def test_only_show_errors_keeps_the_error_line(az, tools):
    tools.link('docker', real_docker())
    result = az.run('acr', 'check-health', '--only-show-errors', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 1, result
    assert result.json()['status'] == 'unhealthy'
    assert result.stderr.strip() == ERROR  # progress and notice hidden, the error kept


# Started in every interpreter of `az` (sitecustomize): a reference cycle alive until the process
# exits, whose finalizer writes a line on stderr when Python's last collection reaches it.
CYCLE_AT_EXIT = '''
import os


class _AliveAtExit:
    def __init__(self):
        self.me = self

    def __del__(self, write=os.write):
        write(2, b'final collection ran\\n')


_alive = _AliveAtExit()
'''


def test_a_run_exits_without_the_final_collection_and_help_with_it(az, tools, tmp_path):
    (tmp_path / 'sitecustomize.py').write_text(CYCLE_AT_EXIT)
    run = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path, PYTHONPATH=tmp_path)
    assert run.returncode == 0 and run.json()['checks'], run  # the report is whole
    assert 'final collection ran' not in run.stderr
    # The command's help never reaches the handler: its exit is the CLI's own, collection and all.
    helped = az.run('acr', 'check-health', '-h', bin_dir=tools.path, PYTHONPATH=tmp_path)
    assert helped.returncode == 0 and 'final collection ran' in helped.stderr, helped
