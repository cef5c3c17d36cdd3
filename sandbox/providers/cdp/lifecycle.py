"""CDP payment-session states and their transition table, as data; the provider's name.

A session's `status` is "the most recent meaningful event" (PaymentSessionStatus in the spec):
`created`, `canceled`, or `{action}_{result}` for the four actions. Every action starts
`pending` and later settles `succeeded` or `failed` (PaymentActionStatus). Only one action may
be pending at a time (`payment_session_action_pending`), so the table needs no "two pending"
states. Balance rules (what is capturable, refundable) live with the record in `records.py`;
this table knows only which status may follow which. The deadlines a session carries are
guards checked in `ledger.py`, and the scenario settings are in `settings.py`.

`NAME` lives here, the one module every other one may import without a cycle.
"""

from __future__ import annotations

from typing import Literal

from sandbox.machine import Lifecycle

NAME = "cdp"  # the provider's name: its mount prefix, its store and webhook namespace
CREATED = "created"
CANCELED = "canceled"
KINDS = ("authorization", "capture", "void", "refund")
Outcome = Literal["succeeded", "failed"]  # how a pending action settles (RESULTS)
RESULTS: tuple[Outcome, ...] = ("succeeded", "failed")

# Statuses after an authorization succeeded in which no action is pending: captures, voids and
# refunds may start from any of them; the balances decide whether there is anything to move.
SETTLED_AFTER_AUTHORIZATION = (
    "authorization_succeeded",
    *(f"{kind}_{result}" for kind in ("capture", "void", "refund") for result in RESULTS),
)

_table: dict[tuple[str, str], str] = {
    (CREATED, "cancel"): CANCELED,  # cancel: "The session must be in `created` status."
    (CREATED, "authorization"): "authorization_pending",  # authorize*: "must be in `created` status"
}
for _kind in ("capture", "void", "refund"):
    for _state in SETTLED_AFTER_AUTHORIZATION:
        _table[(_state, _kind)] = f"{_kind}_pending"
for _kind in KINDS:
    for _result in RESULTS:
        _table[(f"{_kind}_pending", f"{_kind}_{_result}")] = f"{_kind}_{_result}"

# No expiry transitions: PaymentExpiries says "Each deadline acts as a guard ... No automatic
# state transitions occur". The store's deadlines are used for settling pending actions.
LIFECYCLE = Lifecycle(provider=NAME, initial=CREATED, table=_table, expire_action="never")


def is_pending(status: str) -> bool:
    return status.endswith("_pending")
