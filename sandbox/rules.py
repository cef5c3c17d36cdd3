"""Counted scenario rules: when a rule fires, and how often each matched and fired.

Faults (`faults.py`) and webhook chaos (`webhook_chaos.py`) both describe *when* with the same
`When` block and count the same way; the probabilities come from an RNG of the rules' own,
seeded from the sandbox seed, so adding a rule never shifts the ids a run makes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

R = TypeVar("R", bound=BaseModel)


class When(BaseModel):
    model_config = ConfigDict(extra="forbid")

    nth: int | None = Field(None, ge=1, description="only the nth matching call")
    times: int | None = Field(None, ge=1, description="fire at most this many times, then behave")
    every: int | None = Field(None, ge=1, description="every kth matching call")
    probability: float | None = Field(None, ge=0, le=1, description="chance per matching call (seeded)")
    after: datetime | None = Field(None, description="only once the sandbox clock is at or past this instant")

    @field_validator("after")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        """A naive instant is UTC, as everywhere in the sandbox (clock.parse_instant)."""
        return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


class CountedRules(Generic[R]):
    """Scenario rules with how often each matched and fired, and a seeded RNG of their own (so
    adding a rule never shifts the ids a run makes); rebuilt by every reset. Faults and webhook
    chaos (`webhook_chaos.py`) both count this way, and `describe()` shows it."""

    section = "rules"  # the scenario key, naming unnamed rules and seeding the RNG

    def __init__(self, rules: Sequence[R] = (), seed: int = 0) -> None:
        self.rules = list(rules)
        self.matched = [0] * len(self.rules)
        self.fired = [0] * len(self.rules)
        self._rng = random.Random(f"{self.section}:{seed}")

    def label(self, index: int) -> str:
        return getattr(self.rules[index], "name", None) or f"{self.section}[{index}]"

    def describe(self) -> list[dict[str, Any]]:
        shown = []
        for index, rule in enumerate(self.rules):
            entry: dict[str, Any] = {"rule": index, "name": self.label(index)}
            for key in type(rule).model_fields:
                value = getattr(rule, key)
                if key != "name":
                    nested = isinstance(value, BaseModel)
                    entry[key] = value.model_dump(mode="json", exclude_defaults=True) if nested else value
            shown.append({**entry, "matched": self.matched[index], "fired": self.fired[index]})
        return shown


def due(when: When, matched: int, fired: int, now: datetime, rng: random.Random) -> bool:
    """Whether a rule that has matched `matched` times (this one included) fires now. Also
    used by the webhook chaos rules (`webhook_chaos.py`), so `when` reads the same in both."""
    if when.after is not None and now < when.after:
        return False
    if when.nth is not None and matched != when.nth:
        return False
    if when.every is not None and matched % when.every:
        return False
    if when.times is not None and fired >= when.times:
        return False
    return when.probability is None or rng.random() < when.probability
