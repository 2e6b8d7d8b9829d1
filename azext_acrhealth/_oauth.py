# acrhealth (MIT licence). The registry's OAuth2 endpoints: token requests and what tokens say.
"""What the token checks and the ``--image`` pull share: a POST to ``/oauth2/exchange`` or
``/oauth2/token`` with one retry after a short Retry-After, its answer read as untrusted
(``request_token`` says what came back in one word, each caller names its own finding), and
the claims of a JWT read without verification (who an AAD token is, what an ACR access
token grants)."""

import base64
import json
from collections import namedtuple
from urllib.parse import urlsplit

from ._bounded import limit
from ._http import HttpError, header_value
from ._oci import json_object, registry_error

REPOSITORY_ACTIONS = ('pull', 'push', 'metadata_read', 'metadata_write', 'delete')
MAX_RETRY_WAIT = 5  # seconds: longer Retry-After waits are reported, not slept
# What a token request came back with: OK (``value`` is the token), UNREACHABLE, THROTTLED
# (429), DENIED (another status), MALFORMED (200 without a token); ``facts`` say more.
OK, UNREACHABLE, THROTTLED, DENIED, MALFORMED = 'ok', 'unreachable', 'throttled', 'denied', \
    'malformed'
TokenAnswer = namedtuple('TokenAnswer', 'outcome facts value', defaults=(None,))


def same_host(url, host):
    """Whether ``url`` is https on ``host`` itself (port 443)."""
    try:
        parts = urlsplit(url)
        return (parts.scheme.lower() == 'https' and (parts.hostname or '').lower() == host.lower()
                and parts.port in (None, 443))
    except ValueError:
        return False


def _json_field(body, name):
    """``(value, problem)``: a non-empty string field of a JSON object body."""
    data, problem = json_object(body)
    if problem:  # "it is not JSON" -> "the answer is not JSON"
        return None, 'the answer ' + problem.split(' ', 1)[1]
    value = data.get(name)
    if not isinstance(value, str) or not value:
        return None, f'the answer has no "{name}" string'
    return value, None


def http_date(value):
    """Seconds since the epoch of an HTTP-date (a Date or Retry-After header), or None."""
    try:
        from email.utils import parsedate_to_datetime
        when = parsedate_to_datetime(str(value).strip())
        return None if when.tzinfo is None else when.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after_seconds(headers, now):
    """Seconds a Retry-After header asks to wait (delay-seconds, or an HTTP-date against
    ``now``, seconds since the epoch), or None."""
    value = header_value(headers, 'Retry-After').strip()
    if not value:
        return None
    if value.isdigit():
        try:
            return int(value)
        except ValueError:  # "²" is a digit to isdigit(); 5000 digits exceed int()'s limit
            return None
    when = http_date(value)
    return None if when is None else max(0, int(when - now) + 1)


def _post_with_one_retry(ctx, url, form):
    """POST; on 429/503 with a short Retry-After (that also fits in one call's time), wait
    and retry once. A longer wait is the user's to decide: it is reported, not slept."""
    response = ctx.http.request('POST', url, form=form)
    if response.status in (429, 503):
        wait = retry_after_seconds(response.headers, ctx.now())
        # The wait and the retry must also fit in what is left of the check's budget.
        if wait is not None and wait <= min(MAX_RETRY_WAIT, ctx.timeout) and \
                limit(wait + ctx.timeout)[0] >= wait + ctx.timeout:
            ctx.sleep(wait)
            response = ctx.http.request('POST', url, form=form)
    return response


def request_token(ctx, url, form, field, facts):
    """POST ``form`` to ``url`` and read ``field`` (refresh_token, access_token) from the
    answer: a :data:`TokenAnswer`."""
    try:
        response = _post_with_one_retry(ctx, url, form)
    except HttpError as ex:
        return TokenAnswer(UNREACHABLE, dict(facts, error=ex.detail))
    facts['statusCode'] = response.status
    if response.status in (429, 503):
        retry_after = retry_after_seconds(response.headers, ctx.now())
        if retry_after is not None:
            facts['retryAfter'] = retry_after
    if response.status == 429:
        return TokenAnswer(THROTTLED, facts)
    if response.status != 200:
        facts.update(registry_error(response.body))
        return TokenAnswer(DENIED, facts)
    if response.truncated:
        return TokenAnswer(MALFORMED, dict(
            facts, problem=f'the answer is larger than {len(response.body) // 1024} KiB'))
    value, problem = _json_field(response.body, field)
    if problem:
        return TokenAnswer(MALFORMED, dict(facts, problem=problem))
    return TokenAnswer(OK, facts, value)


def token_claims(token):
    """The claims of a JWT, decoded without verification; raises ValueError."""
    parts = token.split('.')
    if len(parts) != 3:
        raise ValueError('it is not a JWT')
    payload = parts[1] + '=' * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload.encode('ascii')).decode('utf-8'))
    except (ValueError, UnicodeError, TypeError, RecursionError):
        raise ValueError('its claims are not readable') from None
    if not isinstance(claims, dict):
        raise ValueError('its claims are not a JSON object')
    return claims


def _claim(entry, name):
    """A key of an access entry, whatever its capitalisation: ACR writes ``Type``, ``Name``,
    ``Actions``; the Docker token specification (other registries) ``type``, ``name``,
    ``actions``."""
    return next((value for key, value in entry.items()
                 if isinstance(key, str) and key.lower() == name), None)


def granted_actions(claims, repository):
    """Actions the token's ``access`` claim grants on ``repository`` (a sorted list).

    Real ACR access tokens carry ``"access": [{"Type": "repository", "Name": ...,
    "Actions": [...]}]`` (capitalised keys, as recorded from a real registry in the Azure
    CLI's ``test_acr_check_health.yaml``); other registries follow the Docker token
    specification's lower-case keys: both are read. ``*`` grants everything. Raises
    ValueError when the claim is absent or not of that shape.
    """
    access = claims.get('access')
    if access is None:
        raise ValueError('it has no "access" claim')
    if not isinstance(access, list):
        raise ValueError('its "access" claim is not a list of grants')
    granted = set()
    for entry in access:
        if not isinstance(entry, dict):
            continue
        kind = _claim(entry, 'type')
        if not isinstance(kind, str) or kind.lower() != 'repository' or \
                _claim(entry, 'name') != repository:
            continue
        actions = _claim(entry, 'actions')
        if isinstance(actions, str):  # "pull,push" in place of a list
            actions = [action.strip() for action in actions.split(',')]
        if isinstance(actions, list):
            granted.update(action for action in actions if isinstance(action, str))
    if '*' in granted:
        granted = set(REPOSITORY_ACTIONS)
    return sorted(granted)


def access_scope(repository):
    if repository:
        return f"repository:{repository}:{','.join(REPOSITORY_ACTIONS)}"
    return 'registry:catalog:*'
