"""`sandbox serve` writes uvicorn's access line itself (sandbox/accesslog.py): the same text as
uvicorn's AccessFormatter gives, colours included, one line per request, none below INFO."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from starlette.types import Receive, Scope, Send
from uvicorn._types import HTTPScope
from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import AccessFormatter
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from sandbox.accesslog import AccessLog
from sandbox.threaded import free_port
from tests.support.apps import wait_until_answers

ROOT = Path(__file__).parent.parent
CASES = [
    ("POST", b"/payviox/session", b"", "1.1", 201),
    ("GET", b"/cdp/platform/v2/payment-sessions", b"pageSize=2&pageToken=abc", "1.1", 200),
    ("GET", b"/ns/ci-7/payviox/session/%0Aid", b"", "1.0", 404),
    ("DELETE", b'/a"quote', b'q="x"', "2", 405),
    ("GET", b"/caf\xc3\xa9", b"", "1.1", 599),  # no phrase for 599
    ("PUT", b"/", b"", "1.1", 101),
    ("GET", b"/moved", b"", "1.1", 302),
    ("GET", b"/down", b"", "1.1", 503),
]


def scope_of(method: str, raw_path: bytes, query: bytes, version: str) -> Scope:
    return {
        "type": "http",
        "method": method,
        "path": raw_path.decode("latin1"),
        "raw_path": raw_path,
        "query_string": query,
        "http_version": version,
        "client": ("127.0.0.1", 50123),
        "headers": [],
    }


def uvicorns_line(scope: Scope, status: int, colours: bool) -> str:
    """What uvicorn's access logger prints for the same request, through its own formatter."""
    formatter = AccessFormatter(LOGGING_CONFIG["formatters"]["access"]["fmt"], use_colors=colours)
    typed = cast(HTTPScope, scope)
    args = (get_client_addr(typed), scope["method"], get_path_with_query_string(typed), scope["http_version"], status)
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', args, None)
    return formatter.format(record) + "\n"


@pytest.mark.parametrize("colours", [False, True])
@pytest.mark.parametrize("case", CASES)
def test_the_line_is_uvicorns(case: tuple[str, bytes, bytes, str, int], colours: bool) -> None:
    method, raw_path, query, version, status = case
    scope = scope_of(method, raw_path, query, version)
    log = AccessLog(lambda *_: None, io.StringIO(), colours=colours)  # type: ignore[arg-type]
    assert log.line(scope, status) == uvicorns_line(scope, status, colours)


def test_one_line_per_request_written_once_per_turn_of_the_loop() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["raw_path"] == b"/boom":
            raise RuntimeError("a bug")
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    class Stream(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            self.writes += 1
            return super().write(text)

    stream = Stream()
    log = AccessLog(app, stream, colours=False)

    async def noop(message: object) -> None:
        pass

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    async def main() -> None:
        await asyncio.gather(*(log(scope_of("POST", b"/x", b"", "1.1"), receive, noop) for _ in range(3)))
        with pytest.raises(RuntimeError):
            await log(scope_of("GET", b"/boom", b"", "1.1"), receive, noop)
        await asyncio.sleep(0)  # the turn ends: its lines go out

    asyncio.run(main())
    lines = stream.getvalue().splitlines()
    assert lines == ['INFO:     127.0.0.1:50123 - "POST /x HTTP/1.1" 201 Created'] * 3 + [
        'INFO:     127.0.0.1:50123 - "GET /boom HTTP/1.1" 500 Internal Server Error'  # uvicorn's 500 for it
    ]
    assert stream.writes == 2  # the three answered in one turn in one write; the 500 in the next turn


def test_a_closed_stdout_stops_no_request() -> None:
    """`sandbox serve | head`: once the pipe is gone, lines are dropped and requests still answered."""
    sent: list[object] = []
    errors: list[object] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message: object) -> None:
        sent.append(message)

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b""}

    stream = io.StringIO()
    stream.close()
    log = AccessLog(app, stream, colours=False)

    async def main() -> None:
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: errors.append(context))
        for _ in range(2):
            await log(scope_of("GET", b"/", b"", "1.1"), receive, send)
            await asyncio.sleep(0)

    asyncio.run(main())
    assert len(sent) == 2 and errors == []


def served_lines(*options: str) -> list[str]:
    """stdout of a real `sandbox serve` that answered one POST /payviox/session and one unknown path."""
    port = free_port()
    command = [sys.executable, "-m", "sandbox", "serve", "--port", str(port), *options]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answers(url, process)
        order = {"amount": 100, "currency": "USD", "customer": "c", "order_id": "o"}
        order["items"] = [{"name": "x", "quantity": 1, "price": 100}]
        key = {"Authorization": "Bearer sk_test_shop"}
        assert httpx.post(f"{url}/payviox/session?from=test", json=order, headers=key).status_code == 201
        assert httpx.get(f"{url}/nowhere").status_code == 404
    finally:
        process.terminate()
        out, _ = process.communicate(timeout=10)
    return out.splitlines()


def test_sandbox_serve_prints_the_access_line_to_stdout() -> None:
    lines = [line for line in served_lines() if '"' in line]
    assert lines[-2].startswith("INFO:     127.0.0.1:")
    assert lines[-2].endswith(' - "POST /payviox/session?from=test HTTP/1.1" 201 Created'), lines
    assert lines[-1].endswith(' - "GET /nowhere HTTP/1.1" 404 Not Found'), lines


def test_no_access_line_below_info() -> None:
    assert not [line for line in served_lines("--log-level", "warning") if "HTTP/1.1" in line]


@pytest.mark.parametrize(
    ("options", "own_line"),
    [
        ([], True),
        (["--log-level", "debug"], True),
        (["--log-level", "warning"], False),
        (["--log-format", "json"], False),
    ],
)
def test_serve_wires_the_access_line_and_the_heap_setting(
    monkeypatch: pytest.MonkeyPatch, options: list[str], own_line: bool
) -> None:
    """`sandbox serve` in process, uvicorn's Config and run stubbed: what it hands uvicorn."""
    import uvicorn

    from sandbox import cli, collector, console, heap

    handed: dict[str, Any] = {}
    called: list[str] = []
    monkeypatch.setattr(uvicorn, "Config", lambda app, **options: handed.update(app=app, **options))
    monkeypatch.setattr(uvicorn.Server, "__init__", lambda self, config: None)
    monkeypatch.setattr(uvicorn.Server, "run", lambda self: None)
    monkeypatch.setattr(collector, "tune", lambda: called.append("collector"))  # not this test process's
    monkeypatch.setattr(heap, "keep_mmap_threshold", lambda: called.append("heap") or True)
    monkeypatch.setattr(console, "configure", lambda fmt, level: None)
    assert cli.main(["serve", "--port", "4999", *options]) == 0
    assert isinstance(handed["app"], AccessLog) is own_line
    assert handed["access_log"] is not own_line  # uvicorn's own line only where the sandbox writes none
    assert called == ["collector", "heap"]
