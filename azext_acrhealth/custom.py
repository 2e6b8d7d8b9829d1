# acrhealth (MIT licence). The handler of `az acr check-health`: thin by design.
"""Builds the context, asks the pull question, runs the plan, returns the report."""

import sys
import time

from azext_acrhealth._validators import DEFAULT_TIMEOUT


# The CLI calls the handler with keyword arguments and derives the options from its signature.
def acr_check_health(cmd, registry_name=None, yes=False, ignore_errors=False,  # pylint: disable=too-many-arguments,too-many-positional-arguments,too-many-locals
                     repository=None, vnet=None, timeout=DEFAULT_TIMEOUT, image=None,
                     login_server_hint=None, skip=None, skip_source=None):
    from azext_acrhealth import report as reporting, skipping
    from azext_acrhealth.checks import build_plan
    from azext_acrhealth.closing import close_after_output, skip_the_final_collection
    from azext_acrhealth.context import build_context
    from azext_acrhealth.pipelines import inert_report
    from azext_acrhealth.runner import STOPPED, run_plan
    from azext_acrhealth.view import TerminalView, listed_by_table

    skip_the_final_collection()
    ctx = build_context(cmd.cli_ctx, registry_name=registry_name, yes=yes,
                        ignore_errors=ignore_errors, repository=repository, vnet=vnet,
                        timeout=timeout, login_server_hint=login_server_hint, image=image,
                        ask=skipping.asks_nothing_when_skipped(_ask, skip), skip=skip)

    plan = skipping.apply(build_plan(ctx), skip, skip_source)
    view = TerminalView(cmd.cli_ctx, plan, listing=not listed_by_table(cmd.cli_ctx))
    # The run's time counts from the registry side's start (see build_context), else from now.
    started = time.monotonic() if ctx.started is None else ctx.started
    outcomes = run_plan(plan, ctx, ignore_errors=ignore_errors,
                        on_result=lambda check, result: view.progress(
                            reporting.check_entry(check, result, ctx.options.registry_name,
                                                  ctx.options.image),
                            stopped=result.finding == STOPPED))
    result = reporting.build_report(outcomes, ctx.environment_summary(),
                                    registry=ctx.registry_summary(outcomes),
                                    image=ctx.options.image)
    result = inert_report(result)  # in a CI runner's log, no text a server sent is a command
    view.end_of_run()
    close_after_output(cmd.cli_ctx, view, result, time.monotonic() - started,
                       failed=reporting.failed_count(result))
    return result


def _ask(question):
    """Ask a yes/no question on stderr, so stdout keeps only the report.

    Returns True or False, or None when there is no terminal to ask on."""
    stdin = sys.stdin
    try:
        if stdin is None or stdin.closed or not stdin.isatty():
            return None
    except (AttributeError, ValueError, OSError):
        return None
    while True:
        sys.stderr.write(f'{question} (y/n): ')
        sys.stderr.flush()
        answer = stdin.readline()
        if not answer:  # end of input: take it as no
            return False
        answer = answer.strip().lower()
        if answer in ('y', 'yes'):
            return True
        if answer in ('n', 'no'):
            return False
