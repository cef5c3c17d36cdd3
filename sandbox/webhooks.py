"""The outbox and the webhook ledger: what must be sent, to whom, and what happened.

Every state change the machine makes is recorded here in the same step as the change, so a
fault after the commit can never lose an event. A provider that sends webhooks turns a change
into zero or more `Delivery`s (payload, signed headers, retry schedule); this module keeps them,
says which are due on the sandbox clock, and records every attempt. Sending is `dispatcher.py`'s
job; this module does no I/O. Per session, deliveries go out in order: a later one waits while
an earlier one is still being retried. Everything is capped so a long run's memory stays flat.
A scenario's `webhooks` rules (`webhook_chaos.py`) may drop, delay, duplicate, reorder or
mis-sign a delivery as it is queued.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sandbox import jsonwire
from sandbox.bounded import Capped, Inboxes
from sandbox.clock import iso

TENANTS = 10_000  # merchants with their own endpoints, subscriptions or inbox expectations
PENDING, DELIVERED, FAILED, DROPPED = "pending", "delivered", "failed", "dropped"


@dataclass(frozen=True, slots=True)
class Event:
    """One webhook a provider wants sent for a state change."""

    type: str
    payload: dict[str, Any]


class Signer(Protocol):
    def __call__(self, body: bytes, secret: str, now: datetime) -> dict[str, str]: ...


class Verifier(Protocol):
    def __call__(self, body: bytes, headers: Mapping[str, str], secret: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class Policy:
    """A provider's webhook rules: how to sign and verify, when to retry, what counts as delivered."""

    sign: Signer
    verify: Verifier
    schedule: Sequence[float]  # delay before each attempt, from the one before; the first is 0
    accepts: Callable[[int], bool]
    timeout: float
    default_events: frozenset[str] | None  # None: every event type
    # The signature carries the time it was made (CDP's `t=`), which receivers check against
    # their own clock: each attempt is signed afresh, with the wall time of that attempt.
    signs_each_attempt: bool = False
    # Every event type the provider can send (scenario rules are checked against it); empty: unknown.
    event_types: frozenset[str] = frozenset()


@dataclass(slots=True)
class Endpoint:
    url: str | None  # None: the built-in inbox named after the merchant
    secret: str
    events: frozenset[str] | None = None  # None: the provider's default subscription
    id: str = ""  # "": the control API's endpoint; else a subscription made through the provider's API
    enabled: bool = True
    headers: dict[str, str] = field(default_factory=dict)  # sent with every delivery (CDP `target.headers`)
    attributes: dict[str, Any] = field(default_factory=dict)  # what the provider's API shows about it


@dataclass(slots=True)
class Attempt:
    number: int
    at: datetime
    url: str
    status: int | None
    error: str | None
    latency_ms: float
    forced: bool = False  # made now by a flush or redeliver of the control API, whatever the backoff

    def public(self) -> dict[str, Any]:
        shown = {
            "number": self.number,
            "at": iso(self.at),
            "url": self.url,
            "status": self.status,
            "error": self.error,
            "latency_ms": round(self.latency_ms, 1),
        }
        if self.forced:  # only then: the log of scheduled attempts reads as it always did
            shown["forced"] = True
        return shown


@dataclass(slots=True)
class Delivery:
    id: str
    provider: str
    merchant: str
    session_id: str
    event: str
    body: bytes
    headers: dict[str, str]
    url: str | None
    inbox: str
    created_at: datetime
    policy: Policy
    next_at: datetime | None
    state: str = PENDING
    attempts: list[Attempt] = field(default_factory=list)
    secret: str = ""  # kept to sign each attempt afresh (Policy.signs_each_attempt)
    endpoint_id: str = ""  # Endpoint.id: ordering is per session and endpoint
    # Set by the scenario's webhook rules (webhook_chaos.py):
    chaos: list[str] = field(default_factory=list)  # what was done to it, and by which rule
    sign_secret: str | None = None  # None: the endpoint's secret
    sign_lag: float = 0.0  # seconds the signed time lags behind the signing instant
    held_until: datetime | None = None  # reordered: waits for a later event, at most until then

    @property
    def key(self) -> tuple[str, str, str]:
        """Deliveries with the same key go out in the order they were queued."""
        return (self.provider, self.session_id, self.endpoint_id)

    def sign(self, at: datetime) -> None:
        signed_at = at - timedelta(seconds=self.sign_lag)
        self.headers.update(self.policy.sign(self.body, self.sign_secret or self.secret, signed_at))

    def drop(self) -> None:
        self.state, self.next_at = DROPPED, None

    def record(self, attempt: Attempt) -> None:
        self.attempts.append(attempt)
        ok = attempt.status is not None and self.policy.accepts(attempt.status)
        if ok:
            self.state, self.next_at = DELIVERED, None
        elif len(self.attempts) >= len(self.policy.schedule):
            self.state, self.next_at = FAILED, None
        else:
            self.next_at = attempt.at + timedelta(seconds=self.policy.schedule[len(self.attempts)])

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "merchant": self.merchant,
            "session_id": self.session_id,
            "event": self.event,
            "state": self.state,
            "url": self.url or f"inbox:{self.inbox}",
            "created_at": iso(self.created_at),
            "next_attempt_at": iso(self.next_at) if self.next_at else None,
            "held_until": iso(self.held_until) if self.held_until else None,
            "chaos": self.chaos,
            "headers": self.headers,
            "body": self.body.decode(),
            "attempts": [attempt.public() for attempt in self.attempts],
        }


