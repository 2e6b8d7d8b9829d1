# acrhealth (MIT licence). ABAC conditions of role assignments, read for repository permissions.
"""An ABAC-enabled role (Container Registry Repository Reader, Writer, Contributor) assigned
with a condition grants its actions only on the repositories the condition admits. Microsoft
documents the form (container-registry-rbac-abac-repository-permissions; the grammar in
role-based-access-control/conditions-format)::

    ((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})
      AND !(ActionMatches{'.../metadata/read'}))
     OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name]
         StringStartsWithIgnoreCase 'backend/'))

An action the ``ActionMatches`` list does not name is allowed; one it names is allowed only
where the expression holds. This module reads that language for the repository name
(``@Request`` or ``@Resource``; the string operators, ``AND``/``OR``/``!``/``NOT`` and
parentheses) and judges it in three values: True, False, or None when it depends on a
repository that was not given. Any other form (another attribute, a cross-product operator,
a mix of AND and OR without parentheses) is not read: :func:`parse` returns None and the
assignment is reported "conditional: not judged", never as a grant."""

import re

REPOSITORY_NAME = 'microsoft.containerregistry/registries/repositories:name'
MAX_CONDITION = 8000   # characters read; a longer condition is not judged
MAX_DEPTH = 40         # nesting read; a deeper one is not judged

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<open>\() | (?P<close>\)) | (?P<not>!|\bNOT\b) | (?P<and>&&|\bAND\b) | (?P<or>\|\||\bOR\b)
    | (?P<matches>ActionMatches|SubOperationMatches)\s*\{\s*'(?P<pattern>(?:[^'\\]|\\.)*)'\s*\}
    | @(?P<source>Request|Resource|Principal|Environment)\[(?P<attribute>[^\]]*)\]
    | (?P<operator>(?:For(?:Any|All)Of(?:Any|All)Values:)?[A-Za-z]+)
    | '(?P<string>(?:[^'\\]|\\.)*)'
    )""", re.VERBOSE | re.IGNORECASE)

_OPERATORS = {
    'stringequals': lambda name, value: name == value,
    'stringstartswith': lambda name, value: name.startswith(value),
    'stringlike': lambda name, value: _like(_pattern(value), name),
}


class Unreadable(Exception):
    """A condition in a form this module does not read."""


def _pattern(text, escapes=True):
    """A wildcard pattern as ``[(kind, char)]``: ``('*', None)`` any run, ``('?', None)`` one
    character, ``('=', c)`` the character c. StringLike escapes ``\\*`` and ``\\?``
    (conditions-format); runs of ``*`` are one."""
    items, index = [], 0
    while index < len(text):
        char = text[index]
        if escapes and char == '\\' and text[index + 1:index + 2] in ('*', '?'):
            items.append(('=', text[index + 1]))
            index += 2
            continue
        if char == '*':
            if not items or items[-1][0] != '*':
                items.append(('*', None))
        else:
            items.append(('?', None) if char == '?' and escapes else ('=', char))
        index += 1
    return items


def _like(pattern, text):
    """Whether ``text`` matches the whole wildcard ``pattern`` (from :func:`_pattern`), in
    linear passes with one backtrack point (never a regular expression: a server's pattern
    must not make the match exponential)."""
    p = t = 0
    star, marked = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p][0] != '*' and (
                pattern[p][0] == '?' or pattern[p][1] == text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p][0] == '*':
            star, marked, p = p, t, p + 1
        elif star >= 0:
            marked += 1
            p, t = star + 1, marked
        else:
            return False
    while p < len(pattern) and pattern[p][0] == '*':
        p += 1
    return p == len(pattern)


def _tokens(text):
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise Unreadable(f'unexpected text at {pos}')
        kind = match.lastgroup if match.lastgroup not in ('pattern', 'attribute') else \
            ('matches' if match.group('matches') else 'source')
        tokens.append((kind, match))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens):
        self.tokens, self.pos = tokens, 0

    def peek(self):
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, kind=None):
        if self.pos >= len(self.tokens) or (kind and self.peek() != kind):
            raise Unreadable(f'expected {kind or "more"}')
        token = self.tokens[self.pos]
        self.pos += 1
        return token[1]

    def expression(self, depth):
        if depth > MAX_DEPTH:
            raise Unreadable('nested too deeply')
        terms, joins = [self.term(depth)], set()
        while self.peek() in ('and', 'or'):
            joins.add(self.peek())
            self.take()
            terms.append(self.term(depth))
        if len(joins) > 1:
            raise Unreadable('AND and OR mixed without parentheses')
        return (joins.pop(), terms) if joins else terms[0]

    def term(self, depth):
        if depth > MAX_DEPTH:
            raise Unreadable('nested too deeply')
        kind = self.peek()
        if kind == 'not':
            self.take()
            return ('not', self.term(depth + 1))
        if kind == 'open':
            self.take()
            inner = self.expression(depth + 1)
            self.take('close')
            return inner
        if kind == 'matches':
            match = self.take()
            if match.group('matches').lower() != 'actionmatches':
                raise Unreadable('SubOperationMatches is not used by ACR')
            return ('action', match.group('pattern').replace("\\'", "'").lower())
        if kind == 'source':
            return self.comparison(self.take())
        raise Unreadable(f'unexpected {kind}')

    def comparison(self, source):
        if source.group('attribute').strip().lower() != REPOSITORY_NAME or \
                source.group('source').lower() not in ('request', 'resource'):
            raise Unreadable('an attribute other than the repository name')
        operator = self.take('operator').group('operator').lower()
        negated = operator.startswith('stringnot')
        base = operator.replace('stringnot', 'string', 1)
        ignore_case = base.endswith('ignorecase')
        base = base[:-len('ignorecase')] if ignore_case else base
        if base not in _OPERATORS:
            raise Unreadable(f'the operator {operator}')
        value = self.take('string').group('string').replace("\\'", "'")
        return ('compare', base, ignore_case, negated, value)


def parse(condition):
    """The condition as a tree, or None when it is not in a form read here."""
    if not isinstance(condition, str) or not condition.strip() or len(condition) > MAX_CONDITION:
        return None
    try:
        parser = _Parser(_tokens(condition))
        tree = parser.expression(0)
        if parser.pos != len(parser.tokens):
            return None
        return tree
    except (Unreadable, RecursionError):
        return None


def evaluate(tree, action, repository):
    """True, False, or None (it depends on a repository, and none was given) for ``action``
    (a data action) on ``repository``."""
    kind = tree[0]
    if kind == 'action':  # ActionMatches: '*' is its only wildcard
        return _like(_pattern(tree[1], escapes=False), action.lower())
    if kind == 'compare':
        if repository is None:
            return None
        _, base, ignore_case, negated, value = tree
        name = repository.casefold() if ignore_case else repository
        value = value.casefold() if ignore_case else value
        return _OPERATORS[base](name, value) != negated
    if kind == 'not':
        inner = evaluate(tree[1], action, repository)
        return None if inner is None else not inner
    values = [evaluate(term, action, repository) for term in tree[1]]
    if kind == 'and':
        return False if False in values else None if None in values else True
    return True if True in values else None if None in values else False


def repositories(tree):
    """The repositories a condition names, as people read them ('nginx', 'backend/*',
    'not test*')."""
    if tree[0] == 'compare':
        _, base, _, negated, value = tree
        shown = value + '*' if base == 'stringstartswith' else value
        return [f'not {shown}' if negated else shown]
    if tree[0] == 'not':
        return repositories(tree[1])
    if tree[0] in ('and', 'or'):
        return [name for term in tree[1] for name in repositories(term)]
    return []
