# acrhealth (MIT licence). Keeps the lab honest: the Azure CLI's own check-health against every scenario.
"""The built-in `az acr check-health` (no extension installed) is the reference client: for every
scenario it must report the scenario's documented code, except where the table names a known
divergence, which is then asserted as such. Plus the lab's own promises: the sample pull goes
through the lab's registry, a wrong secret fails `az login` with AAD's error, the request log
records the protocol without token values, and nothing listens outside the namespace."""
import json
import os
import shutil
import socket
import subprocess

import pytest

from . import builtin
from . import scenarios as S

HANG_SECONDS = 6  # how long the blackholed run is given before it is declared hung


@pytest.mark.parametrize('sc', S.SCENARIOS, ids=[s.name for s in S.SCENARIOS])
def test_builtin_reports_documented_code(lab, sc):
    argv = builtin.check_health_argv(sc)
    if sc.builtin_hangs:
        with pytest.raises(subprocess.TimeoutExpired) as hung:
            lab.run(argv, cloud=sc.cloud, env=lab.scenario_env(sc), timeout=HANG_SECONDS)
        stderr = hung.value.stderr or ''
        if isinstance(stderr, bytes):
            stderr = stderr.decode()
        # Divergence: documented code is sc.code, but the built-in never gets to report anything.
        assert sc.builtin_says in stderr, sc.divergence
        assert builtin.registry_codes(stderr) == [], sc.divergence
        assert sc.code == 'CONNECTIVITY_CHALLENGE_ERROR'
        return

    r = lab.run(argv, cloud=sc.cloud, env=lab.scenario_env(sc))
    detail = '{}\n--- stderr ---\n{}'.format(sc.divergence or sc.description, r.stderr)
    assert r.returncode == sc.builtin_exit, detail
    if sc.builtin_says:
        assert sc.builtin_says in r.stderr, detail
    expected = sc.builtin_expected
    if expected is not None and expected.startswith(builtin.ENVIRONMENT_PREFIXES):
        assert expected in builtin.environment_codes(r.stderr), detail
        assert builtin.registry_codes(r.stderr) == [], detail
    else:
        # The lab's docker works: the environment checks pass (helm is simply not installed here).
        assert [c for c in builtin.environment_codes(r.stderr) if c != 'HELM_COMMAND_ERROR'] == [], detail
        if sc.divergence is None or expected is not None:
            assert "Docker pull of '{}' : OK".format(S.SAMPLE_IMAGE) in r.stderr, detail
        assert builtin.registry_codes(r.stderr) == ([expected] if expected else []), detail
    if sc.divergence:
        # Name the divergence: the documented code is NOT what the built-in says.
        assert sc.code not in builtin.codes(r.stderr), detail


def test_every_documented_registry_code_has_a_scenario():
    covered = {s.code for s in S.SCENARIOS}
    for code in ('CONNECTIVITY_DNS_ERROR', 'CONNECTIVITY_FORBIDDEN_ERROR', 'CONNECTIVITY_CHALLENGE_ERROR',
                 'CONNECTIVITY_AAD_LOGIN_ERROR', 'CONNECTIVITY_REFRESH_TOKEN_ERROR',
                 'CONNECTIVITY_ACCESS_TOKEN_ERROR', 'CONNECTIVITY_SSL_ERROR', 'CONNECTIVITY_TOOMANYREQUESTS_ERROR',
                 'LOGIN_SERVER_ERROR', 'CMK_ERROR', 'DOCKER_DAEMON_ERROR'):
        assert code in covered, code
    for s in S.SCENARIOS:
        assert s.registry.isalnum() and s.registry.islower() and 5 <= len(s.registry) <= 50, s.registry
        assert (s.builtin_code is None or s.divergence), s.name


def test_sample_pull_goes_through_the_lab_registry(lab):
    which = lab.check(['sh', '-c', 'command -v docker']).stdout.strip()
    log = os.path.join(lab.state_dir, 'logs', 'registry-mcr.log')
    for client in (which, '/usr/bin/docker'):
        lab.run([client, 'rmi', '-f', S.SAMPLE_IMAGE])
        with open(log) as f:
            before = f.read().count('/v2/mcr/hello-world/manifests/latest')
        r = lab.run([client, 'pull', S.SAMPLE_IMAGE], timeout=60)
        assert r.returncode == 0, r.stderr
        assert 'Downloaded newer image for ' + S.SAMPLE_IMAGE in r.stdout, (client, r.stdout)
        with open(log) as f:
            assert f.read().count('/v2/mcr/hello-world/manifests/latest') > before, client
    # The second pull of the built-in's image is "up to date", still asking the lab registry.
    r = lab.run([which, 'pull', S.SAMPLE_IMAGE])
    assert 'Image is up to date for ' + S.SAMPLE_IMAGE in r.stdout


