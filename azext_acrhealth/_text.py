# acrhealth (MIT licence). Text that reaches a terminal: control characters escaped, length bounded.
"""Every string a server, a file or a helper process gave us is untrusted: it may hold escape
sequences that clear the screen or move the cursor, newlines that forge a line of our own
("No problem found"), bidirectional overrides that reorder what is read, or be 200,000
characters long. The stderr view and the ``-o table`` rows show text only through
:func:`shown`; the JSON report keeps the text as it is (JSON escapes control characters
itself)."""

import unicodedata

# Unicode categories never written raw: controls (C0, DEL, C1 such as the one-byte CSI
# U+009B), format characters (bidirectional overrides and isolates, zero-width ones, tags),
# line and paragraph separators, surrogates and unassigned code points.
_UNSAFE = frozenset({'Cc', 'Cf', 'Zl', 'Zp', 'Cs', 'Cn'})
_NAMED = {'\n': '\\n', '\r': '\\r', '\t': '\\t'}
ELLIPSIS = '\u2026'
MAX_SHOWN = 2000


def _escape(char):
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xff:
        return f'\\x{code:02x}'
    if code <= 0xffff:
        return f'\\u{code:04x}'
    return f'\\U{code:08x}'


def is_unsafe(char):
    """Whether a terminal must not be given ``char`` as it is."""
    return unicodedata.category(char) in _UNSAFE


def shown(text, limit=MAX_SHOWN):
    """``text`` as a terminal may show it: every unsafe character as a visible escape
    (``\\x1b``, ``\\n``, ``\\u202e``), and at most ``limit`` characters (cut with "…")."""
    text = str(text)
    cut = len(text) > limit
    text = text[:limit]  # escaping lengthens: never look at more than the limit
    escaped = ''.join(_escape(char) if is_unsafe(char) else char for char in text)
    if cut or len(escaped) > limit:
        return escaped[:max(0, limit - 1)] + ELLIPSIS
    return escaped


def as_text(value):
    """A fact as words: lists and mappings joined, None as "unknown" (not escaped: see
    :func:`shown`)."""
    if value is None:
        return 'unknown'
    if isinstance(value, (list, tuple)):
        return ', '.join(as_text(item) for item in value) if value else 'none'
    if isinstance(value, dict):
        return ', '.join(f'{k}={as_text(v)}' for k, v in value.items()) or 'none'
    return str(value)
