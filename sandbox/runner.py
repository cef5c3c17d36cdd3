"""`sandbox run FILE`: play a scenario's steps over HTTP and narrate what happened.

In-process by default (httpx on the ASGI app, no socket), or against a running sandbox with
`--url` (the scenario is first loaded there with PUT /_sandbox/scenario). Each step prints
the request (its full path, query included), then what it caused in the order it happened (a
fault that fired before commit, the state changes, the webhooks queued, a fault after commit,
each webhook attempt with its sandbox time, its answer and whether the receiver verified it),
then the answer. Expectations that fail print in red with a diff, and the run exits 1 if any
did. Everything the timeline shows comes from the control API, so a remote run and an
in-process run print the same story.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

import httpx

from sandbox import jsonwire
from sandbox.contract import ProviderSpec
from sandbox.scenarios import Scenario
from sandbox.steps import Expect, Step, Unresolved, lookup, mismatches, operation_path, substitute


class Timeline:
    """Prints the story; colour only on a terminal (or FORCE_COLOR), never with NO_COLOR."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        wanted = out.isatty() or bool(os.environ.get("FORCE_COLOR"))
        self.color = wanted and not os.environ.get("NO_COLOR")

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def line(self, text: str = "", code: str | None = None) -> None:
        print(self.paint(text, code) if code else text, file=self.out)


