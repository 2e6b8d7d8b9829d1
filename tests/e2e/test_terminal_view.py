# acrhealth (MIT licence). The view for people, through the real `az`: the exact text a person
# reads without a terminal (pipes, as CI logs it), on a terminal (colour as the CLI colours),
# with --only-show-errors, and with -o table. The answer stays on screen: the closing summary
# and the error come after the report, and with -o table each check is listed once, in a table
# as wide as the terminal.
import fcntl
import json
import os
import pty
import re
import select
import shutil
import struct
import subprocess
import tempfile
import termios
import time
from pathlib import Path

import pytest

from tests.e2e.conftest import AZ, Tools

HELM = 'version.BuildInfo{Version:"v3.14.4", GitCommit:"81c902a1", GoVersion:"go1.21.9"}'
DAEMON_DOWN = ('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
               'Is the docker daemon running?')
ERROR = 'ERROR: 1 check failed: the registry workflow is broken here (see the report).'


@pytest.fixture
def tools():
    """The stand-in tools in a directory whose path has a fixed length (/tmp/acrhXXXXXXXX/b),
    so a table cut to the terminal's width cuts the same text on every run."""
    root = tempfile.mkdtemp(prefix='acrh', dir='/tmp')
    yield Tools(Path(root) / 'b')
    shutil.rmtree(root, ignore_errors=True)


def daemon_down(tools):  # pylint: disable=redefined-outer-name
    """A Docker client whose daemon is down, Helm 3.14, no Notary."""
    return tools.docker(daemon_error=DAEMON_DOWN).helm(HELM)


def normal(text, tools):
    """The run's own paths and seconds made stable."""
    text = text.replace(str(tools.path), '<bin>')
    return re.sub(r'; [\d.]+ m?s\)', '; <t>)', text)


STOPPED = 'Stopped after the first failure; use --ignore-errors to run all checks.'
NEEDS_DAEMON = 'It needs "Docker daemon", which did not pass.'
FIX = ('Start (or restart) the Docker daemon, check its installation, and make sure this user may '
       'use its socket (for example membership of the `docker` group, or DOCKER_HOST).')
PROGRESS = f'''\u2713 Docker client   Docker client found: <bin>/docker.
\u2717 Docker daemon   DOCKER_DAEMON_ERROR The Docker daemon is not reachable: {DAEMON_DOWN}
- Docker pull     {NEEDS_DAEMON}
- 4 checks not run after the first failure (--ignore-errors runs them): Docker version, Azure \
CLI, Helm, Notary
'''
TABLE = f'''Check           Status    Code                 Message
--------------  --------  -------------------  {'-' * len(STOPPED)}
Docker client   passed                         Docker client found: <bin>/docker.
Docker daemon   failed    DOCKER_DAEMON_ERROR  The Docker daemon is not reachable: Cannot connect to the Docker daemon
                                               at unix:///var/run/docker.sock. Is the docker daemon running?
Docker version  skipped                        {STOPPED}
Docker pull     skipped                        {NEEDS_DAEMON}
Azure CLI       skipped                        {STOPPED}
Helm            skipped                        {STOPPED}
Notary          skipped                        {STOPPED}
'''  # 120 columns: without a terminal
SUMMARY = f'''
1 of 7 checks needs action (1 passed, 1 failed, 5 skipped; <t>):
\u2717 DOCKER_DAEMON_ERROR (Docker daemon): {FIX}
  https://aka.ms/acr/errors#docker_daemon_error
Please refer to https://aka.ms/acr/health-check for more information.
{ERROR}
'''
NOTICE = ('WARNING: The behavior of this command has been altered by the following extension: '
          'acrhealth\n')
STDERR = NOTICE + PROGRESS + SUMMARY
TABLE_100 = f'''Check           Status    Code                 Message
--------------  --------  -------------------  -----------------------------------------------------
Docker client   passed                         Docker client found: <bin>/docker.
Docker daemon   failed    DOCKER_DAEMON_ERROR  The Docker daemon is not reachable: Cannot connect to
                                               the Docker daemon at unix:///var/run/docker.sock. Is
                                               the docker daemon running?
Docker version  skipped                        {STOPPED[:52]}\u2026
Docker pull     skipped                        {NEEDS_DAEMON}
Azure CLI       skipped                        {STOPPED[:52]}\u2026
Helm            skipped                        {STOPPED[:52]}\u2026
Notary          skipped                        {STOPPED[:52]}\u2026
'''  # a terminal 100 columns wide


def on_terminal(az, tools, *args, columns=None, **env):  # pylint: disable=redefined-outer-name
    """`az <args>` with stdout and stderr on one pseudo-terminal, as a person runs it (the CLI
    then colours unless told not to), ``columns`` wide: what the terminal showed, and the exit
    code."""
    master, slave = pty.openpty()
    if columns:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack('HHHH', 50, columns, 0, 0))
    proc = subprocess.Popen([str(AZ)] + list(args), stdin=subprocess.DEVNULL, stdout=slave,
                            stderr=slave, cwd=str(az.root), start_new_session=True,
                            env=az.env(tools.path, **env))
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if not select.select([master], [], [], 1)[0]:
                continue
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the last holder of the terminal closed it
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
        code = proc.wait(timeout=30)
    return b''.join(chunks).decode('utf-8').replace('\r\n', '\n'), code


