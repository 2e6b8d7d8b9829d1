# acrhealth (MIT licence). The Azure CLI platform facts of DESIGN.md, through the real `az`.
from tests.e2e.conftest import EXTENSION_NOTICE, seed_config_dir


def assert_ours(result):
    assert result.returncode == 0, result
    assert 'checks' in result.json()
    assert EXTENSION_NOTICE in result.stderr


def test_the_command_index_routes_every_run_to_the_extension(az, tools, tmp_path):
    # A fresh config dir has no command index: the first run builds it, the second uses it.
    # A loader class outside __init__.py makes the second run silently use the built-in.
    config_dir = seed_config_dir(tmp_path / 'fresh-config')
    first = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path, config_dir=config_dir)
    assert_ours(first)
    assert (config_dir / 'commandIndex.json').is_file()
    second = az.run('acr', 'check-health', '-o', 'json', bin_dir=tools.path,
                    config_dir=config_dir)
    assert_ours(second)
    assert [c['id'] for c in first.json()['checks']] == [c['id'] for c in second.json()['checks']]


def test_other_acr_commands_keep_their_own_arguments(az):
    show = az.run('acr', 'show', '--help')
    assert show.returncode == 0, show
    assert '--name -n' in show.stdout
    assert 'The name of the container registry' in show.stdout  # the core module's help
    assert 'Name of the registry to check' not in show.stdout    # not ours
    assert '--ignore-errors' not in show.stdout and '--repository' not in show.stdout
    login = az.run('acr', 'login', '--help')
    assert login.returncode == 0, login
    assert '--name -n' in login.stdout and '--expose-token' in login.stdout
    assert 'Name of the registry to check' not in login.stdout


def test_help_shows_our_long_summary_examples_and_every_option(az):
    result = az.run('acr', 'check-health', '-h')
    assert result.returncode == 0, result
    text = ' '.join(result.stdout.split())  # help wraps lines
    assert 'Find out why pulling from or pushing to a container registry does not work.' in text
    assert 'Checks the local environment (Docker client and daemon' in text  # long summary
    assert 'also with --ignore-errors' in text
    for option in ('--name -n', '--yes -y', '--ignore-errors', '--repository', '--vnet',
                   '--timeout', '--skip'):
        assert option in text, option
    # The CLI adds the default itself: once. The login-server form of --name works, so the help
    # no longer says otherwise.
    assert text.count('Default: 30.0.') == 1, text
    assert 'Name of the registry to check, or its login server (NAME.azurecr.io).' in text
    assert '(not its login server)' not in text
    assert 'acrhealth.skip="helm notary"' in text
    examples = text.split('Examples', 1)[1]
    for example in ('az acr check-health --name myregistry --yes --ignore-errors -o json',
                    "--query \"checks[?status=='failed'].code\"",
                    '--repository samples/hello-world'):
        assert example in examples, example
    assert examples.count('az acr check-health') >= 4


def test_the_configured_default_registry_is_used(az, tools, tmp_path):
    # `az configure --defaults acr=NAME` feeds --name, and goes through the same validator.
    config_dir = seed_config_dir(tmp_path / 'defaults-config')
    with open(config_dir / 'config', 'a') as config:
        config.write('[defaults]\nacr = bad\n')
    result = az.run('acr', 'check-health', bin_dir=tools.path, config_dir=config_dir, timeout=30)
    assert result.returncode == 1, result
    assert result.stdout == ''
    assert "--name 'bad' is not a valid registry name" in result.stderr
