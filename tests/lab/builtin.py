# acrhealth (MIT licence). Reading what the Azure CLI's own `az acr check-health` prints.
"""The built-in command reports only on stderr: `ERROR: <timestamp> An error occurred: CODE`
for every failure (with --ignore-errors) and `WARNING: <what> : OK` for every pass."""
import re

_CODE = re.compile(r'An error occurred: ([A-Z][A-Z_]+)')
_PASS = re.compile(r'^WARNING: (.*) : OK$', re.M)
ENVIRONMENT_PREFIXES = ('DOCKER_', 'HELM_', 'NOTARY_')


def codes(stderr):
    """Every code the built-in reported, in order."""
    return _CODE.findall(stderr or '')


def registry_codes(stderr):
    """The codes about the registry (everything but the docker/helm/notary environment checks)."""
    return [c for c in codes(stderr) if not c.startswith(ENVIRONMENT_PREFIXES)]


def environment_codes(stderr):
    return [c for c in codes(stderr) if c.startswith(ENVIRONMENT_PREFIXES)]


def passes(stderr):
    """The checks the built-in reported as OK, e.g. "DNS lookup to X at IP Y"."""
    return _PASS.findall(stderr or '')


def check_health_argv(scenario, *more):
    """`az acr check-health` for SCENARIO as the parity test runs it."""
    return ['az', 'acr', 'check-health', '-n', scenario.registry, '--yes', '--ignore-errors'] + \
        list(scenario.extra_args) + list(more)
