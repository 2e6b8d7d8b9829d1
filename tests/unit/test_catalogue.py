# acrhealth (MIT licence). The error catalogue: codes, texts, links, findings.
import string

import pytest

from azext_acrhealth import catalogue
from azext_acrhealth.checks.environment import environment_plan

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


def test_the_cli_extras_are_there_and_not_documented():
    extras = set(catalogue.CODES) - DOCUMENTED
    assert 'CONNECTIVITY_TOOMANYREQUESTS_ERROR' in extras
    # The --repository permissions variant of CONNECTIVITY_ACCESS_TOKEN_ERROR.
    assert [c for c in extras if 'PERMISSION' in c] == ['CONNECTIVITY_PERMISSION_ERROR']
    for code in extras:
        assert catalogue.CODES[code].documented is False


@pytest.mark.parametrize('code', sorted(catalogue.CODES))
def test_every_code_is_complete(code):
    entry = catalogue.CODES[code]
    assert entry.code == code
    for text in (entry.title, entry.meaning, entry.remediation):
        assert isinstance(text, str) and text == text.strip() and text
        assert '\x1b' not in text  # no colour codes in data
    assert len(entry.meaning) > 30 and len(entry.remediation) > 30
    assert entry.severity in (catalogue.FAILED, catalogue.WARNING)
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
        # Without a code only passed/skipped, or a runner failure that takes the check's code.
        assert found.status in (catalogue.PASSED, catalogue.SKIPPED) or key.startswith('runner.failed.')
    else:
        assert found.code in catalogue.CODES
        assert found.status == catalogue.CODES[found.code].severity, \
            '{} is {} but {} is a {}'.format(key, found.status, found.code,
                                             catalogue.CODES[found.code].severity)


def test_render_keeps_missing_facts_visible_instead_of_raising():
    assert catalogue.render('docker.client.found', {}) == 'Docker client found: {path}.'


def test_unknown_finding_is_a_programming_error():
    with pytest.raises(KeyError):
        catalogue.finding('no.such.finding')


def test_every_check_code_of_the_plan_is_in_the_catalogue():
    for check in environment_plan():
        assert check.code is None or check.code in catalogue.CODES, check
