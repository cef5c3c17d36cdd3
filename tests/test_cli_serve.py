"""`sandbox serve`: one worker only, a one-line banner, and a real server that answers."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from sandbox.app import new_sandbox
from sandbox.cli import banner, main
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.scenarios import load_file
from sandbox.state import Settings
from sandbox.threaded import free_port


def test_more_than_one_worker_is_refused_with_a_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--workers", "2"]) == 2
    assert "--workers must be 1" in capsys.readouterr().err


def test_a_missing_scenario_file_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--scenario", "does/not/exist.yaml"]) == 2
    assert "does/not/exist.yaml" in capsys.readouterr().err


def test_banner_lists_every_provider_base_url() -> None:
    line = banner("127.0.0.1", 4242, 5, "default")
    assert "\n" not in line
    for name, provider in PROVIDERS.items():
        assert f"{name} http://127.0.0.1:4242{provider.base_path}" in line
    assert "payviox http://127.0.0.1:4242/payviox" in line
    assert "control http://127.0.0.1:4242/_sandbox" in line
    assert "seed 5" in line


def test_serve_answers_over_http() -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "sandbox",
        "serve",
        "--port",
        str(port),
        "--seed",
        "3",
        "--scenario",
        "default",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the server did not answer"
                time.sleep(0.05)
        assert response.json() == {"status": "ok"}
        created = httpx.post(
            f"http://127.0.0.1:{port}/payviox/session",
            headers={"Authorization": "Bearer sk_test_cli"},
            json={
                "amount": 100,
                "currency": "USD",
                "customer": "c",
                "order_id": "o",
                "items": [{"name": "x", "quantity": 1, "price": 100}],
            },
        )
        assert created.status_code == 201
        # --seed 3 seeds the server: its first id is the one an in-process sandbox with seed 3 makes
        scenario = load_file(ScenarioModel, "scenarios/default.yaml")
        assert created.json()["session_id"] == new_sandbox(Settings(scenario=scenario, seed=3)).entropy.text(32)
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    assert f"sandbox on http://127.0.0.1:{port}" in out
    assert "seed 3, scenario default" in out


def test_version_and_help_follow_the_conventions(capsys: pytest.CaptureFixture[str]) -> None:
    from sandbox import __version__
    from sandbox.serve import OPTIONS

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.strip() == f"sandbox {__version__}"
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    text = capsys.readouterr().out
    assert "examples:" in text
    for option in OPTIONS:
        assert option.flag in text and option.env in text  # each option says its variable and default


def _start(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "sandbox", "serve", "--log-level", "warning", *argv]
    environment = {**__import__("os").environ, **(env or {})}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)


def test_options_come_from_the_environment_and_the_banner_follows_the_bind() -> None:
    port = free_port()
    process = _start(env={"SANDBOX_PORT": str(port), "SANDBOX_SEED": "3", "SANDBOX_MAX_NAMESPACES": "5"})
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # printed once the socket is bound, so the server answers now
        assert f"http://127.0.0.1:{port}" in line and "seed 3" in line
        assert httpx.get(f"http://127.0.0.1:{port}/_sandbox/namespaces").json()["max_namespaces"] == 5
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_port_in_use_prints_no_banner() -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = _start("--port", str(taken.getsockname()[1]))
        out, err = process.communicate(timeout=30)
    assert process.returncode != 0
    assert "sandbox on" not in out
    assert "address already in use" in err.lower() or "error" in err.lower()


def test_a_bad_environment_variable_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SANDBOX_PORT", "eighty")
    assert main(["serve"]) == 2
    assert "SANDBOX_PORT" in capsys.readouterr().err
