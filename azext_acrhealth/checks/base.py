# acrhealth (MIT licence). The types every check shares.
"""What a check is, what it is given and what it returns."""

import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Mapping, Optional, Tuple

from .. import catalogue
from .._bounded import shown_seconds
from .._defaults import DEFAULT_TIMEOUT


def given_seconds(proc, ctx):
    """The seconds a timed-out child process was given (--timeout, or less when the check's
    budget had less left), as a user reads them."""
    return shown_seconds(ctx.timeout if proc.seconds is None else proc.seconds)


@dataclass(frozen=True)
class CheckResult:
    """The immutable outcome of one check.

    ``finding`` is a key of :data:`catalogue.FINDINGS`; it decides status, code and text.
    ``facts`` are reported (the report's ``details``); ``data`` is private to later checks
    (a token, a parsed object) and never reported nor shown in ``repr``.
    """
    finding: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    data: Any = field(default=None, repr=False, compare=False)
    duration_ms: Optional[int] = None

    def __post_init__(self):
        catalogue.finding(self.finding)  # an unknown finding is a bug: fail where it is made

    @property
    def status(self):
        return catalogue.finding(self.finding).status

    @property
    def passed(self):
        return self.status == catalogue.PASSED

    def timed(self, duration_ms):
        return replace(self, duration_ms=duration_ms)


def login_server(results):
    """The login server the ``login-server`` check settled on (for checks that require it)."""
    return results['login-server'].facts['loginServer']


@dataclass(frozen=True)
class Check:  # pylint: disable=too-many-instance-attributes  # a record of what a step is
    """One step of the plan.

    ``run(ctx, results)`` returns a :class:`CheckResult`; ``results`` maps the ids of its
    ``requires`` (which all passed) and ``after`` (finished, whatever their status) to
    their results. ``code`` is the documented code the check reports when it fails for a
    reason it did not foresee (an exception, the runner's deadline). ``budget`` is its time,
    in ``--timeout`` units: the bounded calls it makes in sequence, each counted at its own
    limit (an ARM call or the AAD token may retry once: 2). Its calls are cut to what is left
    of it (``_bounded``), so the check ends in time and reports its own "timed out" finding.
    ``explained_by`` checks come before it in the plan; the runner joins their explanation to
    its result as it reports it.
    """
    id: str
    title: str
    code: str
    run: Callable[..., CheckResult] = field(repr=False, compare=False)
    requires: Tuple[str, ...] = ()
    after: Tuple[str, ...] = ()
    budget: int = 1
    # Checks whose results explain this one's (the role assignments a refused token), joined
    # by ``explain(result, {id: result})`` once both are done: the check never waits for them.
    explained_by: Tuple[str, ...] = ()
    explain: Optional[Callable[..., CheckResult]] = field(default=None, repr=False,
                                                          compare=False)


@dataclass(frozen=True)
class Options:  # pylint: disable=too-many-instance-attributes  # a record of the options
    """The command's parameters, validated."""
    registry_name: Optional[str] = None
    yes: bool = False
    ignore_errors: bool = False
    repository: Optional[str] = None
    vnet: Optional[str] = None
    timeout: float = DEFAULT_TIMEOUT
    login_server_hint: Optional[str] = None   # --name given as the login server (validated)
    image: Any = None                         # --image, an _validators.ImageReference (validated)


# How the pull check may proceed, decided by the handler before any check runs.
PULL_ALLOWED = 'allowed'
PULL_DECLINED = 'declined'
PULL_NO_TERMINAL = 'no-terminal'


@dataclass
class CheckContext:  # pylint: disable=too-many-instance-attributes  # the adapters, one a field
    """Everything a check may use to reach the outside world.

    Adapters come in here so unit tests pass fakes and the lab uses the real thing.
    """
    options: Options
    run_process: Callable = None          # (argv, timeout) -> _process.ProcessResult
    which: Callable = None                # (name) -> path or None
    cwd: Optional[str] = None             # the current directory (None: not checked)
    environ: Mapping[str, str] = field(default_factory=dict)
    cli_version: str = ''
    extension_version: str = ''
    cloud_name: str = ''
    cloud_shell: bool = False
    pull_consent: str = PULL_ALLOWED
    acr_suffix: Optional[str] = None      # the cloud's ACR login server suffix, if it has one
    resolve: Callable = None              # (host, timeout) -> [address]; raises DnsError
    http: Any = None                      # _http.HttpClient
    arm: Any = None                       # _arm.Arm: registry lookup and ARM GETs
    aad_token: Callable = None            # () -> (token, tenant); raises _azure.AadTokenError
    probe: Callable = None                # (host, address, timeout) -> {tcp, tls, error, ...}
    proxy_for: Callable = None            # (host) -> the proxy URL requests would use, or None
    speculation: Any = None               # _speculation.Speculation: DNS and /v2/ started early
    verify_tls: bool = True
    sleep: Callable = time.sleep          # waits asked for by Retry-After
    now: Callable = time.time             # the clock (seconds since the epoch): replayable
    started: Optional[float] = None       # time.monotonic() the registry's side began (_early)

    @property
    def timeout(self):
        return self.options.timeout

    def environment_summary(self):
        """The report's ``environment`` object."""
        return {'cloud': self.cloud_name, 'cliVersion': self.cli_version,
                'extensionVersion': self.extension_version, 'cloudShell': self.cloud_shell}

    def registry_summary(self, outcomes):
        """The report's ``registry`` object (None without --name)."""
        name = self.options.registry_name
        if name is None:
            return None
        facts = next((result.facts for check, result in outcomes
                      if check.id == 'login-server' and result.passed), {})
        return {'name': name, 'loginServer': facts.get('loginServer'),
                'resolvedBy': facts.get('resolvedBy')}
