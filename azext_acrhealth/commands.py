# acrhealth (MIT licence). Maps the command name to its handler.

from azext_acrhealth._validators import validate_check_health


def _table(result):
    from azext_acrhealth.report import table_transformer  # only when -o table asks for it
    return table_transformer(result)


def load_command_table(loader, _args):
    with loader.command_group('acr') as group:
        group.custom_command('check-health', 'acr_check_health', validator=validate_check_health,
                             table_transformer=_table)
