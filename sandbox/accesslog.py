"""The access line `sandbox serve` prints for each request: uvicorn's line, written without `logging`.

Why. uvicorn writes its access line through `logging`: a LogRecord, a copy of it for the
formatter, the handler's lock, and a flushed write per request. That is ~35 µs of CPU, over a
third of what a bare Starlette route costs per request (`make bench`, the bare route with and
without `--no-access-log`), and a sandbox started as users start it pays it on every call.

What. `sandbox serve --log-format text` (the default) turns uvicorn's access log off and wraps
the app in `AccessLog`, which writes the same line to the same stream (stdout) when the
response starts, as uvicorn's `AccessFormatter` formats it: `INFO:     127.0.0.1:50123 -
"POST /payviox/session HTTP/1.1" 201 Created`, coloured when stdout is a terminal
(tests/test_access_log.py compares the two, colours included). A request whose app raises
before answering gets the 500 line uvicorn would log for the 500 it sends. The lines of one
turn of the event loop go out in one write at the end of the turn, not one write each.
`--log-format json` keeps uvicorn's logger, whose records become JSON objects (console.py);
below INFO (`--log-level warning`) there is no access line, as with uvicorn.
"""

from __future__ import annotations

import asyncio
import http
import sys
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# uvicorn/_ansi.py's codes, as its AccessFormatter applies them.
_RESET = "\033[0m"
_STATUS_COLOURS = {1: "\033[97m", 2: "\033[32m", 3: "\033[33m", 4: "\033[31m", 5: "\033[91m"}


def _status(code: int, colours: bool) -> str:
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    text = f"{code} {phrase}"
    colour = _STATUS_COLOURS.get(code // 100) if colours else None
    return f"{colour}{text}{_RESET}" if colour else text


class AccessLog:
    """An ASGI wrapper writing uvicorn's access line for every HTTP request to `stream`."""

    def __init__(self, app: ASGIApp, stream: TextIO | None = None, colours: bool | None = None) -> None:
        self.app = app
        self.stream = stream if stream is not None else sys.stdout
        self.colours = self.stream.isatty() if colours is None else colours
        self._prefix = "\033[32mINFO\033[0m:     " if self.colours else "INFO:     "
        self._statuses: dict[int, str] = {}  # status code -> its formatted text: a few distinct codes
        self._pending: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def logged(message: Message) -> None:
            nonlocal started
            if not started and message["type"] == "http.response.start":
                started = True
                self.write(scope, message["status"])
            await send(message)

        try:
            await self.app(scope, receive, logged)
        except BaseException:
            if not started:  # uvicorn answers 500 for it, and logs that 500
                self.write(scope, 500)
            raise

    def line(self, scope: Scope, status: int) -> str:
        """uvicorn's access line for `scope` answered with `status` (uvicorn.protocols.utils' client
        address and path, uvicorn.logging.AccessFormatter's layout), newline included."""
        client = scope.get("client")
        address = f"{client[0]}:{client[1]:d}" if client else ""
        path = scope["raw_path"].decode("latin1")
        if scope["query_string"]:  # uvicorn decodes it as ASCII, and fails on other bytes: escaped here
            path = f"{path}?{scope['query_string'].decode('ascii', 'backslashreplace')}"
        path = path.replace('"', "%22")
        request = f"{scope['method']} {path} HTTP/{scope['http_version']}"
        if self.colours:
            request = f"\033[1m{request}{_RESET}"
        shown = self._statuses.get(status)
        if shown is None:
            shown = _status(status, self.colours)
            if len(self._statuses) < 1_000:  # statuses are three digits: a bound that never bites
                self._statuses[status] = shown
        return f'{self._prefix}{address} - "{request}" {shown}\n'

    def write(self, scope: Scope, status: int) -> None:
        self._pending.append(self.line(scope, status))
        if len(self._pending) == 1:  # the first line of this turn of the loop: write them all at its end
            asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        lines, self._pending = self._pending, []
        try:
            self.stream.write("".join(lines))
            self.stream.flush()
        except (OSError, ValueError):  # stdout closed or a broken pipe (`| head`): serving goes on, as with logging
            pass
