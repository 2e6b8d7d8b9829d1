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


# The token checks read the role assignments (to explain a refusal), so those come first.
TOKEN_CHECKS = ('refresh-token', 'access-token')


def with_access(path, identity):
    """The registry path checks with the identity checks placed before the token checks,
    which then wait for the role assignments (their explanation of a refusal)."""
    at = next(i for i, check in enumerate(path) if check.id in TOKEN_CHECKS)
    token_checks = [replace(check, after=check.after + ('role-assignments',))
                    if check.id in TOKEN_CHECKS else check for check in path[at:]]
    return path[:at] + identity + token_checks


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
