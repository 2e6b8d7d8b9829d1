# acrhealth (MIT licence). The lab's scenario table: one registry per way a registry can be broken.
"""The single table of lab scenarios.

Each scenario names the registry to check, the cloud to check it in, the documented code a
correct `az acr check-health` reports for it, and, where the Azure CLI's built-in command is
known to report something else (or to hang), the built-in's behaviour and why it is wrong.

To add a scenario: add a `Scenario` here, then teach `fake_acr.py` how its registry answers
(the `behaviour` field is what the fake ACR data plane switches on) and, when it needs a host
of its own, add it in `lab.py` (hosts file, certificate, listener). The parity test picks the new
row up by itself.
"""
from dataclasses import dataclass, field
from typing import Optional, Tuple

# Names and identifiers of the fake cloud (stable across runs, so recordings stay comparable).
TENANT_ID = '72f988bf-0000-4000-8000-00000000ab01'
TENANT_DOMAIN = 'lab.test'
SUBSCRIPTION_ID = '0b1f6471-0000-4000-8000-00000000ab02'
SUBSCRIPTION_NAME = 'Lab Subscription'
# A second subscription of the lab principal: 500 registries besides a copy of `healthy`, so a
# lookup's request count can be seen not to grow with them (selected with --subscription).
CROWDED_SUBSCRIPTION_ID = '0b1f6471-0000-4000-8000-00000000ab05'
CROWDED_SUBSCRIPTION_NAME = 'Lab Crowded Subscription'
CROWDED_FILLERS = 500
RESOURCE_GROUP = 'acrhealth-lab'
LOCATION = 'westeurope'
SP_APP_ID = '3c9b5e0a-0000-4000-8000-00000000ab03'
SP_OBJECT_ID = '5d2c7f1b-0000-4000-8000-00000000ab04'
SP_SECRET = 'lab-secret-not-a-real-one'

AAD_HOST = 'login.lab.test'
ARM_HOST = 'management.lab.test'
ARM_HOST_NOSUFFIX = 'management.nosuffix.lab.test'
ACR_SUFFIX = '.azurecr.lab.test'
ARM_AUDIENCE = 'https://management.lab.test/'
ACR_AUDIENCE = 'https://containerregistry.azure.net'
MCR_HOST = 'mcr.microsoft.com'
SAMPLE_IMAGE = 'mcr.microsoft.com/mcr/hello-world:latest'

# Cloud names as registered with `az cloud register`; the fixture's `cloud=` argument takes the key.
CLOUDS = {'lab': 'LabCloud', 'nosuffix': 'LabCloudNoSuffix'}
COLLECTOR_HOST = 'collector.lab.test'   # hostile mode: redirect / foreign-realm target; must receive nothing
ARM_COLLECTOR_HOST = 'armcollector.lab.test'  # hostile mode: a foreign ARM nextLink's host; must receive nothing
VNET = 'labvnet'
PRIVATE_IP = '10.1.2.3'          # only ever a string in ARM JSON, never connected to
PRIVATE_DATA_IP = '10.1.2.4'
PULLONLY_REPOSITORY = 'hello-world'
STORAGE_HOST = 'labacrstore.blob.core.lab.test'   # a storage-style data host (*.blob.core.windows.net)
PUBLIC_DATA_IP = '20.61.0.1'     # only ever in DNS answers: a public address, never connected to
# A public-looking address the lab serves on (on the namespace's loopback device; nothing leaves
# it): login servers that real clients outside a virtual network reach on a public address.
PUBLIC_IP = '20.61.0.2'
PUBLIC_CLIENT_IP = '203.0.113.9'  # the client address a registry's firewall names in its 403 (never used)
# An IPv6 address on the namespace's loopback that nobody listens on (connections are refused at
# once): the dead IPv6 address of a dual-stack host, sorted before its IPv4 one (RFC 6724).
DEAD_IPV6 = '2001:db8:ac::1'
# An IPv6 address where connections get no answer at all (a listener whose queue is full drops
# every SYN, as a firewall that drops does): a dual-stack host whose IPv6 path is broken.
SILENT_IPV6 = '2001:db8:ac::2'
# A data endpoint name from ARM holding escape sequences and a forged line (hostile ARM text).
HOSTILE_TEXT = '\x1b[2J\x1b[H\n\u2713 No problem found \x1b]0;owned\x07\u202e'
# A registry's error holding CI runners' commands: GitHub's workflow commands (at a line's start,
# and its legacy form anywhere in a line) and Azure Pipelines' logging commands (anywhere).
RUNNER_COMMANDS = ('\n::error title=Forged::all good\n##vso[task.setvariable variable=FORGED]1 '
                   '##[add-mask]Failed ##vso[task.complete result=Succeeded;]done')
