"""docs/scenarios.md documents every key a scenario file can hold.

The keys come from the scenario model itself (every provider's settings and merchant blocks
included), so a key added to a model without a line in the docs fails here.
"""

from __future__ import annotations

import re
import typing
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel

from sandbox.registry import ScenarioModel

DOCS = (Path(__file__).resolve().parents[1] / "docs" / "scenarios.md").read_text()
# Keys the docs do not show yet; listed so that nothing else can go missing unnoticed.
NOT_YET_DOCUMENTED: set[str] = set()


def _models(annotation: object) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
    for argument in typing.get_args(annotation):
        yield from _models(argument)


def keys(model: type[BaseModel], prefix: str = "", seen: frozenset[type] = frozenset()) -> Iterator[str]:
    for name, field in model.model_fields.items():
        key = field.alias or name
        path = f"{prefix}{key}"
        yield path
        for inner in _models(field.annotation):
            if inner not in seen:
                wildcard = ".*" if typing.get_origin(field.annotation) is dict else ""
                yield from keys(inner, f"{path}{wildcard}.", seen | {model})


def documented(key: str) -> bool:
    """Shown as `key` (a table row) or as `key:` in a YAML example."""
    name = key.rsplit(".", 1)[-1]
    return f"`{name}`" in DOCS or re.search(rf"(^|[\s{{,]){re.escape(name)}:", DOCS, re.MULTILINE) is not None


def test_every_scenario_key_is_documented() -> None:
    every = list(keys(ScenarioModel))
    assert "faults.act.truncate" in every and "providers.payviox.rate_limits.per_customer" in every
    missing = [key for key in every if not documented(key) and key not in NOT_YET_DOCUMENTED]
    assert missing == [], f"docs/scenarios.md does not document {missing}"
