"""What a scenario's steps and fixtures ask for, as models, and the `${name.path}` variables.

A step is one of: a `call` (a provider operation by name, or a raw method and path), an
`action` (the control API's payer or network side of a session), or an `advance` of the clock;
it may carry an `expect` and a `name`. A named step's response body becomes the variable
`${name}`, and `${name.a.b.0}` reaches into it; fixtures are variables too. This module holds
only the models and the pure parts (variables, expectations); `runner.py` plays steps over
HTTP and `fixtures.py` builds fixtures inside the sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sandbox.clock import MAX_SECONDS

VARIABLE = re.compile(r"\$\{([A-Za-z_][\w-]*)((?:\.[\w-]+)*)\}")
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")
_NAME = r"^[A-Za-z_][\w-]*$"


class CallSpec(BaseModel):
    """One API call: `provider` + `operation` (its table's name), or a raw `method` + `path`."""

    model_config = ConfigDict(extra="forbid")

    provider: str | None = None
    operation: str | None = None
    method: str | None = None
    path: str | None = Field(None, description="raw path, e.g. /payviox/balance (with `method`)")
    params: dict[str, Any] = Field({}, description="path parameters of the operation, e.g. session_id")
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    body: Any = None

    @model_validator(mode="after")
    def _one_target(self) -> CallSpec:
        if (self.operation is None) == (self.path is None):
            raise ValueError("give either `operation` (with `provider`) or `method` and `path`")
        if self.path is not None and self.method is None:
            raise ValueError("a raw `path` needs its `method`")
        return self


class ActionSpec(BaseModel):
    """A control action: POST /_sandbox/{provider}/sessions/{session}/actions/{action}."""

    model_config = ConfigDict(extra="forbid")

    provider: str
    action: str
    session: str
    body: dict[str, Any] = {}
    headers: dict[str, str] = {}


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    status: int | list[int] | None = Field(None, description="the status code, or any of a list")
    body: Any = Field(None, description="a subset of the JSON body: every key given must match")
    json_paths: dict[str, Any] = Field({}, alias="json", description="JSON path -> value, e.g. $.items[0].price")
    headers: dict[str, str] = Field({}, description="header -> exact value (names are case-insensitive)")
    dropped: bool = Field(False, description="true: the connection must fail (dropped or truncated)")


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, pattern=_NAME, description="capture the response body as ${name}")
    note: str | None = Field(None, description="narration printed in the timeline")
    call: CallSpec | None = None
    action: ActionSpec | None = None
    advance: float | None = Field(None, ge=0, le=MAX_SECONDS, description="move the sandbox clock forward by seconds")
    expect: Expect | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Step:
        kinds = [kind for kind in ("call", "action", "advance") if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a step is exactly one of call, action, advance (this one has {kinds or 'none'})")
        if self.advance is not None and self.expect is not None:
            raise ValueError("an `advance` step has no response to `expect` on")
        return self


class FixtureStep(BaseModel):
    """One move after a fixture's `create`: an action on its session, a call, or a clock advance."""

    model_config = ConfigDict(extra="forbid")

    action: str | None = None
    session: str | None = Field(None, description="default: the session the fixture's `create` made")
    body: dict[str, Any] = {}
    call: CallSpec | None = None
    advance: float | None = Field(None, ge=0, le=MAX_SECONDS)

    @model_validator(mode="after")
    def _one_kind(self) -> FixtureStep:
        kinds = [kind for kind in ("action", "call", "advance") if getattr(self, kind) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a fixture step is exactly one of action, call, advance (this one has {kinds or 'none'})")
        return self


class Fixture(BaseModel):
    """A session that exists when the scenario loads, built by real calls and actions."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME, description="the variable ${name} holds the create response body")
    provider: str
    create: CallSpec
    then: list[FixtureStep] = []


# variables ------------------------------------------------------------------------------------


def references(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(path, variable name) for every `${name...}` inside a model, dict, list or string."""
    if isinstance(value, BaseModel):
        for key in type(value).model_fields:
            field = type(value).model_fields[key]
            yield from references(getattr(value, key), (*path, field.alias or key))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from references(item, (*path, str(key)))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from references(item, (*path, index))
    elif isinstance(value, str):
        for match in VARIABLE.finditer(value):
            yield path, match.group(1)


class Unresolved(LookupError):
    pass


def lookup(data: Any, dotted: str) -> Any:
    """Walk `a.b.0.c` (or `$.a.b[0].c`) into JSON data; raises Unresolved with the failing part."""
    here = data
    for part in _parts(dotted):
        if isinstance(here, dict) and part in here:
            here = here[part]
        elif isinstance(here, list) and part.lstrip("-").isdigit() and -len(here) <= int(part) < len(here):
            here = here[int(part)]
        else:
            raise Unresolved(f"{dotted}: no {part!r} in {_short(here)}")
    return here


def operation_path(provider: str, template: str, params: Mapping[str, Any]) -> str:
    """`/payviox` + `/payment/{session_id}` with the parameters filled in."""
    try:
        return f"/{provider}" + _PARAM.sub(lambda match: str(params[match.group(1)]), template)
    except KeyError as missing:
        raise Unresolved(f"the path {template} needs the parameter {missing}") from None


def _parts(dotted: str) -> list[str]:
    text = re.sub(r"\[(-?\d+)\]", r".\1", dotted.removeprefix("$").lstrip("."))
    return [part for part in text.split(".") if part]


def substitute(value: Any, variables: Mapping[str, Any]) -> Any:
    """Replace `${name.path}` everywhere; a string that is one whole variable keeps its type."""
    if isinstance(value, dict):
        return {key: substitute(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, variables) for item in value]
    if not isinstance(value, str):
        return value
    whole = VARIABLE.fullmatch(value)
    if whole:
        return _resolve(whole, variables)
    return VARIABLE.sub(lambda match: str(_resolve(match, variables)), value)


def _resolve(match: re.Match[str], variables: Mapping[str, Any]) -> Any:
    name, path = match.group(1), match.group(2)
    if name not in variables:
        raise Unresolved(f"${{{name}}} is not defined")
    return lookup(variables[name], path[1:]) if path else variables[name]


# expectations --------------------------------------------------------------------------------


def mismatches(expected: Any, actual: Any, where: str = "$") -> list[str]:
    """Where `actual` differs from `expected`, read as a subset: extra keys in `actual` are fine."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_short(actual)}"]
        found = []
        for key, item in expected.items():
            if key not in actual:
                found.append(f"{where}.{key}: missing (expected {_short(item)})")
            else:
                found += mismatches(item, actual[key], f"{where}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
        return [
            line for index, item in enumerate(expected) for line in mismatches(item, actual[index], f"{where}[{index}]")
        ]
    if not same(expected, actual):
        return [f"{where}: expected {_short(expected)}, got {_short(actual)}"]
    return []


def same(expected: Any, actual: Any) -> bool:
    """Equality that lets YAML's 10 or 1.5 equal the wire's Decimal, but never True equal 1."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, int | float | Decimal) and isinstance(actual, int | float | Decimal):
        return Decimal(str(expected)) == Decimal(str(actual))
    return bool(expected == actual)


def _short(value: Any, limit: int = 80) -> str:
    text = repr(value) if not isinstance(value, Decimal) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
