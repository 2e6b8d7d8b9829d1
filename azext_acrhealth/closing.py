# acrhealth (MIT licence). What follows the report: annotations, step summary, closing summary.
"""The closing summary is printed after the CLI has written the report, so the last lines a
person sees are what needs action, not the end of a long JSON document.

It uses the event the exit-1 error uses (knack's ``EVENT_CLI_SUCCESSFUL_EXECUTE``, raised once
the output is written), registered for every run: first the runner's annotations and step
summary (in GitHub Actions or Azure Pipelines), then the summary. The exit-1 handler, when a
check failed, is registered after this one and so raises after it.
"""


def close_after_output(cli_ctx, view, report, seconds):
    """Register the one-shot handler that closes the run after the report is written."""
    from knack.events import EVENT_CLI_SUCCESSFUL_EXECUTE

    def close(cli, **_kwargs):
        cli.unregister_event(EVENT_CLI_SUCCESSFUL_EXECUTE, close)
        from azext_acrhealth.pipelines import announce
        announce(report, seconds, quiet=bool(getattr(cli_ctx, 'only_show_errors', False)))
        view.summary(report, seconds)

    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, close)
