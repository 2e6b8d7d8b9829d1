# acrhealth (MIT licence). _pooled: a connection opened ahead, against a real TLS 1.3 server on 127.0.0.1.
import socket
import time
from types import SimpleNamespace

import pytest

from azext_acrhealth import _pooled
from azext_acrhealth._pooled import open_connection, read_tickets

from .connectivity_fakes import answering_json
from .test_http import PROXY_VARIABLES


@pytest.fixture(autouse=True)
def no_proxies(monkeypatch):
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


def opened(server, verify, pause=0.0):
    """A session whose connection to ``server`` was opened ahead; then, ``pause`` seconds
    later, one request on it: how many connections the server saw."""
    import requests
    session = requests.Session()
    connection = open_connection(session, server.url('/'), verify, 4.0)
    assert connection is not None and connection.sock is not None
    time.sleep(pause)
    assert session.get(server.url('/'), verify=verify, timeout=4).status_code == 200
    return server.connections


@pytest.mark.parametrize('pause', [0.0, 0.3])
def test_a_connection_opened_ahead_serves_the_next_request(serve, pki, pause):
    # At once (ARM's first request waits for it), its TLS 1.3 tickets perhaps still on the way,
    # or once they arrived: the same connection.
    assert opened(serve(answering_json()), pki['ca'], pause) == 1


def test_unread_tickets_make_urllib3_take_the_opened_connection_for_a_dropped_one(
        serve, pki, monkeypatch):
    # Why tolerate_tickets exists: the server's TLS 1.3 tickets, unread, make the request open
    # a second connection.
    monkeypatch.setattr(_pooled, 'tolerate_tickets', lambda connection: None)
    assert opened(serve(answering_json()), pki['ca'], 0.3) == 2


@pytest.mark.filterwarnings('ignore::urllib3.exceptions.InsecureRequestWarning')
def test_with_verification_off_the_request_takes_the_connection_opened_ahead_too(serve):
    # AZURE_CLI_DISABLE_CONNECTION_VERIFICATION: the CLI's client asks with verify=False, and
    # the connection opened ahead with it is in the pool that request takes.
    assert opened(serve(answering_json(), cert='untrusted'), False, 0.3) == 1


def test_a_connection_that_cannot_be_opened_ahead_is_none_and_raises_nothing(serve, pki):
    import requests
    untrusted = serve(answering_json(), cert='untrusted')
    assert open_connection(requests.Session(), untrusted.url('/'), pki['ca'], 4.0) is None
    with socket.socket() as free:
        free.bind(('127.0.0.1', 0))
        port = free.getsockname()[1]
    assert open_connection(requests.Session(), f'https://127.0.0.1:{port}/', True, 4.0) is None
    assert open_connection(object(), 'https://localhost/', True, 4.0) is None


@pytest.mark.parametrize('answer', [b'', b'HTTP/1.1 200 OK\r\n', OSError('reset')])
def test_an_idle_connection_with_something_else_to_read_is_closed(answer):
    class Sock:
        def gettimeout(self):
            return 4.0

        def settimeout(self, _seconds):
            pass

        def recv(self, _size):
            if isinstance(answer, Exception):
                raise answer
            return answer
    connection = SimpleNamespace(sock=Sock(), closed=[])
    connection.close = lambda: connection.closed.append(True)
    read_tickets(connection)
    assert connection.closed == [True]