class Tampering(Protocol):
    """The scenario's webhook rules (webhook_chaos.py), as the outbox sees them."""

    def apply(self, delivery: Delivery, now: datetime) -> int:
        """Tamper with `delivery` as it is queued; returns how many duplicates to queue after it."""
        ...


class Webhooks:
    """Endpoints, the deliveries log and the built-in inboxes of one sandbox."""

    def __init__(self, cap: int = 10_000) -> None:
        # The scenario's rules, set once its fixtures are built: fixtures are never broken.
        self.chaos: Tampering | None = None
        # Per-tenant tables hold the last TENANTS tenants set (bounded.py): any test credential is a new tenant.
        self.endpoints: dict[tuple[str, str], Endpoint] = Capped(TENANTS)  # the control API's, one per merchant
        # More endpoints per merchant, made through a provider's own API (CDP's subscriptions), by id.
        self.subscriptions: dict[tuple[str, str], dict[str, Endpoint]] = Capped(TENANTS)
        self.inboxes = Inboxes()
        self.expectations: dict[str, tuple[str, str]] = Capped(TENANTS)  # inbox name -> (provider, secret)
        self._deliveries: OrderedDict[str, Delivery] = OrderedDict()
        # Reordered deliveries (and their copies) per key, waiting for the next event of that key.
        self._held: dict[tuple[str, str, str], list[str]] = {}
        self._cap = cap
        self._next = 1
        # No delivery pending since the last look (`due`): the live loop skips this outbox.
        self.quiet = True

    # deliveries -----------------------------------------------------------------------------
    def endpoint(self, provider: str, merchant: str, default_secret: str) -> Endpoint:
        return self.endpoints.get((provider, merchant)) or Endpoint(None, default_secret)

    def targets(self, provider: str, merchant: str, default_secret: str) -> list[Endpoint]:
        """Every enabled endpoint of the merchant; the built-in inbox when none was ever set."""
        made = self.subscriptions.get((provider, merchant), {})
        own = self.endpoints.get((provider, merchant))
        if own is None and not made:
            return [Endpoint(None, default_secret)]
        return [target for target in [own, *made.values()] if target is not None and target.enabled]

    def enqueue(
        self, provider: str, merchant: str, session_id: str, event: Event, policy: Policy, secret: str, now: datetime
    ) -> list[Delivery]:
        """Queue `event` for each of the merchant's endpoints that is subscribed to it."""
        body = jsonwire.trimmed(jsonwire.dumps(event.payload))  # kept with each delivery
        self.quiet = False
        queued = []
        for target in self.targets(provider, merchant, secret):
            subscribed = target.events if target.events is not None else policy.default_events
            if target.url is not None and subscribed is not None and event.type not in subscribed:
                continue  # the built-in inbox, standing in for "no endpoint yet", shows every event
            delivery = Delivery(
                id=f"whd_{self._next:08d}",
                provider=provider,
                merchant=merchant,
                session_id=session_id,
                event=event.type,
                body=body,
                headers={"Content-Type": "application/json", **target.headers},
                url=target.url,
                inbox=f"{provider}-{merchant}",
                created_at=now,
                policy=policy,
                next_at=now,
                secret=target.secret,
                endpoint_id=target.id,
            )
            self._next += 1
            copies = self.chaos.apply(delivery, now) if self.chaos is not None else 0
            delivery.sign(now)
            held = self._held.pop(delivery.key, [])  # reordered ones: they now go after this event
            self._deliveries[delivery.id] = delivery
            batch = [delivery] + [self._copy(delivery, now, f"duplicate of {delivery.id}") for _ in range(copies)]
            queued += batch
            for earlier in held:
                if earlier in self._deliveries:
                    self._deliveries[earlier].held_until = None
                    self._deliveries.move_to_end(earlier)
            if delivery.held_until is not None:
                self._held[delivery.key] = [each.id for each in batch]
        self._trim()
        return queued

    def get(self, delivery_id: str) -> Delivery | None:
        return self._deliveries.get(delivery_id)

    def of_endpoint(self, provider: str, endpoint_id: str) -> list[Delivery]:
        """The deliveries still held for one of a provider's own endpoints, oldest first."""
        return [d for d in self._deliveries.values() if d.provider == provider and d.endpoint_id == endpoint_id]

    def redeliver(self, original: Delivery, now: datetime) -> Delivery:
        """A fresh delivery of the same body, signed afresh with the endpoint's secret (no chaos),
        with its own attempts and schedule."""
        copy = self._copy(original, now)
        self.quiet = False
        copy.sign_secret, copy.sign_lag, copy.held_until = None, 0.0, None
        copy.sign(now)
        self._trim()
        return copy

    def _copy(self, original: Delivery, now: datetime, chaos: str | None = None) -> Delivery:
        """The same body and headers as a new delivery, queued last; a duplicate keeps the chaos."""
        copy = Delivery(
            id=f"whd_{self._next:08d}",
            provider=original.provider,
            merchant=original.merchant,
            session_id=original.session_id,
            event=original.event,
            body=original.body,
            headers=dict(original.headers),
            url=original.url,
            inbox=original.inbox,
            created_at=now,
            policy=original.policy,
            next_at=now,
            secret=original.secret,
            endpoint_id=original.endpoint_id,
        )
        if chaos is not None:
            copy.chaos = [chaos]
            copy.sign_secret, copy.sign_lag = original.sign_secret, original.sign_lag
            copy.held_until, copy.next_at = original.held_until, original.next_at
        self._next += 1
        self._deliveries[copy.id] = copy
        return copy

    def due(self, now: datetime, force: bool = False) -> list[Delivery]:
        """Deliveries whose attempt is due, at most one per session and endpoint: the oldest still
        pending. `force`: that one whatever its backoff (a reordered one still waits its hold)."""
        blocked: set[tuple[str, str, str]] = set()
        ready = []
        pending = False
        for delivery in self._deliveries.values():
            if delivery.state != PENDING:
                continue
            pending = True
            if delivery.held_until is not None and now < delivery.held_until:
                continue  # reordered: a later event of its session may pass it
            key = delivery.key
            if key in blocked:
                continue
            blocked.add(key)
            if force or (delivery.next_at is not None and delivery.next_at <= now):
                ready.append(delivery)
        self.quiet = not pending
        return ready

    def list(self, filters: Mapping[str, str]) -> list[dict[str, Any]]:
        keys = ("provider", "session_id", "event", "state", "merchant")
        chosen = [
            delivery
            for delivery in self._deliveries.values()
            if all(filters.get(key) in (None, getattr(delivery, key)) for key in keys)
        ]
        return [delivery.public() for delivery in chosen]

    def recent(self, limit: int) -> Sequence[dict[str, Any]]:
        """The newest `limit` deliveries, newest first, without describing the rest (the dashboard)."""
        return [delivery.public() for delivery in itertools.islice(reversed(self._deliveries.values()), limit)]

    def _trim(self) -> None:
        while len(self._deliveries) > self._cap:
            self._deliveries.popitem(last=False)
        if self._held:  # forget reorder holds whose deliveries went out when their hold ran out
            self._held = {key: ids for key, ids in self._held.items() if any(self._waiting(each) for each in ids)}

    def _waiting(self, delivery_id: str) -> bool:
        delivery = self._deliveries.get(delivery_id)
        return delivery is not None and delivery.state == PENDING

    # the built-in inbox ---------------------------------------------------------------------
    def receive(self, name: str, entry: dict[str, Any]) -> None:
        self.inboxes.add(name, entry)
