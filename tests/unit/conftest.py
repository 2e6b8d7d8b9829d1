# acrhealth (MIT licence). Fixtures of the unit tests: no CI runner's variables, a real local TLS server.
import pytest

from .connectivity_fakes import TlsServer, make_pki


@pytest.fixture(autouse=True)
def not_in_a_pipeline(monkeypatch):
    """Unit tests see no CI runner's variables (the project's own CI may set them): a test
    that wants one sets it."""
    for name in ('GITHUB_ACTIONS', 'GITHUB_STEP_SUMMARY', 'TF_BUILD', 'AGENT_TEMPDIRECTORY'):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope='module')
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp('pki'))


@pytest.fixture
def serve(pki):
    """``serve(handler, cert='good', tls=True)`` starts a server, stopped at teardown."""
    servers = []

    def start(handler, cert='good', tls=True):
        server = TlsServer(pki[cert], handler, tls=tls)
        servers.append(server)
        return server
    yield start
    for server in servers:
        server.stop()
