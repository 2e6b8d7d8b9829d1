# acrhealth (MIT licence). Results + catalogue text -> the report (the JSON contract).
"""Builds the report that ``az acr check-health`` returns, and its table view."""

from . import catalogue
from ._text import shown
from .checks.endpoints import endpoint_role

HEALTHY = 'healthy'
UNHEALTHY = 'unhealthy'
TABLE_MESSAGE = 1000  # characters of a message in a table row (the JSON report has all of it)


def check_entry(check, result, registry=None, image=None):
    """One element of the report's ``checks`` list (``registry``: the name --name gave, and
    ``image``: the parsed --image, which the remediation names)."""
    found = catalogue.finding(result.finding)
    status, code = catalogue.outcome(result.finding, check.code)
    return {
        'id': check.id,
        'title': check.title,
        'status': status,
        'code': code,
        'message': catalogue.render(result.finding, result.facts),
        'remediation': catalogue.remediation(code, found.variant, result.facts, registry, image)
        if code else None,
        'docsUrl': catalogue.docs_url(code) if code else None,
        'details': dict(result.facts),
        'durationMs': result.duration_ms,
    }


def build_report(outcomes, environment, registry=None, image=None):
    """The report for ``outcomes`` (``[(check, result)]`` in plan order). ``endpoints`` (every
    host a pull needs, from the checks that probed them) and ``identity`` (the principal the
    CLI's token represents) are there only when a check found them."""
    name = (registry or {}).get('name')
    checks = [check_entry(check, result, name, image) for check, result in outcomes]
    summary = {
        'passed': sum(1 for c in checks if c['status'] == catalogue.PASSED),
        'failed': sum(1 for c in checks if c['status'] == catalogue.FAILED),
        'warnings': sum(1 for c in checks if c['status'] == catalogue.WARNING),
        'skipped': sum(1 for c in checks if c['status'] == catalogue.SKIPPED),
    }
    built = {
        'status': UNHEALTHY if summary['failed'] else HEALTHY,
        'registry': registry,
        'environment': environment,
        'checks': checks,
        'summary': summary,
    }
    endpoints = [endpoint for _, result in outcomes
                 for endpoint in (result.facts or {}).get('endpoints') or []]
    if endpoints:
        built['endpoints'] = endpoints
    identity = next((result.facts['identity'] for _, result in outcomes
                     if isinstance((result.facts or {}).get('identity'), dict)), None)
    if identity:
        built['identity'] = identity  # who the CLI's token is (never the token itself)
    return built


def failed_count(report):
    return report['summary']['failed']


def table_transformer(result, width=None):
    """``-o table``: one row per check, as wide as the terminal (``width`` columns: see
    tablefit)."""
    rows = []
    for check in (result or {}).get('checks', []):
        rows.append({
            'Check': check['title'],
            'Status': check['status'],
            'Code': check['code'] or '',
            'Message': check['message'],
        })
    for endpoint in (result or {}).get('endpoints', []):
        # Every host a pull needs, a row each after the checks (the endpoints check's details).
        steps = ', '.join(f'{step.upper()} {endpoint[step]}' for step in ('dns', 'tcp', 'tls'))
        error = f"; {endpoint['error']}" if endpoint.get('error') else ''
        rows.append({
            'Check': 'Endpoint',
            'Status': 'failed' if endpoint.get('error') or 'failed' in (
                endpoint['dns'], endpoint['tcp'], endpoint['tls']) else 'passed',
            'Code': '',
            'Message': f"{endpoint['host']} ({endpoint_role(endpoint['role'])}; "
                       f"{', '.join(endpoint['addresses']) or 'no address'}): {steps}{error}",
        })
    # A message, a host or an error may hold any character a server sent (see _text), and in a
    # CI runner's log a command of the runner's (see pipelines.inert), on any line of a cell.
    from .pipelines import inert
    from .tablefit import fit, terminal_width
    rows = fit([{key: shown(value, TABLE_MESSAGE) for key, value in row.items()} for row in rows],
               terminal_width() if width is None else width)
    return [{key: inert(value) for key, value in row.items()} for row in rows]
