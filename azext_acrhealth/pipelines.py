# acrhealth (MIT licence). GitHub Actions and Azure Pipelines: annotations and a step summary.
"""In a GitHub Actions job (``GITHUB_ACTIONS=true``) or an Azure Pipelines one
(``TF_BUILD=True``), each failure and warning also becomes the runner's annotation, and the
run leaves a Markdown step summary. Nothing changes anywhere else.

What the runners do, read in their sources:

* Both read commands from a step's stderr as from its stdout, so the commands go to stderr and
  stdout keeps the JSON report alone: actions/runner ``src/Runner.Worker/Handlers/
  ScriptHandler.cs`` (an ``OutputManager`` on ``StepHost.ErrorDataReceived`` as on
  ``OutputDataReceived``); microsoft/azure-pipelines-agent ``src/Agent.Worker/Handlers/
  NodeHandler.cs`` (``OnDataReceived`` on both).
* GitHub unescapes a command's data ``%25`` ``%0D`` ``%0A`` and its properties also ``%3A``
  ``%2C`` (actions/runner ``src/Runner.Common/ActionCommand.cs``, ``_escapeDataMappings`` and
  ``_escapePropertyMappings``). Azure Pipelines unescapes data and properties alike: ``%3B``
  ``%0D`` ``%0A`` ``%5D``, then ``%AZP25`` (microsoft/azure-pipelines-agent
  ``src/Agent.Sdk/CommandStringConvertor.cs``). ``%`` is escaped first, so no escape is read
  twice.
* Both find a command in the *middle* of a line too: the runner's legacy form ``##[command]``
  (``ActionCommand.TryParse``: ``message.IndexOf("##[")``) and the agent's ``##vso[`` (its
  ``Command.TryParse``, ``src/Microsoft.VisualStudio.Services.Agent/Command.cs``), and GitHub's
  ``::command::`` at the start of a line (``ActionCommand.TryParseV2``, after leading spaces).
  Text a server sent could therefore act on the job (set a variable, prepend PATH, mask words,
  stop command processing); there, :func:`inert` breaks those sequences in every line we write
  for people and in every text of the report.

Values come from servers: every one is first made safe for a terminal with ``_text.shown``
(control characters escaped, length bounded), then escaped for the runner.
"""

import os
import re
import sys

from . import catalogue
from ._text import one_line, shown
from .actions import MARKS, needs_action, optional_clients_note, verdict

GITHUB = 'github'
AZURE = 'azure'
_COMMAND_IN_LINE = re.compile(r'##(?=(?:vso)?\[)', re.IGNORECASE)
_COMMAND_AT_START = re.compile(r'^(\s*):(?=:)', re.MULTILINE)
_MARKDOWN = re.compile(r'([\\`*_\[\]<>!|~$&])')


def runner(environ=None):
    """GITHUB, AZURE, or None outside both."""
    environ = os.environ if environ is None else environ
    if str(environ.get('GITHUB_ACTIONS', '')).lower() == 'true':
        return GITHUB
    if str(environ.get('TF_BUILD', '')).lower() == 'true':
        return AZURE
    return None


def inert(text, environ=None):
    """``text`` as a runner can log it without acting on it: ``##[`` and ``##vso[`` become
    ``#\\x23[`` and ``#\\x23vso[``, a ``::`` that starts a line ``\\x3a:``. Unchanged outside
    the runners."""
    if runner(environ) is None:
        return text
    return _COMMAND_AT_START.sub(r'\1\\x3a', _COMMAND_IN_LINE.sub(r'#\\x23', text))


def inert_report(report, environ=None):
    """The report as a runner can log it: in a runner, every text in it made inert (a
    ``-o json`` report on stdout, ``--query`` values with ``-o tsv``, land in the job's log).
    Outside the runners, the report itself, unchanged."""
    if runner(environ) is None:
        return report

    def walk(value):
        if isinstance(value, str):
            return inert(value, environ)
        if isinstance(value, dict):
            return {walk(key): walk(item) for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item) for item in value]
        return value
    return walk(report)


def github_data(text):
    return text.replace('%', '%25').replace('\r', '%0D').replace('\n', '%0A')


def github_property(text):
    return github_data(text).replace(':', '%3A').replace(',', '%2C')


def azure_escaped(text):
    """Data and properties of an Azure Pipelines logging command."""
    return (text.replace('%', '%AZP25').replace(';', '%3B').replace('\r', '%0D')
            .replace('\n', '%0A').replace(']', '%5D'))


