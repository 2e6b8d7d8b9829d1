# acrhealth (MIT licence). A connection opened ahead in a requests session's pool.
"""One connection opened ahead in a ``requests`` session's pool, the one a later request takes
(ARM's, while the CLI builds its client: ``_arm``), and the TLS 1.3 session tickets such an
idle connection receives, read when urllib3 checks it."""

import ssl


def open_connection(session, url, verify, timeout):
    """Open one connection to ``url``'s host in ``session``'s pool, the one a request with
    ``verify`` takes there (requests' own choice of pool: proxies, CA bundle and certificate
    from the environment as its requests see them): the connection, idle in the pool, or None
    when it could not be opened. Never raises."""
    try:
        from requests import Request
        settings = session.merge_environment_settings(url, {}, None, verify, None)
        adapter = session.get_adapter(url)
        pool = adapter.get_connection_with_tls_context(
            Request('GET', url).prepare(), settings['verify'], settings['proxies'],
            settings['cert'])
        adapter.cert_verify(pool, url, settings['verify'], settings['cert'])
        # urllib3's pool keeps idle connections; a request takes the one put back here.
        connection = pool._get_conn()  # pylint: disable=protected-access  # no public way to pre-open
        try:
            connection.timeout = timeout
            connection.connect()
            tolerate_tickets(connection)
            return connection
        except Exception:  # pylint: disable=broad-except  # the request connects (and says why)
            connection.close()
            return None
        finally:
            pool._put_conn(connection)  # pylint: disable=protected-access
    except Exception:  # pylint: disable=broad-except  # requests or urllib3 of another make
        return None


_TOLERANT = {}  # urllib3 connection class -> its subclass that reads tickets when asked


def tolerate_tickets(connection):
    """Make an idle connection read what a TLS 1.3 server sends after the handshake (its
    session tickets, about a round trip later) when urllib3 asks whether it is still connected:
    urllib3 takes an idle connection with anything to read for one the server closed, and
    opens another. (A reused keep-alive connection never has this: reading its first answer
    read them.)"""
    base = type(connection)
    if not isinstance(getattr(base, 'is_connected', None), property):
        return  # another urllib3: the request may open a connection of its own
    tolerant = _TOLERANT.get(base)
    if tolerant is None:
        def is_connected(self):
            read_tickets(self)
            return base.is_connected.fget(self)
        tolerant = _TOLERANT.setdefault(base, type(
            'Ticket' + base.__name__, (base,), {'is_connected': property(is_connected)}))
    connection.__class__ = tolerant


def read_tickets(connection):
    """Read, without waiting, what the server sent on an idle connection: TLS 1.3 session
    tickets are taken in (OpenSSL processes them and finds no data); anything else there (data,
    the server's close) closes the connection, which a request then opens again."""
    sock = getattr(connection, 'sock', None)
    if sock is None:
        return
    timeout = sock.gettimeout()
    try:
        sock.settimeout(0)
        sock.recv(1)
    except (ssl.SSLWantReadError, BlockingIOError):
        sock.settimeout(timeout)  # nothing but tickets, or nothing at all: ready for a request
        return
    except Exception:  # pylint: disable=broad-except  # a broken connection: closed below
        pass
    connection.close()
