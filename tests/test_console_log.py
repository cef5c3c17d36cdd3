"""The server console says what happened: one line per fault fired, state change and webhook
attempt (loggers sandbox.faults / sandbox.state / sandbox.webhooks), secrets masked, and
`--log-format json` (SANDBOX_LOG_FORMAT) for machines: a real `sandbox serve` process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.threaded import free_port

ROOT = Path(__file__).parent.parent
SCENARIO = """\
name: logged
clock: {start: "2026-01-01T09:00:00Z", manual: true}
faults:
  - name: bal-down
    match: {provider: payviox, operation: get_balance}
    when: {times: 1}
    act: {error: unavailable}
"""
SECRET = {"Authorization": "Bearer sk_test_logshop"}
ORDER = {
    "amount": 100,
    "currency": "USD",
    "customer": "c",
    "order_id": "o",
    "items": [{"name": "x", "quantity": 1, "price": 100}],
}


def serve(tmp_path: Path, *options: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, list[str]]]:
    scenario = tmp_path / "logged.yaml"
    scenario.write_text(SCENARIO)
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--scenario", str(scenario), *options]
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    url = f"http://127.0.0.1:{port}"
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
                time.sleep(0.05)
        yield url, lines
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
        lines.extend(err.splitlines())


def play(url: str) -> None:
    """A fault, a state change, a webhook to the inbox and one to a URL with a secret in its query."""
    assert httpx.get(f"{url}/payviox/balance", headers=SECRET).status_code == 503
    endpoint = {"url": "http://127.0.0.1:9/hook?token=supersecretvalue123", "secret": "whsec_x"}
    assert httpx.put(f"{url}/_sandbox/webhooks/endpoints/payviox/logshop", json=endpoint).status_code == 200
    session = httpx.post(f"{url}/payviox/session", json=ORDER, headers=SECRET).json()["session_id"]
    paid = httpx.post(f"{url}/_sandbox/payviox/sessions/{session}/actions/pay", json={"outcome": "succeeded"})
    assert paid.status_code == 200
    assert httpx.post(f"{url}/_sandbox/webhooks/flush").status_code == 200


def test_text_lines_say_what_happened_with_secrets_masked(tmp_path: Path) -> None:
    run = serve(tmp_path)
    url, lines = next(run)
    play(url)
    next(run, None)
    text = "\n".join(lines)
    assert any("fault bal-down fired" in line and "GET /payviox/balance" in line for line in lines), text
    assert any("payviox" in line and "open -> succeeded (pay_succeeded)" in line for line in lines), text
    hooks = [line for line in lines if line.startswith("INFO:") and "webhook payviox" in line]
    assert any("attempt 1 -> http://127.0.0.1:9/hook?token=" in line for line in hooks), text
    assert "supersecretvalue123" not in text and "…e123" in text


def test_json_lines_for_machines(tmp_path: Path) -> None:
    run = serve(tmp_path, env={"SANDBOX_LOG_FORMAT": "json"})
    url, lines = next(run)
    play(url)
    next(run, None)
    parsed = [json.loads(line) for line in lines if line.strip()]  # every line is JSON, uvicorn's too
    by_logger = {item["logger"] for item in parsed}
    assert {"sandbox.faults", "sandbox.state", "sandbox.webhooks", "uvicorn.access"} <= by_logger
    fault = next(item for item in parsed if item["logger"] == "sandbox.faults")
    assert (fault["fault"], fault["path"], fault["act"]) == ("bal-down", "/payviox/balance", {"error": "unavailable"})
    change = next(item for item in parsed if item["logger"] == "sandbox.state")
    assert (change["before"], change["after"]) == ("open", "succeeded")
    attempt = next(item for item in parsed if item["logger"] == "sandbox.webhooks")
    assert attempt["attempt"] == 1 and "supersecretvalue123" not in attempt["url"]


def test_a_bad_log_format_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.cli import main

    with pytest.raises(SystemExit):
        main(["serve", "--log-format", "xml"])
    assert "not one of text, json" in capsys.readouterr().err
