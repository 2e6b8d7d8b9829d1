# acrhealth (MIT licence). Adapters to the CLI's Azure context: AAD tokens, DNS, the cloud's suffix.
"""What the registry checks need from Azure, behind small functions the unit tests replace.

- ARM itself is ``_arm`` (the registry lookup and other GETs); its errors are :class:`ArmError`.
- :func:`aad_token` asks the CLI's profile for an AAD token for the ACR audience.
- :func:`resolve` resolves a host name within a deadline.
"""

import ipaddress
import socket
import threading

from ._bounded import Overrun, no_answer, within
from ._text import first_words, looks_like_repr, plain_reason

ACR_AUDIENCE = 'https://containerregistry.azure.net'


class ArmError(Exception):
    """ARM could not be asked, or refused: ``status`` is the HTTP status when there was one."""

    def __init__(self, reason, status=None):
        super().__init__(reason)
        self.reason = reason
        self.status = status


class AadTokenError(Exception):
    """No AAD token could be had from the CLI's profile."""


class DnsError(Exception):
    """A name did not resolve (or not in time)."""


def acr_suffix(cli_ctx):
    """The cloud's ACR login server suffix, or None when the cloud has none."""
    try:
        return cli_ctx.cloud.suffixes.acr_login_server_endpoint or None
    except Exception:  # pylint: disable=broad-except
        # CloudSuffixNotSetException (or an older CLI without the attribute).
        return None


# ---- AAD ------------------------------------------------------------------------------------

def acr_audience(cli_ctx):
    """The AAD resource for the registry's /oauth2/exchange, as the CLI chooses it."""
    try:
        configured = cli_ctx.config.get('acr', 'audience_resource', fallback=None)
    except Exception:  # pylint: disable=broad-except
        configured = None
    if configured:
        return configured if configured.startswith('https://') else \
            f'https://{configured}.azure.net'
    return ACR_AUDIENCE


def once(work):
    """``work()`` done once for all its callers (the identity and refresh-token checks both need
    the CLI's AAD token): a success is kept; a failure is raised and the next caller tries
    again. Callers that come while it runs wait for it (it is bounded itself).

    ``call.start()`` does it now, on a thread of its own, for the first caller to take: its
    failure is that caller's (so starting early never adds a try)."""
    lock, kept, started = threading.Lock(), [], []

    def call():
        with lock:
            if started:
                outcome = started.pop()
                if outcome[1] is not None:
                    raise outcome[1]
                kept.append(outcome[0])
            if not kept:
                kept.append(work())
            return kept[0]

    def start():
        def ahead():
            with lock:
                if kept or started:
                    return
                try:
                    started.append((work(), None))
                except Exception as ex:  # pylint: disable=broad-except  # the first caller's
                    started.append((None, ex))
        from ._bounded import Task
        Task(ahead, 'acrhealth-early-aad')
    call.start = start
    return call


def aad_token(cli_ctx, timeout):
    """``(access token, tenant)`` for the ACR audience from the CLI's profile, within two
    ``timeout``s (MSAL may ask AAD once more after a dropped connection)."""
    from azure.cli.core._profile import Profile
    from azure.cli.core.commands.client_factory import get_subscription_id

    def ask():
        profile = Profile(cli_ctx=cli_ctx)
        creds, _, tenant = profile.get_raw_token(subscription=get_subscription_id(cli_ctx),
                                                 resource=acr_audience(cli_ctx))
        return creds[1], tenant
    try:
        return within(ask, 2 * timeout)
    except Overrun as ex:
        raise AadTokenError(str(ex)) from None
    except Exception as ex:  # pylint: disable=broad-except
        line = first_words(ex)
        raise AadTokenError(line if line and not looks_like_repr(line) else plain_reason(ex)) \
            from None


# ---- DNS ------------------------------------------------------------------------------------

def resolve(host, timeout):
    """The addresses ``host`` resolves to, in the resolver's order, within ``timeout`` s."""
    try:
        infos = within(lambda: socket.getaddrinfo(host, 443, type=socket.SOCK_STREAM), timeout)
    except Overrun as ex:
        raise DnsError(no_answer(ex.seconds, ex.cut, 'answer')) from None
    except UnicodeError:
        raise DnsError('not a valid host name') from None
    except (OSError, ValueError) as ex:
        raise DnsError(plain_reason(ex)) from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_kind(address):
    """'private', 'public', 'loopback' or 'unusable' for an IP address string."""
    try:
        ip = ipaddress.ip_address(address.split('%', 1)[0])
    except ValueError:
        return 'unusable'
    if getattr(ip, 'ipv4_mapped', None):  # ::ffff:a.b.c.d is a.b.c.d
        ip = ip.ipv4_mapped
    # Loopback first: ::1 lies in ::/8, which ipaddress calls reserved.
    if ip.is_loopback:
        return 'loopback'
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return 'unusable'
    return 'private' if ip.is_private else 'public'
