# acrhealth (MIT licence). The error catalogue: every code and every finding's text.
"""Error codes and findings of ``az acr check-health``.

A check never writes user-facing text. It returns a result naming a *finding* (a key of
:data:`FINDINGS`) and the facts behind it; this module turns the pair into the message,
the status and, for failures and warnings, the documented code with its remediation.
"""

from collections import namedtuple

DOCS_URL = 'https://aka.ms/acr/errors#{anchor}'

PASSED = 'passed'
FAILED = 'failed'
WARNING = 'warning'
SKIPPED = 'skipped'
STATUSES = (PASSED, FAILED, WARNING, SKIPPED)

ErrorCode = namedtuple('ErrorCode', 'code title meaning remediation severity documented')
Finding = namedtuple('Finding', 'status code template')

# severity: the status a check gets when it reports this code ("failed" breaks the
# registry workflow, "warning" is about an optional client).
_CODES = [
    ErrorCode(
        'DOCKER_COMMAND_ERROR', 'Docker client not found',
        'No Docker client was found on PATH, so the Docker daemon, version and pull checks '
        'cannot run.',
        'Install the Docker client (Docker Engine or Docker Desktop) and make sure the `docker` '
        'executable is on PATH.',
        WARNING, True),
    ErrorCode(
        'DOCKER_DAEMON_ERROR', 'Docker daemon not reachable',
        'The Docker client is installed but cannot talk to its daemon: the daemon is stopped, '
        'or this user may not open its socket. `az acr login` and `docker pull` will fail.',
        'Start (or restart) the Docker daemon, check its installation, and make sure this user '
        'may use its socket (for example membership of the `docker` group, or DOCKER_HOST).',
        FAILED, True),
    ErrorCode(
        'DOCKER_VERSION_ERROR', 'Docker version unknown',
        'The Docker client did not report its version.',
        'Run `docker --version` yourself and read its error; reinstall or update Docker.',
        FAILED, True),
    ErrorCode(
        'DOCKER_PULL_ERROR', 'Sample image pull failed',
        'A sample image could not be pulled into this environment.',
        'Check each part a pull needs: the Docker daemon, network access to the image\'s '
        'registry, proxy settings of the daemon, and credentials.',
        FAILED, True),
    ErrorCode(
        'HELM_COMMAND_ERROR', 'Helm client not found',
        'No Helm client was found on PATH, so Helm commands cannot work.',
        'Install Helm 3 and make sure the `helm` executable is on PATH; ignore this if you do '
        'not use Helm charts.',
        WARNING, True),
    ErrorCode(
        'HELM_VERSION_ERROR', 'Helm version unsupported',
        'The installed Helm version could not be determined, or it is older than supported.',
        'Run `helm version` yourself and read its output; install a current Helm 3 release.',
        WARNING, True),
    ErrorCode(
        'NOTARY_VERSION_ERROR', 'Notary version incompatible',
        'The installed Notary client may not work with the Azure CLI: the error reference asks '
        'for a version earlier than 0.6.0.',
        'Install a Notary client earlier than 0.6.0 if you sign images with Docker Content '
        'Trust; ignore this otherwise.',
        WARNING, True),
    ErrorCode(
        'CMK_ERROR', 'Encryption identity unavailable',
        'The registry is encrypted with a customer-managed key, and the managed identity it '
        'uses to reach the key is missing (it may have been deleted).',
        'Restore the identity on the registry, or rotate the key to an identity that exists: '
        '`az acr encryption rotate-key --identity ...`.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_DNS_ERROR', 'Login server name did not resolve',
        'The registry\'s login server name did not resolve to a usable address from here.',
        'Check the network connection and DNS, the spelling of the registry name, that the '
        'registry exists and that it lives in the CLI\'s current cloud (`az cloud show`).',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_FORBIDDEN_ERROR', 'Access forbidden',
        'The registry\'s challenge endpoint answered 403: this client is not let in, usually '
        'because of network rules or because public network access is disabled.',
        'Read the rules with `az acr show --name <registry> --query networkRuleSet`; add this '
        'client\'s address to them, or connect through a private endpoint.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_CHALLENGE_ERROR', 'No authentication challenge',
        'The registry\'s challenge endpoint (/v2/) could not be reached or did not answer with '
        'an authentication challenge (401 with WWW-Authenticate).',
        'Retry in a few minutes; if it persists, check proxies between you and the registry '
        'and report it to Azure support.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_AAD_LOGIN_ERROR', 'Azure AD login not offered',
        'The registry challenged, but not with a Bearer challenge naming a realm and a service, '
        'so Azure AD authentication cannot be used with it.',
        'Authenticate another way, for example with the admin user or a repository-scoped '
        'token (`docker login -u ... -p ...`).',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_REFRESH_TOKEN_ERROR', 'Refresh token denied',
        'The registry did not give a refresh token for the Azure AD token (/oauth2/exchange): '
        'access was denied, through missing permissions or stale CLI credentials.',
        'Check that your identity has a role on the registry (for example AcrPull); run '
        '`az login` again.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_ACCESS_TOKEN_ERROR', 'Access token denied',
        'The registry did not give an access token (/oauth2/token): access was denied, '
        'through missing permissions or stale CLI credentials.',
        'Check your role assignments on the registry (and the repository); run `az login` '
        'again.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_SSL_ERROR', 'No secure connection',
        'No secure (TLS) connection could be made to the registry, most often because a proxy '
        'intercepts the traffic with its own certificate.',
        'If a proxy is in the way, make the CLI trust its certificate: point REQUESTS_CA_BUNDLE '
        'at a bundle that includes it, and set HTTPS_PROXY.',
        FAILED, True),
    ErrorCode(
        'LOGIN_SERVER_ERROR', 'Login server unknown',
        'The registry\'s login server could not be found, and the current cloud has no default '
        'ACR suffix to build it from.',
        'Check the registry name and that it exists in the current subscription and cloud '
        '(`az acr list`, `az cloud show`); update the Azure CLI.',
        FAILED, True),
    ErrorCode(
        'CONNECTIVITY_TOOMANYREQUESTS_ERROR', 'Too many requests',
        'The registry answered 429: this client sent too many requests and is being throttled.',
        'Wait a little and retry; reduce how often pipelines call the registry.',
        FAILED, False),
    ErrorCode(
        'CONNECTIVITY_PERMISSION_ERROR', 'Repository permissions missing',
        'An access token was issued, but it does not grant every action asked for on the '
        'repository.',
        'Ask for a role that grants the missing actions on this repository (for example '
        'AcrPush, or a repository-scoped role assignment).',
        FAILED, False),
]

