# acrhealth (MIT licence). The critical path make bench prints, from a report's durations.
"""``bench.compare.critical_path`` reads the plan's dependencies (``requires`` and ``after``)
and the report's ``durationMs``: the longest chain is what a run waited for."""

from azext_acrhealth.checks import build_plan
from azext_acrhealth.checks.base import CheckContext, Options
from bench.compare import critical_path


def _report(durations):
    plan = build_plan(CheckContext(options=Options(registry_name='healthy')))
    return {'checks': [{'id': check.id, 'durationMs': durations.get(check.id, 0)}
                       for check in plan]}


def test_the_longest_chain_of_dependent_checks_is_the_critical_path():
    report = _report({'login-server': 200, 'identity': 2, 'role-assignments': 110,
                      'refresh-token': 54, 'access-token': 55, 'docker-pull': 150})
    assert critical_path(report) == \
        'role-assignments 110 ms <- identity 2 ms <- login-server 200 ms (312 ms)'


def test_a_slower_token_chain_takes_over():
    report = _report({'login-server': 200, 'identity': 2, 'role-assignments': 50,
                      'refresh-token': 54, 'access-token': 55})
    assert critical_path(report) == \
        'access-token 55 ms <- refresh-token 54 ms <- challenge 0 ms <- dns 0 ms <- ' \
        'login-server 200 ms (309 ms)'


def test_a_check_without_a_duration_counts_as_instant():
    # The pull needs the daemon only: the version check beside it is not on the path.
    report = _report({'docker-daemon': 40, 'docker-version': 30, 'docker-pull': 500})
    report['checks'] = [dict(entry, durationMs=None) if entry['id'] == 'docker-client' else entry
                        for entry in report['checks']]
    assert critical_path(report) == \
        'docker-pull 500 ms <- docker-daemon 40 ms <- docker-client 0 ms (540 ms)'
