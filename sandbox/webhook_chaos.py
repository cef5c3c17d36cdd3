"""Webhook chaos: a scenario's `webhooks` rules break delivery the ways production does.

A rule matches deliveries by provider, event type (a glob) and merchant, fires by the same
`when` as a fault (nth, times, every, seeded probability, after an instant) and acts on the
delivery as it is queued, before it is signed:

- `drop`: the event is lost on the provider's side: never sent, shown as `dropped` in the log
  (a merchant has to reconcile by reading the session);
- `delay: S`: the first attempt waits S seconds of sandbox clock; later events of the same
  session and endpoint wait behind it, since deliveries are in order per session;
- `duplicate: N`: N identical copies (same body, same headers, same event id) follow it;
- `reorder: true`: it is held back until the next event of its session and endpoint has been
  queued and goes out after that one (or, if none comes, once `hold` seconds have passed);
- `wrong_signature: true`: signed with a secret that is not the endpoint's;
- `stale_timestamp: S`: the signed time is S seconds in the past (only for providers whose
  signature carries a time: CDP's `t=`; a scenario that asks it of another is refused at load).

Every rule that fires applies, so one delivery can be both duplicated and badly signed. Rules
count each delivery they match (one per endpoint) and `describe()` shows both counts under
`webhooks` in `GET /_sandbox/scenario`. The probabilities draw from their own RNG, seeded from
the sandbox seed, so adding a rule never shifts the ids a run makes. All of this is invented:
no provider documents a way to break its own webhooks.
"""

from __future__ import annotations

import fnmatch
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.rules import CountedRules, When, due
from sandbox.webhooks import PENDING

if TYPE_CHECKING:
    from sandbox.webhooks import Delivery

MAX_SECONDS = 30 * 24 * 3600  # a bound on delays and skews: a month of sandbox time


class ChaosMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: str | None = None
    event: str | None = Field(None, description="the event type, or a glob such as acceptance.payment_session.*")
    merchant: str | None = None


class ChaosAct(BaseModel):
    model_config = ConfigDict(extra="forbid")

    drop: bool = Field(False, description="never send it; the log shows it as dropped")
    delay: float | None = Field(None, gt=0, le=MAX_SECONDS, description="seconds before the first attempt")
    duplicate: int = Field(0, ge=0, le=10, description="identical copies sent after it")
    reorder: bool = Field(False, description="send it after the next event of its session")
    hold: float = Field(60, gt=0, le=MAX_SECONDS, description="with reorder: the longest it waits for that event")
    wrong_signature: bool = Field(False, description="sign it with a secret that is not the endpoint's")
    stale_timestamp: int | None = Field(None, ge=1, le=MAX_SECONDS, description="seconds the signed time lags")

    @model_validator(mode="after")
    def _something(self) -> ChaosAct:
        chosen = [name for name in _ACTS if getattr(self, name)]
        if "hold" in self.model_fields_set and not self.reorder:
            raise ValueError("hold only applies with reorder: true")
        if not chosen:
            raise ValueError(f"an act needs one of {', '.join(_ACTS)}")
        if self.drop and len(chosen) > 1:
            raise ValueError(f"a dropped delivery is never sent: drop cannot go with {chosen[1:]}")
        return self

    def labels(self) -> list[str]:
        found = []
        for name in _ACTS:
            value = getattr(self, name)
            if value is True:
                found.append(name if name != "reorder" else f"reorder (hold {self.hold:g} s)")
            elif value:
                found.append(f"{name} {value:g}" + ("" if name == "duplicate" else " s"))
        return found


_ACTS = ("drop", "delay", "duplicate", "reorder", "wrong_signature", "stale_timestamp")


class WebhookRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = None
    match: ChaosMatch = ChaosMatch()
    when: When = When()
    act: ChaosAct


class WebhookChaos(CountedRules[WebhookRule]):
    """The active webhook rules, applied by the ledger to each delivery it queues."""

    section = "webhooks"

    def apply(self, delivery: Delivery, now: datetime) -> int:
        """Change `delivery` as the rules that fire say; the number of copies to send after it."""
        copies = 0
        for index, rule in enumerate(self.rules):
            if not _matches(rule.match, delivery):
                continue
            self.matched[index] += 1
            if not due(rule.when, self.matched[index], self.fired[index], now, self._rng):
                continue
            self.fired[index] += 1
            act = rule.act
            delivery.chaos += [f"{label} ({self.label(index)})" for label in act.labels()]
            if act.drop:
                delivery.drop()
            if act.delay and delivery.next_at is not None:
                delivery.next_at = max(delivery.next_at, now + timedelta(seconds=act.delay))
            if act.reorder:
                delivery.held_until = now + timedelta(seconds=act.hold)
            if act.wrong_signature:
                delivery.sign_secret = f"wrong_{delivery.secret}"
            if act.stale_timestamp:
                delivery.sign_lag = max(delivery.sign_lag, act.stale_timestamp)
            copies += act.duplicate
        return 0 if delivery.state != PENDING else copies


def _matches(match: ChaosMatch, delivery: Delivery) -> bool:
    if match.provider is not None and match.provider != delivery.provider:
        return False
    if match.merchant is not None and match.merchant != delivery.merchant:
        return False
    return match.event is None or fnmatch.fnmatchcase(delivery.event, match.event)
