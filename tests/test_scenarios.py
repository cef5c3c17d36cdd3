"""Scenario files: line-numbered errors, `sandbox check`, and PUT/GET /_sandbox/scenario."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from sandbox.cli import main
from sandbox.registry import ScenarioModel
from sandbox.scenarios import ScenarioError, load_text
from tests.support.control import Control
from tests.support.payviox_calls import SECRET, order

pytestmark = pytest.mark.anyio

GOOD = """\
name: good
seed: 11
clock: {start: "2026-03-01T00:00:00Z", manual: true}
fixtures:
  - name: paid
    provider: payviox
    create:
      operation: create_session
      headers: {Authorization: Bearer sk_test_acme}
      body: {amount: 1000, currency: USD, customer: c1, order_id: fixture-1,
             items: [{name: Plan, quantity: 1, price: 1000}]}
    then:
      - action: pay
        body: {outcome: succeeded}
faults:
  - name: no-balance
    match: {provider: payviox, operation: get_balance}
    act: {error: unavailable}
"""


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        load_text(ScenarioModel, text, "s.yaml")
    return caught.value.problems


def test_a_typo_in_a_key_names_file_line_and_field() -> None:
    text = "name: x\nclock:\n  manual: true\n  strat: 2026-01-01T00:00:00Z\n"
    assert problems(text) == ["s.yaml:4: clock.strat: unknown key; did you mean 'start'?"]


def test_a_wrong_type_deep_in_a_provider_section_is_line_numbered() -> None:
    text = "providers:\n  payviox:\n    rate_limits:\n      per_ip: lots\n"
    [problem] = problems(text)
    assert problem.startswith("s.yaml:4: providers.payviox.rate_limits.per_ip: ")


def test_an_unknown_operation_lists_the_real_ones() -> None:
    text = "faults:\n  - match: {provider: payviox, operation: create_sesion}\n    act: {error: unavailable}\n"
    [problem] = problems(text)
    assert problem.startswith("s.yaml:2: faults.0.match.operation: payviox has no operation 'create_sesion'")
    assert "'create_session'" in problem


def test_an_unknown_provider_and_error_code_are_errors() -> None:
    assert problems("faults:\n  - match: {provider: stripe}\n    act: {error: unavailable}\n") == [
        f"s.yaml:2: faults.0.match.provider: no provider 'stripe'; there are {sorted(ScenarioModel.catalogue)}"
    ]
    [problem] = problems("faults:\n  - act: {error: on_fire}\n")
    assert problem.startswith("s.yaml:2: faults.0.act: unknown error code 'on_fire'")


def test_a_step_using_an_undefined_variable_is_an_error() -> None:
    text = (
        "steps:\n"
        "  - name: made\n"
        "    call: {provider: payviox, operation: get_balance, headers: {Authorization: Bearer sk_test_a}}\n"
        "  - call:\n"
        "      provider: payviox\n"
        "      operation: get_payment_details\n"
        "      params: {session_id: '${mdae.session_id}'}\n"
    )
    assert problems(text) == [
        "s.yaml:7: steps.1.call.params.session_id: undefined variable ${mdae} (defined before this point: made)"
    ]


def test_a_variable_defined_by_a_later_step_is_not_yet_defined() -> None:
    text = (
        "steps:\n"
        "  - call: {method: GET, path: '/payviox/payment/${later.session_id}'}\n"
        "  - name: later\n"
        "    advance: 1\n"
    )
    [problem] = problems(text)
    assert problem.startswith("s.yaml:2: steps.0.call.path: undefined variable ${later}")


def test_broken_yaml_names_its_line() -> None:
    [problem] = problems("name: x\nclock: {manual: true\nseed: 1\n")
    assert problem.startswith("s.yaml:3: not valid YAML")


def test_check_accepts_good_files_and_rejects_bad_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text(GOOD)
    bad.write_text(GOOD.replace("operation: get_balance", "operation: get_balanse"))
    assert main(["check", str(good)]) == 0
    assert main(["check", str(good), str(bad)]) == 1
    assert f"{bad}:17: faults.0.match.operation: payviox has no operation 'get_balanse'" in capsys.readouterr().err


def test_check_builds_fixtures_and_reports_one_that_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("outcome: succeeded", "outcome: succeeded, amount_paid: 10"))
    assert main(["check", str(broken)]) == 1
    err = capsys.readouterr().err
    assert f"{broken}:13: fixtures.0.then.0.action: action.pay answered 400" in err


async def test_put_loads_a_scenario_and_resets(client: httpx.AsyncClient, control: Control) -> None:
    before = await client.post("/payviox/session", json=order(), headers=SECRET)
    assert before.status_code == 201
    await control.load_scenario(GOOD)
    shown = await control.scenario()
    assert shown["scenario"]["name"] == "good"
    assert shown["seed"] == 11
    assert (await control.clock())["now"] == "2026-03-01T00:00:00.000Z"
    sessions = await control.sessions("payviox")
    assert [session["status"] for session in sessions] == ["succeeded"]  # the fixture; the old session is gone
    assert shown["fixtures"]["paid"]["session_id"] == sessions[0]["session_id"]
    assert (await client.get("/payviox/balance", headers=SECRET)).status_code == 503  # its fault is armed


async def test_put_accepts_json(client: httpx.AsyncClient, control: Control) -> None:
    scenario = {"name": "as-json", "seed": 5, "providers": {"payviox": {"balance": 777}}}
    await control.load_scenario(scenario)  # sent as JSON text, with Content-Type: application/json
    assert (await client.get("/payviox/balance", headers=SECRET)).json()["balance"] == 777


async def test_a_bad_put_is_400_with_line_numbers_and_the_old_scenario_stays(
    client: httpx.AsyncClient, control: Control
) -> None:
    await control.load_scenario(GOOD)
    session = (await client.post("/payviox/session", json=order(), headers=SECRET)).json()["session_id"]
    bad = GOOD.replace("  - name: no-balance\n", "  - name: no-balance\n    phaze: after_commit\n")
    response = await control.raw.load_scenario(bad, source="demo.yaml")
    assert response.status_code == 400
    assert response.json()["problems"] == ["demo.yaml:17: faults.0.phaze: unknown key; did you mean 'phase'?"]
    assert (await control.scenario())["scenario"]["name"] == "good"
    assert (await client.get(f"/payviox/payment/{session}", headers=SECRET)).status_code == 200  # state kept


async def test_a_put_whose_fixture_fails_is_400_and_changes_nothing(control: Control) -> None:
    bad = GOOD.replace("outcome: succeeded", "outcome: succeeded, amount_paid: 10")
    response = await control.raw.load_scenario(bad)
    assert response.status_code == 400
    [problem] = response.json()["problems"]
    assert problem.startswith("<PUT /_sandbox/scenario>:13: fixtures.0.then.0.action: action.pay answered 400")
    assert (await control.scenario())["scenario"]["name"] == "unnamed"


async def test_put_without_a_seed_keeps_the_running_seed(control: Control) -> None:
    seed = (await control.scenario())["seed"]
    await control.load_scenario("name: seedless\n")
    assert (await control.scenario())["seed"] == seed


async def test_reset_rebuilds_fixtures_and_fault_counters(client: httpx.AsyncClient, control: Control) -> None:
    await control.load_scenario(GOOD)
    await client.get("/payviox/balance", headers=SECRET)
    assert (await control.scenario())["faults"][0]["fired"] == 1
    fixture = (await control.scenario())["fixtures"]["paid"]
    await control.reset()
    shown = await control.scenario()
    assert shown["faults"][0]["fired"] == 0
    assert shown["fixtures"]["paid"] == fixture  # same seed, same fixture ids


def test_serve_refuses_a_scenario_whose_fixture_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(GOOD.replace("outcome: succeeded", "outcome: succeeded, amount_paid: 10"))
    assert main(["serve", "--scenario", str(broken)]) == 2
    assert f"{broken}:13: fixtures.0.then.0.action" in capsys.readouterr().err


async def test_a_put_that_is_not_utf8_is_400(control: Control) -> None:
    response = await control.raw.load_scenario(b"name: \xff\xfe")
    assert response.status_code == 400
    assert response.json()["problems"] == ["<PUT /_sandbox/scenario>:1: the scenario must be UTF-8 text"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a:\n" + "".join(f"{'  ' * n}k:\n" for n in range(1, 2000)), "the scenario is nested too deeply"),
        ("seed: " + "9" * 5000 + "\n", "scenario.yaml:1: "),
        ("steps: [" * 600 + "]" * 600 + "\n", "the scenario is nested too deeply"),
    ],
)
def test_what_the_yaml_parser_raises_beyond_its_errors_is_a_scenario_error(text: str, problem: str) -> None:
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default; a library imported earlier (cdp-sdk's py_ecc) may raise it
    try:
        with pytest.raises(ScenarioError) as refused:
            load_text(ScenarioModel, text, "scenario.yaml")
    finally:
        sys.setrecursionlimit(limit)
    assert problem in refused.value.problems[0]
