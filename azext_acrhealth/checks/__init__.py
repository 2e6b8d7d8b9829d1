# acrhealth (MIT licence). The plan: which checks run, in which order.
"""The checks of ``az acr check-health`` and the plan that orders them."""

from dataclasses import replace

from .base import Check, CheckResult


def _skipped_in_cloud_shell(_ctx, _results):
    return CheckResult('runner.skipped.cloud_shell')


# The token checks read the role assignments (to explain a refusal), so those come first.
TOKEN_CHECKS = ('refresh-token', 'access-token')


def with_access(connectivity, access):
    """The connectivity checks with the identity checks placed before the token checks,
    which then wait for the role assignments (their explanation of a refusal)."""
    at = next(i for i, check in enumerate(connectivity) if check.id in TOKEN_CHECKS)
    tokens = [replace(check, after=check.after + ('role-assignments',))
              if check.id in TOKEN_CHECKS else check for check in connectivity[at:]]
    return connectivity[:at] + access + tokens


def build_plan(ctx):
    """The checks to run for ``ctx``, in plan (report) order."""
    from .docker import docker_plan
    from .tools import tools_plan
    plan = docker_plan() + tools_plan()
    if ctx.cloud_shell:
        plan = [replace(check, run=_skipped_in_cloud_shell, requires=(), after=(), budget=0)
                for check in plan]
    if ctx.options.registry_name:
        from .access import access_plan
        from .connectivity import connectivity_plan
        from .credentials import credentials_plan
        from .pullpath import pullpath_plan
        from .registry import registry_plan
        from .tokens import tokens_plan
        plan += with_access(connectivity_plan() + tokens_plan(), access_plan()) + \
            pullpath_plan(with_image=bool(ctx.options.image)) + credentials_plan() + \
            registry_plan(with_vnet=bool(ctx.options.vnet))
    return plan


__all__ = ['Check', 'CheckResult', 'build_plan']
