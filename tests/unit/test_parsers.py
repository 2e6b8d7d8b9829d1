# acrhealth (MIT licence). The parsers of docker, helm and notary output.
import pytest

from azext_acrhealth import _text
from azext_acrhealth.checks import docker, tools
from tests.unit import fakes


@pytest.mark.parametrize('output, expected', [
    ('Docker version 20.10.24+dfsg1, build 297e128\n', '20.10.24+dfsg1'),
    ('Docker version 28.2.2, build e6534b4', '28.2.2'),
    ('Docker version 28.0.0-rc.1, build abcdef0\n', '28.0.0-rc.1'),
    ('\n  Docker version 19.03.8, build afacb8b7f0\n', '19.03.8'),
    ('podman version 4.3.1', '4.3.1'),
    ('nerdctl version 1.7.6', None),
    ('', None),
    (None, None),
    ('Docker version', None),
])
def test_docker_client_version(output, expected):
    assert docker.parse_docker_client_version(output) == expected


@pytest.mark.parametrize('output, expected', [
    (fakes.DOCKER_28_JSON, '28.2.2'),
    (fakes.DOCKER_28_JSON + '\n', '28.2.2'),
    # Debian 20.10: the server's Version is present as well.
    ('{"Client":{"Version":"20.10.24+dfsg1"},"Server":{"Version":"20.10.24+dfsg1"}}',
     '20.10.24+dfsg1'),
    # Only the Engine component carries the version.
    ('{"Client":{},"Server":{"Components":[{"Name":"containerd","Version":"1.7"},'
     '{"Name":"Engine","Version":"27.1.0"}]}}', '27.1.0'),
    (fakes.DOCKER_NO_SERVER_JSON, None),
    ('{"Client":{"Version":"28.2.2"}}', None),
    ('{"Client":{},"Server":{}}', None),
    ('{"Client":{},"Server":"text"}', None),
    ('[1, 2]', None),
    ('{not json', None),
    ('Cannot connect to the Docker daemon', None),
    ('', None),
    (None, None),
    # A warning line before the JSON does not hide it.
    ('WARNING: something\n' + fakes.DOCKER_28_JSON, '28.2.2'),
])
def test_docker_server_version(output, expected):
    assert docker.parse_docker_server_version(output) == expected


@pytest.mark.parametrize('output, expected', [
    (fakes.HELM2, '2.16.1'),
    (fakes.HELM2_OLD, '2.10.0'),
    (fakes.HELM3, '3.12.0'),
    ('version.BuildInfo{Version:"v3.14.0-rc.1", GitCommit:"x", GoVersion:"go1.21.5"}',
     '3.14.0-rc.1'),
    ('v3.12.0+gc9f554d\n', '3.12.0+gc9f554d'),   # `helm version --short`
    ('Client: v2.16.1+gbbdfe5e\n', None),         # helm 2 --short with a prefix: not a version line
    ('version.BuildInfo{Version:"", GoVersion:"go1.20.3"}', None),
    ('Error: unknown flag: --client', None),
    ('', None),
    (None, None),
])
def test_helm_version(output, expected):
    assert tools.parse_helm_version(output) == expected


@pytest.mark.parametrize('version, too_old', [
    ('2.10.0', True), ('2.0.0', True), ('1.99.99', True), ('2.16.1', True), ('3.7.2', True),
    ('3.8.0', False), ('3.12.0', False), ('4.0.0', False), ('10.0.0', False),
])
def test_helm_minimum_is_3_8_0(version, too_old):
    assert (tools.version_tuple(version) < tools.HELM_MINIMUM) is too_old


@pytest.mark.parametrize('output, expected', [
    (fakes.NOTARY_050, '0.5.0'),
    (fakes.NOTARY_061, '0.6.1'),
    (fakes.NOTARY_DEBIAN, ''),
    ('notary\n Version:\n Git commit:\n', ''),
    ('notary\n Version:    0.6.1-dev\n', '0.6.1-dev'),
    ('', ''),
    (None, ''),
    ('garbage', ''),
])
def test_notary_version(output, expected):
    assert tools.parse_notary_version(output) == expected


def test_empty_notary_version_line_does_not_take_the_next_line():
    # 'Version:' followed by a newline must not swallow the 'Git commit:' value.
    assert tools.parse_notary_version('notary\n Version:\n Git commit: 0.6.1\n') == ''


@pytest.mark.parametrize('text, expected', [
    ('0.5.0', (0, 5, 0)), ('0.6', (0, 6, 0)), ('20.10.24+dfsg1', (20, 10, 24)),
    ('v3.12.0', (3, 12, 0)), ('', None), (None, None), ('abc', None),
])
def test_version_tuple(text, expected):
    assert tools.version_tuple(text) == expected


@pytest.mark.parametrize('output, expected', [
    (fakes.PLATFORM_WARNING, 'linux/arm64/v8 image on linux/amd64'),
    ('latest: Pulling from mcr/hello-world\nDigest: sha256:abc\n' + fakes.PLATFORM_WARNING + '\n',
     'linux/arm64/v8 image on linux/amd64'),
    ("WARNING: The requested image's platform (linux/arm64) does not match the detected host "
     "platform (linux/amd64/v3) and no specific platform was requested",
     'linux/arm64 image on linux/amd64/v3'),
    ('latest: Pulling from mcr/hello-world\nStatus: Image is up to date\n', None),
    ('', None),
    (None, None),
])
def test_pull_platform_note(output, expected):
    assert docker.parse_pull_platform_note(output) == expected


def test_first_line_skips_blank_lines_and_cuts():
    assert _text.first_line('\n   \n  second  \nthird') == 'second'
    assert _text.first_line('x' * 500) == 'x' * 300
    assert _text.first_line('') == ''
    assert _text.first_line(None) == ''
