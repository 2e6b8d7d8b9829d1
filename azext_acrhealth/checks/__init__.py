# acrhealth (MIT licence). The plan: which checks run, in which order.
"""The checks of ``az acr check-health`` and the plan that orders them."""

from dataclasses import replace

from .base import Check, CheckResult
# Every area module, at once: each adds its findings to the catalogue as it is imported.
from . import (access, connectivity, credentials, docker, endpoints, pullpath, registry, tokens,
               tools)

AREAS = (docker, tools, connectivity, tokens, access, endpoints, pullpath, credentials, registry)


def _skipped_in_cloud_shell(_ctx, _results):
    return CheckResult('runner.skipped.cloud_shell')


# The role assignments explain a refused token (joined once both are done), so they come first.
TOKEN_CHECKS = ('refresh-token', 'access-token')


def with_access(path, identity):
    """The registry path checks with the identity checks placed before the token checks (the
    runner joins an explanation to a result as it reports it, in plan order)."""
    at = next(i for i, check in enumerate(path) if check.id in TOKEN_CHECKS)
    return path[:at] + identity + path[at:]


def build_plan(ctx):
    """The checks to run for ``ctx``, in plan (report) order."""
    plan = docker.docker_plan() + tools.tools_plan()
    if ctx.cloud_shell:
        plan = [replace(check, run=_skipped_in_cloud_shell, requires=(), after=(), budget=0)
                for check in plan]
    if ctx.options.registry_name:
        plan += with_access(connectivity.connectivity_plan() + tokens.tokens_plan(),
                            access.access_plan()) + \
            pullpath.pullpath_plan(with_image=bool(ctx.options.image)) + \
            credentials.credentials_plan() + registry.registry_plan(with_vnet=bool(ctx.options.vnet))
    return plan


__all__ = ['Check', 'CheckResult', 'build_plan']
