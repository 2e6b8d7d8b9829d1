# acrhealth (MIT licence). Validation of the command's input: bad input never runs a check.
"""Validators of ``az acr check-health``. Each raises a specific azclierror with a
recommendation; the command validator runs them all (knack runs a command-level validator
instead of argument-level ones)."""

import math
import re
from collections import namedtuple

from knack.log import get_logger

from ._defaults import DEFAULT_TIMEOUT
from ._text import quoted as _shown

logger = get_logger(__name__)

MAX_TIMEOUT = 600.0

# fullmatch, not match: '$' also matches before a trailing newline ('name\n' would pass).
_REGISTRY_NAME = re.compile(r'^[A-Za-z0-9]{5,50}$')
# The hash of a domain-name-label login server (NAME-<hash>.azurecr.io).
_DNL_HASH = re.compile(r'^[A-Za-z0-9]{1,50}$')
# OCI distribution: path components of lower-case alphanumerics joined by separators.
_REPO_COMPONENT = r'[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*'
_REPOSITORY = re.compile(rf'^{_REPO_COMPONENT}(?:/{_REPO_COMPONENT})*$')
_REPOSITORY_MAX = 255
_VNET_NAME = re.compile(r'^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,62}[A-Za-z0-9_])$')


def _invalid(message, recommendation):
    from azure.cli.core.azclierror import InvalidArgumentValueError
    return InvalidArgumentValueError(message, recommendation=recommendation)


def is_registry_name(text):
    """Whether ``text`` is a registry name as such (not its login server)."""
    return isinstance(text, str) and bool(_REGISTRY_NAME.fullmatch(text))


def validate_registry_name(cmd, namespace):
    """A registry name, or its login server (``NAME.<suffix>``, or the domain-name-label form
    ``NAME-<hash>.<suffix>``) in the current cloud, as every ``az acr`` command accepts: the
    suffix is dropped with a warning and the login server kept as a hint for the checks."""
    name = namespace.registry_name
    namespace.login_server_hint = None
    if name is None or is_registry_name(name):
        return
    label, dot, rest = name.partition('.')
    registry, dash, dnl_hash = label.partition('-')
    if not dot or not _REGISTRY_NAME.fullmatch(registry) or '/' in rest or \
            (dash and not _DNL_HASH.fullmatch(dnl_hash)):
        raise _invalid(f'--name {_shown(name)} is not a valid registry name: it must be 5 to 50 '
                       'letters and digits (or the registry\'s login server).',
                       'Check the name with `az acr list --query [].name`.')
    from azext_acrhealth._azure import acr_suffix
    cloud = cmd.cli_ctx.cloud
    expected = acr_suffix(cmd.cli_ctx)
    given = f".{rest}"
    if not expected:
        raise _invalid(f'--name {_shown(name)} is a login server, and cloud {cloud.name} has no '
                       'ACR login server suffix to tell a registry name from it.',
                       f'Pass the registry name only, e.g. --name {registry}.')
    if given.lower() != expected.lower():
        raise _invalid(f'--name {_shown(name)} ends in {_shown(given)}, which is not the ACR login '
                       f'server suffix of cloud {cloud.name} ({expected}).',
                       f'Pass the registry name only, e.g. --name {registry}, or select the '
                       'registry\'s cloud with `az cloud set`.')
    logger.warning("Registry name is '%s'. The following suffix '%s' is automatically omitted.",
                   registry, name[len(registry):])
    namespace.registry_name = registry
    namespace.login_server_hint = name.lower()


def validate_repository(namespace):
    repository = namespace.repository
    if repository is None:
        return
    if len(repository) > _REPOSITORY_MAX or not _REPOSITORY.fullmatch(repository):
        raise _invalid(f'--repository {_shown(repository)} is not a valid repository name.',
                       'Use lower-case letters and digits, separated by ".", "_", "__", "-" or '
                       f'"/" (at most {_REPOSITORY_MAX} characters), e.g. --repository '
                       'samples/hello-world.')


_TAG = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$')
_DIGEST = re.compile(r'^sha256:[a-f0-9]{64}$')


