"""The generic state machine: a provider's lifecycle is data, this module applies it.

A `Lifecycle` is a table `(state, action) -> next state` plus the action that expiry fires.
`fire()` checks the table, moves the record, stamps its history and returns the `Transition`
(the domain event the outbox and webhooks see). It is sync and does no I/O, so a transition is
atomic on the server's single event loop. Amount rules live with the records that hold money,
in plain methods; this module knows only states.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sandbox.errors import InvalidState


@dataclass(frozen=True, slots=True)
class Transition:
    provider: str
    record_id: str
    merchant: str
    action: str
    before: str
    after: str
    at: datetime
    detail: Mapping[str, Any] = field(default_factory=dict)


class Stateful(Protocol):
    id: str
    merchant: str
    status: str
    expires_at: datetime | None
    # A tuple, not a list: a record with no history yet shares the empty one (an empty list costs
    # 56 B per stored record); histories are a few steps long, so `fire` copying it is cheap.
    history: tuple[Transition, ...]


@dataclass(frozen=True)
class Lifecycle:
    provider: str
    initial: str
    table: Mapping[tuple[str, str], str]
    expire_action: str = "expire"

    def allowed(self, state: str) -> list[str]:
        return sorted(action for (source, action) in self.table if source == state)

    def can(self, record: Stateful, action: str) -> bool:
        return (record.status, action) in self.table

    def fire(self, record: Stateful, action: str, now: datetime, **detail: Any) -> Transition:
        target = self.table.get((record.status, action))
        if target is None:
            raise InvalidState(
                f"cannot {action} a session that is {record.status}",
                reason=f"{action}_from_{record.status}",
            )
        step = Transition(self.provider, record.id, record.merchant, action, record.status, target, now, detail)
        record.status = target
        record.history = (*record.history, step)
        return step

    def expire_due(self, record: Stateful, now: datetime) -> Transition | None:
        """Expire the record if its deadline has passed and its state still allows it."""
        if record.expires_at is None or now < record.expires_at or not self.can(record, self.expire_action):
            return None
        return self.fire(record, self.expire_action, record.expires_at)
