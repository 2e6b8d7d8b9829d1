# acrhealth (MIT licence). The report: the JSON contract, its summary and its views.
import json

import jmespath
import pytest
from knack.output import CommandResultItem, format_json, format_table, format_tsv

from azext_acrhealth import catalogue, report
from azext_acrhealth._validators import parse_image
from azext_acrhealth.checks.base import Check, CheckResult

TOP_KEYS = {'status', 'registry', 'environment', 'checks', 'summary'}
CHECK_KEYS = {'id', 'title', 'status', 'code', 'message', 'remediation', 'docsUrl', 'details',
              'durationMs'}
ENVIRONMENT = {'cloud': 'AzureCloud', 'cliVersion': '2.91.0', 'extensionVersion': '1.0.0b1',
               'cloudShell': False}


def _never(_ctx, _results):
    raise AssertionError('not run in report tests')


def check(check_id, title, code=None):
    return Check(check_id, title, code, _never)


def outcome(check_id, title, finding, facts=None, code=None, ms=7):
    return check(check_id, title, code), CheckResult(finding, facts or {}).timed(ms)


CLIENT = outcome('docker-client', 'Docker client', 'docker.client.found',
                 {'path': '/usr/bin/docker'}, 'DOCKER_COMMAND_ERROR', 3)
DAEMON_DOWN = outcome('docker-daemon', 'Docker daemon', 'docker.daemon.unreachable',
                      {'error': 'Cannot connect to the Docker daemon.'}, 'DOCKER_DAEMON_ERROR', 21)
PULL_SKIPPED = outcome('docker-pull', 'Docker pull', 'runner.skipped.prerequisite',
                       {'prerequisite': 'Docker daemon'}, 'DOCKER_PULL_ERROR', 0)
HELM_MISSING = outcome('helm', 'Helm', 'helm.missing', code='HELM_VERSION_ERROR', ms=1)


def test_schema_is_exactly_the_contract():
    result = report.build_report([CLIENT, DAEMON_DOWN, PULL_SKIPPED, HELM_MISSING], ENVIRONMENT)
    assert set(result) == TOP_KEYS
    assert set(result['summary']) == {'passed', 'failed', 'warnings', 'skipped'}
    assert set(result['environment']) == {'cloud', 'cliVersion', 'extensionVersion', 'cloudShell'}
    for entry in result['checks']:
        assert set(entry) == CHECK_KEYS
        assert entry['status'] in ('passed', 'failed', 'warning', 'skipped')
        assert isinstance(entry['durationMs'], int)
    json.dumps(result)  # plain data only


def test_registry_object_is_passed_through():
    registry = {'name': 'myregistry', 'loginServer': 'myregistry.azurecr.io', 'resolvedBy': 'arm'}
    result = report.build_report([CLIENT], ENVIRONMENT, registry=registry)
    assert result['registry'] == registry
    assert report.build_report([CLIENT], ENVIRONMENT)['registry'] is None


def test_passed_entry_has_no_code_remediation_or_link():
    entry = report.check_entry(*CLIENT)
    assert entry == {'id': 'docker-client', 'title': 'Docker client', 'status': 'passed',
                     'code': None, 'message': 'Docker client found: /usr/bin/docker.',
                     'remediation': None, 'docsUrl': None, 'details': {'path': '/usr/bin/docker'},
                     'durationMs': 3}


def test_failed_entry_carries_code_remediation_and_link():
    entry = report.check_entry(*DAEMON_DOWN)
    assert entry['status'] == 'failed' and entry['code'] == 'DOCKER_DAEMON_ERROR'
    assert entry['remediation'] == catalogue.CODES['DOCKER_DAEMON_ERROR'].remediation
    assert entry['docsUrl'] == 'https://aka.ms/acr/errors#docker_daemon_error'
    assert entry['message'] == ('The Docker daemon is not reachable: Cannot connect to the '
                                'Docker daemon.')


def test_warning_entry_carries_its_code():
    entry = report.check_entry(*HELM_MISSING)
    assert (entry['status'], entry['code']) == ('warning', 'HELM_COMMAND_ERROR')
    assert entry['docsUrl'] == 'https://aka.ms/acr/errors#helm_command_error'


def test_skipped_entry_has_no_code_and_says_why():
    entry = report.check_entry(*PULL_SKIPPED)
    assert (entry['status'], entry['code'], entry['docsUrl']) == ('skipped', None, None)
    assert entry['message'] == 'It needs "Docker daemon", which did not pass.'


def test_runner_failure_takes_the_checks_own_code():
    entry = report.check_entry(*outcome('docker-pull', 'Docker pull', 'runner.failed.exception',
                                        {'error': 'KeyError: x'}, 'DOCKER_PULL_ERROR'))
    assert (entry['status'], entry['code']) == ('failed', 'DOCKER_PULL_ERROR')
    assert 'KeyError: x' in entry['message']


