# acrhealth (MIT licence). The error catalogue: codes, texts, links, findings.
import os
import string

import pytest

from azext_acrhealth import catalogue
from azext_acrhealth.checks.docker import docker_plan
from azext_acrhealth.checks.tools import tools_plan

# The 16 codes of the published error reference (shared/error-reference.md). Pinned on purpose:
# adding or renaming a documented code must be a deliberate change of this list.
DOCUMENTED = {
    'DOCKER_COMMAND_ERROR', 'DOCKER_DAEMON_ERROR', 'DOCKER_VERSION_ERROR', 'DOCKER_PULL_ERROR',
    'HELM_COMMAND_ERROR', 'HELM_VERSION_ERROR', 'CMK_ERROR', 'CONNECTIVITY_DNS_ERROR',
    'CONNECTIVITY_FORBIDDEN_ERROR', 'CONNECTIVITY_CHALLENGE_ERROR', 'CONNECTIVITY_AAD_LOGIN_ERROR',
    'CONNECTIVITY_REFRESH_TOKEN_ERROR', 'CONNECTIVITY_ACCESS_TOKEN_ERROR', 'CONNECTIVITY_SSL_ERROR',
    'LOGIN_SERVER_ERROR', 'NOTARY_VERSION_ERROR',
}


def test_documented_codes_are_exactly_the_16_of_the_reference():
    assert len(DOCUMENTED) == 16
    assert set(catalogue.DOCUMENTED_CODES) == DOCUMENTED


def test_the_cli_extras_and_our_own_codes_are_there_and_not_documented():
    # Every code beyond the reference's is the CLI's undocumented one or one of ours (each with
    # a README section, below): a new code of ours needs no change here.
    assert set(catalogue.CODES) - DOCUMENTED == catalogue.OUR_CODES | \
        catalogue.UNDOCUMENTED_CODES
    assert catalogue.UNDOCUMENTED_CODES == {'CONNECTIVITY_TOOMANYREQUESTS_ERROR'}
    assert not catalogue.OUR_CODES & DOCUMENTED


@pytest.mark.parametrize('code', sorted(catalogue.OUR_CODES))
def test_our_own_codes_link_to_our_readme_section(code):
    assert catalogue.CODES[code].severity in (catalogue.FAILED, catalogue.WARNING)
    assert catalogue.docs_url(code).endswith('/README.rst#' + code.lower())
    readme = open(os.path.join(os.path.dirname(__file__), '..', '..', 'README.rst')).read()
    assert '\n{}\n{}\n'.format(code, '~' * len(code)) in readme  # the section it links to


def test_the_repository_permissions_variant_of_the_access_token_code():
    variant = catalogue.entry('CONNECTIVITY_ACCESS_TOKEN_ERROR', 'repository-permissions')
    assert variant.code == 'CONNECTIVITY_ACCESS_TOKEN_ERROR'
    assert variant.severity == catalogue.FAILED
    assert variant.remediation != catalogue.CODES['CONNECTIVITY_ACCESS_TOKEN_ERROR'].remediation
    assert 'missing actions' in variant.remediation
    # A finding uses it.
    assert any(getattr(f, 'variant', None) == 'repository-permissions'
               for f in catalogue.FINDINGS.values())


def all_entries():
    entries = [(code, entry) for code, entry in sorted(catalogue.CODES.items())]
    return entries + [(entry.code, entry) for _, entry in sorted(catalogue.VARIANTS.items())]


ROLE_FACTS = {'registryMode': 'AbacRepositoryPermissions', 'needed': 'pull',
              'askFor': 'Container Registry Repository Reader', 'roleAssignments': [
                  {'role': 'AcrPull', 'level': 'resource group', 'honoured': False, 'grants': []}]}


def test_role_advice_names_the_role_the_level_and_the_mode():
    text = catalogue.remediation('CONNECTIVITY_ACCESS_TOKEN_ERROR', 'access-roles', ROLE_FACTS)
    assert text.startswith('AcrPull on the resource group: not honoured, the registry uses ABAC '
                           'repository permissions. Ask for Container Registry Repository Reader')
    none = dict(ROLE_FACTS, roleAssignments=[], registryMode='LegacyRegistryPermissions',
                askFor='AcrPull')
    assert 'No role assignment of yours applies' in catalogue.remediation(
        'CONNECTIVITY_REFRESH_TOKEN_ERROR', 'refresh-roles', none)
    granted = dict(ROLE_FACTS, roleAssignments=[{'role': 'AcrPull', 'level': 'registry',
                                                 'honoured': True, 'grants': ['pull']}])
    assert 'another cause' in catalogue.remediation(
        'CONNECTIVITY_REFRESH_TOKEN_ERROR', 'refresh-roles', granted)


