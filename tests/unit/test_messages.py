# acrhealth (MIT licence). Messages read as sentences, not as Python internals.
import http.client

import requests

from azext_acrhealth import catalogue
from azext_acrhealth._text import plain_reason as _reason
from azext_acrhealth.checks.base import CheckContext, Options
from azext_acrhealth._oauth import MALFORMED, request_token
from tests.unit.connectivity_fakes import FakeHttp, response


def test_a_dropped_connection_reads_as_one():
    inner = http.client.RemoteDisconnected('Remote end closed connection without response')
    import urllib3
    # What requests raises: its ConnectionError around urllib3's ProtocolError around it.
    error = requests.exceptions.ConnectionError(
        urllib3.exceptions.ProtocolError('Connection aborted.', inner))
    assert _reason(error) == 'the server closed the connection without answering'


def test_a_reset_reads_as_one():
    error = requests.exceptions.ConnectionError(ConnectionResetError(104, 'Connection reset'))
    assert _reason(error) == 'the connection was reset'


def test_an_unknown_error_keeps_its_own_words():
    assert _reason(requests.exceptions.ConnectionError('no route to host')) == 'no route to host'


def test_a_fact_ending_its_sentence_does_not_double_the_full_stop():
    text = catalogue.render('connectivity.challenge.unreachable',
                            {'url': 'https://r/v2/', 'error': "not valid for 'r'."})
    assert text.endswith("'r'.") and '..' not in text
    text = catalogue.render('connectivity.challenge.unreachable',
                            {'url': 'https://r/v2/', 'error': 'and so on...'})
    assert text.endswith('and so on....')  # an ellipsis is kept as written


def test_a_token_answer_cut_at_the_size_limit_says_so():
    http = FakeHttp({'/oauth2/exchange': response(200, b'{"refresh_token": "' + b'x' * 70000,
                                                  truncated=True)})
    ctx = CheckContext(options=Options(registry_name='myreg', timeout=5), http=http)
    answer = request_token(ctx, 'https://myreg.azurecr.io/oauth2/exchange', {}, 'refresh_token',
                           {'url': 'https://myreg.azurecr.io/oauth2/exchange'})
    assert answer.outcome == MALFORMED
    assert 'larger than' in catalogue.render('connectivity.refresh.malformed', answer.facts)
