"""Errors on a provider's wire: a table per provider, and the one renderer they share.

A provider declares, per domain error code (errors.py), a `Wire`: the HTTP status, the words
it uses when the error carries no message of its own, and its own name for the error where its
envelope has one (CDP's `errorType`). Its `envelope` function builds the body and headers from
that, so its `render_error` is `render(ERRORS, FALLBACK, envelope, error, call)` plus the few
true special cases its docs print (a documented body for one reason, a challenge header). The
table is the fidelity record of a provider's errors, and the catalogue tests loop over it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sandbox.contract import Call, Reply
from sandbox.errors import SandboxError


@dataclass(frozen=True, slots=True)
class Wire:
    """How one domain error code goes on a provider's wire."""

    status: int
    message: str = ""  # when the error carries none, or always with `fixed`
    kind: str = ""  # the provider's own name for the error, where its envelope has one
    retry_after: int | None = None  # the Retry-After seconds when the error names none (429s)
    fixed: bool = False  # the body always says `message`: the error's own words never reach the client
    explain: bool = False  # X-Sandbox-Reason carries the error's own words (when ASCII), as the body does not


# (how the code goes on the wire, the error, its message or the table's, the call) -> the reply
Envelope = Callable[[Wire, SandboxError, str, Call], Reply]


def render(table: Mapping[str, Wire], fallback: Wire, envelope: Envelope, error: SandboxError, call: Call) -> Reply:
    """The provider's reply for `error`; its message also goes into the journal's notes.
    A code the table lacks gets the fallback row, whose words are always its own."""
    if error.message:
        call.notes.append(error.message)
    wire = table.get(error.code, fallback)
    fixed = wire.fixed or wire is fallback
    reply = envelope(wire, error, wire.message if fixed else error.message or wire.message, call)
    if wire.explain:
        reply.headers.update(reason(error))
    return reply


def reason(error: SandboxError) -> dict[str, str]:
    """The sandbox's own words on why, for a header (HTTP headers take ASCII only)."""
    return {"X-Sandbox-Reason": error.message} if error.message and error.message.isascii() else {}