def test_wrong_secret_fails_login_with_aad_error(lab, tmp_path):
    config = tmp_path / 'azure'
    shutil.copytree(os.path.join(lab.state_dir, 'az', 'lab'), config)
    (config / 'msal_token_cache.json').unlink(missing_ok=True)
    lab.clear_requests()
    r = lab.run(lab.login_argv(secret='not-the-secret'), env={'AZURE_CONFIG_DIR': str(config)})
    assert r.returncode != 0
    assert 'AADSTS7000215: Invalid client secret provided' in r.stderr, r.stderr
    seen = [(q['host'], q['method'], q['path'], q['status']) for q in lab.requests() if 'host' in q]
    assert (S.AAD_HOST, 'POST', '/{}/oauth2/v2.0/token'.format(S.TENANT_ID), 401) in seen  # invalid_client
    assert not any(q[0] == S.ARM_HOST for q in seen), seen  # never got as far as ARM
    # The right secret still works in the same config dir.
    ok = lab.run(lab.login_argv(), env={'AZURE_CONFIG_DIR': str(config)})
    assert ok.returncode == 0, ok.stderr


def _index(seq, pred, start=0):
    for i in range(start, len(seq)):
        if pred(seq[i]):
            return i
    raise AssertionError('not found after position {}: {}'.format(start, json.dumps(seq[start:], indent=1)))


def test_request_log_records_protocol_without_tokens(lab):
    lab.clear_requests()
    r = lab.run(builtin.check_health_argv(S.BY_NAME['healthy']))
    assert r.returncode == 0, r.stderr
    log = [q for q in lab.requests() if 'host' in q]
    login = S.BY_NAME['healthy'].login_server
    resources = '/subscriptions/{}/resources'.format(S.SUBSCRIPTION_ID)
    i = _index(log, lambda q: q['host'] == S.ARM_HOST and q['path'] == resources and q['authorization'])
    pages = [q for q in log if q['path'] == resources]
    assert len(pages) >= 2 and any('$skiptoken' in q['query'] for q in pages), 'nextLink paging not followed'
    i = _index(log, lambda q: q['path'].endswith('/registries/healthy') and q['method'] == 'GET', i)
    i = _index(log, lambda q: q['host'] == login and q['path'] == '/v2/' and not q['authorization'], i)
    i = _index(log, lambda q: q['host'] == login and q['path'] == '/oauth2/exchange', i)
    assert log[i]['formFields'] == ['access_token', 'grant_type', 'service', 'tenant']
    assert log[i]['authorization'] is False
    i = _index(log, lambda q: q['host'] == login and q['path'] == '/oauth2/token', i)
    assert log[i]['formFields'] == ['grant_type', 'refresh_token', 'scope', 'service']
    _index(log, lambda q: '/userAssignedIdentities/healthy-cmk-identity' in q['path'], 0)
    with open(os.path.join(lab.state_dir, 'requests.jsonl')) as f:
        text = f.read()
    tokens = lab.issued_tokens()
    assert len(tokens) >= 3  # at least AAD (login), ACR refresh and ACR access tokens
    for t in tokens:
        assert t not in text
        if t.count('.') == 2:  # a JWT (hostile registries also issue other tokens)
            assert t.split('.')[2] not in text  # not even the signature part


def test_lab_is_hermetic(lab):
    # Nothing the lab serves is reachable from outside its network namespace.
    for ip in set(lab.info['ips'].values()):
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex((ip, 443)) != 0, ip
    # Inside, the lab's names resolve to loopback only, and unknown names do not resolve.
    r = lab.check(['getent', 'hosts', S.ARM_HOST, S.MCR_HOST])
    assert all(line.split()[0].startswith('127.') for line in r.stdout.splitlines()), r.stdout
    assert lab.run(['getent', 'hosts', 'notindns.azurecr.lab.test'], timeout=10).returncode != 0
    e = lab.env()
    for var in ('AZURE_CONFIG_DIR', 'AZURE_EXTENSION_DIR', 'REQUESTS_CA_BUNDLE', 'DOCKER_CONFIG'):
        assert e[var].startswith(lab.state_dir), var