def short(value: Any, limit: int = 110) -> str:
    text = value if isinstance(value, str) else jsonwire.dumps(value).decode()
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Player:
    def __init__(self, client: httpx.AsyncClient, providers: Mapping[str, ProviderSpec], timeline: Timeline) -> None:
        self.client = client
        self.providers = providers
        self.say = timeline
        self.variables: dict[str, Any] = {}
        self.failures = 0
        self._fired: list[int] = []
        self._events = 0
        self._webhooks = 0
        self._attempts: dict[str, int] = {}  # delivery id -> attempts already shown

    async def play(self, scenario: Scenario) -> int:
        shown = (await self.client.get("/_sandbox/scenario")).json()
        self.variables.update(shown["fixtures"])
        self._fired = [rule["fired"] for rule in shown["faults"]]
        self._events = len(await self._list("/_sandbox/events", "events"))
        deliveries = await self._list("/_sandbox/webhooks", "deliveries")
        self._webhooks = len(deliveries)
        self._attempts = {item["id"]: len(item.get("attempts", [])) for item in deliveries}
        self.say.line(f"scenario {scenario.name} (seed {shown['seed']})", "1")
        if scenario.description:
            self.say.line(f"  {scenario.description.strip()}", "2")
        for name, body in shown["fixtures"].items():
            self.say.line(f"  fixture {name}: {short(body)}", "2")
        for index, step in enumerate(scenario.steps, 1):
            await self._step(index, step)
        total = len(scenario.steps)
        if self.failures:
            self.say.line(f"{self.failures} of {total} steps failed", "1;31")
        else:
            self.say.line(f"all {total} steps passed", "1;32")
        return self.failures

    async def _step(self, index: int, step: Step) -> None:
        prefix = f"{index:>3}."
        if step.note:
            self.say.line(f"{prefix} # {step.note}", "36")
            prefix = "    "
        await self._narrate(index, step)
        try:
            if step.advance is not None:
                moved = await self.client.post("/_sandbox/clock/advance", json={"seconds": step.advance})
                if moved.status_code != 200:  # e.g. past the clock's last instant
                    refusal = _parse(moved)
                    reason = refusal.get("message", refusal) if isinstance(refusal, dict) else refusal
                    self._fail(f"{prefix} clock +{step.advance:g}s refused ({moved.status_code}): {reason}")
                    return
                self.say.line(f"{prefix} clock +{step.advance:g}s -> {moved.json().get('now')}")
                await self._consequences()
                return
            method, path, headers, body, query = self._request(step)
        except Unresolved as error:
            self._fail(f"{prefix} cannot build the request: {error}")
            return
        request = self.client.build_request(method, path, headers=headers, json=body, params=query)
        shown = request.url.raw_path.decode("ascii", "replace")  # the path as sent, query included
        self.say.line(f"{prefix} {method} {shown}" + (f"  {short(body)}" if body is not None else ""))
        try:
            response = await self.client.send(request)
        except httpx.TransportError as error:
            await self._consequences()  # what happened before the client saw the connection fail
            self.say.line(f"     <- connection failed: {type(error).__name__}: {error}", "33")
            self._check_dropped(step.expect)
            return
        parsed = _parse(response)
        await self._consequences()
        self.say.line(f"     <- {response.status_code} {short(parsed) if parsed is not None else ''}".rstrip())
        if step.name:
            self.variables[step.name] = parsed
        if step.expect is not None:
            try:
                self._check(step.expect, response, parsed)
            except Unresolved as error:  # e.g. a captured body without the field an expectation names
                self._fail(f"     FAIL cannot build the expectation: {error}")

    async def _narrate(self, index: int, step: Step) -> None:
        """Tell the server's open dashboards which step is playing (their narration strip);
        a server without the route (404) or a failed call changes nothing about the run."""
        with contextlib.suppress(httpx.HTTPError):
            await self.client.post("/_sandbox/narration", json={"step": index, "name": step.name, "note": step.note})

    def _text(self, value: Any) -> Any:
        return substitute(value, self.variables)

    def _request(self, step: Step) -> tuple[str, str, dict[str, str], Any, dict[str, Any]]:
        if step.action is not None:
            action = self._text(step.action.model_dump())
            path = f"/_sandbox/{action['provider']}/sessions/{action['session']}/actions/{action['action']}"
            return "POST", path, action["headers"], action["body"], {}
        assert step.call is not None
        call = self._text(step.call.model_dump())
        if call["operation"] is None:
            return call["method"].upper(), call["path"], call["headers"], call["body"], call["query"]
        provider = self.providers[call["provider"]]
        op = next(op for op in provider.operations if op.name == call["operation"])
        path = operation_path(provider.name, op.path, call["params"])
        return op.method, path, call["headers"], call["body"], call["query"]

    async def _consequences(self) -> None:
        """Print what the last step caused, in the order it happened: faults that fired before
        commit, state changes, webhooks queued, faults after commit, then webhook attempts."""
        rules = (await self.client.get("/_sandbox/scenario")).json()["faults"]
        fired = [rule for rule, before in zip(rules, self._fired, strict=False) if rule["fired"] > before]
        self._fired = [rule["fired"] for rule in rules]
        for rule in fired:
            if rule["phase"] != "after_commit":
                self._fault(rule)
        events = await self._list("/_sandbox/events", "events")
        for event in events[self._events :]:
            change = f"{event['from'] or '(new)'} -> {event['to']} ({event['action']})"
            self.say.line(f"     * {event['provider']} {event['session_id']}: {change}", "34")
        self._events = len(events)
        deliveries = await self._list("/_sandbox/webhooks", "deliveries")
        for delivery in deliveries[self._webhooks :]:
            chaos = f"  [{'; '.join(delivery['chaos'])}]" if delivery.get("chaos") else ""
            self.say.line(f"     ~ webhook {delivery.get('event')} -> {delivery.get('url')}  queued{chaos}", "34")
        self._webhooks = len(deliveries)
        for rule in fired:
            if rule["phase"] == "after_commit":
                self._fault(rule)
        await self._attempted(deliveries)

    def _fault(self, rule: dict[str, Any]) -> None:
        self.say.line(f"     ! fault {rule['name']} fired ({rule['phase']}: {short(rule['act'], 60)})", "35")

    async def _attempted(self, deliveries: list[dict[str, Any]]) -> None:
        """One line per webhook attempt made since the last step, in sandbox time: where it went,
        how late it was, what came back, and whether the receiver verified its signature (the
        built-in inbox says so; a URL receiver's 2xx is taken as accepted)."""
        verdicts: dict[str, dict[str, bool]] = {}  # inbox -> delivery id -> verified
        new = [
            (attempt["at"], delivery, attempt)
            for delivery in deliveries
            for attempt in delivery.get("attempts", [])[self._attempts.get(delivery["id"], 0) :]
        ]
        for _, delivery, attempt in sorted(new, key=lambda item: str(item[0])):
            self._attempts[delivery["id"]] = attempt["number"]
            url = str(attempt["url"])
            answer = str(attempt["status"]) if attempt["status"] is not None else str(attempt["error"])
            if url.startswith("inbox:"):
                inbox = url.removeprefix("inbox:")
                if inbox not in verdicts:
                    entries = await self._list(f"/_sandbox/inbox/{inbox}", "deliveries")
                    verdicts[inbox] = {entry["delivery_id"]: bool(entry.get("verified")) for entry in entries}
                verified = verdicts[inbox].get(delivery["id"])
                verdict = "" if verified is None else ", verified" if verified else ", signature REFUSED"
            else:
                accepted = attempt["status"] is not None and 200 <= attempt["status"] < 300
                verdict = ", accepted" if accepted else ", not accepted"
            late = _late(delivery["created_at"], attempt["at"])
            chaos = f"  [{'; '.join(delivery['chaos'])}]" if delivery.get("chaos") else ""
            line = f"     ~ webhook {delivery.get('event')} -> {url}  attempt {attempt['number']} at {attempt['at']}"
            self.say.line(f"{line}{late}: {answer}{verdict}{chaos}", "34" if verdict != ", signature REFUSED" else "33")

    async def _list(self, path: str, key: str) -> list[dict[str, Any]]:
        response = await self.client.get(path)
        return list(response.json().get(key, [])) if response.status_code == 200 else []

    def _check(self, expect: Expect, response: httpx.Response, body: Any) -> None:
        problems: list[str] = []
        if expect.dropped:
            problems.append(f"expected the connection to fail, got {response.status_code}")
        statuses = expect.status if isinstance(expect.status, list) else [expect.status]
        if expect.status is not None and response.status_code not in statuses:
            problems.append(f"status: expected {expect.status}, got {response.status_code}")
        for name, value in self._text(expect.headers).items():
            if response.headers.get(name) != str(value):
                problems.append(f"header {name}: expected {value!r}, got {response.headers.get(name)!r}")
        if expect.body is not None:
            problems += mismatches(self._text(expect.body), body)
        for path, value in self._text(expect.json_paths).items():
            try:
                problems += mismatches(value, lookup(body, path), path)
            except Unresolved as error:
                problems.append(str(error))
        self._report(problems)

    def _check_dropped(self, expect: Expect | None) -> None:
        if expect is not None:
            self._report([] if expect.dropped else ["the connection failed, but the step expected a response"])

    def _report(self, problems: list[str]) -> None:
        if not problems:
            self.say.line("     ok", "32")
            return
        self.failures += 1
        for problem in problems:
            self.say.line(f"     FAIL {problem}", "31")

    def _fail(self, text: str) -> None:
        self.failures += 1
        self.say.line(text, "31")


