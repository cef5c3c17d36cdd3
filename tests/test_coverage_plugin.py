"""Contract coverage in the pytest plugin and in `sandbox coverage`, run the way users run them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import cli
from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app

WT = str(Path(__file__).resolve().parents[1])

# Two known flows: a paid session (201, open -> succeeded, the `succeeded` webhook delivered to the
# built-in inbox) and a refused creation (400 invalid_request).
SUITE = """
BODY = {"amount": 500, "currency": "USD", "customer": "c", "order_id": "o1",
        "items": [{"name": "x", "quantity": 1, "price": 500}]}

def secret(sandbox):
    return {"Authorization": "Bearer " + sandbox.credentials("payviox")["secret_key"]}

def test_pay(sandbox):
    created = sandbox.http.post(sandbox.url("payviox") + "/session", json=BODY, headers=secret(sandbox))
    assert created.status_code == 201, created.text
    session_id = created.json()["session_id"]
    assert sandbox.act("payviox", session_id, "pay", outcome="succeeded").status_code == 200
    sandbox.flush_webhooks()

def test_refused(sandbox):
    refused = sandbox.http.post(sandbox.url("payviox") + "/session", json={"amount": 1}, headers=secret(sandbox))
    assert refused.status_code == 400
"""


def payviox(report: dict[str, Any]) -> dict[str, Any]:
    block = report["providers"]["payviox"]
    return {
        "create": next(op for op in block["operations"] if op["path"] == "/session")["statuses"],
        "transitions": {(t["from"], t["to"]): t["count"] for t in block["transitions"] if t["count"]},
        "errors": {e["code"]: e["count"] for e in block["errors"] if e["count"]},
        "webhooks": {w["event"]: w["delivered"] for w in block["webhooks"] if w["delivered"]},
    }


def expected(times: int) -> dict[str, Any]:
    return {
        "create": {"201": times, "400": times},
        "transitions": {("open", "succeeded"): times},
        "errors": {"invalid_request": times},
        "webhooks": {"succeeded": times},
    }


@pytest.mark.parametrize("mode", ["--sandbox-mode=inprocess", "--sandbox-mode=live"])
def test_the_summary_and_a_json_report(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest(mode, "--sandbox-coverage=cov.json", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "*sandbox contract coverage*",
            "payviox: operations 1/*, transitions 1/*, errors 1/*, webhooks 1/*, faults 0/*",
            "never exercised: *payviox 401 unauthorized*payviox transition open -> pending*",
            "coverage report written to cov.json",
        ]
    )
    report = json.loads((pytester.path / "cov.json").read_text())
    assert payviox(report) == expected(1)


def test_an_html_report(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sandbox-mode=inprocess", "--sandbox-coverage=cov.html")
    result.assert_outcomes(passed=2)
    page = (pytester.path / "cov.html").read_text()
    assert page.startswith("<!doctype html>") and "<h2>payviox</h2>" in page
    assert "never exercised" in page and '<tr class="hit"><td>create_session</td><td>POST</td>' in page


def test_a_run_without_the_sandbox_prints_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")
    result = pytester.runpytest("--sandbox-coverage=cov.json")
    result.assert_outcomes(passed=1)
    assert "sandbox contract coverage" not in result.stdout.str()
    assert not (pytester.path / "cov.json").exists()


def test_fail_under_fails_a_green_run_and_says_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(SUITE)
    result = pytester.runpytest("--sandbox-mode=inprocess", "--sandbox-coverage-fail-under=transitions:80,errors:5")
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["FAIL: transitions coverage *% (1/*) is below 80%"])
    # 1 of Payviox's 11 error rows (9%): the providers the run never touched do not count
    assert "FAIL: errors" not in result.stdout.str()
    met = pytester.runpytest("--sandbox-mode=inprocess", "--sandbox-coverage-fail-under=operations:1")
    assert met.ret == pytest.ExitCode.OK
    bad = pytester.runpytest("--sandbox-coverage-fail-under=branches:80")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR


def subprocess_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [WT, os.environ.get("PYTHONPATH")])))


def test_xdist_workers_send_their_counts_to_the_controller(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess_env(monkeypatch)
    pytester.makepyfile(**{f"test_suite_{n}": SUITE for n in range(3)})
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2", "--sandbox-coverage=cov.json")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*sandbox contract coverage*", "payviox: operations 1/*"])
    assert payviox(json.loads((pytester.path / "cov.json").read_text())) == expected(3)


def test_namespaces_on_a_shared_server_are_summed_before_they_are_dropped(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess_env(monkeypatch)
    pytester.makepyfile(**{f"test_suite_{n}": SUITE for n in range(2)})
    with serve_in_thread(make_app(manual=False)) as url:
        result = pytester.runpytest_subprocess(
            "-p", "xdist", "-n", "2", f"--sandbox-url={url}", "--sandbox-coverage=cov.json"
        )
        root = httpx.get(f"{url}/_sandbox/coverage").json()
        namespaces = httpx.get(f"{url}/_sandbox/namespaces").json()["namespaces"]
    result.assert_outcomes(passed=4)
    assert payviox(json.loads((pytester.path / "cov.json").read_text())) == expected(2)
    assert payviox(root)["transitions"] == {}  # every test played in its own namespace
    assert [space["name"] for space in namespaces] == ["default"]


def test_sandbox_coverage_reads_a_live_server(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with serve_in_thread(make_app()) as url:
        headers = {"Authorization": "Bearer sk_test_cli"}
        assert httpx.post(f"{url}/payviox/session", json={"amount": 1}, headers=headers).status_code == 400
        html, data = tmp_path / "cov.html", tmp_path / "cov.json"
        code = cli.main(["coverage", "--url", url, "--html", str(html), "--json", str(data)])
        out = capsys.readouterr().out
        assert code == 0
        assert "payviox: operations 1/" in out and "never exercised: " in out
        assert payviox(json.loads(data.read_text()))["errors"] == {"invalid_request": 1}
        assert "<h2>payviox</h2>" in html.read_text()
        assert cli.main(["coverage", "--url", url, "--fail-under", "errors:50"]) == 1
        assert "FAIL: errors coverage" in capsys.readouterr().err
    assert cli.main(["coverage", "--url", url]) == 2  # nothing listens there any more
    assert "cannot read" in capsys.readouterr().err
