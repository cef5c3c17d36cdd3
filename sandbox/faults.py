"""Scenario faults: which calls they hit, when they fire, what the client gets instead.

A rule has a `match` (provider, operation, method, path glob, merchant, body subset, headers),
a `when` (the nth match, the first `times`, every kth, a seeded probability, after an instant)
and an `act`: a provider-native error by domain code (rendered by that provider's own
`render_error`, so a 429 is Payviox's 429 with its `Retry-After`), a raw reply, added latency,
a dropped connection or a body cut off mid-way. The pipeline calls this module once per phase:

- `before_commit`, after auth and rate limits and before the handler: nothing changes state;
- `after_commit`, once the response exists and its idempotency record is stored: the state
  changed, but the client never learns it, so a retry with the same key gets the original.

Rules are tried in file order: latency-only rules that fire add their delay and the search goes
on; the first rule that fires with another act answers. Every rule counts each call it matches,
and `describe()` shows both counts (GET /_sandbox/scenario). Probabilities come from
their own RNG seeded from the sandbox seed, so adding a fault never shifts the ids a run makes.
"""

from __future__ import annotations

import asyncio
import fnmatch
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.responses import Response

from sandbox import console, sabotage
from sandbox.contract import Reply
from sandbox.errors import CODES, SandboxError
from sandbox.responses import to_response
from sandbox.rules import CountedRules, When, due
from sandbox.sabotage import Dropped, Truncated
from sandbox.steps import mismatches

if TYPE_CHECKING:
    from sandbox.contract import Call, Operation


def error_classes() -> dict[str, type[SandboxError]]:
    """Domain code -> the error class a rule's `act.error` builds (errors.CODES)."""
    return CODES


