# acrhealth (MIT licence). The registry's side of a run, started while the CLI still parses.
"""Between handing the command line to our loader and calling the handler, the CLI spends about
200 ms of its own: it loads the acr command table, parses, validates. The registry's ARM lookup
(two dependent requests), the CLI's AAD token for ACR, the DNS lookup and the anonymous ``/v2/``
challenge of the likely login server depend only on the registry name, the cloud, the
subscription and ``--timeout``; so the loader starts them then (:func:`start`), on daemon
threads, for the command line :func:`parse` understands.

The handler's context takes them (:func:`taken`) only when its validated options are the ones
they started with; otherwise they are left to end on their own and the checks ask again. Sent
early is only what the checks send anyway (read-only ARM GETs, the AAD token request, the
anonymous ``/v2/`` GET; no credential goes to the registry before ARM names its login
server); nothing is written or printed, and no check runs before the options are validated
(a command line the validator refuses may have sent those requests already).

Imported by the loader for every acr command: nothing heavy at the top.
"""


COMMAND = ('acr', 'check-health')
# With these nothing starts early: help, the CLI's debug log (written as it parses), another
# subscription (the CLI selects it only once it parsed), and the CLI's completion.
_NOT_EARLY = frozenset({'-h', '--help', '--debug', '--subscription'})
_VALUED = {'--name': 'name', '-n': 'name', '--timeout': 'timeout'}

# What start() began for the CLI's next run (one slot: one command runs at a time). The
# handler's CLI context is a copy of the loader's (the CLI copies it for each job): its cloud is
# the same object.
_started = {}


def parse(args, config=None):
    """``(name, timeout)`` of an ``az acr check-health`` command line that checks a registry,
    or None when nothing is to start early: another command, help, ``--debug``,
    ``--subscription``, no name or not a plain one, a ``--timeout`` the validator refuses, or
    the login-server or challenge check skipped (or the DNS check, which the challenge
    needs). ``config`` is the CLI's configuration (the default registry, ``acrhealth.skip``)."""
    args = [str(arg) for arg in args or ()]
    if tuple(args[:2]) != COMMAND:
        return None
    given, skip = _options(args[2:])
    if given is None:
        return None
    from ._validators import is_registry_name
    from .skipping import requested, speculates
    ids, _ = requested(config, skip)
    name = given.get('name') or (config.get('defaults', 'acr', fallback=None) if config else None)
    timeout = _seconds(given.get('timeout'))
    if not is_registry_name(name) or timeout is None:
        return None
    # A skipped login-server, DNS or challenge check: what starts early would serve nothing.
    # (speculates imports the plan: only for a run with a skip list.)
    if ids and not speculates(ids):
        return None
    return name, timeout


def _options(words):
    """``({'name', 'timeout'}, --skip's values or None)`` as given (the last one counts, as
    in the CLI's parser), or ``(None, None)`` when a word says nothing is to start early."""
    given, skip, index = {}, None, 0
    while index < len(words):
        option, equals, value = words[index].partition('=') if words[index].startswith('--') \
            else (words[index], '', '')
        if option in _NOT_EARLY:
            return None, None
        if option in _VALUED:
            if not equals:
                index += 1
                value = words[index] if index < len(words) else None
            if value is None or value.startswith('-'):
                return None, None
            given[_VALUED[option]] = value
        elif option == '--skip':
            skip = []
            while index + 1 < len(words) and not words[index + 1].startswith('-'):
                index += 1
                skip.append(words[index])
        index += 1
    return given, skip


def _seconds(value):
    """``--timeout``'s seconds as its validator reads them, or None when it refuses them."""
    from types import SimpleNamespace
    from ._defaults import DEFAULT_TIMEOUT
    from ._validators import validate_timeout
    if value is None:
        return DEFAULT_TIMEOUT
    namespace = SimpleNamespace(timeout=value)
    try:
        validate_timeout(namespace)
    except Exception:  # pylint: disable=broad-except  # the validator says why, later
        return None
    return namespace.timeout


def start(cli_ctx, args):
    """Called by the command loader with the command line: start the registry's side of the
    run when :func:`parse` says so. Never raises: at worst nothing starts early."""
    try:
        if cli_ctx.data.get('completer_active'):
            return
        parsed = parse(args, cli_ctx.config)
        if parsed is not None:
            _started['run'] = _Early(cli_ctx, *parsed, args=list(args))
    except Exception:  # pylint: disable=broad-except  # an early start is only ever a bonus
        pass


