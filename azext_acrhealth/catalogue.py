# acrhealth (MIT licence). The error catalogue: every code and every finding's text.
"""Error codes and findings of ``az acr check-health``.

A check never writes user-facing text. It returns a result naming a *finding* (a key of
:data:`FINDINGS`) and the facts behind it; this module turns the pair into the message,
the status and, for failures and warnings, the documented code with its remediation.
"""

import re
from collections import namedtuple

from ._registry_json import private_only
from ._roles import role_advice as _role_advice
from ._text import as_text as _shown
from ._urls import is_host_name


DOCS_URL = 'https://aka.ms/acr/errors#{anchor}'

PASSED = 'passed'
FAILED = 'failed'
WARNING = 'warning'
SKIPPED = 'skipped'
STATUSES = (PASSED, FAILED, WARNING, SKIPPED)

# Each code with its title and meaning in a comment (the report shows the finding's message).
ErrorCode = namedtuple('ErrorCode', 'code remediation severity')
# codeless: a warning no code fits (worth a look, nothing broken for sure; not the check's code).
Finding = namedtuple('Finding', 'status code template variant codeless', defaults=(None, False))


def _forbidden(facts):
    """What lets this client in: with public network access disabled, only a private endpoint
    (network rules then do nothing); otherwise the network rules."""
    if private_only(facts):
        return ('Public network access to <registry> is disabled, so network rules do not apply: '
                'connect from a network with a private endpoint of the registry, where <host> '
                'resolves to its private address (`nslookup <host>`; `az acr check-health --name '
                '<registry> --vnet <network>` checks the endpoints\' DNS).')
    return ('Read the rules with `az acr show --name <registry> --query networkRuleSet`; add this '
            "client's address to them, or connect through a private endpoint.")


