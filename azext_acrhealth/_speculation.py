# acrhealth (MIT licence). Speculate, then confirm: DNS and the challenge before ARM answers.
"""The login server is the registry name and the cloud's ACR suffix for almost every registry,
so its DNS lookup and its ``/v2/`` challenge (no credential: an anonymous GET) start while ARM
is being asked. The DNS and challenge checks take these results when ARM confirms that login
server; when ARM names another one (a domain-name-label registry, a custom suffix), they ask
again for it. Either way a check reports the same thing: only when its work happens changes."""

from ._bounded import Overrun, Task, no_answer


class Speculation:
    """DNS and the challenge of ``host``, started now."""

    def __init__(self, host, resolve, http, timeout):
        self.host = host.lower()
        self._addresses = Task(lambda: resolve(self.host, timeout), 'acrhealth-speculation')

        def challenge():
            # Only after the name resolved to a usable address, as the checks would do it
            # (never to 0.0.0.0, which connects to this machine).
            from azext_acrhealth._azure import address_kind
            if all(address_kind(a) == 'unusable' for a in self._addresses.result_in_time()):
                return None
            return http.request('GET', f'https://{self.host}/v2/', read_body=False)
        self._challenge = Task(challenge, 'acrhealth-speculation')

    def resolve(self, host, timeout):
        """``resolve(host, timeout)``, from the speculation when it is about the same host."""
        if host.lower() != self.host:
            return None
        del timeout  # the speculative lookup has its own, the same --timeout
        from azext_acrhealth._azure import DnsError
        try:
            return self._addresses.result_in_time()
        except Overrun as ex:
            raise DnsError(no_answer(ex.seconds, ex.cut, 'answer')) from None

    def challenge(self, host):
        """The ``/v2/`` answer for ``host`` from the speculation, or None when it is about
        another host (or its lookup failed: the DNS check then reports that)."""
        if host.lower() != self.host:
            return None
        try:
            self._addresses.result_in_time()
        except Exception:  # pylint: disable=broad-except  # the DNS check's finding, not ours
            return None
        from azext_acrhealth._http import HttpError
        try:
            return self._challenge.result_in_time()
        except Overrun as ex:
            raise HttpError('timeout', str(ex)) from None