def test_without_a_terminal_stderr_reads_as_a_person_reads_it(az, tools):
    daemon_down(tools)
    result = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    assert result.returncode == 1, result
    assert normal(result.stderr, tools) == STDERR
    assert result.json()['status'] == 'unhealthy'  # stdout: only the report


def test_only_show_errors_leaves_the_error_and_the_same_report(az, tools):
    daemon_down(tools)
    shown = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path)
    quiet = az.run('acr', 'check-health', '-o', 'json', '--only-show-errors', bin_dir=tools.path)
    assert quiet.returncode == 1, quiet
    assert quiet.stderr == ERROR + '\n'

    def timeless(report):
        for check in report['checks']:
            check['durationMs'] = None
        return report
    assert timeless(quiet.json()) == timeless(shown.json())


def test_table_is_one_row_per_check_and_the_summary_follows_it(az, tools):
    daemon_down(tools)
    result = az.run('acr', 'check-health', '-o', 'table', bin_dir=tools.path)
    assert result.returncode == 1, result
    assert normal(result.stdout, tools) == TABLE
    # The table lists every check: no progress line lists them a second time.
    assert normal(result.stderr, tools) == NOTICE + SUMMARY


def report_in_the_middle(screen):
    """(what came before the JSON report, the report, what came after) on a screen."""
    lines = screen.splitlines(keepends=True)
    first = lines.index('{\n')
    last = first + lines[first:].index('}\n')
    return ''.join(lines[:first]), json.loads(''.join(lines[first:last + 1])), \
        ''.join(lines[last + 1:])


def test_on_a_terminal_the_last_lines_are_the_summary_and_the_error_after_the_report(az, tools):
    # As README shows it and a new user types it: no -o, so the JSON report.
    daemon_down(tools)
    shown, code = on_terminal(az, tools, 'acr', 'check-health', columns=100)
    assert code == 1
    before, report, after = report_in_the_middle(normal(shown, tools))
    assert before == NOTICE + PROGRESS
    assert report['status'] == 'unhealthy' and len(report['checks']) == 7
    assert after == SUMMARY
    assert after.splitlines()[-1] == ERROR


def test_on_a_terminal_marks_and_codes_are_coloured_as_the_cli_colours(az, tools):
    daemon_down(tools)
    shown, code = on_terminal(az, tools, 'acr', 'check-health', columns=100,
                              AZURE_CORE_NO_COLOR='false')
    assert code == 1
    red, green, grey, cyan, yellow, reset = ('\x1b[91m', '\x1b[92m', '\x1b[90m', '\x1b[96m',
                                             '\x1b[93m', '\x1b[0m')  # the CLI's dark theme
    before, report, after = report_in_the_middle(normal(shown, tools))
    lines = before.splitlines()
    # knack drops the level's tag where it colours the level
    assert lines[0] == f'{yellow}The behavior of this command has been altered by the ' \
                       f'following extension: acrhealth{reset}'
    assert lines[1] == f'{green}\u2713{reset} Docker client   {reset}Docker client found: ' \
                       f'<bin>/docker.{reset}'
    assert lines[2] == f'{red}\u2717{reset} Docker daemon   {red}DOCKER_DAEMON_ERROR{reset} ' \
                       f'{reset}The Docker daemon is not reachable: {DAEMON_DOWN}{reset}'
    assert lines[3] == f'{grey}-{reset} Docker pull     {grey}{NEEDS_DAEMON}{reset}'
    assert lines[4] == f'{grey}- 4 checks not run after the first failure (--ignore-errors runs ' \
                       f'them): Docker version, Azure CLI, Helm, Notary{reset}'
    assert report['status'] == 'unhealthy'  # the report on stdout, never coloured
    # Then the summary, and the error in the CLI's red, without its tag.
    lines = after.splitlines()
    assert lines[0:2] == [reset, f'{reset}1 of 7 checks needs action (1 passed, 1 failed, '
                                 f'5 skipped; <t>):{reset}']
    assert lines[2] == f'{red}\u2717 DOCKER_DAEMON_ERROR{reset} (Docker daemon): {FIX}{reset}'
    assert lines[3] == f'{cyan}  https://aka.ms/acr/errors#docker_daemon_error{reset}'
    assert lines[4] == f'{reset}Please refer to {cyan}https://aka.ms/acr/health-check' \
                       f'{reset} for more information.{reset}'
    assert lines[5:] == [f'{red}{ERROR[len("ERROR: "):]}{reset}']


def test_on_a_terminal_the_table_fits_its_width_and_lists_each_check_once(az, tools):
    daemon_down(tools)
    shown, code = on_terminal(az, tools, 'acr', 'check-health', '-o', 'table', columns=100)
    assert code == 1
    assert '\x1b[' not in shown
    assert normal(shown, tools) == NOTICE + TABLE_100 + SUMMARY
    assert max(len(line) for line in shown.splitlines()[1:len(TABLE_100.splitlines()) + 1]) <= 100
