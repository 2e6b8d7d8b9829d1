# acrhealth (MIT licence). The error catalogue: every code and every finding's text.
"""Error codes and findings of ``az acr check-health``.

A check never writes user-facing text. It returns a result naming a *finding* (a key of
:data:`FINDINGS`) and the facts behind it; this module turns the pair into the message,
the status and, for failures and warnings, the documented code with its remediation.
"""

import re
from collections import namedtuple

from ._roles_text import MODES as _MODES, mode_name as _mode, \
    role_advice as _role_advice, roles_text as _roles
from ._text import as_text as _shown
from ._validators import is_host_name, parse_image


DOCS_URL = 'https://aka.ms/acr/errors#{anchor}'

PASSED = 'passed'
FAILED = 'failed'
WARNING = 'warning'
SKIPPED = 'skipped'
STATUSES = (PASSED, FAILED, WARNING, SKIPPED)

# Each code with its title and meaning in a comment (the report shows the finding's message).
ErrorCode = namedtuple('ErrorCode', 'code remediation severity')
Finding = namedtuple('Finding', 'status code template variant', defaults=(None,))


def _forbidden(facts):
    """What lets this client in: with public network access disabled, only a private endpoint
    (network rules then do nothing); otherwise the network rules."""
    if facts.get('publicNetworkAccess') == 'Disabled':
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
                       'DOCKER_CREDENTIALS_ERROR'})

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


def remediation(code, variant, facts, registry=None):
    """The remediation of a code (or of its variant), written from the facts where it says
    more than the code does (the role to ask for), naming what it is about: the registry, the
    repository, the hosts to allow, the Docker config entry."""
    facts = facts or {}
    text = entry(code, variant).remediation
    if callable(text):
        try:
            text = text(facts)
        except Exception:  # pylint: disable=broad-except  # facts of a shape not foreseen
            text = CODES[code].remediation
            text = text(facts) if callable(text) else text
    return _named(text, facts, registry)


def _named(text, facts, registry):
    hosts = _hosts(facts)
    login_server = facts.get('loginServer')
    names = {'<registry>': registry, '<entry>': facts.get('key'),
             '<host>': hosts[0] if hosts else login_server if is_host_name(login_server) else None,
             '<repository>': facts.get('repository') or _image_repository(facts.get('image'))}
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


def _image_repository(image):
    """'team/app' of --image 'team/app:1.0' or 'team/app@sha256:...'."""
    return parse_image(image)[0] if isinstance(image, str) else None


def entry(code, variant=None):
    """The catalogue entry for a code, or for one of its variants."""
    return VARIANTS[variant] if variant else CODES[code]


def docs_url(code):
    """Link to the published error reference for a code (our README for our own codes)."""
    return (README_URL if code in OUR_CODES else DOCS_URL).format(anchor=code.lower())


def _missing_actions(facts):
    granted = facts.get('granted')
    if not granted:
        return f"The access token for {facts.get('repository')} grants no action: it lacks " \
               f"{_shown(facts.get('missing'))}."
    return f"The access token for {facts.get('repository')} grants {_shown(granted)} but lacks " \
           f"{_shown(facts.get('missing'))}."


def _not_from_arm(facts):
    """Why ARM did not give the login server: it could not be asked, the registry is not in
    the subscription searched (--subscription selects another), or its resource names none.
    "Not found" and "could not ask" are different findings."""
    arm = facts.get('arm')
    if arm == 'failed':
        return f"ARM could not be asked ({_shown(facts.get('armError'))})"
    if arm == 'noLoginServer':
        return 'its ARM resource names no login server'
    subscription = _shown(facts.get('subscriptionId'))
    if facts.get('subscriptionName'):
        subscription = f"\"{facts['subscriptionName']}\" ({subscription})"
    return (f"{_shown(facts.get('name'))} is not in subscription {subscription}; if it is in "
            'another subscription, select that one with --subscription')


_PRINCIPALS = {'user': 'user', 'servicePrincipal': 'service principal',
               'managedIdentity': 'managed identity'}