class ImageReference(namedtuple('ImageReference', 'text repository reference')):
    """``--image`` parsed once, by its validator: the text as given, its repository and its
    tag or digest."""
    __slots__ = ()

    def __str__(self):
        return self.text


def parse_image(image):
    """The :class:`ImageReference` of ``REPO:TAG`` or ``REPO@sha256:...`` (the repository is
    '' when there is neither a tag nor a digest)."""
    if '@' in image:
        repository, reference = image.split('@', 1)
    else:
        repository, _, reference = image.rpartition(':')
    return ImageReference(image, repository, reference)


def validate_image(namespace):
    image = namespace.image
    if image is None:
        return
    recommendation = ('Pass a repository of the registry and a tag or digest, e.g. --image '
                      'samples/hello-world:latest or --image samples/hello-world@sha256:<64 hex '
                      'digits>.')
    parsed = parse_image(image)
    valid = (_DIGEST if '@' in image else _TAG).fullmatch(parsed.reference)
    if not valid or len(parsed.repository) > _REPOSITORY_MAX or \
            not _REPOSITORY.fullmatch(parsed.repository):
        raise _invalid(f'--image {_shown(image)} is not REPO:TAG or REPO@sha256:DIGEST of a '
                       'repository of the registry.', recommendation)
    namespace.image = parsed  # the handler and the checks read it parsed, never again


def validate_vnet(namespace):
    vnet = namespace.vnet
    if vnet is None:
        return
    recommendation = ('Pass a virtual network name, or its resource ID: '
                      '/subscriptions/<id>/resourceGroups/<group>/providers/'
                      'Microsoft.Network/virtualNetworks/<name>.')
    if _VNET_NAME.fullmatch(vnet):
        return
    if vnet.startswith('/'):
        from azure.mgmt.core.tools import is_valid_resource_id, parse_resource_id
        if is_valid_resource_id(vnet):
            parts = parse_resource_id(vnet)
            if (parts.get('namespace', '').lower() == 'microsoft.network'
                    and parts.get('type', '').lower() == 'virtualnetworks'
                    and parts.get('resource_group')
                    and _VNET_NAME.fullmatch(parts.get('name') or '')):
                if parts.get('child_type_1'):
                    raise _invalid(f"--vnet {_shown(vnet)} names a {parts['child_type_1']} of a "
                                   'virtual network, not the virtual network.', recommendation)
                return
        raise _invalid(f'--vnet {_shown(vnet)} is not a virtual network resource ID.',
                       recommendation)
    raise _invalid(f'--vnet {_shown(vnet)} is neither a virtual network name nor a resource ID.', recommendation)


def validate_timeout(namespace):
    value = namespace.timeout
    if value is None:
        namespace.timeout = DEFAULT_TIMEOUT
        return
    recommendation = f'Pass a number of seconds greater than 0 and at most {MAX_TIMEOUT:g}, e.g. --timeout 30.'
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise _invalid(f'--timeout {_shown(value)} is not a number.',
                       recommendation) from None
    if not math.isfinite(seconds) or seconds <= 0 or seconds > MAX_TIMEOUT:
        raise _invalid(f'--timeout {_shown(value)} is out of range.', recommendation)
    namespace.timeout = seconds


def validate_check_health(cmd, namespace):
    """The command validator: every parameter, then the combinations."""
    validate_registry_name(cmd, namespace)
    validate_repository(namespace)
    validate_vnet(namespace)
    validate_image(namespace)
    validate_timeout(namespace)
    from azext_acrhealth.skipping import validate_skip
    validate_skip(cmd, namespace)
    if namespace.registry_name is None:
        from azure.cli.core.azclierror import RequiredArgumentMissingError
        for option, value in (('--repository', namespace.repository),
                              ('--vnet', namespace.vnet), ('--image', namespace.image)):
            if value is not None:
                raise RequiredArgumentMissingError(
                    f'{option} needs a registry: it checks that registry.',
                    recommendation='Add --name <registry>, or set a default with '
                                   '`az configure --defaults acr=<registry>`.')