def test_summary_and_status():
    result = report.build_report([CLIENT, DAEMON_DOWN, PULL_SKIPPED, HELM_MISSING], ENVIRONMENT)
    assert result['summary'] == {'passed': 1, 'failed': 1, 'warnings': 1, 'skipped': 1}
    assert result['status'] == 'unhealthy' and report.failed_count(result) == 1
    healthy = report.build_report([CLIENT, PULL_SKIPPED, HELM_MISSING], ENVIRONMENT)
    assert healthy['summary'] == {'passed': 1, 'failed': 0, 'warnings': 1, 'skipped': 1}
    assert healthy['status'] == 'healthy'  # warnings and skips do not make it unhealthy
    empty = report.build_report([], ENVIRONMENT)
    assert empty['status'] == 'healthy' and empty['checks'] == []


def test_plan_order_is_kept():
    outcomes = [HELM_MISSING, PULL_SKIPPED, CLIENT, DAEMON_DOWN]
    result = report.build_report(outcomes, ENVIRONMENT)
    assert [c['id'] for c in result['checks']] == ['helm', 'docker-pull', 'docker-client',
                                                   'docker-daemon']


def test_table_transformer_rows():
    result = report.build_report([CLIENT, DAEMON_DOWN], ENVIRONMENT)
    assert report.table_transformer(result) == [
        {'Check': 'Docker client', 'Status': 'passed', 'Code': '',
         'Message': 'Docker client found: /usr/bin/docker.'},
        {'Check': 'Docker daemon', 'Status': 'failed', 'Code': 'DOCKER_DAEMON_ERROR',
         'Message': 'The Docker daemon is not reachable: Cannot connect to the Docker daemon.'},
    ]
    assert list(report.table_transformer(result)[0]) == ['Check', 'Status', 'Code', 'Message']
    assert report.table_transformer(None) == []


# ---- through knack's real formatters ------------------------------------------------------

SMALL = [CLIENT, HELM_MISSING]


def test_format_json_is_the_report():
    result = report.build_report(SMALL, ENVIRONMENT)
    text = format_json(CommandResultItem(result))
    assert json.loads(text) == result
    assert text.startswith('{\n  "checks": [\n    {\n      "code": null,\n')
    assert '"docsUrl": "https://aka.ms/acr/errors#helm_command_error"' in text


def test_format_table_exact_text():
    result = report.build_report(SMALL, ENVIRONMENT)
    text = format_table(CommandResultItem(result, table_transformer=report.table_transformer))
    assert text == (
        'Check          Status    Code                Message\n'
        '-------------  --------  ------------------  -------------------------------------\n'
        'Docker client  passed                        Docker client found: /usr/bin/docker.\n'
        'Helm           warning   HELM_COMMAND_ERROR  No `helm` executable found on PATH.\n')


def test_format_tsv_of_the_report_and_of_a_query():
    result = report.build_report(SMALL, ENVIRONMENT)
    # Top level in sorted key order: checks (a list: its length), environment (object: empty),
    # registry, status, summary (object: empty).
    assert format_tsv(CommandResultItem(result)) == '2\t\tNone\thealthy\t\n'
    rows = jmespath.search('checks[].[id, status, code]', result)
    assert format_tsv(CommandResultItem(rows, is_query_active=True)) == \
        'docker-client\tpassed\tNone\nhelm\twarning\tHELM_COMMAND_ERROR\n'


def test_query_of_failed_codes():
    result = report.build_report([CLIENT, DAEMON_DOWN, PULL_SKIPPED, HELM_MISSING], ENVIRONMENT)
    codes = jmespath.search("checks[?status=='failed'].code", result)
    assert codes == ['DOCKER_DAEMON_ERROR']
    assert format_tsv(CommandResultItem(codes, is_query_active=True)) == 'DOCKER_DAEMON_ERROR\n'


# ---- remediations name what they are about ------------------------------------------------

