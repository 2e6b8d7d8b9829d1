# acrhealth (MIT licence). pytest fixtures for the lab (loaded from tests/conftest.py).
"""`lab`: one running lab per test session (started on first use, stopped at session end).

    def test_something(lab):
        r = lab.run(['az', 'acr', 'check-health', '-n', 'healthy', '--yes'])
        ext = lab.install_extension(wheel)          # cached per wheel content
        r = lab.run([...], extension_dir=ext, cloud='nosuffix', env={...}, timeout=60)
        lab.requests(); lab.clear_requests(); lab.issued_tokens()
        lab.scenarios; lab.hostile; lab.scenario('firewalled'); lab.facts.TENANT_ID

Skips (with the precise reason) only when this machine cannot run the lab at all; under CI=true
that fails the run instead.
"""
import os

import pytest

from .lab import Lab, LabUnavailable, preflight


def _unavailable(reason):
    """Skip, saying why; under CI=true fail instead: a CI run whose lab cannot start must not
    pass by skipping every end-to-end test."""
    if os.environ.get('CI') == 'true':
        pytest.fail('lab unavailable under CI=true: ' + reason)
    pytest.skip('lab unavailable: ' + reason)


@pytest.fixture(scope='session')
def lab():
    reason = preflight()
    if reason:
        _unavailable(reason)
    the_lab = Lab()
    try:
        the_lab.start()
    except LabUnavailable as e:
        _unavailable(str(e))
    except Exception as e:
        if os.geteuid() != 0:  # an unprivileged user namespace that cannot run dockerd
            _unavailable('without root: {}'.format(e))
        raise
    try:
        yield the_lab
    finally:
        the_lab.stop()
