# acrhealth (MIT licence). The view for people: progress lines and the closing summary on stderr.
"""What a person reads on stderr while stdout carries the report.

A line per check as it finishes (a mark, the check, its code when it has one, the message),
then a summary that lists only what needs action (code, what it is, the fix, the link) and
ends with the health-check documentation link, as the built-in command does. Printed through
the CLI's styled output (``azure.cli.core.style``), so colour follows the CLI's rules: none with
``core.no_color``, none unless stdout and stderr are terminals. ``--only-show-errors`` hides all
of it (the report on stdout and the closing error stay).
"""

import sys

from . import catalogue
from ._text import one_line, shown
from .actions import MARKS, needs_action, optional_clients_note, verdict
from .pipelines import inert

HEALTH_CHECK_URL = 'https://aka.ms/acr/health-check'

# Marks as a terminal that can show them reads them, and plain ones for one that cannot.
_PLAIN_MARKS = {catalogue.PASSED: '+', catalogue.FAILED: 'x', catalogue.WARNING: '!',
                catalogue.SKIPPED: '-'}
_STYLES = {catalogue.PASSED: 'success', catalogue.FAILED: 'error',
           catalogue.WARNING: 'warning', catalogue.SKIPPED: 'secondary'}


def can_show(text, stream):
    """Whether ``stream`` can encode ``text`` (a Windows console page cannot encode a check
    mark; printing it would raise)."""
    try:
        text.encode(getattr(stream, 'encoding', None) or 'ascii')
    except (UnicodeError, LookupError):
        return False
    return True


def mark(status, fancy=True):
    return (MARKS if fancy else _PLAIN_MARKS)[status]


def _safe(styled):
    """Every piece as a terminal may show it: a message, a host or a role name may hold any
    character a server sent (see _text)."""
    return [(style, inert(shown(text))) for style, text in styled]


def progress_line(entry, width, fancy=True):
    """``[(style, text)]`` of the line shown as a check finishes."""
    status = entry['status']
    parts = [(_STYLES[status], mark(status, fancy)), ('primary', f" {entry['title']:<{width}}  ")]
    if status == catalogue.SKIPPED:
        return _safe(parts + [('secondary', entry['message'])])
    if entry['code']:
        parts.append((_STYLES[status], entry['code']))
        parts.append(('primary', ' '))
    return _safe(parts + [('primary', entry['message'])])


def stopped_line(titles, fancy=True):
    """``[(style, text)]``: the checks the run stopped before, in one line."""
    checks = 'check' if len(titles) == 1 else 'checks'
    return _safe([('secondary', f"{mark(catalogue.SKIPPED, fancy)} {len(titles)} {checks} not run "
                                f"after the first failure (--ignore-errors runs them): "
                                f"{', '.join(titles)}")])


def summary_lines(report, seconds, fancy=True):
    """``[[(style, text)]]``: the verdict, each code that needs action with its fix and link,
    and the health-check link."""
    # Failures, then warnings (the registry's before optional clients'), each in plan order.
    actions = needs_action(report)
    lines = [[]]
    if not actions:
        lines.append([('success', verdict(report, seconds, actions) + '.')])
    else:
        lines.append([('primary', verdict(report, seconds, actions) + ':')])
        for entry in actions:
            status = entry['status']
            if entry['code']:
                lines.append([(_STYLES[status], f"{mark(status, fancy)} {entry['code']}"),
                              ('primary', f" ({entry['title']}): "
                                          f"{one_line(entry['remediation'])}")])
                lines.append([('hyperlink', f"  {entry['docsUrl']}")])
            else:  # a finding no code fits (role assignments that cannot be read, a crash)
                lines.append([(_STYLES[status], f"{mark(status, fancy)} {entry['title']}"),
                              ('primary', f": {one_line(entry['message'])}")])
    note = optional_clients_note(actions)
    if note:
        lines.append([('primary', note)])
    lines.append([('primary', 'Please refer to '), ('hyperlink', HEALTH_CHECK_URL),
                  ('primary', ' for more information.')])
    return [_safe(line) for line in lines]


def Style(name):  # pylint: disable=invalid-name  # the CLI's enum, imported when first used
    from azure.cli.core.style import Style as CliStyle
    return CliStyle(name)


def listed_by_table(cli_ctx):
    """Whether the CLI will print our table (``-o table`` without ``--query``): it lists every
    check, so the progress lines would list them a second time on the same screen."""
    data = getattr(getattr(cli_ctx, 'invocation', None), 'data', None) or {}
    return data.get('output') == 'table' and not data.get('query_active')


class TerminalView:
    """Prints the progress lines and the summary to stderr, unless ``--only-show-errors``.

    ``listing``: print a line per check as it finishes (not when the table lists them)."""

    def __init__(self, cli_ctx, plan, stream=None, listing=True):
        self._quiet = bool(getattr(cli_ctx, 'only_show_errors', False))
        self._stream = stream
        self._width = max((len(check.title) for check in plan), default=0)
        self._stopped = []
        self._listing = listing

    def _print(self, styled):
        if self._quiet:
            return
        from azure.cli.core.style import print_styled_text
        stream = self._stream or sys.stderr
        try:
            print_styled_text([(Style(style), text) for style, text in styled], file=stream)
            stream.flush()
        except (OSError, ValueError):
            # stderr is gone (a closed pipe): the report on stdout matters, the view does not.
            self._quiet = True

    def _fancy(self):
        return can_show(''.join(MARKS.values()), self._stream or sys.stderr)

    def progress(self, entry, stopped=False):
        """A check's line; the checks the run ``stopped`` before are told in one line, with
        the summary."""
        if stopped:
            self._stopped.append(entry['title'])
        elif self._listing:
            self._print(progress_line(entry, self._width, self._fancy()))

    def end_of_run(self):
        """The checks the run stopped before, in one line after the progress lines."""
        if self._stopped and self._listing:
            self._print(stopped_line(self._stopped, self._fancy()))
        self._stopped = []  # said once

    def summary(self, report, seconds):
        self.end_of_run()
        for line in summary_lines(report, seconds, self._fancy()):
            self._print(line)