# --image references of the lab's image store (fake_acr.ImageStore), in every fake registry.
IMAGE = PULLONLY_REPOSITORY + ':latest'            # a Docker v2 manifest
IMAGE_INDEX = PULLONLY_REPOSITORY + ':multi'       # an OCI index (linux/arm64, linux/amd64)
IMAGE_MISSING = PULLONLY_REPOSITORY + ':missing'   # no such tag
IMAGE_BADCONFIG = PULLONLY_REPOSITORY + ':badconfig'  # its config blob does not match its digest
# ... and where the registry's word and its bytes disagree (fake_acr.ImageStore._untrusted):
IMAGE_BIGCONFIG = PULLONLY_REPOSITORY + ':bigconfig'  # its config blob is 2 MiB larger than declared
IMAGE_WRONGDIGEST = PULLONLY_REPOSITORY + ':wrongdigest'  # a Docker-Content-Digest of other bytes
IMAGE_BADPLATFORM = PULLONLY_REPOSITORY + ':badplatform'  # an index entry's platform is a string
IMAGE_NOLOCATION = PULLONLY_REPOSITORY + ':nolocation'  # its config blob: a 307 without Location
IMAGE_BADHOST = PULLONLY_REPOSITORY + ':badhost'    # its config blob: a 307 to BAD_LOCATION
BAD_LOCATION = 'https://not a host!!/x'
IMAGE_ESCAPES = PULLONLY_REPOSITORY + ':escapes'  # its manifest: 404 with an error code holding escapes


# How the built-in misses every data-endpoint fault.
LOGIN_SERVER_ONLY = 'the built-in checks the login server only, never the hosts that serve layers'


def data_host(registry):
    """The dedicated data endpoint of a lab registry (<registry>.<region>.data.<suffix>)."""
    return '{}.{}.data{}'.format(registry, LOCATION, ACR_SUFFIX)


def regional_host(registry):
    """The regional endpoint of a lab registry (<registry>.<region>.geo.<suffix>)."""
    return '{}.{}.geo{}'.format(registry, LOCATION, ACR_SUFFIX)


# Role assignments of the lab principal: every registry's default (a row's arm['roles'] overrides it).
DEFAULT_ROLES = (('AcrPush', 'resourceGroup'),)
# The lab's custom role (its definition is read through ARM: not a built-in the command knows).
CUSTOM_ROLE_ID = 'c0ffee00-0000-4000-8000-00000000ab06'

# Backends: where a registry's login server is answered.
FAKE = 'fake'                    # the lab's fake ACR data plane (fake_acr.py)
OPEN_REGISTRY = 'open-registry'  # a real docker-registry without auth (200 on /v2/)
BASIC_REGISTRY = 'basic-registry'  # a real docker-registry with htpasswd (Basic challenge)
BLACKHOLE = 'blackhole'          # accepts TCP connections, never answers
NONE = 'none'                    # no host at all


@dataclass(frozen=True)
class Scenario:
    """One row of the table."""
    name: str
    registry: str
    description: str
    code: Optional[str]                      # documented code a correct check reports (None: healthy)
    cloud: str = 'lab'
    in_arm: bool = True
    in_dns: bool = True
    backend: str = FAKE
    behaviour: str = 'healthy'               # what the fake data plane does (fake_acr.py)
    extra_args: Tuple[str, ...] = ()        # added to `az acr check-health -n REGISTRY --yes --ignore-errors`
    env: Tuple[Tuple[str, str], ...] = ()   # environment overrides ('{state}' is the lab's state dir)
    builtin_code: Optional[str] = None       # what the built-in reports when it diverges
    builtin_hangs: bool = False              # the built-in never returns (no timeout of its own)
    divergence: Optional[str] = None         # why the built-in's answer is wrong
    builtin_exit: int = 0                    # the built-in's exit code with --ignore-errors
    builtin_says: Optional[str] = None       # a line the built-in prints on stderr for this scenario
    arm: dict = field(default_factory=dict, hash=False, compare=False)  # extra ARM properties
    data: Optional[str] = None               # the data host: None (served), notindns, blackhole, untrusted, public
    address: Optional[str] = None            # the login server's hosts-file address (default: its backend's)
    warning: Optional[str] = None            # a code a correct check reports as a warning (not a failure)

    @property
    def login_server(self):
        return self.registry + ACR_SUFFIX

    @property
    def builtin_expected(self):
        """The code the built-in command actually reports (None when healthy or hanging)."""
        if self.divergence:
            return self.builtin_code
        return self.code


