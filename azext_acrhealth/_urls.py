# acrhealth (MIT licence). URLs as they may be shown: no credential in them.
"""A proxy URL may carry a password, a blob redirect's query string is a signature: what
reaches a message or a fact has them masked or cut."""

import re

from ._text import bounded

_USERINFO = re.compile(r'^([^/?#]*//)[^/?#]*@')


def without_userinfo(value):
    # Textual, not urlsplit: the credential must go also when the URL has no scheme
    # ("user:pw@proxy:3128", which requests accepts), a bad port or a "/" in the password.
    scheme, sep, rest = value.partition('://')
    if not sep:
        scheme, rest = '', value
    if '@' not in rest:
        return value
    return f"{scheme}{sep}***@{rest.rsplit('@', 1)[1]}"


def shown_url(url):
    """A URL as text for a message: without its query (a redirect's signed query string is a
    credential) or user information, printable, at most 200 characters; None for no URL."""
    if not isinstance(url, str):
        return None
    return bounded(_USERINFO.sub(r'\1', url.split('?', 1)[0].split('#', 1)[0]), 200)
