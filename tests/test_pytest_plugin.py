"""The pytest plugin, tested the way its users run it: pytester runs small test files."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.control import SyncControl

MODES = ["--sandbox-mode=live", "--sandbox-mode=inprocess"]

PAY_FLOW = """
def test_pay(sandbox):
    keys = sandbox.credentials("payviox")
    secret = {"Authorization": "Bearer " + keys["secret_key"]}
    body = {"amount": 500, "currency": "USD", "customer": "c", "order_id": "same-order-everywhere",
            "items": [{"name": "x", "quantity": 1, "price": 500}]}
    created = sandbox.http.post(sandbox.url("payviox") + "/session", json=body, headers=secret)
    assert created.status_code == 201, created.text
    session_id = created.json()["session_id"]
    assert sandbox.act("payviox", session_id, "pay", outcome="succeeded").status_code == 200
    details = sandbox.http.get(sandbox.url("payviox") + "/payment/" + session_id, headers=secret).json()
    assert details["status"] == "succeeded"
    assert sandbox.session("payviox", session_id)["sandbox"]["merchant"] == sandbox.tenant
"""


@pytest.mark.parametrize("mode", MODES)
def test_fixture_gives_urls_credentials_and_actions(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(PAY_FLOW)
    pytester.runpytest(mode).assert_outcomes(passed=1)


@pytest.mark.parametrize("mode", MODES)
def test_each_test_gets_a_reset_sandbox_and_its_own_tenant(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(
        PAY_FLOW.replace("def test_pay", "def test_one")
        + PAY_FLOW.replace("def test_pay", "def test_two")
        + """
def test_reset_between_tests(sandbox):
    assert sandbox.http.get("/_sandbox/payviox/sessions").json() == {"sessions": []}
"""
    )
    pytester.runpytest(mode, "-p", "no:randomly").assert_outcomes(passed=3)


@pytest.mark.parametrize("mode", MODES)
def test_marker_loads_a_scenario_and_a_seed(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile('''
import pytest

LIMITS = """
name: tight
providers:
  payviox:
    rate_limits: {per_customer: 1}
"""

def create(sandbox, order_id):
    keys = sandbox.credentials("payviox")
    body = {"amount": 500, "currency": "USD", "customer": "c", "order_id": order_id,
            "items": [{"name": "x", "quantity": 1, "price": 500}]}
    return sandbox.http.post(sandbox.url("payviox") + "/session", json=body,
                             headers={"Authorization": "Bearer " + keys["secret_key"]})

@pytest.mark.sandbox(scenario=LIMITS)
def test_scenario(sandbox):
    assert create(sandbox, "a").status_code == 201
    assert create(sandbox, "b").json()["type"] == "customer"

@pytest.mark.sandbox(seed=99)
def test_seed(sandbox):
    first = create(sandbox, "a").json()["session_id"]
    sandbox.reset()
    assert create(sandbox, "a").json()["session_id"] == first
    assert sandbox.http.get("/_sandbox/scenario").json()["seed"] == 99
''')
    pytester.runpytest(mode).assert_outcomes(passed=2)


@pytest.mark.parametrize("mode", MODES)
def test_a_marked_tests_scenario_does_not_outlive_it(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(
        """
import pytest

DOWN = {"name": "down", "seed": 5,
        "faults": [{"match": {"provider": "payviox"}, "act": {"error": "unavailable"}}]}

@pytest.mark.sandbox(scenario=DOWN)
def test_a_down(sandbox):
    secret = {"Authorization": "Bearer " + sandbox.credentials("payviox")["secret_key"]}
    assert sandbox.http.get(sandbox.url("payviox") + "/payments/methods", headers=secret).status_code == 503
"""
        + PAY_FLOW.replace("def test_pay", "def test_b_after")
        + """
def test_c_scenario_is_the_servers_again(sandbox):
    active = sandbox.http.get("/_sandbox/scenario").json()
    assert active["faults"] == [] and active["seed"] != 5
