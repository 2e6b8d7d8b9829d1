# acrhealth (MIT licence). What follows the report: annotations, step summary, closing summary.
"""The closing summary is printed after the CLI has written the report, so the last lines a
person sees are what needs action, not the end of a long JSON document.

One handler of knack's ``EVENT_CLI_SUCCESSFUL_EXECUTE`` (raised once the output is written)
does it all, in order: the runner's annotations and step summary (in GitHub Actions or Azure
Pipelines), the summary, then, when a check failed, the error that makes the command exit 1
(the CLI gives every returned result exit code 0; raising from this event is the one workable
way to keep the report on stdout and still exit 1).

The process's exit follows too: when Python finalizes, its garbage collections go over every
object still alive, and for the Azure CLI (its command table, the SDKs a run imports) that took
about 60 to 200 ms after the report was written on our 2-core test machine, for a process
about to end. Frozen at exit, those objects are left to the operating system: exit handlers
still run (logging's flush and close, ``weakref.finalize``), the standard streams are still
flushed; what no longer runs is the finalizer (``__del__``) of an object in a reference cycle
still alive at exit, which Python never promises to run (nothing of the CLI's, its SDKs' or
ours relies on one: each file is written with ``with``).
"""


def close_after_output(cli_ctx, view, report, seconds, failed=0):
    """Register the one-shot handler that closes the run after the report is written."""
    from knack.events import EVENT_CLI_SUCCESSFUL_EXECUTE

    def close(cli, **_kwargs):
        cli.unregister_event(EVENT_CLI_SUCCESSFUL_EXECUTE, close)
        from azext_acrhealth.pipelines import announce
        announce(report, seconds, quiet=bool(getattr(cli_ctx, 'only_show_errors', False)))
        view.summary(report, seconds)
        if failed:
            from azure.cli.core.azclierror import UnclassifiedUserFault
            checks = 'check' if failed == 1 else 'checks'
            raise UnclassifiedUserFault(
                f'{failed} {checks} failed: the registry workflow is broken here (see the report).')

    cli_ctx.register_event(EVENT_CLI_SUCCESSFUL_EXECUTE, close)


def skip_the_final_collection():
    """At the process's exit, spare Python's last garbage collection over all objects (once).

    Only at exit: in one process that runs many commands (``az interactive``), garbage made
    between them is collected as usual."""
    import atexit
    import gc
    atexit.unregister(gc.freeze)  # registered once, however many runs this process makes
    atexit.register(gc.freeze)
