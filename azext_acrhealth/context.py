# acrhealth (MIT licence). Builds the CheckContext from the CLI and the command's options.
"""The real adapters behind a CheckContext (unit tests build their own with fakes)."""

import os
import shutil

from azext_acrhealth.checks.base import (CheckContext, Options, PULL_ALLOWED, PULL_DECLINED,
                                         PULL_NO_TERMINAL)
from azext_acrhealth._validators import DEFAULT_TIMEOUT
from azext_acrhealth._clients import resolve_docker
from azext_acrhealth.checks.docker import SAMPLE_IMAGE
from azext_acrhealth.version import VERSION


def build_context(cli_ctx, *, registry_name=None, yes=False, ignore_errors=False,
                  repository=None, vnet=None, timeout=DEFAULT_TIMEOUT, login_server_hint=None,
                  image=None, ask=None, skip=None):
    """A context with the real adapters; ``ask(question)`` returns True, False or None
    (no terminal) and is called at most once, before any check runs. ``skip``: the ids
    skipped on request (nothing is started ahead for a skipped check)."""
    from azure.cli.core import __version__ as cli_version
    from azure.cli.core.util import in_cloud_console
    from azext_acrhealth._process import run_process

    # Plain str: a configured default (`az configure --defaults acr=NAME`) arrives as a str
    # subclass that the CLI's JSON output would turn into an object.
    registry_name, repository, vnet = (None if value is None else str(value)
                                       for value in (registry_name, repository, vnet))
    options = Options(registry_name=registry_name, yes=bool(yes),
                      ignore_errors=bool(ignore_errors), repository=repository, vnet=vnet,
                      timeout=float(timeout), login_server_hint=login_server_hint,
                      image=image)
    cloud_shell = bool(in_cloud_console())
    try:
        cwd = os.getcwd()
    except OSError:  # a deleted current directory: nothing can be found through it either
        cwd = None
    ctx = CheckContext(options=options, run_process=run_process, which=shutil.which, cwd=cwd,
                       environ=dict(os.environ), cli_version=cli_version,
                       extension_version=VERSION, cloud_name=cli_ctx.cloud.name,
                       cloud_shell=cloud_shell)
    asked = []  # the pull question, when it was asked
    ctx.pull_consent = pull_consent(ctx, ask and (
        lambda question: asked.append(question) or ask(question)))
    if registry_name:
        from azext_acrhealth import _azure, _early, _probe
        from azext_acrhealth.skipping import speculates
        adapters = _early.taken(cli_ctx, registry_name, options.timeout, login_server_hint) or \
            _early.registry_adapters(cli_ctx, registry_name, options.timeout, login_server_hint,
                                     speculate=speculates(skip))
        ctx.verify_tls, ctx.acr_suffix = adapters.verify_tls, adapters.acr_suffix
        ctx.http, ctx.arm, ctx.aad_token = adapters.http, adapters.arm, adapters.aad_token
        ctx.speculation = adapters.speculation
        # The run's time counts from the registry side's start (early: while the CLI parsed),
        # unless the user was asked a question meanwhile: their answer is not the run's time.
        ctx.started = None if asked else adapters.started
        ctx.resolve = _azure.resolve
        bundle = _probe.ca_bundle(os.environ)
        ctx.probe = lambda host, address, seconds: _probe.probe(
            host, address, seconds, verify=ctx.verify_tls, cafile=bundle)
        ctx.proxy_for = _probe.proxy_for
    return ctx


def pull_consent(ctx, ask):
    """Decide, before the run, whether the pull check may pull the sample image."""
    if ctx.options.yes or ctx.cloud_shell or not resolve_docker(ctx):
        return PULL_ALLOWED  # nothing to ask: allowed, or the pull check will not run
    answer = ask(f'The Docker pull check pulls {SAMPLE_IMAGE}. Pull it?') if ask else None
    if answer is None:
        return PULL_NO_TERMINAL
    return PULL_ALLOWED if answer else PULL_DECLINED