class Match(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = None
    operation: str | None = Field(None, description="a name from the provider's operation table, or action.<name>")
    method: str | None = None
    path: str | None = Field(None, description="glob on the request path, e.g. /payviox/payment/*")
    merchant: str | None = None
    body: dict[str, Any] = Field({}, description="a subset the JSON request body must contain")
    headers: dict[str, str] = Field({}, description="header -> exact value (names are case-insensitive)")


class RawReply(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: int = Field(ge=100, le=599)
    body: Any = None
    headers: dict[str, str] = {}


class Act(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: str | None = Field(None, description="a domain error code, rendered in the provider's own envelope")
    message: str = ""
    reason: str | None = None
    retry_after: int | None = Field(None, ge=0)
    scope: str | None = None
    fields: dict[str, list[str]] = {}
    respond: RawReply | None = None
    latency: float | None = Field(None, ge=0, le=60, description="seconds to wait before answering")
    drop: bool = Field(False, description="close the connection without a response")
    truncate: bool = Field(False, description="send the headers and half the body, then close")

    @model_validator(mode="after")
    def _one_outcome(self) -> Act:
        outcomes = [name for name in ("error", "respond", "drop", "truncate") if getattr(self, name)]
        if len(outcomes) > 1:
            raise ValueError(f"an act has at most one of error, respond, drop, truncate (got {outcomes})")
        if not outcomes and self.latency is None:
            raise ValueError("an act needs one of error, respond, latency, drop, truncate")
        codes = error_classes()
        if self.error is not None and self.error not in codes:
            raise ValueError(f"unknown error code {self.error!r}; known: {sorted(codes)}")
        return self

    @property
    def replaces(self) -> bool:
        """True when the client gets something other than the normal answer (not just later)."""
        return self.error is not None or self.respond is not None or self.drop or self.truncate


# Every kind of fault a rule can inject, for contract coverage (coverage.py): an error per domain
# code, a raw reply, latency, a dropped connection, a truncated body.
KINDS: tuple[str, ...] = (*(f"error:{code}" for code in CODES), "respond", "latency", "drop", "truncate")


def kinds(act: Act) -> list[str]:
    """The KINDS an act injects (latency may come with one other)."""
    found = [f"error:{act.error}"] if act.error is not None else []
    found += [name for name in ("respond", "latency", "drop", "truncate") if getattr(act, name)]
    return found


class FaultRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    phase: Literal["before_commit", "after_commit"] = "before_commit"
    match: Match = Match()
    when: When = When()
    act: Act


class Faults(CountedRules[FaultRule]):
    """The active fault rules, tried by the pipeline in both phases."""

    section = "faults"
    # Told of each rule that fires, with the call's provider (the sandbox's coverage counts it).
    on_fire: Callable[[str, Act], None] | None = None

    async def before_commit(self, call: Call, op: Operation) -> Reply | None:
        """A reply that replaces the handler's, or None to go on."""
        index = await self._fire(call, "before_commit", "before commit")
        if index is None:
            return None
        call.fault = index
        return self._reply(call, index)

    async def after_commit(self, call: Call, response: Response) -> Response:
        """Deliver a before-commit fault's reply, or let an after-commit rule replace a success."""
        if call.fault is not None:
            return _deliver(self.rules[call.fault].act, response)
        if response.status_code >= 400 or call.operation == "unmatched":
            return response  # nothing was committed
        index = await self._fire(call, "after_commit", "after commit (the change stands)")
        if index is None:
            return response
        act = self.rules[index].act
        if act.error is not None or act.respond is not None:
            response = to_response(self._reply(call, index))
        return _deliver(act, response)

    async def _fire(self, call: Call, phase: str, note: str) -> int | None:
        """Wait out the latency of every rule that fired; the one that replaces the answer, if any."""
        fired = self._pick(call, phase)
        for index in fired:
            call.notes.append(f"fault {self.label(index)} fired {note}")
            act = self.rules[index].act.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
            console.log(
                console.FAULTS,
                f"fault {self.label(index)} fired {note}: {call.method} {call.path} "
                f"({call.provider.name} {call.operation}) {act}",
                fault=self.label(index),
                phase=phase,
                method=call.method,
                path=call.path,
                provider=call.provider.name,
                operation=call.operation,
                act=act,
            )
        latency = sum(self.rules[index].act.latency or 0 for index in fired)
        if latency:
            await asyncio.sleep(latency)
        return fired[-1] if fired and self.rules[fired[-1]].act.replaces else None

    def _pick(self, call: Call, phase: str) -> list[int]:
        """Count every rule that matches; fire latency-only rules that are due and the first due
        rule that replaces the answer, which ends the firing (later rules still count)."""
        fired: list[int] = []
        answered = False
        for index, rule in enumerate(self.rules):
            if rule.phase != phase or not _matches(rule.match, call):
                continue
            self.matched[index] += 1
            if answered or not self._due(index, call.now):
                continue
            self.fired[index] += 1
            fired.append(index)
            if self.on_fire is not None:
                self.on_fire(call.provider.name, rule.act)
            answered = rule.act.replaces
        return fired

    def _due(self, index: int, now: datetime) -> bool:
        return due(self.rules[index].when, self.matched[index], self.fired[index], now, self._rng)

    def _reply(self, call: Call, index: int) -> Reply:
        act = self.rules[index].act
        if act.respond is not None:
            reply = Reply(act.respond.status, act.respond.body, dict(act.respond.headers))
        else:
            error = error_classes()[act.error or "unavailable"](
                act.message, reason=act.reason, fields=act.fields, retry_after=act.retry_after, scope=act.scope
            )
            reply = call.render(error)
        reply.headers["X-Sandbox-Fault"] = self.label(index)
        return reply


def _matches(match: Match, call: Call) -> bool:
    if match.provider is not None and match.provider != call.provider.name:
        return False
    if match.operation is not None and match.operation != call.operation:
        return False
    if match.method is not None and match.method.upper() != call.method:
        return False
    if match.path is not None and not fnmatch.fnmatchcase(call.path, match.path):
        return False
    if match.merchant is not None and (call.merchant is None or call.merchant.id != match.merchant):
        return False
    if match.body and mismatches(match.body, call.body if isinstance(call.body, dict) else None):
        return False
    return all(call.headers.get(name) == value for name, value in match.headers.items())


def _deliver(act: Act, response: Response) -> Response:
    if act.drop:
        return Dropped()
    if act.truncate:
        return Truncated(response)
    return response


def __getattr__(name: str) -> Any:
    # `sandbox.faults.DroppedConnection`, as earlier versions documented it, still names the class.
    if name == "DroppedConnection":
        return sabotage.dropped_connection()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
