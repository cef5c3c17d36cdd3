"""The mandates a sandbox holds: what `POST .../authorizations/mandate` draws on (mandates.py).

The sandbox serves no `/v2/mandates` API (a mandate is approved by its payer, in Coinbase's own
flows), so mandates come from two places instead: the scenario's `providers.cdp.mandates`,
copied in at every reset, and the control API (`/_sandbox/cdp/mandates`, control/tables.py),
which creates them and changes their state, so a test can reach every guard. Both take the
same fields, checked by the one model, `settings.Mandate`. They are the store's table
`mandates` (`contract.Table`): per sandbox, shared by its tenants as the scenario's are, kept
by snapshots and `--state-dir`. What is stored is `Held`, a dataclass, because a snapshot may
hold only the sandbox's dataclasses (persist.py), not pydantic models.

Bounded: creating a mandate while the sandbox holds `CAP` is refused (409); a scenario may
declare more (its size is bounded by the body limit), and changes never add one.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from sandbox import params
from sandbox.contract import Services, Table
from sandbox.errors import InvalidRequest
from sandbox.providers.cdp import settings
from sandbox.providers.cdp.lifecycle import NAME as CDP
from sandbox.providers.cdp.settings import Mandate

NAME = "mandates"  # the table's name: /_sandbox/cdp/mandates
CAP = 1_000  # mandates per sandbox: far more than a test draws on, few enough to list at once


@dataclass(slots=True)
class HeldCap:
    """settings.PeriodCap, stored."""

    amount: Decimal
    period: str


@dataclass(slots=True)
class Held:
    """settings.Mandate, stored: the same fields, read by the guards in mandates.py."""

    id: str
    status: str
    canceled: bool
    revoked: bool
    expires_at: datetime | None
    max_per_authorization: Decimal | None
    max_per_period: HeldCap | None
    source: dict[str, str] | None


def _held(mandate: Mandate) -> Held:
    expires = mandate.expires_at
    if expires is not None and expires.tzinfo is None:  # as the clock reads one: a naive instant is UTC
        expires = expires.replace(tzinfo=UTC)
    period = mandate.max_per_period
    return Held(
        id=mandate.id,
        status=mandate.status,
        canceled=mandate.canceled,
        revoked=mandate.revoked,
        expires_at=expires,
        max_per_authorization=mandate.max_per_authorization,
        max_per_period=HeldCap(period.amount, period.period) if period is not None else None,
        source=dict(mandate.source) if mandate.source is not None else None,
    )


def _checked(body: dict[str, Any]) -> Held:
    """The body as a mandate, or InvalidRequest naming each field it breaks (as `sandbox check` does)."""
    found = params.problems(Mandate, body)
    if found:
        raise params.refusal(found)
    try:
        return _held(Mandate.model_validate(body))
    except ValidationError as error:  # problems() found none, so this is a rule it does not word
        raise InvalidRequest(str(error.errors()[0]["msg"])) from None


def seed(services: Services) -> dict[str, Any]:
    return {mandate.id: _held(mandate) for mandate in settings.of(services).mandates}


def create(services: Services, body: dict[str, Any]) -> Held:
    """A new mandate from the control body; without an `id`, one from the sandbox's seeded RNG."""
    if "id" not in body:
        body = {"id": f"mandate_{services.entropy.uuid4()}", **body}
    return _checked(body)


def change(held: Held, body: dict[str, Any]) -> Held:
    """The mandate with the body's fields replaced (`null` clears an optional one), checked whole."""
    if body.get("id", held.id) != held.id:
        raise InvalidRequest("id: a mandate's id cannot change", fields={"id": ["a mandate's id cannot change"]})
    return _checked({**dataclasses.asdict(held), **body})


def describe(held: Held) -> dict[str, Any]:
    """The mandate with the field names and forms the scenario and the control body use."""
    shown: dict[str, Any] = Mandate.model_validate(dataclasses.asdict(held)).model_dump(mode="json")
    return shown


def find(services: Services, mandate_id: str) -> Held | None:
    found = services.store.table(CDP, NAME).get(mandate_id)
    return found if isinstance(found, Held) else None


TABLE = Table(seed=seed, create=create, change=change, describe=describe, cap=CAP)