def annotation_text(entry):
    """``(title, text)`` of an entry's annotation: "CODE (Check)" and three lines: the
    message, the fix and the link."""
    title = shown(f"{entry['code']} ({entry['title']})" if entry['code'] else entry['title'])
    lines = [shown(entry['message'])]  # a server's line breaks shown as text, as on stderr
    if entry.get('remediation'):
        lines.append(f"Fix: {shown(one_line(entry['remediation']))}")
    if entry.get('docsUrl'):
        lines.append(shown(entry['docsUrl']))
    return title, '\n'.join(lines)


def annotations(report, kind, errors_only=False):
    """The runner's command lines, one per failure (error) and warning, in reading order."""
    lines = []
    for entry in needs_action(report):
        level = 'error' if entry['status'] == catalogue.FAILED else 'warning'
        if errors_only and level != 'error':
            continue
        title, text = annotation_text(entry)
        if kind == GITHUB:
            lines.append(f'::{level} title={github_property(title)}::{github_data(text)}')
        else:
            code = f";code={azure_escaped(shown(entry['code']))}" if entry['code'] else ''
            lines.append(f'##vso[task.logissue type={level}{code}]'
                         f'{azure_escaped(title + ": " + text)}')
    return lines


def md(text):
    """Text a server may have sent, as Markdown that shows it and nothing else."""
    return _MARKDOWN.sub(r'\\\1', shown(str(text or '')))


def markdown(report, seconds):
    """The step summary: the verdict, a table of every check, then each fix with its link."""
    actions = needs_action(report)
    name = (report.get('registry') or {}).get('name')
    subject = f"az acr check-health --name {md(name)}" if name else 'az acr check-health'
    lines = [f"### {subject}: {md(report['status'])}", '', verdict(report, seconds, actions) + '.', '',
             '| Check | Status | Code | Message |', '| --- | --- | --- | --- |']
    for entry in report['checks']:
        status = entry['status']
        lines.append(f"| {md(entry['title'])} | {MARKS.get(status, '')} {md(status)} | "
                     f"{md(entry['code'] or '')} | {md(entry['message'])} |")
    if actions:
        lines += ['', '**What to do**', '']
    for entry in actions:
        mark = MARKS[entry['status']]
        if entry['code']:
            lines.append(f"- {mark} **{md(entry['code'])}** ({md(entry['title'])}): "
                         f"{md(entry['remediation'])} <{shown(entry['docsUrl'])}>")
        else:
            lines.append(f"- {mark} {md(entry['title'])}: {md(entry['message'])}")
    note = optional_clients_note(actions)
    if note:
        lines += ['', md(note)]
    return '\n'.join(lines) + '\n'


def _write(path, text, mode):
    # UTF-8 whatever the machine's code page (a Windows agent's may be cp1252).
    with open(path, mode, encoding='utf-8') as handle:
        handle.write(text)


def step_summary(report, seconds, kind, environ):
    """Write the step summary where the runner takes it: appended to the file
    ``$GITHUB_STEP_SUMMARY`` names, or a file in the agent's temporary directory that the
    returned ``##vso[task.uploadsummary]`` command attaches. Returns that command, or None."""
    from knack.log import get_logger
    text = markdown(report, seconds)
    try:
        if kind == GITHUB:
            if environ.get('GITHUB_STEP_SUMMARY'):
                _write(environ['GITHUB_STEP_SUMMARY'], text, 'a')
            return None
        import tempfile
        name = (report.get('registry') or {}).get('name')
        directory = tempfile.mkdtemp(prefix='acrhealth-',
                                     dir=environ.get('AGENT_TEMPDIRECTORY') or None)
        path = os.path.join(directory, f"acr-check-health{'-' + name if name else ''}.md")
        _write(path, text, 'w')
        return f'##vso[task.uploadsummary]{azure_escaped(path)}'
    except OSError as ex:
        get_logger(__name__).warning('The step summary could not be written: %s',
                                     shown(ex.strerror or type(ex).__name__))
        return None


def announce(report, seconds, quiet=False, environ=None, stream=None):
    """In GitHub Actions or Azure Pipelines: the annotations (errors only with
    ``--only-show-errors``) and the step summary, on ``stream`` (stderr). Nothing elsewhere."""
    environ = os.environ if environ is None else environ
    kind = runner(environ)
    if kind is None:
        return
    lines = annotations(report, kind, errors_only=quiet)
    attach = step_summary(report, seconds, kind, environ)
    stream = stream or sys.stderr
    try:
        for line in lines + ([attach] if attach else []):
            stream.write(line + '\n')
        stream.flush()
    except (OSError, ValueError):
        pass  # stderr is gone (a closed pipe): the report on stdout is what matters