# severity: the status a check gets when it reports this code ("failed" breaks the
# registry workflow, "warning" is about an optional client).
_CODES = [
    # Docker client not found: No Docker client was found on PATH, so the Docker daemon, version
    # and pull checks cannot run.
    ErrorCode(
        'DOCKER_COMMAND_ERROR',
        'Install the Docker client (Docker Engine or Docker Desktop) and make sure the `docker` '
        'executable is on PATH.',
        WARNING),
    # Docker daemon not reachable: The Docker client is installed but cannot talk to its daemon:
    # the daemon is stopped, or this user may not open its socket. `az acr login` and `docker pull`
    # will fail.
    ErrorCode(
        'DOCKER_DAEMON_ERROR',
        'Start (or restart) the Docker daemon, check its installation, and make sure this user '
        'may use its socket (for example membership of the `docker` group, or DOCKER_HOST).',
        FAILED),
    # Docker version unknown: The Docker client did not report its version.
    ErrorCode(
        'DOCKER_VERSION_ERROR',
        'Run `docker --version` yourself and read its error; reinstall or update Docker.',
        FAILED),
    # Sample image pull failed: A sample image could not be pulled into this environment.
    ErrorCode(
        'DOCKER_PULL_ERROR',
        "Check each part a pull needs: the Docker daemon, network access to the image's "
        'registry, proxy settings of the daemon, and credentials.',
        FAILED),
    # Helm client not found: No Helm client was found on PATH, so Helm commands cannot work.
    ErrorCode(
        'HELM_COMMAND_ERROR',
        'Install Helm 3.8.0 or later and make sure the `helm` executable is on PATH; ignore '
        'this if you do not use Helm charts.',
        WARNING),
    # Helm version unsupported: The installed Helm version could not be determined, or it is older
    # than 3.8.0: OCI registry support (`helm push` / `helm pull oci://...` with ACR) is on by
    # default only from Helm 3.8.0, Helm 2 is no longer supported and `az acr helm` is retired.
    ErrorCode(
        'HELM_VERSION_ERROR',
        'Run `helm version` yourself and read its output; install a current Helm 3 release '
        '(3.8.0 or later: OCI support on by default; Helm 2 and `az acr helm` are retired) and '
        'use `helm registry login` with OCI references.',
        WARNING),
    # Notary version incompatible: The installed Notary (v1) client may not work with the Azure
    # CLI: the error reference asks for a version earlier than 0.6.0. Docker Content Trust, which
    # uses it, is being retired for ACR: it cannot be enabled on registries that never had it since
    # 2026-05-31 and is removed on 2028-03-31.
    ErrorCode(
        'NOTARY_VERSION_ERROR',
        'Docker Content Trust, which uses Notary, is being retired for ACR (no new registry may '
        'enable it since 2026-05-31; it is removed on 2028-03-31): sign and verify images with '
        'Notation (https://aka.ms/acr/notation) instead; if you still sign with Docker Content '
        'Trust until then, install a Notary client earlier than 0.6.0.',
        WARNING),
    # Encryption identity unavailable: The registry is encrypted with a customer-managed key, and
    # the managed identity it uses to reach the key is missing (it may have been deleted).
    ErrorCode(
        'CMK_ERROR',
        'Restore the identity on the registry, or rotate the key to an identity that exists: '
        '`az acr encryption rotate-key --name <registry> --identity ...`.',
        FAILED),
    # Login server name did not resolve: The registry's login server name did not resolve to a
    # usable address from here.
    ErrorCode(
        'CONNECTIVITY_DNS_ERROR',
        'Check the network connection and DNS (`nslookup <host>`), the spelling of the '
        "registry name, that the registry exists and that it lives in the CLI's current cloud "
        '(`az cloud show`).',
        FAILED),
    # Access forbidden: The registry's challenge endpoint answered 403: this client is not let in,
    # usually because of network rules or because public network access is disabled.
    ErrorCode(
        'CONNECTIVITY_FORBIDDEN_ERROR',
        _forbidden,
        FAILED),
    # No authentication challenge: The registry's challenge endpoint (/v2/) could not be reached or
    # did not answer with an authentication challenge (401 with WWW-Authenticate).
    ErrorCode(
        'CONNECTIVITY_CHALLENGE_ERROR',
        'Retry in a few minutes; if it persists, check proxies between you and <host> '
        'and report it to Azure support.',
        FAILED),
    # Azure AD login not offered: The registry challenged, but not with a Bearer challenge naming a
    # realm and a service, so Azure AD authentication cannot be used with it.
    ErrorCode(
        'CONNECTIVITY_AAD_LOGIN_ERROR',
        'Authenticate another way, for example with the admin user or a repository-scoped token '
        '(`docker login -u ... -p ...`).',
        FAILED),
    # Refresh token denied: The registry did not give a refresh token for the Azure AD token
    # (/oauth2/exchange): access was denied, through missing permissions or stale CLI credentials.
    ErrorCode(
        'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        'Check that your identity has a role on the registry <registry> (for example AcrPull); '
        'run `az login` again.',
        FAILED),
    # Access token denied: The registry did not give an access token (/oauth2/token): access was
    # denied, through missing permissions or stale CLI credentials.
    ErrorCode(
        'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        'Check your role assignments on the registry <registry> (and the repository); run '
        '`az login` again.',
        FAILED),
    # No secure connection: No secure (TLS) connection could be made to the registry, most often
    # because a proxy intercepts the traffic with its own certificate.
    ErrorCode(
        'CONNECTIVITY_SSL_ERROR',
        'If a proxy is in the way, make the CLI trust its certificate: point REQUESTS_CA_BUNDLE '
        'at a bundle that includes it, and set HTTPS_PROXY.',
        FAILED),
    # Login server unknown: The registry's login server could not be found, and the current cloud
    # has no default ACR suffix to build it from.
    ErrorCode(
        'LOGIN_SERVER_ERROR',
        'Check the registry name and that it exists in the current subscription and cloud '
        '(`az acr show --name <registry>`, `az cloud show`); update the Azure CLI.',
        FAILED),
    # Too many requests: The registry answered 429: this client sent too many requests and is being
    # throttled.
    ErrorCode(
        'CONNECTIVITY_TOOMANYREQUESTS_ERROR',
        'Wait a little and retry; reduce how often pipelines call the registry.',
        FAILED),
    # Data host unreachable: A host that serves the registry's layers cannot be reached from here:
    # a dedicated data endpoint (<registry>.<region>.data.azurecr.io) or the storage host a blob
    # redirect names. `docker login` works, but `docker pull` fails or hangs on its layers.
    ErrorCode(
        'CONNECTIVITY_DATA_ENDPOINT_ERROR',
        'Allow the host named in the message wherever the login server is allowed: firewall and '
        "proxy rules for outbound HTTPS (TCP 443), a TLS-inspecting proxy's exceptions, and, "
        'with private endpoints, its record in the privatelink.azurecr.io private DNS zone. `az '
        'acr show-endpoints --name <registry>` lists every host a pull needs.',
        FAILED),
    # Image cannot be pulled: The image named by --image cannot be pulled from the registry: its
    # manifest is unknown or unreadable, pulling it is denied, or content does not match its
    # digest.
    ErrorCode(
        'IMAGE_PULL_ERROR',
        'Check the reference (`az acr repository show-tags --name <registry> --repository '
        '<repository>`) and your pull permission on the repository; a digest mismatch means the '
        'registry served other content than its manifest names: push the image again or report '
        'it to Azure support.',
        FAILED),
    # Clock skew: this machine's clock and the time the login server or ARM says differ by more
    # than 5 minutes, where Azure AD client assertions and registry tokens start to be refused.
    ErrorCode(
        'CLOCK_SKEW_ERROR',
        "Check this machine's clock against a time server and set it right (`timedatectl` or "
        '`chronyc tracking` on Linux, `w32tm /resync` on Windows, `sntp -sS time.apple.com` on '
        'macOS); inside a container or a VM, its host\'s clock.',
        WARNING),
    # Docker credentials broken: Docker's credential setup for this login server is broken: its
    # config names a credential helper that is not on PATH or does not answer, or holds an entry
    # for the login server that Docker will not use (upper case, a port). `az acr login` can then
    # succeed while `docker pull` says unauthorized.
    ErrorCode(
        'DOCKER_CREDENTIALS_ERROR',
        "Install the credential helper Docker's config names (or remove `credsStore` / "
        '`credHelpers` from it), remove mis-keyed entries (`docker logout <entry>`), then run '
        '`az acr login --name <registry>` again.',
        WARNING),
]

