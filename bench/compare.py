# acrhealth (MIT licence). Benchmark: the built-in `az acr check-health` and ours, side by side.
"""Runs the Azure CLI's own command and the extension alternately against the same lab
registries (with a per-request latency so the fake Azure looks like a network), and prints
the median wall time of each and their ratio. Usage (from the repository root):

    .venv/bin/python -m bench.compare --wheel dist/acrhealth-1.0.0b4-py3-none-any.whl \
        [--rounds 5] [--latency-ms 50] [--registry healthy ...] [--cached-pull]

Ratios, not seconds, are what to compare between machines.
"""

import argparse
import json
import statistics
import sys
import time

from tests.lab.lab import Lab, preflight


def forget_sample(lab):
    """Remove the sample image from the lab's Docker (untimed), so the next pull is a real one:
    what a fresh build agent does, and what the floor's pull alone measures."""
    from tests.lab import scenarios as S
    lab.run(['docker', 'image', 'rm', '-f', S.SAMPLE_IMAGE], timeout=120)


def timed(lab, argv, real_pull=False, **kwargs):
    if real_pull:
        forget_sample(lab)
    started = time.monotonic()
    result = lab.run(argv, timeout=300, **kwargs)
    return time.monotonic() - started, result


# `az acr check-health -h` whose process's exit skips Python's last garbage collection, as a run
# of ours does (closing.py): the same two interpreters as the `az` script (which execs
# `python -m azure.cli`), the second registering gc.freeze at exit before the CLI starts.
EXIT_SPARED = (
    "import os, sys; os.environ.setdefault('AZ_INSTALLER', 'PIP'); "
    "os.execl(sys.executable, sys.executable, '-c', 'import atexit, gc, runpy; "
    "atexit.register(gc.freeze); runpy.run_module(\"azure.cli\", run_name=\"__main__\", "
    "alter_sys=True)', *sys.argv[1:])")


def floor_round(lab, ext, args):
    """One round's floor parts: the CLI's start-up with the extension loaded
    (`az acr check-health -h`), the sample `docker pull` alone, and the start-up again with its
    exit spared as ours is."""
    from tests.lab import scenarios as S
    help_run = timed(lab, ['az', 'acr', 'check-health', '-h'], extension_dir=ext)[0]
    pull = timed(lab, ['docker', 'pull', '-q', S.SAMPLE_IMAGE], real_pull=args.real_pull)[0]
    spared, result = timed(lab, ['python', '-c', EXIT_SPARED, 'acr', 'check-health', '-h'],
                           extension_dir=ext)
    if result.returncode or 'check-health' not in result.stdout:
        raise SystemExit('bench: the start-up with its exit spared failed: ' + result.stderr[-500:])
    return help_run, pull, spared


