# acrhealth (MIT licence). context.build_context: when the run's time starts.
from types import SimpleNamespace

import pytest

from azext_acrhealth import _early, context


@pytest.fixture
def adapters(monkeypatch):
    """The registry's adapters, made (early or not) at a known time; Docker found."""
    made = SimpleNamespace(verify_tls=True, acr_suffix='.azurecr.io', http=None, arm=None,
                           aad_token=None, speculation=None, started=12.5)
    monkeypatch.setattr(_early, 'taken', lambda *args, **kwargs: made)
    monkeypatch.setattr(context, 'resolve_docker', lambda ctx: '/usr/bin/docker')
    return made


def build(ask=None, yes=False):
    cli_ctx = SimpleNamespace(cloud=SimpleNamespace(name='AzureCloud'))
    return context.build_context(cli_ctx, registry_name='myregistry', yes=yes, ask=ask)


def test_the_run_counts_from_the_registry_sides_start(adapters):
    assert build(yes=True).started == adapters.started


def test_after_the_pull_question_the_run_counts_from_the_plan_not_the_answer(adapters):
    del adapters
    asked = []
    ctx = build(ask=lambda question: asked.append(question) or True)
    assert asked and ctx.pull_consent == context.PULL_ALLOWED
    assert ctx.started is None  # the handler then counts from its plan's start


def test_no_terminal_is_no_question(adapters):
    ctx = build(ask=None)
    assert ctx.pull_consent == context.PULL_NO_TERMINAL and ctx.started == adapters.started
