# acrhealth (MIT licence). The lab's DNS server: real CNAME chains through privatelink names.
import json

from tests.lab import scenarios as S
from tests.lab.lab import VENV_PYTHON

RESOLVE = ('import json, socket, sys\n'
           'infos = socket.getaddrinfo(sys.argv[1], 443, type=socket.SOCK_STREAM, '
           'flags=socket.AI_CANONNAME)\n'
           'print(json.dumps({"canonical": infos[0][3], "addresses": sorted({i[4][0] for i in infos})}))')


def resolve(lab, host):
    return json.loads(lab.check([VENV_PYTHON, '-c', RESOLVE, host]).stdout)


def test_the_login_server_resolves_through_its_privatelink_name(lab):
    answer = resolve(lab, 'datapublic' + S.ACR_SUFFIX)
    assert answer['canonical'] == 'datapublic.privatelink' + S.ACR_SUFFIX
    assert answer['addresses'] == [lab.info['ips']['azure']]


def test_the_data_endpoint_goes_on_to_a_public_address(lab):
    answer = resolve(lab, S.data_host('datapublic'))
    assert answer['canonical'] == '{}-acr-dp.lab.test'.format(S.LOCATION)
    assert answer['addresses'] == [S.PUBLIC_DATA_IP]


def test_names_the_dns_server_does_not_know_fail_at_once(lab):
    result = lab.run([VENV_PYTHON, '-c', RESOLVE, 'nosuchname.lab.test'], timeout=10)
    assert result.returncode != 0 and 'gaierror' in result.stderr
    # and the hosts file still answers the rest
    assert resolve(lab, 'healthy' + S.ACR_SUFFIX)['addresses'] == [lab.info['ips']['azure']]
