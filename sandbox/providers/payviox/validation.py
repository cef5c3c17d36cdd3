"""Request validation worded the way Payviox words it: Laravel's validator.

Payviox answers 400 with `{field: [messages]}` and Laravel's English messages ("The amount
field is required.", docs api/endpoints/create-session), so the rules here reproduce
Laravel 10's: attribute names shown with `_` as spaces and camelCase split ("The order id has
already been taken."), nested attributes as `items.0.price`, empty or blank strings counting as
missing (Laravel trims strings and turns "" into null before validating), and one message per
field: the first rule that fails (Laravel goes on to the next rule; the sandbox stops, so a
wrong type is not also reported as "too small").
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable
from typing import Any

INT64 = 2**63 - 1
Errors = dict[str, list[str]]


@functools.lru_cache(maxsize=4096)  # the same few attributes every request; the regex was the hot path's top cost
def label(attribute: str) -> str:
    """Laravel's displayable attribute: snake_case it, then `_` -> space."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", attribute).lower().replace("_", " ")


def missing(value: Any) -> bool:
    """None, a blank string, or an empty array or object (JSON gives no other empty values).
    (`value in ([], {})` said the same but built a list, a dict and a tuple on every call.)"""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, (list, dict)) and not value


def is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and -INT64 <= value <= INT64


class Validator:
    """Collects Laravel-worded messages in `errors`; `take` and `field` return the values that pass."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.errors: Errors = {}

    def fail(self, attribute: str, message: str) -> None:
        self.errors.setdefault(attribute, []).append(message)

    def field(
        self,
        attribute: str,
        value: Any,
        required: bool,
        kind: str,
        minimum: int | None = None,
        max_length: int | None = None,
    ) -> Any:
        """Check one value; returns it (trimmed, for strings) when it passes, else None.
        (Runs a dozen times per created session: the attribute's label is built only for a message.)"""
        # The usual case first, with the same outcome as the rules below: a non-blank string, or an
        # integer in range, within its bound. Exact classes only (a bool is not an integer), and
        # only when the other bound is unset (a string has no minimum, an integer no length).
        if kind == "string" and value.__class__ is str and minimum is None:
            stripped = value.strip()
            if stripped and (max_length is None or len(stripped) <= max_length):
                return stripped
        elif (
            kind == "integer"
            and value.__class__ is int
            and max_length is None
            and -INT64 <= value <= INT64
            and (minimum is None or value >= minimum)
        ):
            return value
        if missing(value):
            if required:
                self.fail(attribute, f"The {label(attribute)} field is required.")
            return None
        check: Callable[[Any], bool] = _KINDS[kind]
        if not check(value):
            self.fail(attribute, _KIND_MESSAGES[kind].format(name=label(attribute)))
            return None
        if isinstance(value, str):
            value = value.strip()
        if minimum is not None and value < minimum:
            self.fail(attribute, f"The {label(attribute)} field must be at least {minimum}.")
            return None
        if max_length is not None and len(value) > max_length:
            self.fail(attribute, f"The {label(attribute)} field must not be greater than {max_length} characters.")
            return None
        return value

    def take(
        self, attribute: str, *, required: bool, kind: str, minimum: int | None = None, max_length: int | None = None
    ) -> Any:
        value = self.data.get(attribute)
        if value is None and not required:  # an optional field left out: nothing to check (the usual case)
            return None
        return self.field(attribute, value, required, kind, minimum, max_length)  # positional: cheaper than keywords


def _valid_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


_KINDS: dict[str, Callable[[Any], bool]] = {
    "integer": is_integer,
    "string": lambda value: isinstance(value, str),
    "array": lambda value: isinstance(value, list),
    "object": lambda value: isinstance(value, dict),
    "ip": lambda value: isinstance(value, str) and _valid_ip(value),
}
_KIND_MESSAGES = {
    "integer": "The {name} field must be an integer.",
    "string": "The {name} field must be a string.",
    "array": "The {name} field must be an array.",
    "object": "The {name} field must be an array.",  # a PHP associative array is still "an array"
    "ip": "The {name} field must be a valid IP address.",
}
