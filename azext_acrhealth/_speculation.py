# acrhealth (MIT licence). Speculate, then confirm: DNS and the challenge before ARM answers.
"""The login server is the registry name and the cloud's ACR suffix for almost every registry,
so its DNS lookup and its ``/v2/`` challenge (no credential: an anonymous GET) start while ARM
is being asked. The DNS and challenge checks take these results when ARM confirms that login
server; when ARM names another one (a domain-name-label registry, a custom suffix), they ask
again for it. Either way a check reports the same thing: only when its work happens changes."""

import threading


class _Call:  # pylint: disable=too-few-public-methods  # a future, no more
    """``work()`` on a daemon thread; ``result()`` waits for it and returns or re-raises."""

    def __init__(self, work):
        self._done = threading.Event()
        self._value = self._error = None

        def run():
            try:
                self._value = work()
            except BaseException as ex:  # pylint: disable=broad-except  # re-raised in result()
                self._error = ex
            finally:
                self._done.set()
        threading.Thread(target=run, name='acrhealth-speculation', daemon=True).start()

    def result(self):
        self._done.wait()  # the work is bounded by its own adapter (resolve, HttpClient)
        if self._error is not None:
            raise self._error
        return self._value


class Speculation:
    """DNS and the challenge of ``host``, started now."""

    def __init__(self, host, resolve, http, timeout):
        self.host = host.lower()
        self._addresses = _Call(lambda: resolve(self.host, timeout))

        def challenge():
            # Only after the name resolved to a usable address, as the checks would do it
            # (never to 0.0.0.0, which connects to this machine).
            from azext_acrhealth._azure import address_kind
            if all(address_kind(a) == 'unusable' for a in self._addresses.result()):
                return None
            return http.request('GET', f'https://{self.host}/v2/', read_body=False)
        self._challenge = _Call(challenge)

    def resolve(self, host, timeout):
        """``resolve(host, timeout)``, from the speculation when it is about the same host."""
        if host.lower() != self.host:
            return None
        del timeout  # the speculative lookup has its own, the same --timeout
        return self._addresses.result()

    def challenge(self, host):
        """The ``/v2/`` answer for ``host`` from the speculation, or None when it is about
        another host (or its lookup failed: the DNS check then reports that)."""
        if host.lower() != self.host:
            return None
        try:
            self._addresses.result()
        except Exception:  # pylint: disable=broad-except  # the DNS check's finding, not ours
            return None
        return self._challenge.result()
