# acrhealth (MIT licence). A lab that cannot start skips its tests here, and fails CI.
import pytest

from tests.lab.fixtures import _unavailable


def test_without_ci_a_missing_lab_skips_with_the_reason(monkeypatch):
    monkeypatch.delenv('CI', raising=False)
    with pytest.raises(pytest.skip.Exception, match='lab unavailable: no dockerd'):
        _unavailable('no dockerd')


def test_under_ci_a_missing_lab_fails_the_run(monkeypatch):
    monkeypatch.setenv('CI', 'true')
    with pytest.raises(pytest.fail.Exception, match='lab unavailable under CI=true: no dockerd'):
        _unavailable('no dockerd')
