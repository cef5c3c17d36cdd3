"""The dashboard and landing page over HTTP: what they show, escaping, the change stream, narration."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from sandbox.changes import Changes
from sandbox.cli import main
from sandbox.threaded import free_port, serve_in_thread
from tests.support.apps import client_for, make_app
from tests.support.payviox_calls import SECRET, order

HTML = {"Accept": "text/html,application/xhtml+xml"}
EVIL = "<script>alert('x')</script>"


@pytest.mark.anyio
async def test_the_landing_page_is_html_for_browsers_and_the_json_404_for_api_clients() -> None:
    async with client_for(make_app()) as client:
        page = await client.get("/", headers=HTML)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "http://sandbox.test/payviox" in page.text and "sk_test_demo" in page.text
        assert 'href="/payviox/demo"' in page.text and 'href="/_sandbox/ui/"' in page.text
        api = await client.get("/")
        assert api.status_code == 404 and api.json()["error"] == "not_found"
        inside = await client.get("/ns/demo-ns/", headers=HTML)
        assert "http://sandbox.test/ns/demo-ns/payviox" in inside.text
        assert 'href="/ns/demo-ns/_sandbox/ui/"' in inside.text and 'href="/ns/demo-ns/payviox/demo"' in inside.text


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/favicon.ico", "/ns/x/favicon.ico"])
async def test_a_favicon_at_the_root_and_under_namespaces(path: str) -> None:
    async with client_for(make_app()) as client:
        icon = await client.get(path)
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\0\0\1\0"  # an ICO header


@pytest.mark.anyio
async def test_merchant_supplied_text_is_escaped_on_every_page() -> None:
    async with client_for(make_app()) as client:
        body = order(metadata={"note": EVIL}, description=EVIL, customer="evil@example.com")
        created = await client.post("/payviox/session", json=body, headers=SECRET)
        session_id = created.json()["session_id"]
        await client.post(f"/_sandbox/payviox/sessions/{session_id}/actions/pay", json={})
        await client.post("/_sandbox/narration", json={"step": 1, "note": EVIL})
        for path in [
            "/_sandbox/ui/",
            "/_sandbox/ui/sessions",
            f"/_sandbox/ui/sessions/payviox/{session_id}",
            "/_sandbox/ui/requests",
            "/_sandbox/ui/requests/1",
            "/_sandbox/ui/webhooks",
        ]:
            page = await client.get(path, headers=HTML)
            assert page.status_code == 200, path
            assert EVIL not in page.text and "&lt;script&gt;" in page.text, path


@pytest.mark.anyio
async def test_a_session_page_shows_its_history_requests_webhooks_and_actions() -> None:
    async with client_for(make_app()) as client:
        session_id = (await client.post("/payviox/session", json=order(), headers=SECRET)).json()["session_id"]
        before = (await client.get(f"/_sandbox/ui/sessions/payviox/{session_id}", headers=HTML)).text
        assert 'data-action="pay"' in before and 'data-action="refund"' not in before
        await client.post(f"/_sandbox/payviox/sessions/{session_id}/actions/pay", json={"outcome": "succeeded"})
        await client.post("/_sandbox/webhooks/flush")
        after = (await client.get(f"/_sandbox/ui/sessions/payviox/{session_id}", headers=HTML)).text
        assert 'data-status="succeeded"' in after and "open → succeeded" in after
        assert 'data-action="refund"' in after and 'data-action="pay"' not in after
        assert "POST /payviox/session" in after  # the request that made it
        assert "Redeliver whd_" in after and "sk_test_acme" not in after  # credentials stay masked


@pytest.mark.anyio
async def test_filters_and_bad_query_values_never_fail() -> None:
    async with client_for(make_app()) as client:
        await client.post("/payviox/session", json=order(), headers=SECRET)
        shown = await client.get("/_sandbox/ui/sessions?provider=cubepay", headers=HTML)
        assert "0 sessions" in shown.text
        for path in [
            "/_sandbox/ui/sessions?provider=%00&status=" + "x" * 5000,
            "/_sandbox/ui/requests?status=9&path=%ff",
            "/_sandbox/ui/requests/99999999999999999999",
            "/_sandbox/ui/requests/%C2%B2",
            "/_sandbox/ui/sessions/nope/nope",
            "/_sandbox/ui/static/..%2Fviews.py",
            "/_sandbox/ui/scenarios/..%2F..%2Fpyproject.toml",
        ]:
            response = await client.get(path, headers=HTML)
            assert response.status_code in (200, 404), (path, response.status_code)


@pytest.mark.anyio
async def test_narration_takes_a_step_and_refuses_other_shapes() -> None:
    async with client_for(make_app()) as client:
        told = await client.post("/_sandbox/narration", json={"step": 2, "name": "pay", "note": "the payer pays"})
        assert told.json() == {"narration": {"step": "2", "name": "pay", "note": "the payer pays"}}
        assert "the payer pays" in (await client.get("/_sandbox/ui/", headers=HTML)).text
        assert (await client.post("/_sandbox/narration", json=[1])).status_code == 400
        assert (await client.post("/_sandbox/narration", json={"note": {"a": 1}})).status_code == 400
        cleared = await client.post("/_sandbox/narration", json={})
        assert cleared.json() == {"narration": None}


@pytest.mark.anyio
async def test_api_requests_state_changes_and_control_moves_each_bump_the_version() -> None:
    app = make_app()
    sandbox = app.state.sandbox
    async with client_for(app) as client:
        seen = sandbox.changes.version
        for call in (
            client.post("/payviox/session", json=order(), headers=SECRET),
            client.post("/_sandbox/clock/advance", json={"seconds": 60}),
            client.post("/_sandbox/reset"),
        ):
            await call
            assert sandbox.changes.version > seen
            seen = sandbox.changes.version
        await client.get("/_sandbox/ui/")
        await client.get("/_sandbox/clock")
        assert sandbox.changes.version == seen  # reads change nothing


def test_listeners_are_bounded_and_woken_on_each_change() -> None:
    changes = Changes(max_listeners=2)
    woken: list[str] = []
    assert changes.listen(lambda: woken.append("a")) and changes.listen(lambda: woken.append("b"))
    assert not changes.listen(lambda: woken.append("c"))
    changes.bump()
    assert woken == ["a", "b"] and changes.version == 1


def test_the_stream_sends_a_change_when_any_client_changes_the_sandbox() -> None:
    with serve_in_thread(make_app()) as url, httpx.Client(base_url=url, timeout=10) as client:
        with client.stream("GET", "/ns/live/_sandbox/ui/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "retry: 2000"
            assert next(lines) == "event: change"
            first = int(next(lines).removeprefix("data: "))
            httpx.post(f"{url}/ns/live/payviox/session", json=order(), headers=SECRET)
            while next(lines) != "event: change":
                pass
            assert int(next(lines).removeprefix("data: ")) > first


def test_a_scenario_played_against_a_server_narrates_its_steps_to_the_dashboard(tmp_path: Path) -> None:
    scenario = tmp_path / "narrated.yaml"
    scenario.write_text(
        "name: narrated\n"
        "steps:\n"
        "  - note: The merchant asks for its balance.\n"
        "    name: balance\n"
        "    call: {provider: payviox, operation: get_balance, headers: {Authorization: Bearer sk_test_m}}\n"
    )
    app = make_app()
    with serve_in_thread(app) as url:
        assert main(["run", str(scenario), "--url", url, "--namespace", "show"]) == 0
        page = httpx.get(f"{url}/ns/show/_sandbox/ui/", headers=HTML)
    assert "The merchant asks for its balance." in page.text and "step 1" in page.text


def test_sandbox_serve_prints_the_dashboard_and_stops_with_a_dashboard_open() -> None:
    """uvicorn's graceful shutdown waits for open responses; an event stream must not hold it forever."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--log-level", "warning"]
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"dashboard http://127.0.0.1:{port}/_sandbox/ui/" in line
        with httpx.stream("GET", f"http://127.0.0.1:{port}/_sandbox/ui/stream", timeout=30) as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 2000"
            process.terminate()
            # uvicorn re-raises SIGTERM once shut down; a hang (TimeoutExpired) is the bug, 30 s only a bound
            assert process.wait(timeout=30) in (0, -signal.SIGTERM)
    finally:
        process.kill()
        process.wait()
