# acrhealth (MIT licence). Plain words for what went wrong, and text safe for a terminal.
"""Plain words, and text safe for a terminal.

Every string a server, a file or a helper process gave us is untrusted: it may hold escape
sequences that clear the screen or move the cursor, newlines that forge a line of our own
("No problem found"), bidirectional overrides that reorder what is read, or be 200,000
characters long. The stderr view and the ``-o table`` rows show text only through
:func:`shown`; the JSON report keeps the text as it is (JSON escapes control characters
itself)."""

import re
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


def quoted(value, limit=80):
    """A user's value quoted for an error line: cut, and without control characters."""
    text = ''.join(ch if ch.isprintable() else '?' for ch in str(value))
    return repr(text if len(text) <= limit else f"{text[:limit]}...")


def bounded(value, limit):
    """A server's string as a fact: at most ``limit`` characters (cut with "…"); None when it
    is not a string. Kept as it came otherwise: what shows it escapes it (:func:`shown`)."""
    if not isinstance(value, str):
        return None
    return value if len(value) <= limit else value[:max(0, limit - 1)] + ELLIPSIS


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


# ---- plain words for what went wrong ---------------------------------------------------------

def _inner(ex):
    """The exception ``ex`` wraps (in its args, ``reason``, ``inner_exception`` or cause)."""
    for arg in getattr(ex, 'args', ()):
        if isinstance(arg, BaseException):
            return arg
    for name in ('reason', 'inner_exception'):  # urllib3 keeps it in reason, azure-core here
        inner = getattr(ex, name, None)
        if isinstance(inner, BaseException):
            return inner
    return ex.__cause__ or ex.__context__


def walk(ex):
    """``ex`` and every exception inside it, outermost first."""
    seen = set()
    while ex is not None and id(ex) not in seen:
        seen.add(id(ex))
        yield ex
        ex = _inner(ex)


_ADDRESS = re.compile(r"<urllib3[^>]*>: ")


_KNOWN_FAULTS = (
    # (exception class name, what it means to a user); the first one found in the chain wins.
    ('RemoteDisconnected', 'the server closed the connection without answering'),
    ('ConnectionResetError', 'the connection was reset'),
    ('BadStatusLine', 'the answer is not HTTP'),
    ('LineTooLong', 'the answer has a header line that is too long'),
    ('IncompleteRead', 'the answer ended early'),
    ('InvalidChunkLength', 'the answer\'s chunked encoding is broken'),
    ('HTTPException', 'the answer is not valid HTTP'),
    ('ConnectionRefusedError', 'connection refused'),
    ('ConnectionAbortedError', 'the connection was aborted'),
    ('ConnectTimeout', 'timed out while connecting'),
    ('ServiceRequestTimeoutError', 'timed out while connecting'),
    ('ReadTimeout', 'timed out waiting for the answer'),
    ('ServiceResponseTimeoutError', 'timed out waiting for the answer'),
    ('TimeoutError', 'timed out'),
)
# What a Python repr looks like inside a message: never shown to a user.
_REPR = re.compile(r"[A-Za-z_]\w*(?:Error|Exception|Warning|Timeout)\(|\('|<class|<[a-z_][\w.]*[ .>]|"
                   r" object at 0x")


def looks_like_repr(text):
    """Whether ``text`` holds a Python repr (``Error(``, ``('``, ``<class``...)."""
    return bool(_REPR.search(text))


def plain_reason(ex):
    """What went wrong, in a few plain words and one line, from a requests, urllib3 or
    azure-core exception: never a Python repr such as ``('Connection aborted.',
    ConnectionRefusedError(111, ...))``."""
    chain = list(walk(ex))
    names = {klass.__name__ for inner in chain for klass in type(inner).__mro__}
    for name, meaning in _KNOWN_FAULTS:
        if name in names:
            return meaning
    text = str(ex)
    for inner in chain:
        if isinstance(inner, OSError) and isinstance(getattr(inner, 'strerror', None), str) \
                and inner.strerror:
            text = inner.strerror
            break
    text = _ADDRESS.sub('', text.replace('\n', ' ')).strip()
    if not text or _REPR.search(text):
        return f'an unexpected {type(ex).__name__}'
    return text[:300]


# ---- a child process's output ------------------------------------------------------------

def first_line(text, limit=300):
    """The first non-blank line of ``text``, cut to ``limit`` characters."""
    for line in (text or '').splitlines():
        line = line.strip()
        if line:
            return line[:limit]
    return ''


def output_lines(text):
    """The non-blank lines of a child's output, stripped."""
    return [line.strip() for line in (text or '').splitlines() if line.strip()]


def error_line(text, limit=300):
    """The line of a client's stderr that says what went wrong: the first one that is not a
    warning (docker warns first of e.g. an unreadable config file, then gives its real error),
    else the first line."""
    lines = output_lines(text)
    for line in lines:
        if not line.upper().startswith('WARNING'):
            return line[:limit]
    return lines[0][:limit] if lines else ''


def first_words(text, limit=200):
    """The first line of ``text``, cut at a word before ``limit`` characters ("…" then)."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    line = lines[0] if lines else ''
    if len(line) <= limit:
        return line
    cut = line[:limit - 1]
    return (cut.rsplit(' ', 1)[0] if ' ' in cut[limit // 2:] else cut) + '\u2026'


def one_line(text):
    """``text`` with every run of white space (line breaks included) as one space."""
    return ' '.join(str(text or '').split())
