"""A control action's body, declared as a small pydantic model and checked in one place.

Each provider declares, next to its action table, one model per action (`ProviderSpec.action_params`):
the docstring says what the action does, each field's `description` what the parameter means.
The same models serve three readers: the action endpoint refuses a body that breaks them (in the
provider's error envelope, before the handler runs), `sandbox check` reports a scenario's step
or fixture body that breaks them (`FILE:LINE: field: why`), and docs/actions.md is generated from
them. An unknown key or a wrong choice names the nearest right one (difflib), because a typo is
the usual cause: `outcome: succeded` -> "did you mean 'succeeded'?".
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationError

from sandbox.errors import InvalidRequest

QUOTED = re.compile(r"'([^']*)'")
# A body with thousands of wrong keys gets the first few named, not a hint each: a nearest-name
# search per key made a 1 MiB body of unknown keys take 1.3 s (make bench, hostile bodies).
MAX_PROBLEMS = 20


class Params(BaseModel):
    """Base of every action's model: unknown keys are errors, not silently ignored."""

    # strict: "50" is no integer, as the handlers say. defer_build: a model's validator is built on
    # its first body, not at import, where the ~11 of them were startup time of every server.
    model_config = ConfigDict(extra="forbid", strict=True, defer_build=True)


def problems(
    model: type[BaseModel],
    body: Mapping[str, Any],
    skip: Callable[[Any], bool] = lambda value: False,
    unknown_only: bool = False,
) -> list[tuple[str, str]]:
    """(field, why) for each way `body` breaks `model`; fields whose value `skip` says cannot be
    judged yet (a scenario's `${variable}`) are checked for their name only. `unknown_only`: the
    action endpoint's check, which leaves values to the handler's own rules and wording (the
    provider's, e.g. Payviox's "The outcome must be one of: ..."), the same rules as the model's."""
    unknown = 0
    if unknown_only:
        names = [key for key in body if key not in model.model_fields]
        judged: dict[str, Any] = dict.fromkeys(names[:MAX_PROBLEMS])
        unknown = len(names)
    else:
        judged = {key: value for key, value in body.items() if not skip(value)}
    try:
        model.model_validate(judged)
    except ValidationError as error:
        found = []
        items = error.errors()
        for item in items[:MAX_PROBLEMS]:
            field = ".".join(str(part) for part in item["loc"]) or "(body)"
            found.append((field, _why(model, item, field)))
        more = max(unknown, len(items)) - len(found)
        if more > 0:
            found.append(("(body)", f"{more} more problems not listed"))
        return found
    return []


def refusal(found: list[tuple[str, str]]) -> InvalidRequest:
    """What `problems` found, as the 400 a body that breaks its model gets: each field with why."""
    return InvalidRequest("; ".join(f"{name}: {why}" for name, why in found), fields={n: [w] for n, w in found})


def _why(model: type[BaseModel], item: Any, field: str) -> str:
    if item["type"] == "extra_forbidden":
        known = sorted(model.model_fields)
        nearest = difflib.get_close_matches(field, known, n=1)
        hint = f"did you mean {nearest[0]!r}?" if nearest else f"it takes {', '.join(known) or 'no parameters'}"
        return f"unknown parameter; {hint}"
    message = str(item["msg"])
    if item["type"] == "literal_error":
        choices = QUOTED.findall(str(item.get("ctx", {}).get("expected", "")))
        nearest = difflib.get_close_matches(str(item["input"]), choices, n=1)
        message = f"must be one of {', '.join(choices)}" + (f"; did you mean {nearest[0]!r}?" if nearest else "")
    return message


def describe(model: type[BaseModel]) -> list[tuple[str, str, str]]:
    """(parameter, type, description) of each field, in declaration order."""
    rows = []
    for name, field in model.model_fields.items():
        kind = _type_name(field.annotation)
        rows.append((name, kind, field.description or ""))
    return rows


def _type_name(annotation: Any) -> str:
    """A field's type as the docs show it: `a` \\| `b` for a choice, JSON's words otherwise."""
    choices = [arg for arg in get_args(annotation) if arg is not type(None)]
    if get_origin(annotation) is Literal:
        return " \\| ".join(f"`{choice}`" for choice in get_args(annotation))
    if len(choices) == 1 and choices != [annotation]:  # X | None: every parameter is optional
        return _type_name(choices[0])
    return JSON_TYPES.get(get_origin(annotation) or annotation, str(annotation))


JSON_TYPES: dict[Any, str] = {str: "string", int: "integer", float: "number", bool: "boolean", dict: "object"}
