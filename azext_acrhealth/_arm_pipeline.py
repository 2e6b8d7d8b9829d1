# acrhealth (MIT licence). ARM's pipeline with the CLI's credential and policies, without an SDK.
"""The client the CLI's client factory builds for ``_arm``: a raw ARM pipeline. Importing the
container-registry SDK (its models, its operations) only to send raw GETs cost more than the
calls themselves."""


class ArmClient:  # pylint: disable=too-few-public-methods  # one call: a pipeline to send on
    """What the CLI's client factory builds for us: ARM's pipeline with the CLI's credential and
    policies (user agent, headers, safe logging, retries as asked), and no SDK: every call here
    is a raw GET, and importing the container-registry SDK's models cost more than the calls.
    The policies are those an autorest ARM client puts together from the same arguments."""

    def __init__(self, credential, subscription_id, base_url, **kwargs):
        from azure.core.pipeline import policies
        from azure.mgmt.core import ARMPipelineClient
        from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy, ARMHttpLoggingPolicy
        del subscription_id  # every path here is a whole resource ID
        _as_the_cli_will_say(kwargs, kwargs.pop('acrhealth_command', None))
        session = kwargs.pop('acrhealth_session', None)
        if session is not None and 'transport' not in kwargs:
            # The session whose connection _arm opened while this was built: the transport
            # azure-core would make from these arguments, on that session.
            from azure.core.pipeline.transport import RequestsTransport
            kwargs['transport'] = RequestsTransport(session=session, **kwargs)
        scopes = kwargs.pop('credential_scopes', None) or [base_url.rstrip('/') + '/.default']
        redirect = kwargs.get('redirect_policy') or policies.RedirectPolicy(**kwargs)
        chain = [policies.RequestIdPolicy(**kwargs),
                 kwargs.get('headers_policy') or policies.HeadersPolicy(**kwargs),
                 kwargs.get('user_agent_policy') or policies.UserAgentPolicy(**kwargs),
                 kwargs.get('proxy_policy') or policies.ProxyPolicy(**kwargs),
                 policies.ContentDecodePolicy(**kwargs), redirect,
                 kwargs.get('retry_policy') or policies.RetryPolicy(**kwargs),
                 kwargs.get('authentication_policy') or ARMChallengeAuthenticationPolicy(
                     credential, *scopes),
                 kwargs.get('custom_hook_policy') or policies.CustomHookPolicy(**kwargs),
                 kwargs.get('logging_policy') or policies.NetworkTraceLoggingPolicy(**kwargs),
                 policies.SensitiveHeaderCleanupPolicy(**kwargs),
                 kwargs.get('http_logging_policy') or ARMHttpLoggingPolicy(**kwargs)]
        self._client = ARMPipelineClient(base_url=base_url, policies=chain, **kwargs)

    def send_request(self, request, **kwargs):
        request.url = self._client.format_url(request.url)
        return self._client.send_request(request, **kwargs)


def _as_the_cli_will_say(kwargs, command):
    """A client made before the CLI parsed the command (``_early``) does not find the command in
    the CLI's context yet: ``command`` (``{'name', 'parameters'}``) says what the CLI will put
    there, so its requests carry the headers the CLI's would (``CommandName``,
    ``ParameterSetName``)."""
    if not command:
        return
    headers = dict(kwargs.get('headers') or {})
    headers['CommandName'] = command['name']
    if command.get('parameters'):
        headers['ParameterSetName'] = ' '.join(command['parameters'])
    kwargs['headers'] = headers