SCENARIOS = [
    Scenario('healthy', 'healthy', 'Everything works: Bearer challenge, exchange, token; a CMK '
             'identity that exists; the sample image pulls from the lab registry.', None,
             arm={'cmk': 'present'},
             builtin_says="Fetch access token for registry 'healthy.azurecr.lab.test' : OK"),
    Scenario('firewalled', 'firewalled', 'Network rules deny this client: /v2/ answers 403.',
             'CONNECTIVITY_FORBIDDEN_ERROR', behaviour='forbidden', arm={'firewall': True}),
    Scenario('nochallenge', 'nochallenge', 'A registry without auth (real docker-registry): '
             '/v2/ answers 200, no challenge.', 'CONNECTIVITY_CHALLENGE_ERROR', backend=OPEN_REGISTRY),
    Scenario('basiconly', 'basiconly', 'A registry with htpasswd auth (real docker-registry): '
             'only a Basic challenge, no AAD.', 'CONNECTIVITY_AAD_LOGIN_ERROR', backend=BASIC_REGISTRY),
    Scenario('exchangedenied', 'exchangedenied', '/oauth2/exchange answers 401 for a valid AAD token; the '
             'caller has no role assignment on the registry.',
             'CONNECTIVITY_REFRESH_TOKEN_ERROR', behaviour='exchange-denied', arm={'roles': ()}),
    Scenario('tokendenied', 'tokendenied', '/oauth2/token answers 401 for a valid refresh token, although '
             'the caller has a custom role that grants pull on the registry.',
             'CONNECTIVITY_ACCESS_TOKEN_ERROR', behaviour='token-denied',
             arm={'roles': (('Lab Image Puller', 'registry'),)}),
    Scenario('throttled', 'throttled', '/oauth2/exchange answers 429 Too Many Requests.',
             'CONNECTIVITY_TOOMANYREQUESTS_ERROR', behaviour='throttled'),
    Scenario('untrustedcert', 'untrustedcert', 'The login server presents a certificate from a CA the '
             'client does not trust (what a TLS-inspecting proxy looks like).', 'CONNECTIVITY_SSL_ERROR'),
    Scenario('cmkbroken', 'cmkbroken', 'Encryption with a customer-managed key whose user-assigned '
             'identity was deleted (404 in ARM); the data plane is healthy.', 'CMK_ERROR',
             arm={'cmk': 'deleted'}),
    Scenario('pullonly', 'pullonly', 'ABAC registry; the caller may only pull from the repository: '
             'the access token for repository:hello-world grants ["pull"] only.',
             'CONNECTIVITY_ACCESS_TOKEN_ERROR', behaviour='pull-only',
             extra_args=('--repository', PULLONLY_REPOSITORY),
             arm={'abac': True, 'roles': (('Container Registry Repository Reader', 'registry'),)},
             # The built-in reads the Docker token spec's lower-case `actions`; real ACR tokens say
             # `Actions` (as this lab's do), so it sees no grant at all: same code, wrong message.
             builtin_says='You have no permissions to the repository. You are lacking pull, push'),
    Scenario('fullaccess', 'healthy', 'A healthy registry checked with --repository: the real-shaped '
             'access token grants every action on the repository.', None,
             extra_args=('--repository', PULLONLY_REPOSITORY),
             builtin_code='CONNECTIVITY_ACCESS_TOKEN_ERROR',
             builtin_says='You have no permissions to the repository',
             divergence="the built-in reads the access claim's lower-case `actions` key (the Docker token "
                        "spec's); real ACR tokens carry `Type`/`Name`/`Actions`, so it reports no permissions "
                        'for every real token'),
    # The pull path: dedicated data endpoints (the built-in checks the login server only).
    Scenario('dataendpoints', 'dataendpoints', 'Dedicated data endpoints enabled and reachable; blobs '
             'redirect to the data endpoint.', None, arm={'data_endpoints': True}),
    Scenario('datanotindns', 'datanotindns', 'Data endpoints enabled, but the data host does not '
             'resolve (private DNS set up for the login server only).', 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
             arm={'data_endpoints': True}, data='notindns',
             divergence=LOGIN_SERVER_ONLY),
    Scenario('datablackholed', 'datablackholed', 'Data endpoints enabled; the data host accepts TCP and '
             'never answers (a firewall that drops).', 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
             arm={'data_endpoints': True}, data='blackhole',
             divergence=LOGIN_SERVER_ONLY),
    Scenario('datauntrusted', 'datauntrusted', 'Data endpoints enabled; the data host presents a '
             'certificate from a CA nobody trusts (a TLS-intercepting proxy).', 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
             arm={'data_endpoints': True}, data='untrusted',
             divergence=LOGIN_SERVER_ONLY),
    Scenario('datapublic', 'datapublic', 'Public network access disabled; the login server resolves to a '
             'non-public address but the data host to a public one ({}).'.format(PUBLIC_DATA_IP),
             'CONNECTIVITY_DNS_ERROR', arm={'data_endpoints': True, 'public_disabled': True},
             data='public',
             divergence=LOGIN_SERVER_ONLY),
    Scenario('datafirewall', 'datafirewall', 'Data endpoints enabled and reachable, but the data host '
             'answers a blob GET with 403 (a storage firewall): seen with --image.', None,
             arm={'data_endpoints': True}, behaviour='data-firewall'),
    # Why am I denied: role assignments read in the registry's mode, auth settings.
    Scenario('abacacrpull', 'abacacrpull', 'ABAC registry; the caller has AcrPull on the resource group, '
             'which ABAC registries do not honour: the access token for the repository grants nothing.',
             'CONNECTIVITY_ACCESS_TOKEN_ERROR', behaviour='abac-none',
             extra_args=('--repository', PULLONLY_REPOSITORY), arm={'abac': True, 'roles': (('AcrPull', 'resourceGroup'),)},
             builtin_says='You have no permissions to the repository'),
    Scenario('rolesdenied', 'rolesdenied', 'Healthy, but the caller may not read role assignments (ARM '
             'answers 403 AuthorizationFailed): a warning, never a failure.', None, arm={'roles_denied': True}),
    Scenario('acraudienceonly', 'acraudienceonly', 'Healthy; the registry accepts only ACR-audience Azure AD '
             'tokens (azureADAuthenticationAsArmPolicy disabled): the exchange refuses ARM-audience ones.',
             None, arm={'arm_audience': 'disabled', 'roles': (('AcrPull', 'registry'),)}),
    Scenario('anonymouspull', 'anonymouspull', 'Healthy, with anonymous pull enabled.', None,
             arm={'anonymous_pull': True}),
    Scenario('notinarm', 'notinarm', 'Not in ARM, but <name> + the cloud\'s ACR suffix resolves and '
             'is healthy.', None, in_arm=False),
    Scenario('notindns', 'notindns', 'Not in ARM and its suffix name does not resolve.',
             'CONNECTIVITY_DNS_ERROR', in_arm=False, in_dns=False, backend=NONE),
    Scenario('blackholed', 'blackholed', 'The login server accepts the TCP connection and never answers.',
             'CONNECTIVITY_CHALLENGE_ERROR', backend=BLACKHOLE, builtin_hangs=True,
             divergence='the built-in sends its /v2/ request without a timeout and waits forever',
             builtin_says='DNS lookup to blackholed.azurecr.lab.test at IP 127.0.0.66 : OK'),
    Scenario('privatedns', 'privatedns', 'Public access disabled; one private endpoint in vnet '
             'labvnet says 10.1.2.3, but the name resolves to the public (loopback) address, '
             'whose /v2/ answers 403.', 'CONNECTIVITY_FORBIDDEN_ERROR', behaviour='forbidden',
             extra_args=('--vnet', VNET), arm={'private_endpoint': True}, builtin_exit=1,
             builtin_says='through private IP is incorrect. Expect: 10.1.2.3, Actual: 127.0.0.10'),
    Scenario('nosuffix', 'nosuffix', 'A cloud without an ACR login-server suffix, and a registry '
             'that is not in ARM: no login server can be found.', 'LOGIN_SERVER_ERROR',
             cloud='nosuffix', in_arm=False, in_dns=False, backend=NONE,
             builtin_code=None, builtin_exit=1,
             builtin_says="The suffix 'acr_login_server_endpoint' for this cloud is not set but is used",
             divergence="the built-in's -n validator calls hasattr() on the cloud's suffixes, which raises "
                        'CloudSuffixNotSetException: it exits 1 claiming clouds.config may be corrupt and '
                        'never reports LOGIN_SERVER_ERROR'),
    Scenario('dockerdown', 'healthy', 'A healthy registry, but the docker daemon is not running '
             '(DOCKER_HOST names a socket nobody listens on).', 'DOCKER_DAEMON_ERROR',
             env=(('DOCKER_HOST', 'unix://{state}/nobody-listens.sock'),),
             builtin_code='DOCKER_COMMAND_ERROR', builtin_says='Cannot connect to the Docker daemon',
             divergence='the built-in treats any stderr from `docker ps` as a missing client'),
    # Real configurations (issue 16), each from a real recorded body: see fake_arm.registry_doc.
    Scenario('pependingpublic', 'pependingpublic', 'Public access enabled and a private endpoint whose '
             'connection is Pending (a team moving to Private Link); from here the login server resolves '
             'to a public address: healthy, on the public path.', None, address=PUBLIC_IP,
             arm={'private_endpoint_state': 'Pending'}),
    Scenario('peapprovedpublic', 'peapprovedpublic', 'Public access enabled and an Approved private '
             'endpoint; from here (outside the virtual network) the login server resolves to a public '
             'address: healthy, on the public path.', None, address=PUBLIC_IP,
             arm={'private_endpoint_state': 'Approved'}),
    Scenario('peprivateonly', 'peprivateonly', 'Public access disabled and an Approved private endpoint, '
             'but from here the login server resolves to a public address: /v2/ still challenges, '
             '/oauth2/exchange answers 403 DENIED "not allowed access" (MicrosoftDocs azure-docs#85239).',
             'CONNECTIVITY_REFRESH_TOKEN_ERROR', address=PUBLIC_IP, behaviour='exchange-network-denied',
             arm={'private_endpoint_state': 'Approved', 'public_disabled': True}),
    Scenario('regional', 'regional', 'Regional endpoints enabled: <registry>.<region>.geo.<suffix> is '
             'listed by ARM and reachable; healthy.', None, arm={'regional_endpoints': True}),
    Scenario('dualstack', 'dualstack', 'endpointProtocol IPv4AndIPv6 with a data endpoint: both hosts '
             'resolve (the lab\'s DNS server) to a dead IPv6 address first, then a working IPv4 one: '
             'healthy, with a note.', None, arm={'dual_stack': True, 'data_endpoints': True}),
    Scenario('rolesrootscope', 'rolesrootscope', 'Role assignments at the root scope "/" (AcrPush) and '
             'at a management group (Reader), as a real list holds them; healthy.', None,
             arm={'roles': (('AcrPush', 'root'), ('Reader', 'managementGroup'))}),
    Scenario('rolescondition', 'rolescondition', 'ABAC registry; Container Registry Repository Reader '
             'with the documented condition for hello-world, and Writer with one for backend/: the token '
             'for hello-world grants pull only.', 'CONNECTIVITY_ACCESS_TOKEN_ERROR', behaviour='pull-only',
             extra_args=('--repository', PULLONLY_REPOSITORY),
             arm={'abac': True, 'roles': (('Container Registry Repository Reader', 'registry', 'hello-world'),
                                          ('Container Registry Repository Writer', 'registry', 'backend/'))},
             builtin_says='You have no permissions to the repository'),
    Scenario('rolesdefunknown', 'rolesdefunknown', 'AcrPush on the resource group and a custom role whose '
             'definition ARM fails to give (500): the assignments read are kept; healthy.', None,
             arm={'roles': (('AcrPush', 'resourceGroup'), ('Lab Broken Role', 'registry'))}),
    Scenario('rolesthousands', 'rolesthousands', '5,000 role assignments apply to the registry: the '
             'message names a few and the details keep every one; healthy.', None,
             arm={'roles': (('AcrPush', 'resourceGroup'),), 'extra_assignments': 5000}),
    Scenario('clockahead', 'clockahead', "Healthy, but the registry's clock (its Date header) is an hour "
             "ahead of this machine's: a CLOCK_SKEW_ERROR warning.", None, behaviour='clock-ahead',
             warning='CLOCK_SKEW_ERROR'),
    # Hostile text from servers: escape sequences and forged lines never reach a terminal raw.
    Scenario('escdataendpoint', 'escdataendpoint', 'ARM lists a data endpoint whose name holds escape '
             'sequences and a forged "No problem found" line.', 'CONNECTIVITY_DATA_ENDPOINT_ERROR',
             arm={'data_host_names': ['escdataendpoint.westeurope.data.azurecr.lab.test' + HOSTILE_TEXT]},
             divergence=LOGIN_SERVER_ONLY),
    Scenario('escrolename', 'escrolename', 'A custom role whose name holds escape sequences and a forged '
             'line; healthy.', None, arm={'roles': (('AcrPush', 'resourceGroup'), ('Lab Hostile Role', 'registry'))}),
    Scenario('escregistryerror', 'escregistryerror', 'Network rules deny by default; /oauth2/exchange answers '
             '403 DENIED with a message holding escape sequences, a forged line and CI runners\' commands.',
             'CONNECTIVITY_REFRESH_TOKEN_ERROR', behaviour='exchange-denied-escapes', arm={'firewall': True}),
]