"""
    )
    pytester.runpytest(mode, "-p", "no:randomly").assert_outcomes(passed=3)


def test_strict_teardown_names_a_times_rule_that_never_fired(pytester: pytest.Pytester) -> None:
    pytester.makepyfile('''
import pytest

SCENARIO = """
faults:
  - name: third-create-fails
    match: {provider: payviox, operation: create_session}
    when: {nth: 3, times: 1}
    act: {error: unavailable}
"""

@pytest.mark.sandbox(scenario=SCENARIO)
def test_never_creates(sandbox):
    pass

@pytest.mark.sandbox(scenario=SCENARIO, strict=False)
def test_not_strict(sandbox):
    pass
''')
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*never fired*", "*third-create-fails*"])


def test_strict_teardown_leaves_a_skipped_test_alone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
import pytest

SCENARIO = {"faults": [{"name": "never-reached", "match": {"provider": "cdp"}, "when": {"times": 1},
                        "act": {"error": "unavailable"}}]}

@pytest.fixture
def client_with_its_own_socket(sandbox):
    pytest.skip("no socket here")

@pytest.mark.sandbox(scenario=SCENARIO)
def test_skipped_by_a_fixture(sandbox, client_with_its_own_socket):
    pass

@pytest.mark.sandbox(scenario=SCENARIO)
def test_skipped_in_its_body(sandbox):
    pytest.skip("not today")

@pytest.mark.sandbox(scenario=SCENARIO)
def test_runs_and_never_fires(sandbox):
    pass
""")
    result = pytester.runpytest("--sandbox-mode=inprocess", "-p", "no:randomly")
    result.assert_outcomes(passed=1, skipped=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_runs_and_never_fires*", "*never-reached*"])


def test_clock_control_and_freezegun_in_process(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
from freezegun import freeze_time

def test_clock_follows_freezegun(sandbox):
    with freeze_time("2031-05-05T10:00:00Z") as frozen:
        assert sandbox.now().startswith("2031-05-05T10:00:00")
        frozen.tick(90)
        assert sandbox.now().startswith("2031-05-05T10:01:30")

def test_advance(sandbox):
    before = sandbox.now()
    moved = sandbox.advance(86400)
    assert moved["now"][:10] != before[:10]
""")
    pytester.runpytest("--sandbox-mode=inprocess").assert_outcomes(passed=2)


def test_parallel_workers_share_one_external_server(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("\n".join(PAY_FLOW.replace("def test_pay", f"def test_pay_{n}") for n in range(6)))
    with serve_in_thread(make_app(manual=False)) as url:
        result = pytester.runpytest_subprocess("-n", "2", f"--sandbox-url={url}", "-p", "xdist")
        result.assert_outcomes(passed=6)
        control = SyncControl(url)
        sessions = control.sessions("payviox")
        namespaces = httpx.get(f"{url}/_sandbox/namespaces").json()["namespaces"]
    # each test played in a namespace of its own, dropped after it: the shared server is as it was
    assert sessions == []
    assert [space["name"] for space in namespaces] == ["default"]


CLOCK_AND_SCENARIO = """
import pytest

SCENARIO = {"name": "slow-clock", "clock": {"start": "2030-01-01T00:00:00Z", "manual": True}}

@pytest.mark.parametrize("days", range(1, 7))
def test_moves_its_own_clock(sandbox, days):
    before = sandbox.now()
    sandbox.advance(days * 86400)
    assert sandbox.now()[:10] != before[:10]

@pytest.mark.parametrize("n", range(4))
@pytest.mark.sandbox(scenario=SCENARIO)
def test_loads_its_own_scenario(sandbox, n):
    assert sandbox.now().startswith("2030-01-01T00:00:00")
    sandbox.advance(3600 * (n + 1))
    assert sandbox.now().startswith(f"2030-01-01T{n + 1:02d}:00:00")
"""


def test_clock_moves_and_scenarios_under_xdist_leave_a_shared_server_untouched(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(CLOCK_AND_SCENARIO)
    with serve_in_thread(make_app(manual=False)) as url:
        before = httpx.get(f"{url}/_sandbox/scenario").json()
        result = pytester.runpytest_subprocess("-n", "3", f"--sandbox-url={url}", "-p", "xdist")
        result.assert_outcomes(passed=10)
        after = httpx.get(f"{url}/_sandbox/scenario").json()
        namespaces = httpx.get(f"{url}/_sandbox/namespaces").json()["namespaces"]
    assert after == before  # the default namespace kept its scenario, seed and clock mode
    assert [space["name"] for space in namespaces] == ["default"]


def test_importing_the_plugin_starts_nothing() -> None:
    code = "import sys, sandbox.pytest_plugin; print('sandbox.app' in sys.modules, 'uvicorn' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.sandbox(scenario=None, seed=None, strict=True)*"])


ACT_REFUSED = """
import pytest

def test_act(sandbox):
    keys = sandbox.credentials("payviox")
    secret = {"Authorization": "Bearer " + keys["secret_key"]}
    body = {"amount": 500, "currency": "USD", "customer": "c", "order_id": "o",
            "items": [{"name": "x", "quantity": 1, "price": 500}]}
    session_id = sandbox.http.post(sandbox.url("payviox") + "/session", json=body, headers=secret).json()["session_id"]
    refused = sandbox.act("payviox", session_id, "pay", outcome="succeded", check=False)
    assert refused.status_code == 400
    sandbox.act("payviox", session_id, "pay", outcome="succeded")
"""


@pytest.mark.parametrize("mode", MODES)
def test_act_fails_the_test_with_the_providers_answer(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(ACT_REFUSED)
    result = pytester.runpytest(mode)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*sandbox.act('payviox', '*', 'pay') answered 400: {\"outcome\":[\"The outcome must be one of*"]
    )


@pytest.mark.parametrize("mode", MODES)
def test_no_warnings_from_the_sandbox_and_a_shipped_scenario_by_name(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(
        """
import pytest

import httpx

@pytest.mark.sandbox(scenario="payviox-rate-limit-per-customer", strict=False)
def test_named(sandbox):
    assert sandbox.http.get("/_sandbox/scenario").json()["scenario"]["name"] == "payviox-rate-limit-per-customer"
    # Starlette's TestClient warns about httpx (and is an httpx2 client where httpx2 is installed):
    # the handle's client is httpx's own (another test of this process may have imported TestClient)
    assert type(sandbox.http) is httpx.Client
"""
        + PAY_FLOW
    )
    result = pytester.runpytest(mode, "-W", "error", "-W", "always")
    result.assert_outcomes(passed=2, warnings=0)
    assert "warnings summary" not in result.stdout.str(), result.stdout.str()


def test_an_unknown_scenario_name_is_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.sandbox(scenario="payviox-rate-limit-per-customr")
def test_named(sandbox):
    pass
"""
    )
    result = pytester.runpytest("--sandbox-mode=inprocess")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*no scenario file or shipped scenario*did you mean 'payviox-rate-limit-per-customer'?*"]
    )
    assert "Traceback" not in result.stdout.str()


def test_the_examples_are_typed_with_the_handle_type() -> None:
    """Users copy the examples: the `sandbox` fixture is annotated with SandboxHandle, and nothing
    needs a `# type: ignore` (make lint runs mypy --strict on sandbox/; this keeps examples honest)."""
    import ast
    from pathlib import Path

    examples = sorted((Path(__file__).parent.parent / "examples").rglob("test_*.py"))
    assert examples
    for path in examples:
        text = path.read_text()
        assert "type: ignore" not in text, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in node.args.args:
                    if arg.arg == "sandbox":
                        assert ast.unparse(arg.annotation or ast.Constant(None)) == "SandboxHandle", (path, node.name)
