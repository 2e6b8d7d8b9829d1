# acrhealth (MIT licence). The plan: which checks run, in which order.
"""The checks of ``az acr check-health`` and the plan that orders them."""

from dataclasses import replace

from .base import Check, CheckResult


def _skipped_in_cloud_shell(_ctx, _results):
    return CheckResult('runner.skipped.cloud_shell')


def build_plan(ctx):
    """The checks to run for ``ctx``, in plan (report) order."""
    from .environment import environment_plan
    plan = environment_plan()
    if ctx.cloud_shell:
        plan = [replace(check, run=_skipped_in_cloud_shell, requires=(), after=(), calls=0)
                for check in plan]
    if ctx.options.registry_name:
        from .connectivity import connectivity_plan
        from .pullpath import pullpath_plan
        from .registry import registry_plan
        plan += connectivity_plan() + pullpath_plan(with_image=bool(ctx.options.image)) + \
            registry_plan(with_vnet=bool(ctx.options.vnet))
    return plan


__all__ = ['Check', 'CheckResult', 'build_plan']