BY_NAME = {s.name: s for s in SCENARIOS}


@dataclass(frozen=True)
class Pull:
    """A run of `--image`: the registry, the image, the code a correct check reports on the
    image-pull check (None: pulled), the host that must have served the config blob and words
    its message must say."""
    name: str
    registry: str
    image: str
    code: Optional[str] = None
    blob_host: Optional[str] = None
    says: Tuple[str, ...] = ()


# Registries without data endpoints redirect blobs to a storage host, as real ACR does.
PULLS = [
    Pull('pulldata', 'dataendpoints', IMAGE, blob_host=data_host('dataendpoints')),
    Pull('pullindex', 'dataendpoints', IMAGE_INDEX, blob_host=data_host('dataendpoints')),
    Pull('pullstorage', 'healthy', IMAGE, blob_host=STORAGE_HOST),
    Pull('pullmissing', 'dataendpoints', IMAGE_MISSING, 'IMAGE_PULL_ERROR'),
    Pull('pullbadconfig', 'dataendpoints', IMAGE_BADCONFIG, 'IMAGE_PULL_ERROR'),
    Pull('pullfirewall', 'datafirewall', IMAGE, 'CONNECTIVITY_DATA_ENDPOINT_ERROR'),
    Pull('pullnotindns', 'datanotindns', IMAGE, 'CONNECTIVITY_DATA_ENDPOINT_ERROR'),
    # A client that believes only the bytes reports each of these (issue 16).
    Pull('pullbigconfig', 'healthy', IMAGE_BIGCONFIG, 'IMAGE_PULL_ERROR',
         says=('config blob of {} served by {} is larger than the'.format(IMAGE_BIGCONFIG, STORAGE_HOST),)),
    Pull('pullwrongdigest', 'dataendpoints', IMAGE_WRONGDIGEST, 'IMAGE_PULL_ERROR',
         says=('its Docker-Content-Digest header', 'its bytes hash to sha256:')),
    Pull('pullbadplatform', 'dataendpoints', IMAGE_BADPLATFORM, 'IMAGE_PULL_ERROR',
         says=('entry 1 of its index has a platform that is not an object',)),
    Pull('pullnolocation', 'dataendpoints', IMAGE_NOLOCATION, 'IMAGE_PULL_ERROR',
         says=('answered 307 for the config blob of {} without a Location header'.format(IMAGE_NOLOCATION),)),
    Pull('pullbadhost', 'dataendpoints', IMAGE_BADHOST, 'IMAGE_PULL_ERROR',
         says=('with a Location that names no valid host ({})'.format(BAD_LOCATION),)),
    Pull('pullescapes', 'healthy', IMAGE_ESCAPES, 'IMAGE_PULL_ERROR', says=('answered 404',)),
]