CODES = {entry.code: entry for entry in _CODES}
DOCUMENTED_CODES = frozenset(entry.code for entry in _CODES if entry.documented)


def docs_url(code):
    """Link to the published error reference for a code."""
    return DOCS_URL.format(anchor=code.lower())


# Findings: what a check can conclude. The template is formatted with the result's facts.
# A finding whose code is None and status is failed takes the check's own code.
FINDINGS = {
    # Runner-made results.
    'runner.skipped.prerequisite': Finding(
        SKIPPED, None, 'It needs "{prerequisite}", which did not pass.'),
    'runner.skipped.stopped': Finding(
        SKIPPED, None, 'Stopped after the first failure; use --ignore-errors to run '
                       'all checks.'),
    'runner.skipped.cloud_shell': Finding(
        SKIPPED, None, 'Environment checks do not apply in Azure Cloud Shell.'),
    'runner.failed.exception': Finding(
        FAILED, None, 'The check stopped on an unexpected error: {error}.'),
    'runner.failed.timeout': Finding(
        FAILED, None, 'The check did not finish within {seconds} s.'),

    # Docker.
    'docker.client.found': Finding(PASSED, None, 'Docker client found: {path}.'),
    'docker.client.missing': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR', 'No `docker` executable found on PATH.'),
    'docker.daemon.running': Finding(
        PASSED, None, 'Docker daemon is running (server {serverVersion}).'),
    'docker.daemon.unreachable': Finding(
        FAILED, 'DOCKER_DAEMON_ERROR', 'The Docker daemon is not reachable: {error}'),
    'docker.daemon.timeout': Finding(
        FAILED, 'DOCKER_DAEMON_ERROR', 'The Docker daemon did not answer within {seconds} s.'),
    'docker.version.found': Finding(
        PASSED, None, 'Docker client {clientVersion}, server {serverVersion}.'),
    'docker.version.failed': Finding(
        FAILED, 'DOCKER_VERSION_ERROR', '`docker --version` did not report a version: {error}'),
    'docker.pull.pulled': Finding(PASSED, None, 'Pulled {image}.'),
    'docker.pull.platform_mismatch': Finding(
        PASSED, None, 'Pulled {image}; note: it is not built for this platform ({note}).'),
    'docker.pull.failed': Finding(
        FAILED, 'DOCKER_PULL_ERROR', 'Pulling {image} failed: {error}'),
    'docker.pull.timeout': Finding(
        FAILED, 'DOCKER_PULL_ERROR', 'Pulling {image} timed out after {seconds} s.'),
    'docker.pull.declined': Finding(
        SKIPPED, None, 'You chose not to pull {image}.'),
    'docker.pull.no_terminal': Finding(
        SKIPPED, None, 'Pulling {image} needs confirmation and there is no terminal to '
                       'ask on; pass --yes to pull without asking.'),

    # Azure CLI.
    'azure_cli.version': Finding(
        PASSED, None, 'Azure CLI {cliVersion}, acrhealth {extensionVersion}.'),

    # Helm.
    'helm.found': Finding(PASSED, None, 'Helm {version} found: {path}.'),
    'helm.missing': Finding(WARNING, 'HELM_COMMAND_ERROR', 'No `helm` executable found on PATH.'),
    'helm.too_old': Finding(
        WARNING, 'HELM_VERSION_ERROR', 'Helm {version} is older than {minimum}: {output}'),
    'helm.unparsed': Finding(
        WARNING, 'HELM_VERSION_ERROR', 'The Helm version could not be determined: {output}'),

    # Notary.
    'notary.missing': Finding(SKIPPED, None, 'No `notary` executable found on PATH.'),
    'notary.found': Finding(PASSED, None, 'Notary {version} found: {path}.'),
    'notary.incompatible': Finding(
        WARNING, 'NOTARY_VERSION_ERROR', 'Notary {version} is {minimum} or later: {path}.'),
    'notary.unknown_version': Finding(
        WARNING, 'NOTARY_VERSION_ERROR',
        'The Notary version could not be determined (`notary version` printed: {output}).'),
}


def finding(key):
    """The finding for a key; an unknown key is a programming error."""
    return FINDINGS[key]


class _Facts(dict):
    """Format mapping that leaves unknown placeholders visible instead of raising."""

    def __missing__(self, key):
        return '{' + key + '}'


def render(key, facts):
    """Message text of a finding, formatted with its facts."""
    return FINDINGS[key].template.format_map(_Facts(facts or {}))
