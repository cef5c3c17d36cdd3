"""`sandbox run`: the timeline, failed expectations with their diff, exit codes, `--url`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.cli import main
from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.control import SyncControl

SCENARIO = """\
name: demo
seed: 9
clock: {start: "2026-01-01T00:00:00Z", manual: true}
faults:
  - name: hiccup
    match: {provider: payviox, operation: get_balance}
    when: {nth: 1}
    act: {error: unavailable}
steps:
  - name: create
    call:
      provider: payviox
      operation: create_session
      headers: {Authorization: Bearer sk_test_demo}
      body: {amount: 300, currency: USD, customer: c, order_id: o-1, items: [{name: X, quantity: 3, price: 100}]}
    expect: {status: 201}
  - action: {provider: payviox, action: pay, session: "${create.session_id}", body: {outcome: declined}}
  - call: {provider: payviox, operation: get_balance, headers: {Authorization: Bearer sk_test_demo}}
    expect: {status: 503}
  - call:
      method: GET
      path: /payviox/payment/${create.session_id}
      headers: {Authorization: Bearer sk_test_demo}
    expect:
      json: {$.status: STATUS, "$.items[0].quantity": 3}
"""


def write(tmp_path: Path, status: str = "declined") -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(SCENARIO.replace("STATUS", status))
    return path


def test_a_passing_run_narrates_requests_faults_state_changes_and_webhooks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(write(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert "scenario demo (seed 9)" in out
    assert "POST /payviox/session" in out and "<- 201" in out
    assert ": open -> declined (pay_declined)" in out  # the state change the action caused
    assert "~ webhook declined ->" in out  # the webhook it queued
    assert "! fault hiccup fired (before_commit" in out
    assert "all 4 steps passed" in out


def test_a_failed_expectation_prints_the_diff_and_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(write(tmp_path, status="succeeded"))]) == 1
    out = capsys.readouterr().out
    assert "FAIL $.status: expected 'succeeded', got 'declined'" in out
    assert "1 of 4 steps failed" in out


def test_failures_are_red_on_a_colour_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.delenv("NO_COLOR", raising=False)
    main(["run", str(write(tmp_path, status="succeeded"))])
    assert "\033[31m     FAIL $.status" in capsys.readouterr().out


def test_an_unexpected_drop_or_an_expected_drop_that_answered_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "drops.yaml"
    path.write_text(
        "faults:\n"
        "  - {match: {provider: payviox, operation: get_balance}, when: {nth: 1}, act: {drop: true}}\n"
        "steps:\n"
        "  - call: &b {provider: payviox, operation: get_balance, headers: {Authorization: Bearer sk_test_d}}\n"
        "    expect: {status: 200}\n"
        "  - call: *b\n"
        "    expect: {dropped: true}\n"
    )
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL the connection failed, but the step expected a response" in out
    assert "FAIL expected the connection to fail, got 200" in out


def test_an_invalid_scenario_is_reported_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text(SCENARIO.replace("    expect: {status: 503}", "    expct: {status: 503}"))
    assert main(["run", str(path)]) == 1
    assert f"{path}:19: steps.2.expct: unknown key; did you mean 'expect'?" in capsys.readouterr().err


def test_url_plays_in_a_fresh_namespace_of_a_running_sandbox(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread(make_app()) as url:
        before = SyncControl(url).scenario()
        assert main(["run", str(write(tmp_path)), "--url", url]) == 0
        out = capsys.readouterr().out
        [base] = re.findall(rf"{re.escape(url)}/ns/[A-Za-z0-9._-]+", out)  # it says where it played
        shown = SyncControl(base).scenario()
        assert SyncControl(url).scenario() == before  # the server's own namespace is left alone
        assert main(["run", str(write(tmp_path)), "--url", url, "--namespace", "default"]) == 0
        on_root = SyncControl(url).scenario()
    assert shown["scenario"]["name"] == "demo"  # loaded there with PUT /_sandbox/scenario
    assert shown["faults"][0]["fired"] == 1
    assert "all 4 steps passed" in out
    assert on_root["scenario"]["name"] == "demo"


def test_a_variable_missing_at_run_time_fails_the_step_not_the_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "missing.yaml"
    path.write_text(
        "steps:\n"
        "  - name: balance\n"
        "    call: {provider: payviox, operation: get_balance, headers: {Authorization: Bearer sk_test_m}}\n"
        "    expect: {json: {$.balance: '${balance.nope}'}}\n"
        "  - call: {method: GET, path: '/payviox/payment/${balance.session_id}'}\n"
    )
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL cannot build the expectation: nope: no 'nope' in" in out
    assert "cannot build the request: session_id: no 'session_id' in" in out
    assert "2 of 2 steps failed" in out


def test_body_and_header_expectations_print_their_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "expect.yaml"
    path.write_text(
        "providers: {payviox: {rate_limits: {per_customer: 1}}}\n"
        "steps:\n"
        "  - call: &c\n"
        "      provider: payviox\n"
        "      operation: create_session\n"
        "      headers: {Authorization: Bearer sk_test_e}\n"
        "      body: &b {amount: 100, currency: USD, customer: c, order_id: '1',\n"
        "                items: [{name: X, quantity: 1, price: 100}]}\n"
        "    expect: {status: 201}\n"
        "  - call: {<<: *c, body: {<<: *b, order_id: '2'}}\n"
        "    expect:\n"
        "      body: {type: ip, retry_after: 60}\n"
        "      headers: {Retry-After: '30'}\n"
    )
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "FAIL $.type: expected 'ip', got 'customer'" in out
    assert "FAIL header Retry-After: expected '30', got '60'" in out
    assert "1 of 2 steps failed" in out


def test_a_clock_advance_the_sandbox_refuses_fails_its_step(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "late.yaml"
    path.write_text("clock: {start: '8999-12-01T00:00:00Z', manual: true}\nsteps:\n  - advance: 3000000000\n")
    assert main(["run", str(path)]) == 1
    out = capsys.readouterr().out
    assert "clock +3e+09s refused (400): cannot advance the clock" in out
    assert "the sandbox clock stops at 9000-01-01T00:00:00.000Z" in out
    assert "1 of 1 steps failed" in out


def test_the_timeline_is_in_the_order_things_happened(capsys: pytest.CaptureFixture[str]) -> None:
    """cdp-lost-response: the session is made, then the after-commit fault drops the answer, then
    the client sees the connection fail; before the fix the fault and state lines came last."""
    assert main(["run", "cdp-lost-response"]) == 0
    out = capsys.readouterr().out
    made = out.index("(new) -> created (create)")
    fired = out.index("! fault lost-response fired (after_commit")
    failed = out.index("<- connection failed")
    assert made < fired < failed


def test_the_timeline_shows_each_webhook_attempt_with_chaos_and_verdict(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "payviox-webhook-chaos"]) == 0
    lines = capsys.readouterr().out.splitlines()
    attempts = [line.strip() for line in lines if "  attempt " in line]
    assert [line.split(" -> ")[0] for line in attempts] == [
        "~ webhook succeeded",
        "~ webhook succeeded",
        "~ webhook refunded",
        "~ webhook expired",
    ]
    assert attempts[0].endswith("200, verified  [duplicate 1 (delivered-twice)]")
    assert "attempt 1 at 2026-01-01T09:00:00.000Z" in attempts[1] and "[duplicate of whd_" in attempts[1]
    assert "200, signature REFUSED  [wrong_signature (forged-signature)]" in attempts[2]
    assert "at 2026-01-02T09:10:00.000Z (600 s after the event): 200, verified" in attempts[3]
    late = next(index for index, line in enumerate(lines) if line.strip().startswith("9. clock +600s"))
    assert "attempt 1" in lines[late + 1]  # shown at the step where it happened, in sandbox time
    assert any(line.strip() == "8. GET /_sandbox/webhooks?event=expired" for line in lines)  # the query is shown