# ---------------------------------------------------------------------------------------------
# Hostile mode: one registry per way a server, a proxy or ARM can misbehave. Not part of the
# parity test (the built-in is not expected to survive these); tests/e2e/test_hostile.py runs our
# command against every row.

ARM_FAULT_AGENT = 'acrhealth-lab-arm-fault/'   # + fault: what AZURE_HTTP_USER_AGENT carries
HUGE_BODY = 50 * 1024 * 1024                  # advertised (and streamed) size of the huge 401 body
DRIP_SECONDS = 0.3                             # one byte every DRIP_SECONDS
LATE_SECONDS = 8                               # the "late" answers come after this (> any --timeout used)
ADDRESS_ZERO = '0.0.0.0'
ADDRESS_IPV6 = '::1'


@dataclass(frozen=True)
class Hostile(Scenario):
    """A hostile-mode row. ``code``/``check``: what a correct client reports, and on which check
    (``code`` None: the whole registry flow passes). ``also`` lists other codes that are acceptable
    on that check (a body the client may read or not). ``says``: words the check's message must
    contain. ``address``: the login server's hosts-file address (default: its backend's).
    ``tls``: 'wronghost', 'expired', 'selfsigned' or 'unknownissuer' certificate. ``arm_fault``: how the fake ARM's
    registry list misbehaves (chosen per run through AZURE_HTTP_USER_AGENT, see ``env``)."""
    check: Optional[str] = None
    also: Tuple[str, ...] = ()
    says: Tuple[str, ...] = ()
    tls: Optional[str] = None
    arm_fault: Optional[str] = None
    repository: Optional[str] = None


