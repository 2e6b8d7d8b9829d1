# acrhealth (MIT licence). -o table fits the terminal: through knack's real table formatter.
import pytest
from knack.output import CommandResultItem, format_table

from azext_acrhealth import report, tablefit
from tests.unit.test_report import CLIENT, DAEMON_DOWN, ENVIRONMENT, HELM_MISSING, outcome

LONG = 'The Docker daemon is not reachable: ' + 'Cannot connect to the Docker daemon. ' * 8
DAEMON_LONG = outcome('docker-daemon', 'Docker daemon', 'docker.daemon.unreachable',
                      {'error': LONG.split(': ', 1)[1].strip()}, 'DOCKER_DAEMON_ERROR')
PASSED_LONG = outcome('docker-client', 'Docker client', 'docker.client.found',
                      {'path': '/opt/' + 'very-long-directory/' * 10 + 'docker'})
REFUSED = outcome('refresh-token', 'Refresh token', 'connectivity.refresh.denied',
                  {'url': 'https://myregistry.azurecr.io/oauth2/exchange', 'statusCode': 401},
                  'CONNECTIVITY_REFRESH_TOKEN_ERROR')
CMK = outcome('cmk', 'Encryption identity (CMK)', 'runner.skipped.stopped', {}, 'CMK_ERROR')


def table(outcomes, width):
    result = report.build_report(outcomes, ENVIRONMENT)
    return format_table(CommandResultItem(
        result, table_transformer=lambda built: report.table_transformer(built, width=width)))


@pytest.mark.parametrize('width', [80, 100, 120, 160, 250])
def test_every_line_fits_the_width(width):
    text = table([PASSED_LONG, DAEMON_LONG, HELM_MISSING, REFUSED, CMK], width)
    assert max(len(line) for line in text.splitlines()) <= width, text


def test_a_check_that_needs_action_keeps_its_whole_message_wrapped():
    text = table([PASSED_LONG, DAEMON_LONG], 100)
    lines = text.splitlines()
    daemon = lines.index(next(line for line in lines if line.startswith('Docker daemon')))
    start = lines[0].index('Message')
    wrapped = ' '.join(line[start:].strip() for line in lines[daemon:])
    assert ' '.join(wrapped.split()) == ' '.join(report.check_entry(*DAEMON_LONG)['message']
                                                 .split())
    assert all(line[:start].strip() == '' for line in lines[daemon + 1:])


def test_a_check_that_passed_is_cut_to_one_line():
    rows = report.table_transformer(report.build_report([PASSED_LONG], ENVIRONMENT), width=80)
    assert rows[0]['Message'].endswith('\u2026') and '\n' not in rows[0]['Message']
    assert len(format_table(CommandResultItem(rows)).splitlines()[2]) <= 80


def test_a_narrow_terminal_moves_the_code_into_the_message():
    rows = report.table_transformer(report.build_report([CLIENT, REFUSED], ENVIRONMENT),
                                    width=70)
    assert list(rows[0]) == ['Check', 'Status', 'Message']
    assert rows[1]['Message'].replace('\n', ' ').startswith(
        'CONNECTIVITY_REFRESH_TOKEN_ERROR: https://myregistry.azurecr.io/oauth2/exchange')
    assert list(report.table_transformer(report.build_report([CLIENT, REFUSED], ENVIRONMENT),
                                         width=120)[0]) == ['Check', 'Status', 'Code', 'Message']


def test_exact_text_at_80_columns():
    assert table([CLIENT, DAEMON_DOWN, HELM_MISSING], 80) == (
        'Check          Status    Code                 Message\n'
        '-------------  --------  -------------------  ----------------------------------\n'
        'Docker client  passed                         Docker client found: /usr/bin/doc\u2026\n'
        'Docker daemon  failed    DOCKER_DAEMON_ERROR  The Docker daemon is not\n'
        '                                              reachable: Cannot connect to the\n'
        '                                              Docker daemon.\n'
        'Helm           warning   HELM_COMMAND_ERROR   No `helm` executable found on\n'
        '                                              PATH.\n')


def test_the_width_is_the_terminals_or_columns_or_a_default(monkeypatch):
    import os
    monkeypatch.setenv('COLUMNS', '93')
    assert tablefit.terminal_width() == 93
    monkeypatch.delenv('COLUMNS')

    def no_terminal(_fd=None):
        raise OSError(25, 'Inappropriate ioctl for device')
    monkeypatch.setattr(os, 'get_terminal_size', no_terminal)
    assert tablefit.terminal_width() == tablefit.DEFAULT_WIDTH == 120
    monkeypatch.setattr(os, 'get_terminal_size', lambda _fd=None: os.terminal_size((132, 40)))
    assert tablefit.terminal_width() == 132