# Codes of our own (not in Microsoft's error reference): documented in our README.
README_URL = ('https://github.com/Azure/azure-cli-extensions/blob/main/src/acrhealth/'
              'README.rst#{anchor}')
OUR_CODES = frozenset({'CONNECTIVITY_DATA_ENDPOINT_ERROR', 'IMAGE_PULL_ERROR',
                       'DOCKER_CREDENTIALS_ERROR', 'CLOCK_SKEW_ERROR'})

CODES = {entry.code: entry for entry in _CODES}
# The codes of Microsoft's error reference: not ours, and not the one the CLI reports without
# documenting it.
UNDOCUMENTED_CODES = frozenset({'CONNECTIVITY_TOOMANYREQUESTS_ERROR'})
DOCUMENTED_CODES = frozenset(CODES) - OUR_CODES - UNDOCUMENTED_CODES

# Variants: the same code (what the Azure CLI reports) with its own meaning and remediation.
VARIANTS = {
    # Repository permissions missing: an access token was issued for the repository, but it does
    # not grant every action asked for (pull, push, metadata_read, metadata_write, delete).
    'repository-permissions': ErrorCode(
        'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        'Ask for a role that grants the missing actions on this repository (for example AcrPush, '
        'or a repository-scoped role assignment on registries that use them).',
        FAILED),
    # --image: the reference is unknown; pulling it is denied; content does not match its digest
    # or its size.
    'image-unknown': ErrorCode(
        'IMAGE_PULL_ERROR',
        'Check the reference: `az acr repository show-tags --name <registry> --repository '
        '<repository>` lists its tags, `az acr manifest list-metadata --registry <registry> '
        '--name <repository>` its digests.',
        FAILED),
    'image-denied': ErrorCode(
        'IMAGE_PULL_ERROR',
        'Ask for a role that grants pull on <repository> (AcrPull, or Container Registry '
        'Repository Reader on a registry with ABAC repository permissions); run `az login` again.',
        FAILED),
    'image-mismatch': ErrorCode(
        'IMAGE_PULL_ERROR',
        'The registry served other content than its digest and size name: push the image again; '
        'if it persists, report it to Azure support.',
        FAILED),
    # --image: a blob redirect that no client can follow (no Location, no valid host in it).
    'image-redirect': ErrorCode(
        'IMAGE_PULL_ERROR',
        'The registry\'s redirect for the blob cannot be followed by any client, Docker '
        'included. If a proxy or a TLS-inspecting appliance sits between, make it pass the '
        'Location header through unchanged; otherwise try again later and report it to Azure '
        'support if it persists.',
        FAILED),
    # A Notary client that does not say its version (Debian's and Ubuntu's `notary` print an
    # empty one): nothing tells that it is too new, so advising an older client would not follow.
    'notary-unknown': ErrorCode(
        'NOTARY_VERSION_ERROR',
        'If you sign images with Docker Content Trust, check that this Notary client works with '
        'your registry (its version is unknown, so nothing here tells whether it is compatible); '
        'better, sign and verify with Notation (https://aka.ms/acr/notation): Docker Content '
        'Trust is being retired for ACR (no new registry may enable it since 2026-05-31; it is '
        'removed on 2028-03-31). If this machine does not sign images, --skip notary leaves the '
        'check out.',
        WARNING),
    # Private DNS not routing to the private endpoints: a name resolves, but to a public address
    # (or another one than its private endpoint's).
    'private-dns': ErrorCode(
        'CONNECTIVITY_DNS_ERROR',
        'Make <host> resolve to its private endpoint address from here, and so every host of '
        '<registry>: A records in the privatelink.azurecr.io private DNS zone linked to this '
        "client's virtual network, or DNS forwarding to Azure DNS (168.63.129.16) from your own "
        'resolvers. Check with `nslookup <host>`.',
        FAILED),
    # No private endpoint to route to (in the virtual network given).
    'no-private-endpoint': ErrorCode(
        'CONNECTIVITY_DNS_ERROR',
        'List the private endpoints of <registry> (`az acr private-endpoint-connection list '
        '--registry-name <registry>`); create one in your virtual network (`az network '
        'private-endpoint create ... --group-id registry`) or pass --vnet the network that has '
        'one.',
        FAILED),
    # Private endpoints whose connections the registry has not approved: no traffic flows.
    'private-endpoint-pending': ErrorCode(
        'CONNECTIVITY_DNS_ERROR',
        "Ask the owner of <registry> to approve a Pending connection (`az acr "
        'private-endpoint-connection list --registry-name <registry>`, then `az acr '
        'private-endpoint-connection approve --registry-name <registry> --name <connection>`); '
        'a Rejected or Disconnected one cannot be approved: delete its private endpoint and '
        'create it again. A private endpoint carries traffic only once its connection is '
        'Approved.',
        FAILED),
    # The private endpoints could not be read.
    'private-endpoints-unread': ErrorCode(
        'CONNECTIVITY_DNS_ERROR',
        'Make sure you may read <registry> and its private endpoints (Reader on them) in the '
        'subscription searched (--subscription selects another), then run the command again.',
        FAILED),
}
for _variant, _code in (('refresh-network', 'CONNECTIVITY_REFRESH_TOKEN_ERROR'),
                        ('access-network', 'CONNECTIVITY_ACCESS_TOKEN_ERROR')):
    VARIANTS[_variant] = CODES[_code]._replace(remediation=_forbidden)

for _variant, _code in (('refresh-roles', 'CONNECTIVITY_REFRESH_TOKEN_ERROR'),
                        ('access-roles', 'CONNECTIVITY_ACCESS_TOKEN_ERROR'),
                        ('repository-roles', 'CONNECTIVITY_ACCESS_TOKEN_ERROR')):
    _base = VARIANTS['repository-permissions'] if _variant == 'repository-roles' else CODES[_code]
    VARIANTS[_variant] = _base._replace(remediation=_role_advice)


def remediation(code, variant, facts, registry=None, image=None):
    """The remediation of a code (or of its variant), written from the facts where it says
    more than the code does (the role to ask for), naming what it is about: the registry, the
    repository (``--repository``, else the repository of ``image``, the parsed --image), the
    hosts to allow, the Docker config entry. A check may put what must be done first in the
    facts, ``remediationFirst`` (a clock that is off before a refused token)."""
    facts = facts or {}
    text = entry(code, variant).remediation
    if callable(text):
        try:
            text = text(facts)
        except Exception:  # pylint: disable=broad-except  # facts of a shape not foreseen
            text = CODES[code].remediation
            text = text(facts) if callable(text) else text
    first = facts.get('remediationFirst')
    text = f'{first} Then: {text}' if isinstance(first, str) and first else text
    return _named(text, facts, registry, getattr(image, 'repository', None))


def _named(text, facts, registry, image_repository):
    hosts = _hosts(facts)
    login_server = facts.get('loginServer')
    names = {'<registry>': registry, '<entry>': facts.get('key'),
             '<host>': hosts[0] if hosts else login_server if is_host_name(login_server) else None,
             '<repository>': facts.get('repository') or image_repository}
    for placeholder, value in names.items():
        if isinstance(value, str) and value:
            text = text.replace(placeholder, value)
    if hosts:
        text = text.replace('the host named in the message', ', '.join(hosts))
    return text


def _hosts(facts):
    """The hosts a finding is about, most specific first: the failing endpoints, the host a
    pull failed on, the private endpoint names that did not resolve as they should. Only real
    host names and addresses: a name a server made up ("not a host!!", '') is left out."""
    def names(items, key, keep=lambda item: True):
        return [item[key] for item in items or [] if isinstance(item, dict) and
                is_host_name(item.get(key)) and keep(item)]
    host = facts.get('host')
    return names(facts.get('failing'), 'host') or ([host] if is_host_name(host) else []) or \
        names(facts.get('mappings'), 'fqdn', lambda item: not item.get('ok'))


def entry(code, variant=None):
    """The catalogue entry for a code, or for one of its variants."""
    return VARIANTS[variant] if variant else CODES[code]


def docs_url(code):
    """Link to the published error reference for a code (our README for our own codes)."""
    return (README_URL if code in OUR_CODES else DOCS_URL).format(anchor=code.lower())


FINDINGS = {}  # every finding: the runner's (below) and each check module's (findings())


def findings(table):
    """Add a check module's findings to :data:`FINDINGS` and return them: each module writes
    ``FINDINGS = catalogue.findings({...})`` beside its checks. Refuses, at import, a key
    defined twice, an unknown status, code or variant, a variant of another code, and a
    codeless finding that is not a warning without a code."""
    for key, found in table.items():
        problem = _problem(key, found)
        if problem:
            raise ValueError(f'finding {key!r}: {problem}')
    FINDINGS.update(table)
    return table


def _problem(key, found):
    """What is wrong with a finding, or None."""
    checks = (
        (key in FINDINGS, 'defined twice'),
        (found.status not in STATUSES, f'unknown status {found.status!r}'),
        (found.code is not None and found.code not in CODES, f'unknown code {found.code!r}'),
        (found.variant is not None and found.variant not in VARIANTS,
         f'unknown variant {found.variant!r}'),
        (found.variant in VARIANTS and VARIANTS[found.variant].code != found.code,
         f'variant {found.variant!r} is of another code'),
        (found.codeless and (found.status != WARNING or found.code is not None),
         'a codeless finding is a warning without a code'),
        (found.status in (PASSED, SKIPPED) and found.code is not None,
         'a pass or a skip carries no code'))
    return next((problem for failed, problem in checks if failed), None)


findings({
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
    # Checks left out on request (--skip, acrhealth.skip), and those that need one of them.
    'runner.skipped.request': Finding(SKIPPED, None, 'Skipped on request ({skippedBy}).'),
    'runner.skipped.request_prerequisite': Finding(
        SKIPPED, None, 'It needs "{prerequisite}", which was skipped on request ({skippedBy}).'),

})


def finding(key):
    """The finding for a key; an unknown key is a programming error."""
    return FINDINGS[key]


def outcome(key, check_code):
    """``(status, code)`` of a finding reported for a check whose own code is ``check_code``.

    A finding without a code that fails (an exception, a deadline: the runner makes those)
    takes the check's code and, with it, the code's severity: a crashed Helm check is a
    warning, as every Helm finding is."""
    found = FINDINGS[key]
    if found.status not in (FAILED, WARNING) or found.codeless:
        return found.status, None
    if found.code:
        return found.status, found.code
    if check_code in CODES:
        return CODES[check_code].severity, check_code
    return found.status, None


class _Facts(dict):
    """Format mapping: lists and mappings read as text, unknown placeholders stay visible."""

    def __getitem__(self, key):
        return _shown(dict.__getitem__(self, key))

    def __missing__(self, key):
        return f"{{{key}}}"


def render(key, facts):
    """Message text of a finding, formatted with its facts."""
    template = FINDINGS[key].template
    try:
        text = template(facts or {}) if callable(template) else \
            template.format_map(_Facts(facts or {}))
    except Exception as ex:  # pylint: disable=broad-except
        # Facts of a shape the text did not foresee (a server's): the report must still come.
        return f'{key} (its text could not be written from these facts: {type(ex).__name__}).'

    # A fact that is a sentence ("... has expired.") placed before the template's own full
    # stop: one stop, not two (an ellipsis stays).
    return _DOUBLE_STOP.sub('.', text)


_DOUBLE_STOP = re.compile(r'(?<!\.)\.\.(?!\.)')
