# acrhealth (MIT licence). The lab's scenario table: one registry per way a registry can be broken.
"""The single table of lab scenarios.

Each scenario names the registry to check, the cloud to check it in, the documented code a
correct `az acr check-health` reports for it, and, where the Azure CLI's built-in command is
known to report something else (or to hang), the built-in's behaviour and why it is wrong.

To add a scenario: add a `Scenario` here, then teach `fakeazure.py` how its registry answers
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
VNET = 'labvnet'
PRIVATE_IP = '10.1.2.3'          # only ever a string in ARM JSON, never connected to
PRIVATE_DATA_IP = '10.1.2.4'
PULLONLY_REPOSITORY = 'hello-world'

# Backends: where a registry's login server is answered.
FAKE = 'fake'                    # the lab's fake ACR data plane (fakeazure.py)
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
    behaviour: str = 'healthy'               # what the fake data plane does (fakeazure.py)
    extra_args: Tuple[str, ...] = ()        # added to `az acr check-health -n REGISTRY --yes --ignore-errors`
    env: Tuple[Tuple[str, str], ...] = ()   # environment overrides ('{state}' is the lab's state dir)
    builtin_code: Optional[str] = None       # what the built-in reports when it diverges
    builtin_hangs: bool = False              # the built-in never returns (no timeout of its own)
    divergence: Optional[str] = None         # why the built-in's answer is wrong
    builtin_exit: int = 0                    # the built-in's exit code with --ignore-errors
    builtin_says: Optional[str] = None       # a line the built-in prints on stderr for this scenario
    arm: dict = field(default_factory=dict, hash=False, compare=False)  # extra ARM properties

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
    Scenario('exchangedenied', 'exchangedenied', '/oauth2/exchange answers 401 for a valid AAD token.',
             'CONNECTIVITY_REFRESH_TOKEN_ERROR', behaviour='exchange-denied'),
    Scenario('tokendenied', 'tokendenied', '/oauth2/token answers 401 for a valid refresh token.',
             'CONNECTIVITY_ACCESS_TOKEN_ERROR', behaviour='token-denied'),
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
             extra_args=('--repository', PULLONLY_REPOSITORY), arm={'abac': True},
             builtin_says='You have pull permissions to the repository. You are lacking push'),
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
]

BY_NAME = {s.name: s for s in SCENARIOS}

# Registries the fake ARM knows (a scenario row may reuse another's registry, e.g. dockerdown).
ARM_REGISTRIES = sorted({s.registry for s in SCENARIOS if s.in_arm})


def scenario(name):
    """The row called NAME (KeyError names the known ones)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError('no lab scenario {!r}; known: {}'.format(name, ', '.join(BY_NAME))) from None