def taken(cli_ctx, name, timeout, login_server_hint=None):
    """The adapters :func:`start` made for this run, when it made them for these (validated)
    options; else None (what it started then ends on its own, unused)."""
    early = _started.pop('run', None)
    if early is None or early.cloud is not getattr(cli_ctx, 'cloud', None) or \
            login_server_hint or early.name != name or early.timeout != float(timeout):
        return None
    return early.adapters


# What the early threads would import: imported here first, on the CLI's thread. Two threads
# importing one package at once can deadlock (urllib3, whose modules import each other, did:
# Python then raises _DeadlockError in one of them, the CLI's own thread included), and the
# CLI's thread imports requests and azure.mgmt.core as it loads acr's arguments meanwhile. The
# threads then import only what is already there; their CPU is spent either way. First what
# opening connections needs (ARM's, the likely login server's), then, while their handshakes
# go, what the lookup and the AAD token need. (Another version of a library may import other
# modules: those are left to the threads.)
_FOR_CONNECTIONS = ('netrc', 'requests', 'azure.core.pipeline.transport._requests_basic',
                    'azure.cli.core.util', 'azext_acrhealth._arm', 'azext_acrhealth._http',
                    'azext_acrhealth._speculation')
_FOR_LOOKUP = ('azure.core.rest._requests_basic', 'azure.mgmt.core', 'azure.mgmt.core.policies',
               'azure.cli.core._profile', 'azure.cli.core.auth.identity',
               'azure.cli.core.auth.binary_cache', 'azure.cli.core.commands.client_factory',
               'azure.cli.core.sdk.policies', 'azext_acrhealth._arm_pipeline')


def _import_ahead(modules):
    import importlib
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            pass  # not in this version: the thread that needs it says so


class _Early:  # pylint: disable=too-few-public-methods  # what started, and for which options
    def __init__(self, cli_ctx, name, timeout, args):
        from azure.cli.core.commands import AzCliCommandInvoker
        self.name, self.timeout, self.cloud = name, timeout, cli_ctx.cloud
        # What the CLI puts in its context once it parsed (ParameterSetName by its own rule),
        # for the ARM requests' headers.
        parameters = AzCliCommandInvoker._extract_parameter_names(args)  # pylint: disable=protected-access  # the CLI's rule
        self.adapters = registry_adapters(
            cli_ctx, name, timeout, look_up=True,
            command={'name': ' '.join(COMMAND), 'parameters': parameters})


def registry_adapters(cli_ctx, name, timeout, login_server_hint=None, *, look_up=False,  # pylint: disable=too-many-arguments  # the run's options, named
                      command=None, speculate=True):
    """What the registry's checks talk through, for one run: ``verify_tls``, ``acr_suffix``,
    ``http`` (one HttpClient: the challenge's connection serves the token requests), ``arm``,
    ``aad_token`` (asked once) and ``speculation`` (DNS and ``/v2/`` of the likely login
    server, started now unless ``speculate`` is false: no check would use it). With
    ``look_up`` (the early start, on the CLI's thread) ARM's connection is opened first, then
    the lookup of ``name`` and the AAD token start. ``started``: when (``time.monotonic()``)."""
    import time
    from types import SimpleNamespace
    started = time.monotonic()
    if look_up:
        _import_ahead(_FOR_CONNECTIONS)
    from azure.cli.core.util import should_disable_connection_verify
    from . import _arm, _azure
    from ._http import HttpClient
    from ._speculation import Speculation
    arm = _arm.Arm(cli_ctx, timeout, command=command)
    if look_up:
        arm.connect_ahead()
    verify = not should_disable_connection_verify()
    suffix = _azure.acr_suffix(cli_ctx)
    http = HttpClient(timeout, verify=verify)
    speculated = login_server_hint or (name.lower() + suffix if suffix else None)
    speculation = Speculation(speculated, _azure.resolve, http, timeout) \
        if speculated and speculate else None
    aad_token = _azure.once(lambda: _azure.aad_token(cli_ctx, timeout))
    if look_up:
        _import_ahead(_FOR_LOOKUP)
        arm.start_lookup(name)
        aad_token.start()  # asked of AAD on a machine where the CLI has not cached it yet
    return SimpleNamespace(verify_tls=verify, acr_suffix=suffix, http=http, arm=arm,
                           aad_token=aad_token, speculation=speculation, started=started)
