# acrhealth (MIT licence). Replays the lab's recorded data-plane traffic without the lab.
"""Each cassette under tests/recordings was recorded from the lab by ``make record``. Replayed
here through the real HTTP adapter (requests, intercepted by vcrpy), the connectivity checks
must reach the same findings, and the scenario's documented code."""

import glob
import json
import os

import pytest

from azext_acrhealth import catalogue
from azext_acrhealth._http import HttpClient
from azext_acrhealth.checks.base import CheckContext, Options
from azext_acrhealth.checks.connectivity import connectivity_plan
from azext_acrhealth.checks.tokens import tokens_plan
from azext_acrhealth.report import check_entry
from azext_acrhealth.runner import run_plan

RECORDINGS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          'recordings')
SIDECARS = sorted(glob.glob(os.path.join(RECORDINGS, '*.json')))


class _RecordedArm:
    date = None  # ARM's traffic is not recorded

    def __init__(self, registry):
        self._registry = registry

    def find_registry(self, _name):
        return self._registry

    @staticmethod
    def subscription():
        return {'id': 'recorded-subscription', 'name': None}


def _replay(sidecar, cassette, record_mode='none'):
    import vcr
    ctx = CheckContext(options=Options(registry_name=sidecar['registryName'],
                                       repository=sidecar['repository'], timeout=5))
    ctx.acr_suffix = sidecar['acrSuffix']
    ctx.arm = _RecordedArm(sidecar['registry'])
    ctx.resolve = lambda host, timeout: list(sidecar['addresses'])
    ctx.aad_token = lambda: ('replayed-aad-token', sidecar['tenant'])
    ctx.http = HttpClient(5, verify=False)
    recorded_at = sidecar.get('recordedAt')
    if recorded_at is not None:  # replayed at the time it was recorded
        ctx.now = lambda: recorded_at
    with vcr.VCR(record_mode=record_mode).use_cassette(cassette) as tape:
        outcomes = run_plan(connectivity_plan() + tokens_plan(), ctx, ignore_errors=True)
    return outcomes, tape


def test_every_data_plane_scenario_has_a_recording():
    from tests.recordings.record import recorded_scenarios
    expected = {s.name for s in recorded_scenarios()}
    recorded = {os.path.basename(p)[:-5] for p in SIDECARS}
    assert expected <= recorded, 'run `make record`: missing {}'.format(expected - recorded)


@pytest.mark.parametrize('sidecar_path', SIDECARS, ids=lambda p: os.path.basename(p)[:-5])
def test_replayed_scenario_reaches_the_recorded_findings(sidecar_path):
    with open(sidecar_path, encoding='utf-8') as handle:
        sidecar = json.load(handle)
    outcomes, tape = _replay(sidecar, sidecar_path[:-5] + '.yaml')
    # The checks the recording covers: a check added since needs no new recording.
    findings = {check.id: result.finding for check, result in outcomes
                if check.id in sidecar['findings']}
    assert findings == sidecar['findings']
    # Every recorded interaction was asked for again: the checks made the same calls.
    assert tape.all_played
    failed = [check_entry(c, r)['code'] for c, r in outcomes if r.status == catalogue.FAILED]
    if sidecar['code'] is None:
        assert failed == []
    else:
        assert failed and failed[0] == sidecar['code']


@pytest.mark.parametrize('sidecar_path', SIDECARS, ids=lambda p: os.path.basename(p)[:-5])
def test_recordings_hold_no_token(sidecar_path):
    with open(sidecar_path[:-5] + '.yaml', encoding='utf-8') as handle:
        text = handle.read()
    assert 'Authorization' not in text
    assert 'replayed-aad-token' not in text
    # Tokens keep their claims at most: no signature part survives redaction.
    import re
    for token in re.findall(r'eyJ[\w-]+\.[\w-]+\.[\w-]+', text):
        assert token.endswith('.redacted'), token[:40]
