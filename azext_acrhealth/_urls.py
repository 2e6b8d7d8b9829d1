# acrhealth (MIT licence). URLs as they may be shown (no credential in them), and host names.
"""A proxy URL may carry a password, a blob redirect's query string is a signature: what
reaches a message or a fact has them masked or cut. And what a host name is: a server may
name anything."""

import ipaddress
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


# A DNS label: letters, digits and hyphens, at most 63, neither first nor last a hyphen (RFC 1123).
_HOST_LABEL = re.compile(r'[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?')


def is_host_name(text):
    """Whether ``text`` names a host a client could connect to: an IP address, or a DNS name of
    labels (letters, digits, hyphens; at most 63 each) joined by dots, at most 253 in all (a
    final root dot allowed), whose last label is not all digits (that would be a broken
    address)."""
    if not isinstance(text, str) or not text:
        return False
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        pass
    name = text[:-1] if text.endswith('.') else text
    labels = name.split('.')
    return len(name) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in labels) and \
        not labels[-1].isdigit()
