"""`sandbox serve --state-dir`: a live `python -m sandbox serve` stopped (SIGTERM, SIGINT, kill -9)
and started again with the same directory serves the same sessions, balances, pending webhook
retries and RNG; a damaged file or one from another version stops the start and stays as it was."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import persist
from sandbox.cli import main
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.state import Settings
from sandbox.statedir import FILENAME, read
from sandbox.threaded import free_port
from tests.support.payviox_calls import SECRET, order

ROOT = Path(__file__).resolve().parent.parent
CUBEPAY = {"Authorization": "Bearer cubepay_test_acme"}


class Server:
    def __init__(self, state: Path, port: int) -> None:
        command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--seed", "3"]
        command += ["--log-level", "warning", "--state-dir", str(state)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        assert self.process.stdout is not None
        banner = self.process.stdout.readline()  # printed once the socket is bound
        assert "sandbox on" in banner, self.process.stderr.read() if self.process.stderr else ""
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)

    def stop(self, how: int) -> None:
        self.http.close()
        self.process.send_signal(how)
        self.process.communicate(timeout=20)


def _create(http: httpx.Client, **changes: Any) -> str:
    response = http.post("/payviox/session", json=order(**changes), headers=SECRET)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


def _stored(state: Path, name: str) -> Any:
    """The namespace's state as the file holds it now (None: no row yet)."""
    with contextlib.closing(sqlite3.connect(state / FILENAME)) as db:
        found = read(db, name, Settings(scenario=ScenarioModel(), seed=3), PROVIDERS)
    return None if found is None else found[0]


def _world(http: httpx.Client) -> dict[str, Any]:
    """Everything a restart must keep, as the API shows it."""
    sessions = http.get("/_sandbox/payviox/sessions").json()
    cubepay = http.get("/ns/team/_sandbox/cubepay/sessions").json()
    hooks = http.get("/_sandbox/webhooks").json()["deliveries"]
    return {"payviox": sessions, "cubepay": cubepay, "webhooks": hooks, "clock": http.get("/_sandbox/clock").json()}


def _play(http: httpx.Client) -> str:
    """A paid Payviox session whose webhook fails and waits for its retry, a funded CubePay session
    in another namespace, a clock move; returns the Payviox session's id."""
    first = _create(http, order_id="o0")
    http.put("/_sandbox/webhooks/endpoints/payviox/acme", json={"url": "http://127.0.0.1:9/", "secret": "s"})
    assert http.post(f"/_sandbox/payviox/sessions/{first}/actions/pay", json={}).status_code == 200
    made = http.post("/ns/team/cubepay/payment-sessions", json={"amount": "50.00", "currency": "USD"}, headers=CUBEPAY)
    cube = made.json()["paymentSessionId"]
    assert http.post(f"/ns/team/_sandbox/cubepay/sessions/{cube}/actions/fund", json={}).status_code == 200
    http.post("/_sandbox/clock/advance", json={"seconds": 30})
    http.post("/_sandbox/webhooks/flush")
    return first


def _ids_without_restart(state: Path) -> list[str]:
    """The ids the same calls give on a server with seed 3 that never stopped."""
    server = Server(state, free_port())
    try:
        return [_play(server.http), _create(server.http, order_id="o1")]
    finally:
        server.stop(signal.SIGTERM)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT])
def test_a_graceful_stop_loses_nothing(tmp_path: Path, how: int) -> None:
    state = tmp_path / "state"
    server = Server(state, free_port())
    first = _play(server.http)
    before = _world(server.http)
    assert any(hook["state"] == "pending" and hook["attempts"] for hook in before["webhooks"])
    server.stop(how)

    again = Server(state, free_port())
    try:
        after = _world(again.http)
        assert after["payviox"] == before["payviox"] and after["cubepay"] == before["cubepay"]
        assert after["webhooks"] == before["webhooks"]  # the pending retry, its attempts and next time
        assert after["clock"]["now"] >= before["clock"]["now"]
        second = _create(again.http, order_id="o1")
    finally:
        again.stop(signal.SIGTERM)
    assert [first, second] == _ids_without_restart(tmp_path / "reference")  # the RNG went on where it stopped


def test_kill_9_loses_at_most_the_last_flush(tmp_path: Path) -> None:
    state = tmp_path / "state"
    server = Server(state, free_port())
    made = _create(server.http)
    deadline = time.monotonic() + 30
    while (found := _stored(state, "default")) is None or found.store.get("payviox", made) is None:
        assert time.monotonic() < deadline, "the session was never written"
        time.sleep(0.2)
    server.stop(signal.SIGKILL)
    again = Server(state, free_port())
    try:
        shown = again.http.get(f"/payviox/payment/{made}", headers=SECRET)
        assert shown.status_code == 200 and shown.json()["session_id"] == made
    finally:
        again.stop(signal.SIGTERM)


def _refused(state: Path, capsys: pytest.CaptureFixture[str]) -> str:
    path = state / FILENAME
    before = path.read_bytes()
    assert main(["serve", "--state-dir", str(state), "--port", str(free_port())]) == 2
    assert path.read_bytes() == before  # left as it was
    return capsys.readouterr().err


def test_a_damaged_file_stops_the_start_and_is_left_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / FILENAME).write_bytes(b"this is not a database" * 100)
    err = _refused(tmp_path, capsys)
    assert str(tmp_path / FILENAME) in err and "not a sandbox state database" in err and "left as it was" in err


def test_a_file_from_another_version_stops_the_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with sqlite3.connect(tmp_path / FILENAME) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE namespaces (name TEXT PRIMARY KEY, state BLOB NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', '1'), ('version', '0.0.1')")
    db.close()
    err = _refused(tmp_path, capsys)
    assert "written by sandbox '0.0.1'" in err and "reads only its own" in err


def test_a_damaged_namespace_row_stops_the_start(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox.app import new_sandbox

    blob = persist.encode(new_sandbox(Settings(scenario=ScenarioModel(), seed=1)), "default")
    with sqlite3.connect(tmp_path / FILENAME) as db:
        db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("CREATE TABLE namespaces (name TEXT PRIMARY KEY, state BLOB NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', ?), ('version', ?)", (str(persist.FORMAT), persist.__version__))
        db.execute("INSERT INTO namespaces VALUES ('ci', ?)", (blob[:-40],))
    db.close()
    err = _refused(tmp_path, capsys)
    assert "namespace 'ci'" in err and "damaged" in err
