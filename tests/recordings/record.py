# acrhealth (MIT licence). Records the lab's data-plane traffic for each connectivity scenario.
"""Run inside the lab (``make record``): for every scenario whose registry answers HTTP, run
the connectivity checks with the real adapters against the lab and save

- ``<scenario>.yaml``: the vcrpy cassette of the registry's data-plane traffic (ARM and AAD
  traffic passes through unrecorded; Authorization headers are dropped, token values in
  forms and answers are redacted, an access token keeps its claims but not its signature);
- ``<scenario>.json``: what the replay needs besides HTTP (the registry's ARM facts, the
  addresses DNS gave, the tenant) and the findings the checks reached.

``tests/unit/test_cassettes.py`` replays them without the lab.
"""

import json
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOKEN_FIELDS = ('access_token', 'refresh_token')


def redact_token(value):
    """Keep a JWT's header and claims (the checks read the claims), drop its signature."""
    parts = value.split('.')
    if len(parts) == 3:
        return '{}.{}.redacted'.format(parts[0], parts[1])
    return 'redacted'


def _scrub_request(request):
    request.headers.pop('Authorization', None)
    if request.body:
        from urllib.parse import parse_qsl, urlencode
        body = request.body.decode('utf-8') if isinstance(request.body, bytes) else request.body
        pairs = [(k, 'redacted' if k in TOKEN_FIELDS else v) for k, v in parse_qsl(body)]
        request.body = urlencode(pairs).encode('utf-8')
    return request


def _scrub_response(response):
    body = response.get('body', {}).get('string')
    if body:
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            return response
        if isinstance(data, dict):
            for name in TOKEN_FIELDS:
                if isinstance(data.get(name), str):
                    data[name] = redact_token(data[name])
            response['body']['string'] = json.dumps(data).encode('utf-8')
    for name in list(response.get('headers', {})):
        if name.lower() in ('set-cookie',):
            del response['headers'][name]
    return response


def recorded_scenarios():
    from tests.lab import scenarios as S
    return [s for s in S.SCENARIOS
            if s.cloud == 'lab' and s.backend in (S.FAKE, S.OPEN_REGISTRY, S.BASIC_REGISTRY)
            and s.name not in ('untrustedcert', 'dockerdown', 'cmkbroken')  # no HTTP answer, or ARM only
            and not s.data and not s.arm.get('data_host_names')]  # a data host's fault: TCP and TLS
    # probes, no data-plane HTTP to record


def record(scenario, cli):
    import vcr
    from tests.lab import scenarios as S
    from azext_acrhealth.checks.connectivity import connectivity_plan
    from azext_acrhealth.checks.tokens import tokens_plan
    from azext_acrhealth.context import build_context
    from azext_acrhealth.runner import run_plan

    repository = None
    if '--repository' in scenario.extra_args:
        repository = scenario.extra_args[scenario.extra_args.index('--repository') + 1]
    ctx = build_context(cli, registry_name=scenario.registry, yes=True, ignore_errors=True,
                        repository=repository, timeout=10)
    # The speculation starts its /v2/ request at once, before the cassette below records: let
    # it end, then do without it, so every request is made (and recorded) inside the cassette.
    if ctx.speculation is not None:
        try:
            ctx.speculation.challenge(ctx.speculation.host)
        except Exception:  # pylint: disable=broad-except  # its outcome does not matter here
            pass
        ctx.speculation = None
    tenant = {}
    aad_token = ctx.aad_token

    def remembered_token():
        token, tenant['id'] = aad_token()
        return token, tenant['id']
    ctx.aad_token = remembered_token

    cassette = os.path.join(HERE, scenario.name + '.yaml')
    if os.path.exists(cassette):
        os.remove(cassette)
    recorder = vcr.VCR(record_mode='all', decode_compressed_response=True,
                       ignore_hosts=[S.AAD_HOST, S.ARM_HOST, S.ARM_HOST_NOSUFFIX],
                       before_record_request=_scrub_request,
                       before_record_response=_scrub_response)
    recorded_at = round(time.time(), 3)
    with recorder.use_cassette(cassette):
        outcomes = run_plan(connectivity_plan() + tokens_plan(), ctx, ignore_errors=True)
    results = {check.id: result for check, result in outcomes}
    dns = results['dns']
    sidecar = {
        'scenario': scenario.name,
        'registryName': scenario.registry,
        'repository': repository,
        'code': scenario.code,
        'registry': results['login-server'].data,
        'acrSuffix': S.ACR_SUFFIX,
        'addresses': dns.facts.get('addresses', []),
        'tenant': tenant.get('id'),
        'findings': {check.id: result.finding for check, result in outcomes},
        # The recording's time: the replay runs with this clock (a Retry-After date, the
        # registry's Date header against the local clock).
        'recordedAt': recorded_at,
    }
    with open(os.path.join(HERE, scenario.name + '.json'), 'w', encoding='utf-8') as handle:
        json.dump(sidecar, handle, indent=2, sort_keys=True)
        handle.write('\n')
    return sidecar


def main(names=()):
    """Record every data-plane scenario, or only those NAMES."""
    from azure.cli.core import get_default_cli
    cli = get_default_cli()
    chosen = [s for s in recorded_scenarios() if not names or s.name in names]
    unknown = set(names) - {s.name for s in chosen}
    if unknown:
        print('not a recorded scenario: ' + ', '.join(sorted(unknown)), file=sys.stderr)
        return 2
    for scenario in chosen:
        sidecar = record(scenario, cli)
        print('{:<16} {}'.format(scenario.name, ' '.join(
            '{}={}'.format(k, v.rsplit('.', 1)[-1]) for k, v in sidecar['findings'].items())))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
