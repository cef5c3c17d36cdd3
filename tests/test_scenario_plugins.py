"""A new provider plugs into scenario files without a change to `sandbox/scenarios.py`: its
settings model becomes `providers.<name>`, its merchant model `merchants.*.<name>`, and its
operation and action tables are what faults, fixtures and steps are checked against."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

from sandbox.contract import Call, Merchant, Operation, ProviderSpec, Reply
from sandbox.machine import Lifecycle
from sandbox.scenarios import ScenarioError, load_text, scenario_model


class AcmeSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: int = 1


class AcmeMerchant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    token: str


def _pong(call: Call) -> Reply:
    return Reply(200, {"pong": True})


def _authenticate(call: Call, need: Any) -> Merchant:
    return Merchant("m", "key")


def _render_error(error: Any, call: Call) -> Reply:
    return Reply(400, {"oops": str(error)})


ACME = ProviderSpec(
    name="acme",
    title="acme",
    base_path="/acme",
    lifecycle=Lifecycle(provider="acme", initial="new", table={("new", "poke"): "poked"}),
    settings_model=AcmeSettings,
    merchant_model=AcmeMerchant,
    operations=(Operation("ping", "GET", "/ping", _pong, auth=None),),
    actions={"poke": _pong},
    authenticate=_authenticate,
    render_error=_render_error,
    describe=lambda record: {},
)


MODEL = scenario_model({"acme": ACME})


def test_its_settings_merchants_and_operations_are_part_of_the_format() -> None:
    text = (
        "providers: {acme: {level: 3}}\n"
        "merchants: {shop: {acme: {token: t}}}\n"
        "faults: [{match: {provider: acme, operation: ping}, act: {error: unavailable}}]\n"
        "steps: [{action: {provider: acme, action: poke, session: s1}}]\n"
    )
    scenario = load_text(MODEL, text, "acme.yaml")
    assert scenario.settings_for("acme").level == 3
    assert scenario.merchants_for("acme")["shop"].token == "t"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("providers: {acme: {levl: 3}}\n", "acme.yaml:1: providers.acme.levl: unknown key; did you mean 'level'?"),
        (
            "faults: [{match: {provider: acme, operation: pong}, act: {error: unavailable}}]\n",
            "acme.yaml:1: faults.0.match.operation: acme has no operation 'pong'; it has ['ping']",
        ),
        (
            "steps: [{action: {provider: acme, action: shove, session: s1}}]\n",
            "acme.yaml:1: steps.0.action.action: acme has no action 'shove'; it has ['poke']",
        ),
        ("providers: {payviox: {}}\n", "acme.yaml:1: providers.payviox: unknown key; this section takes acme"),
    ],
)
def test_its_tables_are_what_a_scenario_is_checked_against(text: str, problem: str) -> None:
    with pytest.raises(ScenarioError) as refused:
        load_text(MODEL, text, "acme.yaml")
    [found] = refused.value.problems
    assert found.startswith("acme.yaml:1: ") and found.endswith(problem.removeprefix("acme.yaml:1: ")), found
