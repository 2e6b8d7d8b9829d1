# acrhealth (MIT licence). The arguments of `az acr check-health`.
# Only the 'acr check-health' scope: registering 'acr' would replace the core module's
# arguments of every acr command. Validation is the command's validator (_validators.py):
# a command-level validator replaces argument-level ones in knack.


def load_arguments(loader, _command):
    with loader.argument_context('acr check-health') as c:
        c.argument('registry_name', options_list=['--name', '-n'], configured_default='acr',
                   help='Name of the registry to check, or its login server (NAME.azurecr.io). '
                        'Without it only the local environment is checked. Default: `az '
                        'configure --defaults acr=<name>`.')
        c.argument('yes', options_list=['--yes', '-y'], action='store_true',
                   help='Do not prompt for confirmation before pulling the sample image.')
        c.argument('ignore_errors', options_list=['--ignore-errors'], action='store_true',
                   help='Run every check even after one fails (the exit code still reports '
                        'the failure).')
        c.argument('repository', options_list=['--repository'],
                   help='Also check your permissions on this repository of the registry.')
        c.argument('vnet', options_list=['--vnet'],
                   help='Name or resource ID of a virtual network: verify that DNS here resolves '
                        'the registry to its private endpoints in it.')
        c.argument('image', options_list=['--image'],
                   help='Also pull this image of the registry without Docker, as REPO:TAG or '
                        'REPO@sha256:DIGEST: its manifest and config blob, following the '
                        'registry\'s redirect to the host that serves its layers.')
        c.argument('skip', options_list=['--skip'], nargs='+',
                   help='Checks to leave out, by the ids the report gives (e.g. helm notary); a '
                        'check that requires one is skipped too. Default: `az config set '
                        'acrhealth.skip="helm notary"` (or AZURE_ACRHEALTH_SKIP).')
        # Set by the validator from a login-server form of --name; not an option of its own.
        c.ignore('login_server_hint')
        # Set by the validator: where the ids to skip came from (--skip or the configuration).
        c.ignore('skip_source')
        c.argument('timeout', options_list=['--timeout'], type=str,
                   help='Seconds allowed to any one network call or child process.')
