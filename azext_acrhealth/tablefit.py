# acrhealth (MIT licence). The -o table rows cut to the width of the terminal.
"""``-o table`` fits the terminal: the Message column gets what the other columns leave of its
width. A check that needs action keeps its whole message, wrapped over several lines of its
row; the others are cut with "…" (the full text stays in the JSON report). When the Code column
would leave the message less than ``MIN_MESSAGE`` columns, the code moves into the message.

knack prints the rows with tabulate's "simple" format: columns two spaces apart, each as wide
as its widest line and at least its header and two.
"""

import textwrap

from .catalogue import FAILED, WARNING
from ._text import bounded

DEFAULT_WIDTH = 120   # without a terminal (a pipe, a CI log): a width logs show whole
MIN_MESSAGE = 30
_GAP = 2
_NEEDS_ACTION = (FAILED, WARNING)


def terminal_width():
    """The columns of the terminal stdout writes to (or COLUMNS), else DEFAULT_WIDTH."""
    import shutil
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def _column(rows, key):
    return max([len(key) + _GAP] + [len(line) for row in rows
                                    for line in str(row[key]).split('\n')])


def _room(rows, width):
    others = [key for key in rows[0] if key != 'Message']
    return width - sum(_column(rows, key) for key in others) - _GAP * len(others)


def _without_code(row):
    message = f"{row['Code']}: {row['Message']}" if row['Code'] else row['Message']
    return {key: message if key == 'Message' else value
            for key, value in row.items() if key != 'Code'}


def _fitted(text, room, wrap):
    if len(text) <= room:
        return text
    if wrap:
        return '\n'.join(textwrap.wrap(text, room, break_on_hyphens=False)) or text[:room]
    return bounded(text, room)


def fit(rows, width):
    """``rows`` (dicts with Check, Status, Code, Message; text already made safe) whose
    table is at most ``width`` columns wide, as far as the other columns allow."""
    if not rows:
        return rows
    if _room(rows, width) < MIN_MESSAGE and 'Code' in rows[0]:
        rows = [_without_code(row) for row in rows]
    room = max(_room(rows, width), len('Message') + _GAP)
    return [dict(row, Message=_fitted(row['Message'], room, row['Status'] in _NEEDS_ACTION))
            for row in rows]
