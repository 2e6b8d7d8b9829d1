# acrhealth (MIT licence). The command loader: keep it light, az imports it for every acr command.
"""acrhealth: ``az acr check-health`` that tells why pulling or pushing does not work."""

from azure.cli.core import AzCommandsLoader

from azext_acrhealth._help import helps  # pylint: disable=unused-import


# The class must live here, not in a submodule: the CLI's command index records the module
# that defines the loader, and a mismatch silently routes later runs to the built-in command.
class AcrHealthCommandsLoader(AzCommandsLoader):

    def __init__(self, cli_ctx=None):
        from azure.cli.core.commands import CliCommandType
        from azure.cli.core.profiles import ResourceType
        custom = CliCommandType(operations_tmpl='azext_acrhealth.custom#{}')
        super().__init__(cli_ctx=cli_ctx, custom_command_type=custom,
                         resource_type=ResourceType.MGMT_CONTAINERREGISTRY)

    def load_command_table(self, args):
        # `az acr check-health -n NAME`: the registry's lookup starts now, while the CLI parses.
        from azext_acrhealth._early import start
        start(self.cli_ctx, args)
        from azext_acrhealth.commands import load_command_table
        load_command_table(self, args)
        return self.command_table

    def load_arguments(self, command):
        from azext_acrhealth._params import load_arguments
        load_arguments(self, command)


COMMAND_LOADER_CLS = AcrHealthCommandsLoader
