# acrhealth (MIT licence). The registry's side of a run started while the CLI parses (_early).
from types import SimpleNamespace

import pytest

from azext_acrhealth import _early
from azext_acrhealth._defaults import DEFAULT_TIMEOUT


class Config:
    """The CLI's configuration as skipping and _early read it."""

    def __init__(self, **values):
        self.values = values  # 'section.option' -> text

    def get(self, section, option, fallback=None):
        return self.values.get(f'{section}.{option}', fallback)

    @staticmethod
    def env_var_name(section, option):
        return f'AZURE_{section.upper()}_{option.upper()}'


CH = ['acr', 'check-health']


@pytest.mark.parametrize('args, expected', [
    (CH + ['-n', 'healthy'], ('healthy', DEFAULT_TIMEOUT)),
    (CH + ['--name', 'healthy', '--yes', '-o', 'json'], ('healthy', DEFAULT_TIMEOUT)),
    (CH + ['--name=healthy', '--timeout', '5'], ('healthy', 5.0)),
    (CH + ['--timeout=2.5', '-n', 'Healthy'], ('Healthy', 2.5)),
    (CH + ['-n', 'first1', '-n', 'second'], ('second', DEFAULT_TIMEOUT)),  # the last counts
    (CH + ['-n', 'healthy', '--skip', 'helm', 'notary', '--yes'], ('healthy', DEFAULT_TIMEOUT)),
    (CH + ['-n', 'healthy', '--query', 'checks[0]'], ('healthy', DEFAULT_TIMEOUT)),
])
def test_a_command_line_that_checks_a_registry_starts_early(args, expected):
    assert _early.parse(args, Config()) == expected


@pytest.mark.parametrize('args', [
    ['acr', 'list'],
    ['acr', 'check-health'],                                   # no registry: nothing to ask
    CH + ['-n', 'healthy', '-h'],
    CH + ['--help', '-n', 'healthy'],
    CH + ['-n', 'healthy', '--debug'],                         # the CLI's log as it parses
    CH + ['-n', 'healthy', '--subscription', 'other'],         # selected only once parsed
    CH + ['--subscription=other', '-n', 'healthy'],
    CH + ['-n', 'healthy.azurecr.io'],                          # the validator rewrites it
    CH + ['-n', 'bad!name'],
    CH + ['-n'],
    CH + ['-n', '--yes'],
    CH + ['-n', 'healthy', '--timeout', 'soon'],
    CH + ['-n', 'healthy', '--timeout', '0'],
    CH + ['-n', 'healthy', '--timeout', '601'],
    CH + ['-n', 'healthy', '--skip', 'helm', 'login-server'],
    CH + ['-n', 'healthy', '--skip', 'challenge'],             # nothing is sent to the registry
    CH + ['-n', 'healthy', '--skip', 'dns'],                   # (the challenge needs the DNS check)
    CH + ['-n', 'healthy', '--skip', 'helm,login-server'],
    None,
])
def test_nothing_starts_early_for(args):
    assert _early.parse(args, Config()) is None


def test_the_configured_registry_and_skip_list_count():
    assert _early.parse(CH, Config(**{'defaults.acr': 'configured'})) == \
        ('configured', DEFAULT_TIMEOUT)
    assert _early.parse(CH + ['-n', 'given1'], Config(**{'defaults.acr': 'configured'})) == \
        ('given1', DEFAULT_TIMEOUT)
    assert _early.parse(CH + ['-n', 'healthy'],
                        Config(**{'acrhealth.skip': 'login-server'})) is None
    # --skip replaces the configured list, as it does for the run
    assert _early.parse(CH + ['-n', 'healthy', '--skip', 'helm'],
                        Config(**{'acrhealth.skip': 'login-server'})) == \
        ('healthy', DEFAULT_TIMEOUT)


# ---- start and taken ------------------------------------------------------------------------

class Adapters(SimpleNamespace):
    pass


@pytest.fixture
def made(monkeypatch):
    """registry_adapters replaced: what it was asked to make, and the lookups started."""
    calls = []

    def registry_adapters(cli_ctx, name, timeout, login_server_hint=None, *, look_up=False,
                          command=None):
        arm = SimpleNamespace(started=[])
        if look_up:
            arm.started.append(name)
        adapters = Adapters(arm=arm, name=name, timeout=timeout, command=command)
        calls.append(adapters)
        return adapters
    monkeypatch.setattr(_early, 'registry_adapters', registry_adapters)
    monkeypatch.setattr(_early, '_started', {})
    return calls


