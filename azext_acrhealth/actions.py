# acrhealth (MIT licence). What needs action in a report, in the order people read it.
"""The entries of a report that need action (and how a run's counts and time read), shared by
the closing summary on stderr and the pipelines' annotations and step summary.

Failures come first, then the registry's and the environment's warnings, then the optional
clients' (Helm, Notary), each group in plan order. A warning without a code whose explanation
a failure's fix already carries is not repeated: a refused token's fix is written from the role
assignments (``details.roleAssignments``), which then need no entry of their own.
"""

from . import catalogue
from ._bounded import shown_seconds

# A status as a mark (the terminal view has plain ones too, for a console that cannot show these).
MARKS = {catalogue.PASSED: '\u2713', catalogue.FAILED: '\u2717', catalogue.WARNING: '!',
         catalogue.SKIPPED: '-'}

# Clients some machines do not need: their findings are warnings, and --skip leaves them out.
OPTIONAL_CLIENTS = {'helm': 'Helm', 'notary': 'Notary'}


def _explained_by_a_fix(entry, failures):
    return entry['id'] == 'role-assignments' and not entry['code'] and any(
        'roleAssignments' in (failure.get('details') or {}) for failure in failures)


def needs_action(report):
    """The failed and warning entries of ``report``, in reading order, without repeats."""
    entries = report.get('checks') or []
    failures = [entry for entry in entries if entry['status'] == catalogue.FAILED]
    warnings = [entry for entry in entries if entry['status'] == catalogue.WARNING
                and not _explained_by_a_fix(entry, failures)]
    return failures + sorted(warnings, key=lambda entry: entry['id'] in OPTIONAL_CLIENTS)


def optional_clients_note(actions):
    """One line when only optional clients need action (then --skip can silence them), naming
    the --skip that leaves them out; None otherwise."""
    if not actions or any(entry['id'] not in OPTIONAL_CLIENTS for entry in actions):
        return None
    ids = [check_id for check_id in OPTIONAL_CLIENTS if any(
        entry['id'] == check_id for entry in actions)]
    names = ' or '.join(OPTIONAL_CLIENTS[check_id] for check_id in ids)
    them = 'it' if len(ids) == 1 else 'them'
    return (f"Only optional clients need action: where {names} is not used, "
            f"--skip {' '.join(ids)} leaves {them} out.")


def counts_text(summary):
    """'1 passed, 1 failed, 5 skipped': the report's counts that are not zero."""
    return ', '.join(f'{summary[key]} {word}' for key, word in (
        ('passed', 'passed'), ('failed', 'failed'), ('warnings', 'with warnings'),
        ('skipped', 'skipped')) if summary[key])


def took_text(seconds):
    """'3.2 s', or '40 ms' under a second's tenth (never '0 s')."""
    if seconds < 0.1:
        return f'{max(1, int(round(seconds * 1000)))} ms'
    return f'{shown_seconds(seconds)} s'


def verdict(report, seconds, actions):
    """'No problem found (counts; time)' or 'N of M checks need action (counts; time)': the
    first line of a summary, without its closing punctuation."""
    counts = f"{counts_text(report['summary'])}; {took_text(seconds)}"
    if not actions:
        return f'No problem found ({counts})'
    total = len(report['checks'])
    needs = 'needs' if len(actions) == 1 else 'need'
    return f"{len(actions)} of {total} check{'' if total == 1 else 's'} {needs} action ({counts})"
