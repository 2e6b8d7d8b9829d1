# acrhealth (MIT licence). Side by side: the Azure CLI's own check-health and ours, per scenario.
"""For every lab scenario, the built-in `az acr check-health` (no extension) and ours (the
installed wheel) run against the same registry in the same lab. Where the built-in is right,
both report the same documented codes; where the scenario table names a divergence, the test
asserts both the built-in's wrong answer and our documented one."""

import json
import subprocess

import pytest

from tests.lab import builtin
from tests.lab import scenarios as S

HANG_SECONDS = 8


# Our checks the built-in has no counterpart of: it never looks at the hosts a pull needs
# besides the login server (a registry may fail them and the login server's checks at once).
NOT_IN_THE_BUILTIN = ('endpoints',)


def our_codes(report):
    """Our failed codes, without the environment ones (helm is absent from this machine) and
    those of checks the built-in does not have."""
    return [c['code'] for c in report['checks']
            if c['status'] == 'failed' and not c['code'].startswith(builtin.ENVIRONMENT_PREFIXES)
            and c['id'] not in NOT_IN_THE_BUILTIN]


@pytest.mark.parametrize('name', [s.name for s in S.SCENARIOS])
def test_same_documented_code_as_the_builtin(lab, ext, name):
    scenario = lab.scenario(name)
    argv = builtin.check_health_argv(scenario)
    env = lab.scenario_env(scenario)
    ours = lab.run(argv + ['-o', 'json', '--timeout', '3'], extension_dir=ext,
                   cloud=scenario.cloud, env=env, timeout=90)
    report = json.loads(ours.stdout)
    failed = [c['code'] for c in report['checks'] if c['status'] == 'failed']
    if scenario.code:
        assert scenario.code in failed, ours.stderr[-1500:]
    else:
        assert failed == []

    if scenario.builtin_hangs:
        # Divergence: the built-in has no timeout and never reports anything.
        with pytest.raises(subprocess.TimeoutExpired):
            lab.run(argv, cloud=scenario.cloud, env=env, timeout=HANG_SECONDS)
        return
    theirs = lab.run(argv, cloud=scenario.cloud, env=env, timeout=90)
    if scenario.divergence:
        # Named divergence: the built-in does not report the documented code; we do (or, where
        # the registry is healthy, the built-in reports a code and we report none).
        if scenario.code is None:
            assert scenario.builtin_code in builtin.codes(theirs.stderr), scenario.divergence
            return
        assert scenario.code not in builtin.codes(theirs.stderr), scenario.divergence
        assert scenario.code in failed, scenario.divergence
        return
    if scenario.code and scenario.code.startswith(builtin.ENVIRONMENT_PREFIXES):
        assert scenario.code in builtin.environment_codes(theirs.stderr)
        return
    ours_codes = our_codes(report)
    if '--vnet' in scenario.extra_args:
        # Divergence: the built-in prints the private-endpoint DNS mismatch as plain text with
        # no code ("Expect: ..., Actual: ..."); ours is CONNECTIVITY_DNS_ERROR on its own check.
        assert 'Expect: {}'.format(S.PRIVATE_IP) in theirs.stderr
        assert ours_codes[-1] == 'CONNECTIVITY_DNS_ERROR'
        ours_codes = ours_codes[:-1]
    # Same registry codes, in the same order.
    assert builtin.registry_codes(theirs.stderr) == ours_codes, (
        theirs.stderr[-1500:], ours.stderr[-1500:])
    # The built-in exits 0 with --ignore-errors whatever failed; we exit 1 when a check failed.
    assert ours.returncode == (1 if failed else 0)