def _identity(identity):
    who = identity.get('upn') or identity.get('appId') or identity.get('objectId')
    kind = _PRINCIPALS.get(identity.get('type'), 'principal')
    text = (f"Signed in as {kind} {who} (object ID {_shown(identity.get('objectId'))}) of tenant "
            f"{_shown(identity.get('tenantId'))}")
    if identity.get('subscriptionSearched'):
        text += f"; subscription searched: {identity['subscriptionSearched']}"
    if identity.get('registrySubscription'):
        text += f"; the registry is in subscription {identity['registrySubscription']}"
    return f"{text}."


def _on_off(value, on='enabled', off='disabled'):
    if value is None:
        return 'unknown'
    if isinstance(value, str):
        return value.lower()
    return on if value else off


def _settings(settings):
    mode = settings.get('roleAssignmentMode')
    arm = {'enabled': 'accepted', 'disabled': 'refused (only ACR-audience tokens)'}.get(
        str(settings.get('armAudienceTokens')).lower(), 'unknown')
    return (f"Role assignment mode: {_MODES.get(mode, mode)}; "
            f"admin user: {_on_off(settings.get('adminUserEnabled'))}; "
            f"anonymous pull: {_on_off(settings.get('anonymousPullEnabled'))}; "
            f"ARM-audience tokens: {arm}; quarantine: {_on_off(settings.get('quarantine'))}; "
            f"content trust: {_on_off(settings.get('trust'))}.")


_ROLES = {'loginServer': 'login server', 'dataEndpoint': 'data endpoint',
          'regionalEndpoint': 'regional endpoint', 'redirect': 'data host of a blob redirect'}


def endpoint_role(role):
    """An endpoint's role in words ('data endpoint' for 'dataEndpoint')."""
    return _ROLES.get(role, role)


def _role(endpoint):
    role = endpoint_role(endpoint.get('role'))
    return f"{role}, {endpoint['region']}" if endpoint.get('region') else role


def _endpoint(endpoint):
    shown = f"{endpoint.get('host')} ({_role(endpoint)})"
    return f"{shown} through proxy {endpoint['proxy']}" if endpoint.get('proxy') else shown


def _endpoint_notes(facts):
    """Facts about the path a pull takes that are not faults: which path this client takes to a
    registry with private endpoints and public access (the network rules decide the rest),
    hosts reached on a later address after an earlier one failed (a dead IPv6 address), and
    hosts left unprobed."""
    notes = []
    path = facts.get('privateEndpoints')
    if isinstance(path, dict):
        connections = path.get('connections') or {}
        states = ', '.join(f'{count} {state}' for state, count in sorted(connections.items()))
        taken = {'private': 'a private address: this client takes the private path',
                 'public': 'a public address: this client takes the public path, where the '
                           "registry's network rules apply"}.get(
                               path.get('path'), 'no address known')
        also = 'also takes private connections' if 'Approved' in connections else \
            'has private endpoint connections, none Approved yet'
        notes.append(f'The registry {also} (private endpoint connections: {states}); from here '
                     f'its login server resolves to {taken}.')
    for note in facts.get('fallbacks') or []:
        failed = '; '.join(f"{item.get('address')} ({item.get('error') or 'failed'})"
                           for item in note.get('failed') or [])
        notes.append(f"Note: {note.get('host')} did not connect on {failed}; it did on "
                     f"{note.get('connected')}, as a client goes on to the next address.")
    if facts.get('notProbed'):
        notes.append(f"{facts['notProbed']} more host(s) that ARM lists were not probed.")
    return ''.join(' ' + note for note in notes)


def _not_approved(facts):
    return (f"No private endpoint connection of {facts.get('name')} is Approved (" + ', '.join(
        f"{c.get('privateEndpoint')}: {c.get('status')}" for c in facts.get('connections', [])) +
        '): a private endpoint carries no traffic until its connection is approved.')


def _network_denied(facts, stage):
    said = f" ({facts['registryMessage']})" if facts.get('registryMessage') else ''
    return (f"{facts.get('url')} answered 403: no {stage} token, and the registry's network "
            f"settings keep this client out{said}: public network access: "
            f"{_shown(facts.get('publicNetworkAccess'))}; network rules default action: "
            f"{_shown(facts.get('networkDefaultAction'))}; IP rules: {_shown(facts.get('ipRules'))}.")