def test_fake_arm_checks_the_token_audience(lab):
    # An ACR-audience token is refused by ARM, like the real service does.
    script = ('import json, subprocess, requests\n'
              't = json.loads(subprocess.check_output(["az", "account", "get-access-token", "--resource", '
              '"https://containerregistry.azure.net"]))["accessToken"]\n'
              'r = requests.get("https://management.lab.test/subscriptions?api-version=2022-12-01", '
              'headers={"Authorization": "Bearer " + t}, timeout=10)\n'
              'print(r.status_code, r.json()["error"]["code"])\n')
    r = lab.run([os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), '.venv', 'bin',
                              'python'), '-c', script])
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ['401', 'InvalidAuthenticationToken']


def _processes_mentioning(text):
    found = []
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            try:
                with open('/proc/{}/cmdline'.format(pid), 'rb') as f:
                    if text.encode() in f.read():
                        found.append(pid)
            except OSError:
                pass
    return found


def test_run_entry_point_streams_passes_exit_code_and_cleans_up():
    run = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'run')
    probe = ('import os, time, requests\n'
             't = time.monotonic()\n'
             'requests.get("https://management.lab.test/metadata/endpoints?api-version=2022-09-01", timeout=10)\n'
             'print("state", os.environ["ACRHEALTH_LAB_STATE"])\n'
             'print("elapsed", time.monotonic() - t)\n')
    python = os.path.join(os.path.dirname(run), '..', '..', '.venv', 'bin', 'python')
    r = subprocess.run([run, '--latency-ms', '300', '--', 'sh', '-c', '"$0" -c \'{}\' && exit 7'.format(probe), python],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert r.returncode == 7, r.stderr
    facts = dict(line.split(' ', 1) for line in r.stdout.splitlines())
    assert float(facts['elapsed']) >= 0.3  # the configured latency
    state = facts['state']
    assert not os.path.exists(state)
    assert _processes_mentioning(state) == []


def test_az_acr_login_works_through_dockerd(lab):
    # dockerd -> fake ACR: Basic auth with the refresh token, then Bearer on /v2/ (real TLS, lab CA).
    lab.clear_requests()
    r = lab.run(['az', 'acr', 'login', '-n', 'healthy'])
    assert r.returncode == 0, r.stderr
    assert 'Login Succeeded' in r.stdout + r.stderr
    log = [q for q in lab.requests() if q.get('host') == 'healthy' + S.ACR_SUFFIX]
    assert ('GET', '/oauth2/token', True, 200) in [(q['method'], q['path'], q['authorization'], q['status'])
                                                   for q in log]
    assert ('GET', '/v2/', True, 200) in [(q['method'], q['path'], q['authorization'], q['status']) for q in log]
    denied = lab.run(['az', 'acr', 'login', '-n', 'tokendenied'])
    assert denied.returncode != 0 and 'unauthorized' in denied.stderr


def test_fake_acr_exchange_checks_audience_tenant_and_service(lab):
    script = '''
import json, subprocess, requests
def token(resource):
    return json.loads(subprocess.check_output(["az", "account", "get-access-token", "--resource", resource]))["accessToken"]
acr, arm = token("https://containerregistry.azure.net"), token("https://management.lab.test/")
def post(registry="healthy", **form):
    service = registry + ".azurecr.lab.test"
    base = dict(grant_type="access_token", service=service, tenant="TENANT", access_token=acr)
    base.update(form)
    url = "https://" + service + "/oauth2/exchange"
    return requests.post(url, data=base, timeout=10).status_code
print(post(), post(access_token=arm), post(tenant="00000000-0000-0000-0000-000000000000"),
      post(service="other.azurecr.lab.test"), post(access_token=acr[:-4] + "AAAA"),
      post("acraudienceonly", access_token=arm), post("acraudienceonly"))
'''.replace('TENANT', S.TENANT_ID)
    python = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '.venv', 'bin', 'python')
    r = lab.run([python, '-c', script])
    assert r.returncode == 0, r.stderr
    # right token; ARM audience (accepted, as real ACR does by default); other tenant; other
    # service; bad signature; ARM audience where the registry's policy refuses it; ACR audience there
    assert r.stdout.split() == ['200', '200', '401', '401', '401', '401', '200']
