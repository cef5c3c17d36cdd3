"""Sends what the webhook ledger says is due, over HTTP, on the sandbox clock.

Each attempt is stamped with the instant it was scheduled for, and `deliver_due()` keeps going
until nothing is due at the clock's now: so advancing the clock by an hour plays every retry
that hour holds, in order, as if the time had passed (Stripe's test clocks do the same). On a
live server the app's lifespan runs `run()`, which wakes when something is queued and once a
tick; tests on the ASGI transport call `deliver_due()` through the control API instead.
A delivery with no URL goes to the built-in inbox without a socket.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sandbox import console
from sandbox.clock import Clock
from sandbox.coverage import Coverage
from sandbox.webhooks import DELIVERED, Attempt, Delivery, Webhooks

if TYPE_CHECKING:
    import httpx


class Outbox(Protocol):
    """What the dispatcher needs of a sandbox: its outbox, its clock, its deadline sweep, and
    its contract coverage (which counts the deliveries that reached `delivered`)."""

    webhooks: Webhooks
    clock: Clock
    coverage: Coverage

    def expire_due(self, now: datetime | None = None) -> object: ...


class Sandboxed(Outbox, Protocol):
    """A sandbox the live loop serves: an outbox with its own dispatcher."""

    dispatcher: Dispatcher
    dirty: bool  # changed since `--state-dir` last wrote it


MAX_ROUNDS = 10_000  # a bound on one catch-up; every delivery has a finite schedule anyway


class Courier:
    """What every sandbox of one server shares for sending: the live loop's wake-up and its
    HTTP client. One loop serves every namespace, and a namespace with nothing due costs it
    two comparisons a tick (`Outbox.expire_due` on an empty heap, `Webhooks.quiet`)."""

    def __init__(self) -> None:
        self.wake = asyncio.Event()
        self.client: httpx.AsyncClient | None = None  # the live loop's, made on its first delivery to a URL
        self.live = False  # whether `run()` is looping (and so owns `client`)

    async def run(self, sandboxes: Callable[[], Iterable[Sandboxed]], tick: float) -> None:
        """The live server's loop: deliver when nudged, and at least once a tick."""
        self.live = True
        try:
            while True:
                try:
                    await asyncio.wait_for(self.wake.wait(), timeout=tick)
                except TimeoutError:
                    pass
                self.wake.clear()
                for sandbox in sandboxes():
                    if sandbox.expire_due():
                        sandbox.dirty = True
                    if not sandbox.webhooks.quiet and await sandbox.dispatcher.deliver_due(sandbox):
                        sandbox.dirty = True
        finally:
            self.live = False
            client, self.client = self.client, None
            if client is not None:
                await client.aclose()