def floor_report(lab, ext, args, rounds):
    """The floor of a healthy run, timed in the same rounds as the run itself (so the machine's
    drift hits both alike): the CLI's start-up with the extension loaded plus the longer of the
    sample `docker pull` alone and three dependent round trips (challenge, exchange, token);
    ours over it (of the medians, and the median of each round's ratio); the TLS handshakes of
    one healthy run; and its critical path. Then the same floor with the start-up's exit spared
    as ours is (Python's last collection): what the run costs beside the CLI's own start-up.
    ``rounds``: ``(ours, start-up, pull, start-up with its exit spared)`` a round."""
    trips = 3 * args.latency_ms / 1000.0

    def floor_of(start_up, pull):
        return start_up + max(pull, trips)
    help_run = statistics.median(r[1] for r in rounds)
    pull = statistics.median(r[2] for r in rounds)
    spared = statistics.median(r[3] for r in rounds)
    floor = floor_of(help_run, pull)
    per_round = statistics.median(r[0] / floor_of(r[1], r[2]) for r in rounds)
    per_round_spared = statistics.median(r[0] / floor_of(r[3], r[2]) for r in rounds)
    if args.real_pull:
        forget_sample(lab)  # before the log is cleared: the log holds the run alone
    lab.clear_requests()
    _, result = timed(lab, ['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'json'],
                      extension_dir=ext)
    log = lab.requests()
    handshakes = sum(1 for e in log if e.get('event') == 'tls-handshake')
    hosts = len({e.get('sni') for e in log if e.get('event') == 'tls-handshake'})
    print('floor: start-up (az acr check-health -h) {:.2f} s + max(docker pull alone {:.2f} s, '
          '3 round trips {:.2f} s) = {:.2f} s'.format(help_run, pull, trips, floor))
    print('ours, healthy / floor: {:.2f} (median of each round\'s: {:.2f})'.format(
        statistics.median(r[0] for r in rounds) / floor, per_round))
    print('floor with the start-up\'s exit spared as ours is: start-up {:.2f} s, floor {:.2f} s; '
          'ours / it: {:.2f} (median of each round\'s: {:.2f})'.format(
              spared, floor_of(spared, pull),
              statistics.median(r[0] for r in rounds) / floor_of(spared, pull), per_round_spared))
    print('TLS handshakes in one healthy run: {} for {} hosts'.format(handshakes, hosts))
    print('critical path of one healthy run: ' + critical_path(json.loads(result.stdout)))


def critical_path(report):
    """Which check waited for which, and for how long: each check starts when the checks it
    needs (``requires`` and ``after`` in the plan) are done, so the longest chain of durations
    is what the run waited for."""
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.checks.base import CheckContext, Options
    plan = {check.id: check for check in build_plan(CheckContext(options=Options(
        registry_name='healthy')))}
    took = {entry['id']: (entry['durationMs'] or 0) for entry in report['checks']}
    done, came_from = {}, {}
    for check_id, check in plan.items():  # plan order: dependencies first
        deps = [d for d in check.requires + check.after if d in done]
        start = max((done[d] for d in deps), default=0)
        came_from[check_id] = max(deps, key=done.get) if deps else None
        done[check_id] = start + took.get(check_id, 0)
    chain, node = [], max(done, key=done.get)
    while node:
        chain.append(f'{node} {took.get(node, 0)} ms')
        node = came_from[node]
    return ' <- '.join(chain) + f' ({max(done.values())} ms)'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--wheel', required=True)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--latency-ms', type=int, default=50)
    parser.add_argument('--registry', action='append')
    parser.add_argument('--cached-pull', dest='real_pull', action='store_false',
                        help='keep the sample image between runs (by default it is removed before '
                             'each timed run, so every sample pull is a real one)')
    args = parser.parse_args(argv)
    reason = preflight()
    if reason:
        print('bench: the lab cannot run here: ' + reason, file=sys.stderr)
        return 2
    # dataendpoints: a healthy registry whose data endpoint is probed too (the pull path's cost).
    registries = args.registry or ['healthy', 'dataendpoints', 'exchangedenied']
    lab = Lab(latency_ms=args.latency_ms)
    lab.start()
    try:
        ext = lab.install_extension(args.wheel)
        print('{:<16} {:>12} {:>12} {:>8}'.format('registry', 'built-in s', 'ours s', 'ratio'))
        medians, floor_rounds = {}, []
        for registry in registries:
            command = ['az', 'acr', 'check-health', '-n', registry, '--yes', '--ignore-errors',
                       '-o', 'none']
            theirs, ours = [], []
            for _ in range(args.rounds):  # alternate, so drift hits both alike
                theirs.append(timed(lab, command, real_pull=args.real_pull)[0])
                ours.append(timed(lab, command, real_pull=args.real_pull, extension_dir=ext)[0])
                if registry == 'healthy':  # and the floor in the same round
                    floor_rounds.append((ours[-1],) + floor_round(lab, ext, args))
            builtin_median, ours_median = statistics.median(theirs), statistics.median(ours)
            medians[registry] = ours_median
            print('{:<16} {:>12.2f} {:>12.2f} {:>8.2f}'.format(
                registry, builtin_median, ours_median, ours_median / builtin_median))
        if floor_rounds:
            floor_report(lab, ext, args, floor_rounds)
        if 'healthy' in medians and 'dataendpoints' in medians:
            print('ours, dataendpoints / healthy: {:.2f} (a data endpoint probed beside the login '
                  'server; {} ms latency a request)'.format(
                      medians['dataendpoints'] / medians['healthy'], args.latency_ms))
    finally:
        lab.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