def _mismatch(facts):
    """A manifest or config blob whose bytes are not the content its digest names."""
    named = (f"the digest the registry names for it ({_shown(facts.get('digest'))}, its "
             'Docker-Content-Digest header)') if facts.get('namedBy') == 'header' else \
        f"its digest {_shown(facts.get('digest'))}"
    served = f": its bytes hash to {facts['served']}" if facts.get('served') else ''
    return f"The {_shown(facts.get('what'))} of {_shown(facts.get('image'))} does not match " \
        f'{named}{served}.'


def _size_mismatch(facts):
    """A manifest or config blob served with another size than its descriptor declares."""
    received = facts.get('received')
    served = f'is {received} bytes long, not' if isinstance(received, int) else 'is larger than'
    return f"The {_shown(facts.get('what'))} of {_shown(facts.get('image'))} served by " \
        f"{_shown(facts.get('host'))} {served} the {_shown(facts.get('size'))} bytes its " \
        f"{_shown(facts.get('declaredBy'))} declares."


def _throttled(facts):
    wait = facts.get('retryAfter')
    asks = '' if wait is None else f'; it asks to wait {wait} s'
    return f"{facts.get('url')} answered 429 Too Many Requests{asks}."


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
    'docker.client.podman': Finding(
        PASSED, None, 'Podman (used as the Docker client) found: {path}; there is no docker.'),
    'docker.client.from_env': Finding(
        PASSED, None, 'Docker client found: {path}, named by DOCKER_COMMAND.'),
    'docker.client.command_missing': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'DOCKER_COMMAND names {command}, which is not an executable on PATH or at that path.'),
    'docker.client.in_cwd': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it. Set DOCKER_COMMAND to the absolute path of the '
        'trusted client.'),
    'docker.client.missing': Finding(
        WARNING, 'DOCKER_COMMAND_ERROR',
        'No `docker` (or `podman`) executable found on PATH.'),
    'docker.daemon.running': Finding(
        PASSED, None, 'Docker daemon is running (server {serverVersion}).'),
    'docker.daemon.podman': Finding(
        PASSED, None, 'Podman runs containers without a daemon; `{path} version` answered.'),
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
    'docker.pull.other_os': Finding(
        PASSED, None, 'Pulled {image}; note: this daemon runs containers of another operating '
                      'system and cannot run it ({note}).'),
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
    'helm.in_cwd': Finding(
        WARNING, 'HELM_COMMAND_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it.'),
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

    # Login server.
    'registry.login_server.arm': Finding(
        PASSED, None, 'Found {name} in ARM: login server {loginServer}.'),
    'registry.login_server.suffix': Finding(
        PASSED, None, lambda f: f"Using {f.get('loginServer')}, built from the cloud's ACR suffix: "
                                f"{_not_from_arm(f)}."),
    'registry.login_server.given': Finding(
        PASSED, None, lambda f: f"Using {f.get('loginServer')}, the login server given with "
                                f"--name: {_not_from_arm(f)}."),
    'registry.login_server.none': Finding(
        FAILED, 'LOGIN_SERVER_ERROR', lambda f: f"The login server of {f.get('name')} is unknown: "
        f"{_not_from_arm(f)}, and cloud {f.get('cloud')} has no ACR login server suffix."),

    # DNS.
    'connectivity.dns.resolved': Finding(
        PASSED, None, lambda f: f"{f.get('loginServer')} resolves to " + ', '.join(
            f"{a} ({f.get('kinds', {}).get(a, '?')})" for a in f.get('addresses', [])) + '.'),
    'connectivity.dns.failed': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', '{loginServer} did not resolve: {error}.'),
    'connectivity.dns.unusable': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        '{loginServer} resolves only to addresses that cannot be used: {addresses}.'),

    # Challenge.
    'connectivity.challenge.ok': Finding(
        PASSED, None, '{url} answered 401 with a Bearer challenge (service {service}).'),
    'connectivity.challenge.ok_unverified': Finding(
        PASSED, None, '{url} answered 401 with a Bearer challenge (service {service}). TLS '
                      'certificates are NOT verified: AZURE_CLI_DISABLE_CONNECTION_VERIFICATION '
                      'is set.'),
    'connectivity.challenge.forbidden': Finding(
        FAILED, 'CONNECTIVITY_FORBIDDEN_ERROR',
        '{url} answered 403 Forbidden (public network access: {publicNetworkAccess}; network '
        'rules default action: {networkDefaultAction}; IP rules: {ipRules}).'),
    'connectivity.challenge.ssl': Finding(
        FAILED, 'CONNECTIVITY_SSL_ERROR',
        'No secure connection to {loginServer}: {error}. Proxy and CA settings in effect: '
        '{proxySettings}.'),
    'connectivity.challenge.unreachable': Finding(
        FAILED, 'CONNECTIVITY_CHALLENGE_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.challenge.no_challenge': Finding(
        FAILED, 'CONNECTIVITY_CHALLENGE_ERROR',
        '{url} answered {statusCode} without an authentication challenge (expected 401 with '
        'WWW-Authenticate).'),
    'connectivity.challenge.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', '{url} answered 429 Too Many Requests.'),
    'connectivity.challenge.not_bearer': Finding(
        FAILED, 'CONNECTIVITY_AAD_LOGIN_ERROR',
        '{url} offers no Bearer challenge with a realm and a service: {challenge}'),

    # Refresh token.
    'connectivity.refresh.ok': Finding(
        PASSED, None, '{url} exchanged an Azure AD token (tenant {tenant}) for a refresh '
                      'token.'),
    'connectivity.refresh.no_login': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        'No Azure AD token from the CLI\'s login: {error}. Run `az login`.'),
    'connectivity.refresh.foreign_realm': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        'The challenge names the realm {realm}, which is not https://{loginServer}: no token '
        'was sent.'),
    'connectivity.refresh.denied': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode}: no refresh token for your Azure AD token.'),
    'connectivity.refresh.denied_roles': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode}: no refresh token for your Azure AD token.', 'refresh-roles'),
    'connectivity.refresh.network_denied': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR', lambda f: _network_denied(f, 'refresh'),
        'refresh-network'),
    'connectivity.refresh.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', _throttled),
    'connectivity.refresh.unreachable': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.refresh.malformed': Finding(
        FAILED, 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
        '{url} answered {statusCode} but gave no refresh token: {problem}.'),

    # Access token.
    'connectivity.access.ok': Finding(PASSED, None, '{url} issued an access token for {scope}.'),
    'connectivity.access.ok_abac': Finding(
        PASSED, None, '{url} issued an access token for {scope}. Note: this registry uses '
                      'repository-scoped role assignments (ABAC); add --repository <name> to '
                      'check your access to a repository.'),
    'connectivity.access.ok_repository': Finding(
        PASSED, None, 'The access token for {repository} grants {granted}.'),
    'connectivity.access.denied': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode}: no access token for {scope}.'),
    'connectivity.access.denied_roles': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode}: no access token for {scope}.', 'access-roles'),
    'connectivity.access.network_denied': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR', lambda f: _network_denied(f, 'access'),
        'access-network'),
    'connectivity.access.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', _throttled),
    'connectivity.access.unreachable': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR', '{url} could not be reached: {error}.'),
    'connectivity.access.malformed': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        '{url} answered {statusCode} but gave no access token: {problem}.'),
    'connectivity.access.unreadable': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        'The access token for {repository} could not be read to check its grants: {problem}.'),
    'connectivity.access.missing_actions': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        _missing_actions,
        'repository-permissions'),
    'connectivity.access.missing_actions_roles': Finding(
        FAILED, 'CONNECTIVITY_ACCESS_TOKEN_ERROR',
        _missing_actions,
        'repository-roles'),

    # Endpoints: every host a pull needs.
    'endpoints.ok': Finding(
        PASSED, None, lambda f: 'Every host a pull needs is reachable from here: ' + ', '.join(
            _endpoint(e) for e in f.get('endpoints', [])) + '.' + _endpoint_notes(f)),
    'endpoints.login_only': Finding(
        PASSED, None, lambda f: 'Reachable from here: ' + ', '.join(
            _endpoint(e) for e in f.get('endpoints', [])) + '. The registry has no dedicated data '
        'endpoints: its layers come from the storage host its blob redirects name (--image '
        'follows one and probes it).' + _endpoint_notes(f)),
    'endpoints.unreachable': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR', lambda f: '; '.join(
            f"{e.get('host')} ({_role(e)}) cannot be reached from here: {_shown(e.get('error'))}"
            for e in f.get('failing', [])) + '.' + _endpoint_notes(f)),
    # Only regional endpoints: pulls through the global login server are not affected.
    'endpoints.regional_unreachable': Finding(
        WARNING, None, lambda f: '; '.join(
            f"{e.get('host')} ({_role(e)}) cannot be reached from here: {_shown(e.get('error'))}"
            for e in f.get('failing', [])) + '. Pulls through the login server are not affected; '
        'clients that use this regional endpoint (`az acr login --endpoint <region>`) are.' +
        _endpoint_notes(f)),
    'endpoints.public': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', lambda f: 'The registry takes private connections only, '
        'but from here ' + '; '.join(
            f"{e.get('host')} ({_role(e)}) resolves to {_shown(e.get('addresses'))}"
            for e in f.get('failing', [])) + '.', variant='private-dns'),

    # Image pull (--image).
    'image.pulled': Finding(
        PASSED, None, lambda f: f"Pulled the manifest of {f.get('image')} and its config blob "
        f"{f.get('configDigest')} from {f.get('blobHost')}" + (
            '.' if f.get('verified') else
            f" (its first MiB of {_shown(f.get('configSize'))} bytes: digest not checked).")),
    'image.token_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached for a pull token: {error}.'),
    'image.token_denied': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} gave no token for {scope} (it answered {statusCode}).',
        'image-denied'),
    'image.throttled': Finding(
        FAILED, 'CONNECTIVITY_TOOMANYREQUESTS_ERROR', '{url} answered 429 Too Many Requests.'),
    'image.manifest_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached: {error}.'),
    'image.denied': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'Pulling {image} is denied: {url} answered {statusCode} '
                                    '({registryError}).', 'image-denied'),
    'image.manifest_unknown': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The registry has no manifest for {image}: {url} answered 404 '
                                    '({registryError}).', 'image-unknown'),
    'image.manifest_failed': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} answered {statusCode} for the manifest of {image}.'),
    'image.unreadable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The manifest of {image} cannot be read: {problem}.'),
    'image.digest_mismatch': Finding(FAILED, 'IMAGE_PULL_ERROR', _mismatch, 'image-mismatch'),
    'image.size_mismatch': Finding(FAILED, 'IMAGE_PULL_ERROR', _size_mismatch, 'image-mismatch'),
    'image.blob_unreachable': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{url} could not be reached: {error}.'),
    'image.blob_failed': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{host} answered {statusCode} for the config blob of {image}.'),
    'image.redirect_refused': Finding(
        FAILED, 'IMAGE_PULL_ERROR', '{host} redirects the config blob of {image} to {target}, '
                                    'which is not HTTPS: not followed.'),
    'image.redirect_broken': Finding(
        FAILED, 'IMAGE_PULL_ERROR', lambda f: f"{_shown(f.get('host'))} answered "
        f"{_shown(f.get('statusCode'))} for the config blob of {_shown(f.get('image'))} " + (
            f"with a Location that names no valid host ({f['location']}): not followed."
            if f.get('location') else 'without a Location header.'), 'image-redirect'),
    'image.too_many_redirects': Finding(
        FAILED, 'IMAGE_PULL_ERROR', 'The config blob of {image} is redirected more than 3 times '
                                    '({redirects}).'),
    'image.data_unreachable': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
        'The layers of {image} come from {host}, which cannot be reached from here: {error}.'),
    'image.data_forbidden': Finding(
        FAILED, 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
        'The layers of {image} come from {host}, which refuses this client (403): a firewall of '
        'the storage behind the registry.'),

    # Identity, registry authentication settings, role assignments.
    'identity.known': Finding(PASSED, None, lambda f: _identity(f.get('identity') or {})),
    'identity.no_token': Finding(
        SKIPPED, None, 'No Azure AD token from the CLI\'s login ({error}): the identity is '
                       'unknown.'),
    'identity.unreadable': Finding(
        SKIPPED, None, 'The CLI\'s Azure AD token cannot be read ({problem}).'),
    'registry_auth.read': Finding(PASSED, None, lambda f: _settings(f.get('settings') or {})),
    'registry_auth.not_in_arm': Finding(
        SKIPPED, None, 'The registry\'s ARM resource was not read, so its authentication '
                       'settings are unknown.'),
    'roles.explained': Finding(PASSED, None, _roles),
    # Nothing granted: pulls and pushes with the CLI's identity are refused (a warning: the
    # admin user, a token or anonymous pull may be how this registry is meant to be used).
    'roles.grant_nothing': Finding(WARNING, None, lambda f: _roles(f) + (
        ' Pulls and pushes with this identity will be refused.')),
    'roles.none': Finding(
        WARNING, None, lambda f: 'None of your role assignments applies to this registry (its '
                                 f'mode: {_mode(f)}): pulls and pushes with this identity will be '
                                 'refused.'),
    'roles.not_in_arm': Finding(
        SKIPPED, None, 'The registry\'s ARM resource was not read, so role assignments on it '
                       'cannot be listed.'),
    'roles.no_identity': Finding(
        SKIPPED, None, 'The identity is unknown, so its role assignments cannot be listed.'),
    'roles.forbidden': Finding(
        WARNING, None, 'Your role assignments could not be read ({error}), so who may pull and '
                       'push here cannot be explained; reading them needs '
                       'Microsoft.Authorization/roleAssignments/read.'),
    # Not a 403: nothing says a permission is missing.
    'roles.unreadable': Finding(
        WARNING, None, 'Your role assignments could not be read ({error}), so who may pull and '
                       'push here cannot be explained.'),

    # Docker credentials.
    'credentials.none': Finding(
        PASSED, None, 'Docker holds no credentials for {loginServer}; `az acr login` saves them.'),
    'credentials.saved': Finding(
        PASSED, None, lambda f: f"Docker has credentials for {f.get('loginServer')} in " + (
            f"docker-credential-{f['helper']}" if f.get('helper') else str(f.get('file'))) +
        f": user {_shown(f.get('username'))}, " + (
            'with a secret.' if f.get('hasSecret') else 'but no secret.')),
    'credentials.helper_missing': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{file} names the credential helper "{helper}", but {executable} is not on PATH: Docker '
        'can neither save nor read credentials for {loginServer}.'),
    'credentials.helper_timeout': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{path} (the credential helper {file} names) did not answer within {seconds} s.'),
    'credentials.helper_failed': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{path} get (the credential helper {file} names) failed with exit code {exitCode}: '
        '{said}.'),
    'credentials.miskeyed': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        '{file} has an entry "{key}" with {problem}: Docker looks credentials for {loginServer} '
        'up under exactly that name, so it will not use this one.'),
    'credentials.unreadable': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR', 'Docker\'s config {file} cannot be used: {problem}.'),

    # Customer-managed key.
    'registry.cmk.not_in_arm': Finding(
        SKIPPED, None, 'The registry is not in the subscription searched, so its encryption '
                       'cannot be read.'),
    'registry.cmk.arm_failed': Finding(
        SKIPPED, None, 'ARM could not be asked ({armError}), so the registry\'s encryption was '
                       'not checked.'),
    'registry.cmk.not_used': Finding(
        PASSED, None, 'The registry is not encrypted with a customer-managed key.'),
    'registry.cmk.system_ok': Finding(
        PASSED, None, 'The customer-managed key is reached through the registry\'s '
                      'system-assigned identity.'),
    'registry.cmk.user_ok': Finding(
        PASSED, None, 'The customer-managed key is reached through identity {identityId} '
                      '(client ID {clientId}), which exists.'),
    'registry.cmk.system_missing': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity is the system-assigned one, but the registry '
                             'has no system-assigned identity.'),
    'registry.cmk.not_assigned': Finding(
        FAILED, 'CMK_ERROR', 'No identity with client ID {clientId} (the key\'s identity) is '
                             'assigned to the registry.'),
    'registry.cmk.deleted': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity {identityId} (client ID {clientId}) no longer '
                             'exists.'),
    'registry.cmk.unverifiable': Finding(
        FAILED, 'CMK_ERROR', 'The key\'s identity {identityId} could not be read through ARM: '
                             '{error}.'),

    # Private endpoints (--vnet).
    'registry.pe.not_in_arm': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'Registry {name} is not in the subscription searched, so its private endpoints cannot be '
        'read; select its subscription with --subscription.',
        variant='private-endpoints-unread'),
    'registry.pe.arm_failed': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'ARM could not be asked ({armError}), so the private endpoints of {name} could not be '
        'read.', variant='private-endpoints-unread'),
    'registry.pe.none': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', 'Registry {name} has no private endpoints.',
        variant='no-private-endpoint'),
    'registry.pe.not_approved': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', _not_approved, variant='private-endpoint-pending'),
    'registry.pe.not_approved_public': Finding(
        WARNING, None, lambda f: _not_approved(f) + ' Public network access is enabled: clients '
        'outside the virtual network take the public path meanwhile; a Pending connection is '
        f"approved with `az acr private-endpoint-connection approve --registry-name {f.get('name')}"
        " --name <connection>`."),
    'registry.pe.none_in_vnet': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'None of the {endpoints} private endpoint(s) of {name} is in virtual network {vnet}.',
        variant='no-private-endpoint'),
    'registry.pe.unreadable': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR',
        'The private endpoints of {name} could not be read through ARM: {error}.', variant='private-endpoints-unread'),
    'registry.pe.ok': Finding(
        PASSED, None, lambda f: 'DNS here resolves ' + ', '.join(
            m['fqdn'] for m in f.get('mappings', [])) + ' to the private endpoint addresses in '
        'the virtual network.'),
    'registry.pe.mismatch': Finding(
        FAILED, 'CONNECTIVITY_DNS_ERROR', lambda f: 'DNS here does not route to the private '
        'endpoints: ' + '; '.join(
            f"{m['fqdn']}: expected {m['expected']}, got "
            f"{m['error'] or ', '.join(m['actual']) or 'nothing'}"
            for m in f.get('mappings', []) if not m['ok']) + '.', variant='private-dns'),
}