def cli(config=None, **data):
    return SimpleNamespace(cloud=object(), config=config or Config(), data=data)


def test_start_makes_the_adapters_and_starts_the_lookup(made):
    ctx = cli()
    _early.start(ctx, CH + ['-n', 'healthy', '--yes', '-o', 'json'])
    adapters = _early.taken(ctx, 'healthy', DEFAULT_TIMEOUT)
    assert adapters is made[0]
    assert adapters.arm.started == ['healthy']
    # what the CLI will say of the command once parsed: its name and ParameterSetName rule
    assert adapters.command == {'name': 'acr check-health', 'parameters': ['-n', '--yes', '-o']}
    assert _early.taken(ctx, 'healthy', DEFAULT_TIMEOUT) is None  # taken once


@pytest.mark.parametrize('name, timeout, hint, same_cloud', [
    ('other', DEFAULT_TIMEOUT, None, True),
    ('healthy', 5.0, None, True),
    ('healthy', DEFAULT_TIMEOUT, 'healthy-abc.azurecr.io', True),
    ('healthy', DEFAULT_TIMEOUT, None, False),
])
def test_what_started_for_other_options_is_not_taken(made, name, timeout, hint, same_cloud):
    ctx = cli()
    _early.start(ctx, CH + ['-n', 'healthy'])
    handler_ctx = SimpleNamespace(cloud=ctx.cloud if same_cloud else object())
    assert _early.taken(handler_ctx, name, timeout, hint) is None
    assert len(made) == 1


def test_the_handler_context_is_a_copy_of_the_loader_one(made):
    import copy
    ctx = cli()
    _early.start(ctx, CH + ['-n', 'healthy'])
    assert _early.taken(copy.copy(ctx), 'healthy', DEFAULT_TIMEOUT) is made[0]


def test_nothing_starts_for_help_or_completion(made):
    _early.start(cli(), CH + ['-n', 'healthy', '--help'])
    _early.start(cli(completer_active=True), CH + ['-n', 'healthy'])
    assert not made and not _early._started  # pylint: disable=protected-access


def test_start_never_raises(monkeypatch):
    monkeypatch.setattr(_early, '_started', {})
    _early.start(None, CH + ['-n', 'healthy'])
    _early.start(SimpleNamespace(data={}, config=None), CH + ['-n', 'healthy'])
    assert _early.taken(SimpleNamespace(cloud=None), 'healthy', DEFAULT_TIMEOUT) is None


def test_adapters_that_fail_to_be_made_are_none(monkeypatch):
    monkeypatch.setattr(_early, '_started', {})

    def broken(*_args, **_kwargs):
        raise RuntimeError('not logged in')
    monkeypatch.setattr(_early, 'registry_adapters', broken)
    ctx = cli()
    _early.start(ctx, CH + ['-n', 'healthy'])
    assert _early.taken(ctx, 'healthy', DEFAULT_TIMEOUT) is None


def test_the_early_start_connects_first_then_imports_what_the_lookup_needs(monkeypatch):
    """On the CLI's thread, before any early thread starts: what connecting needs, ARM's
    connection opened, the rest imported (while its handshake goes), then the lookup and the
    AAD token started. No thread imports (two importing one package at once can deadlock)."""
    from azext_acrhealth import _arm, _azure
    steps = []
    monkeypatch.setattr(_early, '_import_ahead', lambda modules: steps.append(
        'import ' + ('connections' if modules is _early._FOR_CONNECTIONS else 'lookup')))  # pylint: disable=protected-access
    monkeypatch.setattr(_arm.Arm, 'connect_ahead', lambda self: steps.append('connect'))
    monkeypatch.setattr(_arm.Arm, 'start_lookup', lambda self, name: steps.append('look up'))
    monkeypatch.setattr(_azure, 'once', lambda ask: SimpleNamespace(
        start=lambda: steps.append('aad token')))
    monkeypatch.setattr(_azure, 'acr_suffix', lambda cli_ctx: None)
    _early.registry_adapters(cli(), 'healthy', DEFAULT_TIMEOUT, look_up=True)
    assert steps == ['import connections', 'connect', 'import lookup', 'look up', 'aad token']
    steps.clear()
    _early.registry_adapters(cli(), 'healthy', DEFAULT_TIMEOUT)  # the handler's: nothing ahead
    assert steps == []
