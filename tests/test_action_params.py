"""Each provider's control actions declare their parameters (ProviderSpec.action_params): the
action endpoint refuses an unknown one naming the nearest, `sandbox check` checks a scenario's
action bodies against them (`FILE:LINE: field: why`, "did you mean"), and docs/actions.md is
generated from them. Also `check`'s other hints: unknown keys and YAML syntax on the right line."""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import httpx
import pytest

from sandbox import params
from sandbox.actiondocs import render
from sandbox.cli import main
from sandbox.providers.cdp.lifecycle import RESULTS
from sandbox.providers.payviox.actions import PayParams
from sandbox.providers.payviox.ledger import OUTCOMES
from sandbox.registry import PROVIDERS
from tests.support import cdp_calls, cubepay_calls, payviox_calls
from tests.support.control import Control

ROOT = Path(__file__).parent.parent


def test_every_action_declares_its_parameters_and_the_doc_matches() -> None:
    for provider in PROVIDERS.values():
        assert set(provider.action_params) == set(provider.actions), provider.name
    assert (ROOT / "docs" / "actions.md").read_text() == render(PROVIDERS), (
        "docs/actions.md is stale: python -m sandbox.actiondocs > docs/actions.md"
    )


def test_the_declared_choices_are_the_ones_the_handlers_take() -> None:
    outcome = PayParams.model_fields["outcome"].annotation
    literal = next(arg for arg in get_args(outcome) if getattr(arg, "__origin__", None) is Literal)
    assert get_args(literal) == OUTCOMES
    cdp = PROVIDERS["cdp"].action_params["settle"].model_fields["outcome"].annotation
    assert get_args(next(arg for arg in get_args(cdp) if arg is not type(None))) == RESULTS


@pytest.mark.anyio
async def test_an_unknown_parameter_is_refused_in_the_providers_envelope(
    client: httpx.AsyncClient, control: Control
) -> None:
    payviox = await payviox_calls.create(client)
    typo = await control.act("payviox", payviox, "pay", outcom="declined")
    assert typo.status_code == 400
    assert typo.json() == {"outcom": ["unknown parameter; did you mean 'outcome'?"]}
    assert (await control.session("payviox", payviox))["sandbox"]["state"] == "open"  # nothing happened
    cube = (await cubepay_calls.create(client))["paymentSessionId"]
    wrong = await control.act("cubepay", cube, "fund", amuont="1.00")
    assert wrong.status_code == 400 and "did you mean 'amount'?" in wrong.text
    cdp = (await cdp_calls.create(client))["paymentSessionId"]
    refused = await control.act("cdp", cdp, "authorize", outcome="failed", sorce={})
    assert refused.status_code == 400
    assert refused.json()["errorType"] == "invalid_request" and "did you mean 'source'?" in refused.text
    assert (await control.act("payviox", payviox, "pay", outcome="declined")).status_code == 200


@pytest.mark.anyio
async def test_a_body_of_many_unknown_parameters_names_the_first_few(
    client: httpx.AsyncClient, control: Control
) -> None:
    payviox = await payviox_calls.create(client)
    refused = await control.act("payviox", payviox, "pay", **{f"k{n:05d}": 1 for n in range(5_000)})
    assert refused.status_code == 400
    named = refused.json()
    assert list(named)[:2] == ["k00000", "k00001"] and len(named) == params.MAX_PROBLEMS + 1
    assert named["(body)"] == [f"{5_000 - params.MAX_PROBLEMS} more problems not listed"]


SCENARIO = """\
name: typos
fixtures:
  - name: paid
    provider: payviox
    create:
      operation: create_session
      headers: {Authorization: Bearer sk_test_x}
      body: {amount: 100, currency: USD, customer: c, order_id: o, items: [{name: x, quantity: 1, price: 100}]}
    then:
      - action: pay
        body: {outcom: succeeded}
steps:
  - action:
      provider: payviox
      action: pay
      session: ${paid.session_id}
      body:
        outcome: succeded
        amount_paid: "5"
        ip: ${paid.ip}
"""


def test_check_judges_action_bodies(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typos.yaml"
    path.write_text(SCENARIO)
    assert main(["check", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"{path}:11: fixtures.0.then.0.body.outcom: unknown parameter; did you mean 'outcome'?",
        f"{path}:18: steps.0.action.body.outcome: must be one of succeeded, declined, pending_review, failed,"
        " processing, incomplete; did you mean 'succeeded'?",
        f"{path}:19: steps.0.action.body.amount_paid: Input should be a valid integer",
    ]  # `ip: ${paid.ip}` is judged when it runs, not here


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("name: x\nseed 3\nclock: {}\n", 2, "not valid YAML: could not find expected ':' (a key needs `key: value`)"),
        ("name: x\nproviders:\n  payviox:\n    rate_limit: {}\n", 4, "unknown key; did you mean 'rate_limits'?"),
        ("name: x\nsteps:\n  - advance: 1\n    expekt: {}\n", 4, "unknown key; did you mean 'expect'?"),
    ],
)
def test_check_points_at_the_line_and_the_nearest_key(
    text: str, line: int, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    assert main(["check", str(path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{path}:{line}: ") and err.rstrip().endswith(message), err
