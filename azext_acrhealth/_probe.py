# acrhealth (MIT licence). The endpoint probe adapter: TCP and TLS to one host, bounded in time.
"""Reach one registry endpoint as a pull would: a TCP connection to port 443, then a TLS
handshake with the CLI's trust settings (the CA bundle requests uses, or none when the CLI
disables verification). When the handshake fails on the certificate, the certificate the host
presented is read (without trusting it) so a TLS-intercepting proxy shows itself: subject,
issuer, names, expiry, and whether its issuer is in the bundle in use. Never sends a byte of
HTTP, never a credential."""

import functools
import socket
import ssl

from ._bounded import Overrun, no_answer, within
from ._text import plain_reason

PORT = 443
PASSED, FAILED, SKIPPED = 'passed', 'failed', 'skipped'


def ca_bundle(environ):
    """The CA bundle requests verifies with here: REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or its
    own (certifi's)."""
    for name in ('REQUESTS_CA_BUNDLE', 'CURL_CA_BUNDLE'):
        if environ.get(name):
            return environ[name]
    from requests.utils import DEFAULT_CA_BUNDLE_PATH
    return DEFAULT_CA_BUNDLE_PATH


def proxy_for(host):
    """The proxy requests would use for https://host/ (HTTPS_PROXY, ALL_PROXY, NO_PROXY, as
    requests decides it from this process's environment), or None."""
    from requests.utils import get_environ_proxies
    proxies = get_environ_proxies(f'https://{host}/')
    return proxies.get('https') or proxies.get('all')


def probe(host, address, timeout, *, verify=True, cafile=None, port=PORT):
    """``{'tcp', 'tls', 'error', 'certificate'}`` for ``host`` at ``address``: each step
    "passed", "failed" or "skipped"; ``error`` says what failed, in plain words; the whole
    probe takes at most about two ``timeout``s (connection, then handshake)."""
    outcome = {'tcp': SKIPPED, 'tls': SKIPPED, 'error': None}
    held = {}  # the sockets a step has open: shut down when the step overruns
    try:
        sock = within(lambda: _connect(address, port, timeout, held), timeout,
                      on_overrun=lambda: _close(held.get('tcp')))
    except TimeoutError as ex:  # the bounded call's Overrun, or the socket's own timeout
        return dict(outcome, tcp=FAILED, error=_timed_out(ex, timeout, 'TCP connection'))
    except OSError as ex:
        return dict(outcome, tcp=FAILED, error=plain_reason(ex))
    outcome['tcp'] = PASSED
    context = _context(verify, cafile)
    try:
        within(lambda: _handshake(context, sock, host, timeout, held), timeout,
               on_overrun=lambda: _close(held.get('tls', sock)))
    except TimeoutError as ex:
        _close(held.get('tls', sock))
        return dict(outcome, tls=FAILED, error=_timed_out(ex, timeout, 'TLS handshake'))
    except ssl.SSLCertVerificationError as ex:
        _close(held.get('tls', sock))
        return dict(outcome, tls=FAILED, error=ex.verify_message or plain_reason(ex),
                    certificate=presented_certificate(host, address, timeout, cafile, port))
    except (ssl.SSLError, OSError) as ex:
        _close(held.get('tls', sock))
        return dict(outcome, tls=FAILED, error=getattr(ex, 'reason', None) or plain_reason(ex))
    return dict(outcome, tls=PASSED)


def _timed_out(ex, timeout, what):
    """'no TLS handshake within 2 s' (the bounded call's limit, or the socket's own)."""
    if isinstance(ex, Overrun):
        return no_answer(ex.seconds, ex.cut, what)
    return no_answer(timeout, False, what)


def _connect(address, port, timeout, held):
    family = socket.AF_INET6 if ':' in address else socket.AF_INET
    sock = held['tcp'] = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((address, port))
    except OSError:
        _close(sock)
        raise
    return sock


@functools.lru_cache(maxsize=4)
def _context(verify, cafile):
    """One TLS context per trust setting for the whole run: loading a CA bundle costs a parse
    of every certificate in it, and contexts are safe to share between threads."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    return ssl.create_default_context(cafile=cafile)


def _handshake(context, sock, host, timeout, held):
    sock.settimeout(timeout)
    tls = held['tls'] = context.wrap_socket(sock, server_hostname=host,
                                            do_handshake_on_connect=False)
    tls.do_handshake()
    tls.close()


def _close(sock):
    """Shut a socket down (which wakes a thread blocked on it) and close it."""
    if sock is None:
        return
    for step in (lambda: sock.shutdown(socket.SHUT_RDWR), sock.close):
        try:
            step()
        except OSError:
            pass


def presented_certificate(host, address, timeout, cafile, port=PORT):
    """What the host presents, read without trusting it; None when it cannot be read."""
    try:
        der = within(lambda: _peer_der(host, address, timeout, port), timeout)
        return describe_certificate(der, cafile)
    except Exception:  # pylint: disable=broad-except
        return None  # a second look that fails adds nothing to the first failure


def _peer_der(host, address, timeout, port):
    context = _context(False, None)
    with socket.create_connection((address, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            return tls.getpeercert(binary_form=True)


def describe_certificate(der, cafile):
    """Subject, issuer, DNS names, expiry and ``issuerInBundle`` of a DER certificate."""
    import warnings
    with warnings.catch_warnings():
        # A certificate may break the rules (a negative serial number, as some in CA bundles
        # do): what it shows is still worth reading, and cryptography's warning on stderr is
        # nobody's business.
        warnings.simplefilter('ignore')
        return _describe(der, cafile)


def _describe(der, cafile):
    from cryptography import x509
    cert = x509.load_der_x509_certificate(der)
    try:
        names = cert.extensions.get_extension_for_class(
            x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        names = []
    expires = getattr(cert, 'not_valid_after_utc', None) or cert.not_valid_after
    return {'subject': cert.subject.rfc4514_string(), 'issuer': cert.issuer.rfc4514_string(),
            'dnsNames': list(names), 'notAfter': expires.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'issuerInBundle': _issuer_in_bundle(cert, cafile)}


def _issuer_in_bundle(cert, cafile):
    from cryptography import x509
    try:
        with open(cafile, 'rb') as handle:
            authorities = x509.load_pem_x509_certificates(handle.read())
    except (OSError, ValueError, TypeError):
        return None  # unknown: the bundle cannot be read
    return any(authority.subject == cert.issuer for authority in authorities)
