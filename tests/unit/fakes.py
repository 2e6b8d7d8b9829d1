# acrhealth (MIT licence). Fakes for unit tests: a CheckContext whose adapters are scripted.
"""A fake ``which`` and a fake ``run_process`` that answer from a script and record calls; and
:func:`in_thread`, the one way a test runs a call that could hang."""

import threading
import time

from azext_acrhealth._process import ProcessResult
from azext_acrhealth.checks.base import CheckContext, Options, PULL_ALLOWED


def in_thread(call, limit=10.0, expected=()):
    """``(value, seconds)`` of ``call()`` run on a daemon thread joined for ``limit`` s: a call
    that does not return fails the test instead of hanging it. An exception of ``expected``
    types is returned as the value; any other is raised here."""
    box = {}

    def target():
        try:
            box['value'] = call()
        except expected as ex:  # pylint: disable=catching-non-exception
            box['value'] = ex
        except Exception as ex:  # pylint: disable=broad-except
            box['error'] = ex
    started = time.monotonic()
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(limit)
    assert not thread.is_alive(), 'the call did not return within {} s'.format(limit)
    if 'error' in box:
        raise box['error']
    return box['value'], time.monotonic() - started


def ok(stdout='', stderr=''):
    return ProcessResult(0, stdout, stderr, False)


def fail(stderr='', stdout='', returncode=1):
    return ProcessResult(returncode, stdout, stderr, False)


def timed_out(stdout='', stderr=''):
    return ProcessResult(-9, stdout, stderr, True)


class FakeProcesses:
    """``run_process`` stand-in: ``answers`` maps an argv prefix (tuple, without the executable's
    directory) to a ProcessResult or an exception; every call is recorded."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []
        self.inputs = []   # what each call got on its stdin (None: nothing)

    def __call__(self, argv, timeout, env=None, input=None):  # pylint: disable=redefined-builtin
        self.calls.append((list(argv), timeout))
        self.inputs.append(input)
        key = tuple([argv[0].rsplit('/', 1)[-1]] + list(argv[1:]))
        for prefix in sorted(self.answers, key=len, reverse=True):
            if key[:len(prefix)] == tuple(prefix):
                answer = self.answers[prefix]
                if isinstance(answer, BaseException):
                    raise answer
                return answer
        raise AssertionError('unexpected child process: {}'.format(argv))


def fake_which(tools):
    """``which`` that knows ``tools`` (name -> path)."""
    return lambda name: tools.get(name)


def make_ctx(tools=None, answers=None, timeout=5.0, pull_consent=PULL_ALLOWED, cloud_shell=False,
             environ=None, cwd=None, **options):
    processes = FakeProcesses(answers)
    ctx = CheckContext(options=Options(timeout=timeout, **options), run_process=processes,
                       environ=dict(environ or {}), cwd=cwd,
                       which=fake_which(tools or {}), cli_version='2.91.0',
                       extension_version='1.0.0b1', cloud_name='AzureCloud',
                       cloud_shell=cloud_shell, pull_consent=pull_consent)
    return ctx, processes


DOCKER_28_JSON = ('{"Client":{"Version":"28.2.2","ApiVersion":"1.50","Os":"linux","Arch":"amd64"},'
                  '"Server":{"Platform":{"Name":"Docker Engine - Community"},"Components":'
                  '[{"Name":"Engine","Version":"28.2.2","Details":{"ApiVersion":"1.50"}}],'
                  '"Version":"28.2.2","ApiVersion":"1.50","Os":"linux","Arch":"amd64"}}')
DOCKER_NO_SERVER_JSON = ('{"Client":{"Version":"28.2.2","ApiVersion":"1.50","Os":"linux"},'
                         '"Server":null}')
DAEMON_DOWN = ('Cannot connect to the Docker daemon at unix:///var/run/docker.sock. '
               'Is the docker daemon running?')
SOCKET_DENIED = ('permission denied while trying to connect to the Docker daemon socket at '
                 'unix:///var/run/docker.sock: Get '
                 '"http://%2Fvar%2Frun%2Fdocker.sock/v1.50/version":'
                 ' dial unix /var/run/docker.sock: connect: permission denied')
HELM2 = ('Client: &version.Version{SemVer:"v2.16.1", '
         'GitCommit:"bbdfe5e7803a12bbdf97e94cd847859890cf4050", GitTreeState:"clean"}\n')
HELM2_OLD = ('Client: &version.Version{SemVer:"v2.10.0", '
             'GitCommit:"9ad53aac42165a5fadc6c87be0dea6b115f93090", GitTreeState:"clean"}\n')
HELM3 = ('version.BuildInfo{Version:"v3.12.0", '
         'GitCommit:"c9f554d75773799f72ceef38c51210f1842a1dea", '
         'GitTreeState:"clean", GoVersion:"go1.20.3"}\n')
HELM38 = ('version.BuildInfo{Version:"v3.8.0", '
          'GitCommit:"d14138609b01886f544b2025f5000351c9eb092e", '
          'GitTreeState:"clean", GoVersion:"go1.17.5"}\n')
HELM37 = ('version.BuildInfo{Version:"v3.7.2", '
          'GitCommit:"663a896f4a815053445eec4153677ddc24a0a361", '
          'GitTreeState:"clean", GoVersion:"go1.16.10"}\n')
NOTARY_050 = 'notary\n Version:    0.5.0\n Git commit: 0a48fd5\n'
NOTARY_061 = 'notary\n Version:    0.6.1\n Git commit: d6e1431f\n Go version: go1.12.17\n'
NOTARY_DEBIAN = 'notary\n Version:    \n Git commit: \n Go version: go1.19.8\n'
PLATFORM_WARNING = ("WARNING: The requested image's platform (linux/arm64/v8) does not match the "
                    "detected host platform (linux/amd64) and no specific platform was requested")