# Warnings that no code fits: worth a look, but nothing is broken for sure (the role assignments
# could not be read: the explanation is missing, not the access; none grants anything: the admin
# user, a token or anonymous pull may be how this registry is used).
# Regional endpoints a default pull does not use, and private endpoints not approved yet while
# public access is enabled: worth knowing, but not a code's fault.
CODELESS_WARNINGS = frozenset({'roles.forbidden', 'roles.unreadable', 'roles.grant_nothing',
                               'roles.none', 'endpoints.regional_unreachable',
                               'registry.pe.not_approved_public'})


def finding(key):
    """The finding for a key; an unknown key is a programming error."""
    return FINDINGS[key]


def outcome(key, check_code):
    """``(status, code)`` of a finding reported for a check whose own code is ``check_code``.

    A finding without a code that fails (an exception, a deadline: the runner makes those)
    takes the check's code and, with it, the code's severity: a crashed Helm check is a
    warning, as every Helm finding is."""
    found = FINDINGS[key]
    if found.status not in (FAILED, WARNING) or key in CODELESS_WARNINGS:
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


# issue 18: checks skipped on request (--skip, acrhealth.skip); the advice for a Notary
# client that does not say its version (Debian's and Ubuntu's `notary` print an empty one:
# nothing tells that it is too new, so advising an older client would not follow); a Notary
# client or a credential helper that PATH finds in the current directory is refused, as Docker
# and Helm are (Windows searches the current directory first).
FINDINGS.update({
    'notary.in_cwd': Finding(
        WARNING, 'NOTARY_VERSION_ERROR',
        'Refusing to use {path}: it is in the current directory ({cwd}), where a cloned '
        'repository could have planted it.'),
    'credentials.helper_in_cwd': Finding(
        WARNING, 'DOCKER_CREDENTIALS_ERROR',
        'Refusing to run {path} (the credential helper {file} names): it is in the current '
        'directory ({cwd}), where a cloned repository could have planted it.'),
    'runner.skipped.request': Finding(SKIPPED, None, 'Skipped on request ({skippedBy}).'),
    'runner.skipped.request_prerequisite': Finding(
        SKIPPED, None, 'It needs "{prerequisite}", which was skipped on request ({skippedBy}).'),
    'notary.unknown_version': FINDINGS['notary.unknown_version']._replace(
        variant='notary-unknown'),
})
VARIANTS['notary-unknown'] = ErrorCode(
    'NOTARY_VERSION_ERROR',
    'If you sign images with Docker Content Trust, check that this Notary client works with your '
    'registry (its version is unknown, so nothing here tells whether it is compatible); better, '
    'sign and verify with Notation (https://aka.ms/acr/notation): Docker Content Trust is being '
    'retired for ACR (no new registry may enable it since 2026-05-31; it is removed on '
    '2028-03-31). If this machine does not sign images, --skip notary leaves the check out.',
    WARNING)