@pytest.mark.parametrize('code, entry', all_entries())
def test_every_code_is_complete(code, entry):
    assert entry.code == code
    remediation = entry.remediation
    if callable(remediation):  # written from the facts (the role advice): try it on some
        remediation = remediation(ROLE_FACTS)
    assert isinstance(remediation, str) and remediation == remediation.strip()
    assert '\x1b' not in remediation  # no colour codes in data
    assert len(remediation) > 30
    assert entry.severity in (catalogue.FAILED, catalogue.WARNING)
    if code not in catalogue.OUR_CODES:
        assert catalogue.docs_url(code) == 'https://aka.ms/acr/errors#' + code.lower()


def test_severities_of_optional_clients_are_warnings():
    for code in ('DOCKER_COMMAND_ERROR', 'HELM_COMMAND_ERROR', 'HELM_VERSION_ERROR',
                 'NOTARY_VERSION_ERROR'):
        assert catalogue.CODES[code].severity == catalogue.WARNING
    for code in ('DOCKER_DAEMON_ERROR', 'DOCKER_PULL_ERROR', 'CONNECTIVITY_DNS_ERROR'):
        assert catalogue.CODES[code].severity == catalogue.FAILED


def placeholders(template):
    return [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]


@pytest.mark.parametrize('key', sorted(catalogue.FINDINGS))
def test_every_finding_is_well_formed(key):
    found = catalogue.FINDINGS[key]
    assert found.status in catalogue.STATUSES
    if callable(found.template):  # a template that builds its text from structured facts
        assert isinstance(catalogue.render(key, {}), str)
        return
    fields = placeholders(found.template)
    for field in fields:
        assert field.isidentifier(), (key, field)  # plain names: facts are a flat mapping
    facts = {field: 'VALUE-' + field for field in fields}
    text = catalogue.render(key, facts)
    assert '{' not in text and '}' not in text
    for field in fields:
        assert 'VALUE-' + field in text


@pytest.mark.parametrize('key', sorted(catalogue.FINDINGS))
def test_status_of_a_finding_agrees_with_its_codes_severity(key):
    found = catalogue.FINDINGS[key]
    if found.code is None:
        # Without a code only passed/skipped, a runner failure that takes the check's code, or
        # a warning no catalogue code fits (listed, with why, in the catalogue).
        assert (found.status in (catalogue.PASSED, catalogue.SKIPPED)
                or key.startswith('runner.failed.') or catalogue.FINDINGS[key].codeless)
    else:
        assert found.code in catalogue.CODES
        variant = getattr(found, 'variant', None)
        if variant:
            assert catalogue.VARIANTS[variant].code == found.code
        assert found.status == catalogue.entry(found.code, variant).severity, \
            '{} is {} but {} is a {}'.format(key, found.status, found.code,
                                             catalogue.CODES[found.code].severity)


def test_render_keeps_missing_facts_visible_instead_of_raising():
    assert catalogue.render('docker.client.found', {}) == 'Docker client found: {path}.'


def test_unknown_finding_is_a_programming_error():
    with pytest.raises(KeyError):
        catalogue.finding('no.such.finding')


def test_every_check_code_of_the_plan_is_in_the_catalogue():
    for check in (docker_plan() + tools_plan()):
        assert check.code is None or check.code in catalogue.CODES, check


# ---- remediations name real hosts only ---------------------------------------------------------

DATA_HOST_FALLBACK = 'Allow the host named in the message wherever'


@pytest.mark.parametrize('host', ['not a host!!', '', ' ', 'a..b', None, 5])
def test_a_remediation_never_names_an_invalid_host(host):
    text = catalogue.remediation('CONNECTIVITY_DATA_ENDPOINT_ERROR', None, {'host': host},
                                 'myreg')
    assert text.startswith(DATA_HOST_FALLBACK)  # as without a host
    assert 'not a host' not in text and 'Allow  wherever' not in text


def test_the_valid_hosts_of_a_list_are_named_and_the_others_dropped():
    facts = {'failing': [{'host': 'not a host!!'}, {'host': ''},
                         {'host': 'myreg.westeurope.data.azurecr.io'}]}
    text = catalogue.remediation('CONNECTIVITY_DATA_ENDPOINT_ERROR', None, facts, 'myreg')
    assert text.startswith('Allow myreg.westeurope.data.azurecr.io wherever')
    facts = {'failing': [{'host': 'not a host!!'}], 'host': 'storage.blob.core.windows.net'}
    assert 'Allow storage.blob.core.windows.net wherever' in catalogue.remediation(
        'CONNECTIVITY_DATA_ENDPOINT_ERROR', None, facts, 'myreg')


@pytest.mark.parametrize('login_server, shown', [
    ('myreg.azurecr.io', 'Make myreg.azurecr.io resolve'),
    ('not a host!!', 'Make <host> resolve'), ('', 'Make <host> resolve')])
def test_the_host_placeholder_takes_a_valid_login_server_only(login_server, shown):
    facts = {'mappings': [{'fqdn': 'bad name!', 'ok': False}], 'loginServer': login_server}
    text = catalogue.remediation('CONNECTIVITY_DNS_ERROR', 'private-dns', facts, 'myreg')
    assert text.startswith(shown)
    assert 'bad name!' not in text and 'not a host' not in text