def _late(queued: str, attempted: str) -> str:
    """` (600 s after the event)` when an attempt went out later than its event (chaos delay, retries)."""
    from datetime import datetime

    try:
        seconds = (datetime.fromisoformat(attempted) - datetime.fromisoformat(queued)).total_seconds()
    except ValueError:
        return ""
    return f" ({seconds:g} s after the event)" if seconds > 0 else ""


def _parse(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return jsonwire.loads(response.content)
    except ValueError:
        return response.text


def fresh_namespace(source: str) -> str:
    """A namespace of its own for one `sandbox run --url` (the file's name, and a random part so two
    runs of the same file on one server never meet)."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(source).stem)[:40] or "scenario"
    return f"run-{stem}-{secrets.token_hex(3)}"


async def run(
    scenario: Scenario,
    text: str,
    source: str,
    url: str | None,
    out: TextIO | None = None,
    namespace: str | None = None,
) -> int:
    """Play `scenario` (whose source `text` is PUT to `url` when given, into `namespace` there, a
    fresh one by default, so the server's other users are left alone); returns the exit code."""
    from sandbox.app import Settings, create_app
    from sandbox.registry import PROVIDERS

    timeline = Timeline(out or sys.stdout)
    if url is None:
        app = create_app(Settings(scenario=scenario))
        transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        client = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:4242")
    else:
        name = namespace or fresh_namespace(source)
        url = url.rstrip("/") if name == "default" else f"{url.rstrip('/')}/ns/{name}"
        timeline.line(f"playing in namespace {name}: {url}", "36")
        client = httpx.AsyncClient(base_url=url, timeout=30)
    async with client:
        if url is not None:
            loaded = await client.put("/_sandbox/scenario", params={"source": source}, content=text.encode())
            if loaded.status_code != 200:
                timeline.line(f"{url} refused the scenario ({loaded.status_code}):", "31")
                timeline.line(loaded.json().get("message", loaded.text), "31")
                return 1
        failed = await Player(client, PROVIDERS, timeline).play(scenario)
    return 1 if failed else 0