def test_remediations_name_the_registry_the_repository_and_the_hosts():
    firewalled = outcome('challenge', 'Challenge endpoint', 'connectivity.challenge.forbidden',
                         {'loginServer': 'firewalled.azurecr.io', 'statusCode': 403},
                         'CONNECTIVITY_CHALLENGE_ERROR')
    entry = report.check_entry(*firewalled, registry='firewalled')
    assert '`az acr show --name firewalled --query networkRuleSet`' in entry['remediation']
    data = outcome('endpoints', 'Endpoints', 'endpoints.unreachable', {'failing': [
        {'host': 'r.westus.data.azurecr.io'}, {'host': 'r.eastus.data.azurecr.io'}]})
    text = report.check_entry(*data, registry='r')['remediation']
    assert text.startswith('Allow r.westus.data.azurecr.io, r.eastus.data.azurecr.io wherever')
    assert '`az acr show-endpoints --name r`' in text
    image = outcome('image-pull', 'Image pull', 'image.manifest_unknown',
                    {'image': 'team/app:1.0', 'url': 'u'})
    parsed = parse_image('team/app:1.0')  # --image, as its validator gives it
    assert '--name r --repository team/app`' in report.check_entry(*image, 'r', parsed)[
        'remediation']
    dns = outcome('dns', 'DNS lookup', 'connectivity.dns.failed',
                  {'loginServer': 'r.azurecr.io', 'error': 'no answer within 1 s'})
    assert '(`nslookup r.azurecr.io`)' in report.check_entry(*dns, 'r')['remediation']
    redirect = outcome('image-pull', 'Image pull', 'image.data_forbidden', {
        'image': 'team/app:1.0', 'loginServer': 'r.azurecr.io', 'host': 'x.blob.core.windows.net',
        'error': 'answered 403', 'redirects': [], 'statusCode': 403})
    text = report.check_entry(*redirect, 'r')['remediation']
    assert text.startswith('Allow x.blob.core.windows.net wherever'), text
    mismatch = outcome('private-endpoints', 'Private endpoint DNS', 'registry.pe.mismatch', {
        'mappings': [{'fqdn': 'r.azurecr.io', 'ok': True},
                     {'fqdn': 'r.westus.data.azurecr.io', 'ok': False, 'expected': '10.0.0.5',
                      'actual': ['20.1.2.3'], 'error': None}]})
    assert '`nslookup r.westus.data.azurecr.io`' in \
        report.check_entry(*mismatch, 'r')['remediation']
    private_only = outcome('challenge', 'Challenge endpoint', 'connectivity.challenge.forbidden',
                           {'loginServer': 'p.azurecr.io', 'statusCode': 403,
                            'publicNetworkAccess': 'Disabled'}, 'CONNECTIVITY_CHALLENGE_ERROR')
    text = report.check_entry(*private_only, registry='p')['remediation']
    assert text.startswith('Public network access to p is disabled, so network rules do not '
                           'apply') and '`nslookup p.azurecr.io`' in text
    public = outcome('endpoints', 'Endpoints', 'endpoints.public', {'failing': [
        {'host': 'p.westus.data.azurecr.io', 'addresses': ['20.1.2.3']}]})
    text = report.check_entry(*public, registry='p')['remediation']
    assert text.startswith('Make p.westus.data.azurecr.io resolve to its private endpoint '
                           'address from here, and so every host of p: ')
    # Without a registry name (environment checks) the placeholder stays a placeholder.
    assert '--name <registry>' in report.check_entry(*firewalled)['remediation']


@pytest.mark.parametrize('key', sorted(k for k, f in catalogue.FINDINGS.items() if f.code))
def test_a_finding_with_a_code_reports_that_code_with_its_severity(key):
    found = catalogue.FINDINGS[key]
    entry = report.check_entry(check('x', 'X', 'DOCKER_PULL_ERROR'), CheckResult(key, {}))
    assert entry['code'] == found.code  # the finding's own code wins over the check's
    assert entry['status'] == catalogue.CODES[found.code].severity
    assert entry['docsUrl'] == catalogue.docs_url(found.code)


@pytest.mark.parametrize('finding, facts', [('runner.failed.exception', {'error': 'OSError: x'}),
                                            ('runner.failed.timeout', {'seconds': 7})])
def test_a_runner_made_failure_of_an_optional_client_check_is_a_warning(finding, facts):
    # The catalogue: a code's severity is the status a check reporting it gets. A crash or an
    # overrun of the Helm check reports HELM_VERSION_ERROR, so it is a warning, not a failure
    # that would make the registry workflow look broken (and exit 1).
    entry = report.check_entry(check('helm', 'Helm', 'HELM_VERSION_ERROR'),
                               CheckResult(finding, facts))
    assert (entry['status'], entry['code']) == ('warning', 'HELM_VERSION_ERROR')
    failed = report.check_entry(check('docker-pull', 'Docker pull', 'DOCKER_PULL_ERROR'),
                                CheckResult(finding, facts))
    assert (failed['status'], failed['code']) == ('failed', 'DOCKER_PULL_ERROR')
    result = report.build_report([(check('helm', 'Helm', 'HELM_VERSION_ERROR'),
                                   CheckResult(finding, facts).timed(1))], ENVIRONMENT)
    assert result['summary']['failed'] == 0 and result['status'] == 'healthy'
