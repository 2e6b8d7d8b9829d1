# acrhealth (MIT licence). Benchmark: the built-in `az acr check-health` and ours, side by side.
"""Runs the Azure CLI's own command and the extension alternately against the same lab
registries (with a per-request latency so the fake Azure looks like a network), and prints
the median wall time of each and their ratio. Usage (from the repository root):

    .venv/bin/python -m bench.compare --wheel dist/acrhealth-1.0.0b3-py3-none-any.whl \
        [--rounds 5] [--latency-ms 50] [--registry healthy ...]

Ratios, not seconds, are what to compare between machines.
"""

import argparse
import statistics
import sys
import time

from tests.lab.lab import Lab, preflight


def timed(lab, argv, **kwargs):
    started = time.monotonic()
    result = lab.run(argv, timeout=300, **kwargs)
    return time.monotonic() - started, result.returncode


def floor_report(lab, ext, args, medians):
    """The floor of a healthy run: the CLI's own start-up (`az acr check-health -h`, and
    `az version` for scale) plus four dependent round trips (ARM lookup, challenge, exchange,
    token); ours over it; and the TLS handshakes of one healthy run, read from the lab's log."""
    if 'healthy' not in medians:
        return
    help_run = statistics.median(timed(lab, ['az', 'acr', 'check-health', '-h'],
                                       extension_dir=ext)[0] for _ in range(args.rounds))
    version = statistics.median(timed(lab, ['az', 'version', '-o', 'none'])[0]
                                for _ in range(args.rounds))
    floor = help_run + 4 * args.latency_ms / 1000.0
    lab.clear_requests()
    timed(lab, ['az', 'acr', 'check-health', '-n', 'healthy', '--yes', '-o', 'none'],
          extension_dir=ext)
    log = lab.requests()
    handshakes = sum(1 for e in log if e.get('event') == 'tls-handshake')
    hosts = len({e.get('sni') for e in log if e.get('event') == 'tls-handshake'})
    print('start-up: az acr check-health -h {:.2f} s, az version {:.2f} s'.format(
        help_run, version))
    print('ours, healthy / floor (-h + 4 round trips): {:.2f}'.format(
        medians['healthy'] / floor))
    print('TLS handshakes in one healthy run: {} for {} hosts'.format(handshakes, hosts))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--wheel', required=True)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--latency-ms', type=int, default=50)
    parser.add_argument('--registry', action='append')
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
        medians = {}
        for registry in registries:
            command = ['az', 'acr', 'check-health', '-n', registry, '--yes', '--ignore-errors',
                       '-o', 'none']
            theirs, ours = [], []
            for _ in range(args.rounds):  # alternate, so drift hits both alike
                theirs.append(timed(lab, command)[0])
                ours.append(timed(lab, command, extension_dir=ext)[0])
            builtin_median, ours_median = statistics.median(theirs), statistics.median(ours)
            medians[registry] = ours_median
            print('{:<16} {:>12.2f} {:>12.2f} {:>8.2f}'.format(
                registry, builtin_median, ours_median, ours_median / builtin_median))
        floor_report(lab, ext, args, medians)
        if 'healthy' in medians and 'dataendpoints' in medians:
            print('ours, dataendpoints / healthy: {:.2f} (a data endpoint probed beside the login '
                  'server; {} ms latency a request)'.format(
                      medians['dataendpoints'] / medians['healthy'], args.latency_ms))
    finally:
        lab.stop()
    return 0


if __name__ == '__main__':
    sys.exit(main())