def _h(name, description, code=None, check=None, **kw):
    repository = kw.get('repository')
    if repository:
        kw['extra_args'] = ('--repository', repository)
    if kw.get('arm_fault'):
        kw['env'] = (('AZURE_HTTP_USER_AGENT', ARM_FAULT_AGENT + kw['arm_fault']),)
    kw.setdefault('behaviour', name)
    return Hostile(name, name, description, code, check=check, **kw)


_CH = 'CONNECTIVITY_CHALLENGE_ERROR'
_AAD = 'CONNECTIVITY_AAD_LOGIN_ERROR'
_SSL = 'CONNECTIVITY_SSL_ERROR'
_RT = 'CONNECTIVITY_REFRESH_TOKEN_ERROR'
_AT = 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
_429 = 'CONNECTIVITY_TOOMANYREQUESTS_ERROR'
_REPO = PULLONLY_REPOSITORY

HOSTILE = [
    # /v2/: no usable challenge (a redirect is never followed)
    _h('v2status500', '/v2/ answers 500.', _CH, 'challenge', says=('answered 500',)),
    _h('v2status503', '/v2/ answers 503 (Retry-After: 1).', _CH, 'challenge', says=('answered 503',)),
    _h('v2status404', '/v2/ answers 404.', _CH, 'challenge', says=('answered 404',)),
    _h('v2redirectloop', '/v2/ answers 302 to itself.', _CH, 'challenge', says=('answered 302',)),
    _h('v2redirectaway', '/v2/ answers 302 to https://collector.lab.test/v2/ (another lab host, '
       'which logs everything it receives).', _CH, 'challenge', says=('answered 302',)),
    _h('v2redirecthttp', '/v2/ answers 302 to http://collector.lab.test/v2/ (plain HTTP).',
       _CH, 'challenge', says=('answered 302',)),
    _h('v2noauthheader', '/v2/ answers 401 without WWW-Authenticate.', _CH, 'challenge',
       says=('answered 401',)),
    # /v2/: challenge headers in the forms RFC 7235 allows
    _h('chlowercase', 'Challenge scheme in lower case: bearer realm="...",service="...".'),
    _h('chuppercase', 'Challenge scheme and parameter names in upper case: BEARER REALM="...",'
       'SERVICE="...".'),
    _h('chwhitespace', 'Extra whitespace around "=" and ",": Bearer realm = "..." ,  service = "...".'),
    _h('chquotedcomma', 'A quoted parameter containing a comma between realm and service: '
       'Bearer realm="...",scope="registry:catalog:*,repository:a:pull",service="...".'),
    _h('chtwoinone', 'Two challenges in one header: Basic realm="x", Bearer realm="...",service="...".'),
    _h('chtwoheaders', 'The two challenges as two WWW-Authenticate headers (Basic first).'),
    _h('chreversed', 'Parameters in reverse order: Bearer service="...",realm="...".'),
    _h('chnoservice', 'A Bearer challenge without service: Bearer realm="...".', _AAD, 'challenge',
       says=('Bearer realm=',)),
    _h('chbasiconly', 'Only a Basic challenge: Basic realm="...".', _AAD, 'challenge',
       says=('Basic realm=',)),
    _h('chforeignrealm', 'A Bearer challenge whose realm is another host '
       '(https://collector.lab.test/oauth2/token): no token may go there.', _RT, 'refresh-token',
       says=(COLLECTOR_HOST, 'no token was sent')),
    _h('chhttprealm', 'A Bearer challenge whose realm is the login server over plain HTTP '
       '(http://<login server>/oauth2/token): no token may go there.', _RT, 'refresh-token',
       says=('no token was sent',)),
    # /v2/: bodies and transports (a valid challenge with a body the client needs none of: it passes)
    _h('v2hugebody', 'A valid 401 challenge with a 50 MB body (advertised and streamed).'),
    _h('v2slowbody', 'A valid 401 challenge whose body is dripped one byte every 0.3 s.'),
    _h('v2truncated', 'A valid 401 challenge, Content-Length 1000, 40 bytes sent, then close.'),
    _h('v2http10', 'A valid 401 challenge as HTTP/1.0 without Content-Length (body until close).'),
    _h('v2badchunked', 'A valid 401 challenge with Transfer-Encoding: chunked and a broken chunk.'),
    _h('v2dripheaders', 'The 401 status line and headers dripped one byte every 0.3 s.', _CH,
       'challenge', says=('within 3 s',)),
    _h('v2reset', 'The connection is reset (RST) right after the request arrives.', _CH, 'challenge'),
    _h('v2garbage', 'Not HTTP at all: an SSH banner, then close.', _CH, 'challenge'),
    _h('v2hugeheader', 'A valid 401 challenge followed by one 200 KB header line.', also=(_CH,)),
    _h('v2manyheaders', 'A valid 401 challenge among 150 other headers.', also=(_CH,)),
    # TLS (untrusted CA: the `untrustedcert` scenario)
    _h('tlswronghost', 'A lab-CA certificate for elsewhere.lab.test.', _SSL, 'challenge',
       says=('Hostname mismatch',), tls='wronghost'),
    _h('tlsexpired', 'A lab-CA certificate that expired yesterday.', _SSL, 'challenge',
       says=('expired',), tls='expired'),
    _h('tlsselfsigned', 'A self-signed certificate for the right name.', _SSL, 'challenge',
       says=('self-signed',), tls='selfsigned'),
    _h('tlsunknownissuer', 'A certificate from a CA nobody trusts, sent without its chain (`untrustedcert` '
       'sends the chain, so the client sees a self-signed CA in it).', _SSL, 'challenge',
       says=('unable to get local issuer certificate',), tls='unknownissuer'),
    # /oauth2/exchange
    _h('exchangehtml', '/oauth2/exchange answers 200 with an HTML page.', _RT, 'refresh-token',
       says=('not JSON',)),
    _h('exchangemalformed', '/oauth2/exchange answers 200 with malformed JSON.', _RT, 'refresh-token',
       says=('not JSON',)),
    _h('exchangemissing', '/oauth2/exchange answers 200 with JSON without refresh_token.', _RT,
       'refresh-token', says=('refresh_token',)),
    _h('exchangenumber', '/oauth2/exchange answers {"refresh_token": 12345}.', _RT, 'refresh-token',
       says=('refresh_token',)),
    _h('exchangeobject', '/oauth2/exchange answers {"refresh_token": {"value": ...}}.', _RT,
       'refresh-token', says=('refresh_token',)),
    _h('exchange500', '/oauth2/exchange answers 500.', _RT, 'refresh-token', says=('answered 500',)),
    _h('exchange503once', '/oauth2/exchange answers 503 with Retry-After: 1 every other request '
       '(once, then success when retried).'),
    _h('exchange429', '/oauth2/exchange answers 429 with Retry-After: 1 every time.', _429,
       'refresh-token', says=('answered 429',)),
    _h('exchangelate', '/oauth2/exchange answers after 8 s.', _RT, 'refresh-token',
       says=('no complete answer within 3 s',)),
    _h('exchangeredirect', '/oauth2/exchange answers 307 (which keeps the POST body, the AAD token) to '
       'https://collector.lab.test/oauth2/exchange.', _RT, 'refresh-token', says=('answered 307',)),
    _h('exchangehuge', '/oauth2/exchange answers 200 with a 50 MB JSON body (token first, then padding).',
       _RT, 'refresh-token'),
    _h('exchangenested', '/oauth2/exchange answers {"refresh_token": [[[[...]]]]} nested 30000 deep.',
       _RT, 'refresh-token'),
    # /oauth2/token
    _h('tokenhtml', '/oauth2/token answers 200 with an HTML page.', _AT, 'access-token',
       says=('not JSON',)),
    _h('tokenmalformed', '/oauth2/token answers 200 with malformed JSON.', _AT, 'access-token',
       says=('not JSON',)),
    _h('tokenmissing', '/oauth2/token answers 200 with JSON without access_token.', _AT,
       'access-token', says=('access_token',)),
    _h('tokennumber', '/oauth2/token answers {"access_token": 12345}.', _AT, 'access-token',
       says=('access_token',)),
    _h('tokenobject', '/oauth2/token answers {"access_token": {"value": ...}}.', _AT, 'access-token',
       says=('access_token',)),
    _h('token500', '/oauth2/token answers 500.', _AT, 'access-token', says=('answered 500',)),
    _h('token503once', '/oauth2/token answers 503 with Retry-After: 1 every other request.'),
    _h('token429', '/oauth2/token answers 429 with Retry-After: 1 every time.', _429, 'access-token',
       says=('answered 429',)),
    _h('tokenlate', '/oauth2/token answers after 8 s.', _AT, 'access-token',
       says=('no complete answer within 3 s',)),
    _h('tokenredirect', '/oauth2/token answers 308 (which keeps the POST body, the refresh token) to '
       'https://collector.lab.test/oauth2/token.', _AT, 'access-token', says=('answered 308',)),
    # access tokens, checked with --repository hello-world
    _h('claimsnotjwt', 'The access token is an opaque string, not a JWT.', _AT, 'access-token',
       says=('not a JWT',), repository=_REPO),
    _h('claimsnoaccess', 'The access token is a JWT without an "access" claim.', _AT, 'access-token',
       says=('"access"',), repository=_REPO),
    _h('claimsgarbled', 'The access token has three parts, but its payload is not base64 JSON.', _AT,
       'access-token', says=('not readable',), repository=_REPO),
    _h('claimsstring', 'access is a string ("repository:R:pull,push"), not a list of grants.', _AT,
       'access-token', says=('"access"',), repository=_REPO),
    _h('claimsstar', 'access: [{"Type": "repository", "Name": R, "Actions": ["*"]}].',
       repository=_REPO),
    _h('claimslowercase', 'access in the Docker token specification\'s lower-case keys (what other '
       'registries send): [{"type": "repository", "name": R, "actions": [every action]}].',
       repository=_REPO),
    _h('claimsspread', "R's actions spread over several entries (plus a registry:catalog:* entry and "
       'an unknown "parameters" key).', repository=_REPO),
    _h('claimsother', 'access names another repository only (with every action).', _AT,
       'access-token', says=('lacks',), repository=_REPO),
    _h('claimsempty', 'access: [] (no grants).', _AT, 'access-token', says=('lacks',),
       repository=_REPO),
    # DNS
    _h('dnszero', 'The login server resolves to 0.0.0.0.', 'CONNECTIVITY_DNS_ERROR', 'dns',
       says=('0.0.0.0',), address=ADDRESS_ZERO, behaviour='healthy'),
    _h('dnsipv6only', 'The login server resolves only to ::1 (served there, healthy).',
       address=ADDRESS_IPV6, behaviour='healthy'),
    _h('dualstacksilent', 'A dual-stack registry (IPv4AndIPv6, with a data endpoint) whose IPv6 address '
       'gets no answer at all (SYNs dropped), sorted first: a client that waits all its time there '
       'never tries IPv4. Healthy, with a note.', behaviour='healthy',
       arm={'dual_stack': 'silent', 'data_endpoints': True}),
    # ARM: the registry list fails for this run (subscription-wide), or the registry has no loginServer
    _h('armforbidden', 'ARM answers 403 AuthorizationFailed to the registry list.', check='login-server',
       says=('ARM could not be asked',), arm_fault='403', behaviour='healthy'),
    _h('armnotfound', 'ARM answers 404 to the registry list.', check='login-server',
       says=('ARM could not be asked',), arm_fault='404', behaviour='healthy'),
    _h('armerror', 'ARM answers 500 to the registry list.', check='login-server',
       says=('ARM could not be asked',), arm_fault='500', behaviour='healthy'),
    _h('armpageloop', "The registry list's nextLink names the same page forever.", check='login-server',
       says=('paging stopped',), arm_fault='loop', behaviour='healthy'),
    _h('armendless', "The registry list's nextLink never ends (a new page every time).",
       check='login-server', says=('paging stopped',), arm_fault='endless', behaviour='healthy'),
    _h('armhtml', 'ARM answers 200 with an HTML page to the registry list.', check='login-server',
       says=('ARM could not be asked',), arm_fault='html', behaviour='healthy'),
    _h('armforeignnext', "The registry list's nextLink points at https://armcollector.lab.test (another "
       'host): the ARM token must not follow it.', check='login-server', says=('ARM could not be asked',),
       arm_fault='foreignnext', behaviour='healthy'),
    _h('armlate', 'ARM answers the registry list after 8 s.', check='login-server',
       says=('ARM could not be asked',), arm_fault='late', behaviour='healthy'),
    _h('armdrip', "ARM drips its answer to the registry list one byte every 0.3 s.", check='login-server',
       says=('ARM could not be asked',), arm_fault='drip', behaviour='healthy'),
    _h('armnologin', 'The registry is in ARM, but its JSON has no loginServer.', check='login-server',
       says=('no login server',), arm={'no_login_server': True}, behaviour='healthy'),
]

HOSTILE_BY_NAME = {s.name: s for s in HOSTILE}
ALL_SCENARIOS = SCENARIOS + HOSTILE
assert len({s.name for s in ALL_SCENARIOS}) == len(ALL_SCENARIOS), 'scenario names must be unique'

# Registry name -> the row that defines how it answers (a row may reuse another's registry).
REGISTRIES = {}
for _s in ALL_SCENARIOS:
    REGISTRIES.setdefault(_s.registry, _s)

# Registries the fake ARM knows.
ARM_REGISTRIES = sorted({s.registry for s in ALL_SCENARIOS if s.in_arm})


def scenario(name):
    """The row called NAME, in SCENARIOS or HOSTILE (KeyError names the known ones)."""
    try:
        return BY_NAME.get(name) or HOSTILE_BY_NAME[name]
    except KeyError:
        raise KeyError('no lab scenario {!r}; known: {}'.format(
            name, ', '.join(list(BY_NAME) + list(HOSTILE_BY_NAME)))) from None
