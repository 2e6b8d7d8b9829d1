# acrhealth (MIT licence). Command-line entry points of the lab: `tests/lab/run` and `tests/lab/demo`.
"""run:  tests/lab/run [--wheel W] [--cloud lab|nosuffix] [--latency-ms N] [--keep] [-v] -- CMD ARGS...
        starts the lab, optionally installs the extension from W, runs CMD inside the lab with the
        lab's environment (stdout/stderr streamed through), stops the lab, exits with CMD's code.
        125 means the lab itself could not start or the extension could not be installed.
demo: tests/lab/demo [--wheel W]
        one lab; `az acr check-health` for a healthy registry and two broken ones, each under a
        heading. Exits 0 when every command ran (the broken ones exit 1 by design)."""
import argparse
import os
import signal
import subprocess
import sys
import time

from . import scenarios as S
from .lab import Lab, LabUnavailable, install_signal_handlers

LAB_FAILED = 125
DEMO_TIMEOUT = 180


def _say(msg):
    sys.stderr.write('lab: {}\n'.format(msg))
    sys.stderr.flush()


def _stream(lab, argv, timeout=None, **kwargs):
    """Run ARGV inside the lab with this terminal's stdin/stdout/stderr; its exit code."""
    proc = lab.popen(argv, die_with_caller=True, **kwargs)
    try:
        rc = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _say('{} did not finish within {}s; stopped it'.format(argv[0], timeout))
        rc = None
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the command and anything it left behind
        except ProcessLookupError:
            pass
        proc.wait(timeout=10)
    if rc is None:
        return None
    return rc if rc >= 0 else 128 - rc


def _start(args):
    lab = Lab(latency_ms=args.latency_ms, keep=args.keep or None)
    t0 = time.monotonic()
    lab.start()
    if args.verbose:
        _say('up in {:.1f}s (namespace, dockerd, registries {}s; az login {}s); state in {}'.format(
            time.monotonic() - t0, lab.startup_seconds, lab.login_seconds, lab.state_dir))
    return lab


def _install(lab, wheel, verbose):
    t0 = time.monotonic()
    ext = lab.install_extension(wheel)
    if verbose:
        _say('installed {} in {:.1f}s into {}'.format(os.path.basename(wheel), time.monotonic() - t0, ext))
    return ext


def _common(parser):
    parser.add_argument('--wheel', help='install the extension from this wheel into the lab first')
    parser.add_argument('--latency-ms', type=float, default=None,
                        help='delay every answer of the fake Azure by this much '
                             '(default: $ACRHEALTH_LAB_LATENCY_MS or 0)')
    parser.add_argument('--keep', action='store_true', help='keep the lab state dir (logs) after stopping')
    parser.add_argument('-v', '--verbose', action='store_true', help='say what the lab does on stderr')


def _with_lab(args, body):
    """Start the lab (and install --wheel), run ``body(lab, extension_dir)``, stop the lab
    whatever happens; the exit code is body's, LAB_FAILED if the lab could not start."""
    install_signal_handlers()
    lab = None
    try:
        try:
            lab = _start(args)
            ext = _install(lab, args.wheel, args.verbose) if args.wheel else None
        except (LabUnavailable, RuntimeError, OSError) as e:
            _say('cannot start: {}'.format(e))
            return LAB_FAILED
        return body(lab, ext)
    except KeyboardInterrupt:
        return 130
    finally:
        if lab is not None:
            lab.stop()


def run_main(argv=None):
    parser = argparse.ArgumentParser(prog='tests/lab/run', description='Run a command inside the acrhealth lab.')
    _common(parser)
    parser.add_argument('--cloud', choices=sorted(S.CLOUDS), default='lab',
                        help='lab: LabCloud (ACR suffix .azurecr.lab.test); nosuffix: a cloud without ACR suffix')
    parser.add_argument('--timeout', type=float, default=None, help='stop CMD after this many seconds')
    parser.add_argument('cmd', nargs=argparse.REMAINDER, help='-- CMD ARGS...')
    args = parser.parse_args(argv)
    cmd = args.cmd[1:] if args.cmd[:1] == ['--'] else args.cmd
    if not cmd:
        parser.error('give the command to run after --')

    def body(lab, ext):
        rc = _stream(lab, cmd, timeout=args.timeout, extension_dir=ext, cloud=args.cloud)
        return LAB_FAILED if rc is None else rc
    return _with_lab(args, body)


DEMO = [
    ('healthy', 'A healthy registry'),
    ('firewalled', 'A registry whose network rules deny this client (HTTP 403 on /v2/)'),
    ('exchangedenied', 'A registry that refuses to exchange the AAD token (HTTP 401 on /oauth2/exchange)'),
]


def demo_main(argv=None):
    parser = argparse.ArgumentParser(prog='tests/lab/demo',
                                     description='Show az acr check-health on a healthy and two broken lab registries.')
    _common(parser)
    args = parser.parse_args(argv)
    return _with_lab(args, lambda lab, ext: _demo(lab, ext, args.wheel))


def _demo(lab, ext, wheel):
    """The demo's runs, in a started lab."""
    which = 'the acrhealth extension ({})'.format(os.path.basename(wheel)) if ext else \
        "the Azure CLI's built-in command (no --wheel given)"
    print('acrhealth lab demo: az acr check-health, run by {}.'.format(which), flush=True)
    failed_to_run = False
    for name, title in DEMO:
        cmd = ['az', 'acr', 'check-health', '-n', name, '--yes', '-o', 'json']
        sys.stdout.write('\n=== {}: {}\n$ {}\n'.format(name, title, ' '.join(cmd)))
        sys.stdout.flush()
        rc = _stream(lab, cmd, timeout=DEMO_TIMEOUT, extension_dir=ext)
        failed_to_run |= rc is None
        sys.stdout.write('=== exit code: {}\n'.format('timed out' if rc is None else rc))
        sys.stdout.flush()
    return 1 if failed_to_run else 0


if __name__ == '__main__':
    sys.exit({'run': run_main, 'demo': demo_main}[sys.argv[1]](sys.argv[2:]))