class Dispatcher:
    """One sandbox's sending: attempts what its outbox says is due, one round at a time."""

    def __init__(self, courier: Courier | None = None, on_attempts: Callable[[], None] | None = None) -> None:
        self.courier = courier or Courier()
        self._on_attempts = on_attempts  # live views' change notification (changes.py)
        # One round at a time: the live server's loop and a `POST /_sandbox/webhooks/flush` would
        # otherwise both pick the same due delivery and send it twice. A flush that comes while
        # the loop is sending waits for that round, so what it returns has been attempted.
        self._round = asyncio.Lock()

    def nudge(self) -> None:
        self.courier.wake.set()

    async def deliver_due(self, sandbox: Outbox, force: bool = False) -> list[Delivery]:
        """Attempt everything due now, then whatever that unblocks, until nothing is due. `force`
        (the control API's flush): the first round attempts every pending delivery that is next
        in its order now, whatever its backoff; what that unblocks or fails waits as usual."""
        done: list[Delivery] = []
        async with self._round:
            for round_number in range(MAX_ROUNDS):
                now = sandbox.clock.now()
                due = sandbox.webhooks.due(now, force=force and round_number == 0)
                if not due:
                    break
                # forced: ahead of its schedule (what was due anyway is not marked)
                early = [force and delivery.next_at is not None and delivery.next_at > now for delivery in due]
                await asyncio.gather(
                    *(self._attempt(sandbox, each, ahead) for each, ahead in zip(due, early, strict=True))
                )
                done.extend(due)
                for delivery in due:
                    if delivery.state == DELIVERED:
                        sandbox.coverage.delivered(delivery.provider, delivery.event)
        if done and self._on_attempts is not None:
            self._on_attempts()
        return done

    async def attempt_now(self, sandbox: Outbox, delivery: Delivery) -> None:
        """One attempt of `delivery` now, whatever its backoff and the deliveries before it (the
        control API's redeliver), marked forced."""
        async with self._round:
            await self._attempt(sandbox, delivery, forced=True)

    async def _attempt(self, sandbox: Outbox, delivery: Delivery, forced: bool = False) -> None:
        now = sandbox.clock.now()
        at = now if forced else (delivery.next_at or now)
        number = len(delivery.attempts) + 1
        if delivery.policy.signs_each_attempt:  # a receiver checks the signed time against its own clock
            delivery.sign(sandbox.clock.wall())
        if delivery.url is None:
            verified = delivery.policy.verify(delivery.body, delivery.headers, delivery.secret)
            sandbox.webhooks.receive(delivery.inbox, _inbox_entry(delivery, verified=verified))
            delivery.record(Attempt(number, at, f"inbox:{delivery.inbox}", 200, None, 0.0, forced))
            _log(delivery, verified)
            return
        # httpx (and a client, whose TLS context loads the CA bundle) only once a webhook goes to a
        # URL: most runs send none, and both cost `sandbox serve` ~50 ms before its first answer.
        import httpx

        courier = self.courier
        if courier.client is None and courier.live:
            courier.client = httpx.AsyncClient()
        status: int | None = None
        error: str | None = None
        started = time.perf_counter()  # a duration for the log, not a "now"
        try:
            client = courier.client or httpx.AsyncClient()
            try:
                response = await client.post(
                    delivery.url, content=delivery.body, headers=delivery.headers, timeout=delivery.policy.timeout
                )
                status = response.status_code
            finally:
                if client is not courier.client:
                    await client.aclose()
        except httpx.HTTPError as failure:
            error = f"{type(failure).__name__}: {failure}" if str(failure) else type(failure).__name__
        latency = (time.perf_counter() - started) * 1000
        delivery.record(Attempt(number, at, delivery.url, status, error, latency, forced))
        _log(delivery, None)


def _log(delivery: Delivery, verified: bool | None) -> None:
    """One line per attempt: where it went, what came back, what chaos did to it."""
    attempt = delivery.attempts[-1]
    where = console.masked_url(attempt.url)
    answer = str(attempt.status) if attempt.status is not None else attempt.error or "no answer"
    chaos = f" [{', '.join(delivery.chaos)}]" if delivery.chaos else ""
    check = "" if verified is None else " (signature verified)" if verified else " (signature REFUSED)"
    console.log(
        console.WEBHOOKS,
        f"webhook {delivery.provider} {delivery.event} for {delivery.session_id} attempt {attempt.number} "
        f"-> {where}: {answer}{check}, {delivery.state}{chaos}",
        provider=delivery.provider,
        event=delivery.event,
        session_id=delivery.session_id,
        delivery_id=delivery.id,
        attempt=attempt.number,
        url=where,
        status=attempt.status,
        error=attempt.error,
        verified=verified,
        state=delivery.state,
        chaos=delivery.chaos,
        at=attempt.at.isoformat(),
    )


def _inbox_entry(delivery: Delivery, *, verified: bool) -> dict[str, object]:
    return {
        "delivery_id": delivery.id,
        "provider": delivery.provider,
        "event": delivery.event,
        "headers": delivery.headers,
        "body": delivery.body.decode(),
        "verified": verified,
    }
