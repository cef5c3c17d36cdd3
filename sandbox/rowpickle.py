"""One row's value of `--state-dir` (rows.py), pickled and read back: fast, and through the same
allow-list as a snapshot (persist.py).

A record is pickled as its class's module and name and the tuple of its fields' values, and
rebuilt on load by assigning them, nothing called (as pickle itself does); the class must be one
persist's allow-list lets a snapshot name. That skips pickling the names of its fields.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import io
import operator
import pickle
from collections.abc import Callable
from typing import Any

from sandbox import persist
from sandbox.machine import Transition
from sandbox.store import Remembered

# Each row is pickled alone, so that it loads alone; alone, a record names again the classes of
# its values (datetime, timezone...), ~5 µs of its ~7 (C pickle looks each one up by import). So
# rows are pickled from a memo that already holds them (`_SEED`), and read after a preamble that
# puts them there, through the same allow-listed unpickler: a row names them by memo index.
_SEED = [dt.datetime, dt.timezone, dt.timedelta, dt.UTC, decimal.Decimal, Transition, Remembered]


class Pickler:
    """Pickles rows one at a time, each loadable alone by `loads`."""

    def __init__(self) -> None:
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, 5)
        self._pickler.dump(_SEED)
        self._seed = self._pickler.memo.copy()

    def dumps(self, value: Any) -> bytes:
        self._buffer.seek(0)
        self._buffer.truncate()
        self._pickler.memo = self._seed  # what the last row added goes: each row loads alone
        self._pickler.dump(value)
        return self._buffer.getvalue()


def _preamble() -> bytes:
    made = pickle.dumps(_SEED, 5)  # as `Pickler` starts; the list it leaves on the stack is popped
    return made[:-1] + pickle.POP


_PREAMBLE = _preamble()


def loads(row: bytes) -> Any:
    return persist.loads(_PREAMBLE + row)


_GETTERS: dict[type, tuple[list[str], Callable[[Any], Any]]] = {}


def _getter(cls: type) -> tuple[list[str], Callable[[Any], Any]]:
    if cls not in _GETTERS:
        names = [field.name for field in dataclasses.fields(cls)]
        getter = operator.attrgetter(*names)
        # attrgetter of one name gives the value, not a tuple of one
        _GETTERS[cls] = names, getter if len(names) > 1 else lambda record: (getter(record),)
    return _GETTERS[cls]


def fields(record: Any) -> tuple[Any, Any]:
    """A record as (its class's module and name, its fields' values): a tuple pickles faster than the
    instance, which pickles its fields' names too. Not a dataclass: (the record, None)."""
    cls = type(record)
    known = _GETTERS.get(cls)
    if known is None:
        if not dataclasses.is_dataclass(cls):
            return record, None
        known = _getter(cls)
    return (cls.__module__, cls.__qualname__), known[1](record)


def record(name: Any, values: Any) -> Any:
    """The record `fields` took apart: its fields assigned, nothing called (as pickle does)."""
    cls = persist.allowed(*name) if isinstance(name, tuple) and len(name) == 2 else None
    if not isinstance(cls, type) or not dataclasses.is_dataclass(cls):
        raise persist.SnapshotError("the state's record is not one of this sandbox's records")
    names = _getter(cls)[0]
    if not isinstance(values, tuple) or len(values) != len(names):
        raise persist.SnapshotError(f"the state's {cls.__name__} does not have the fields this sandbox writes")
    record = object.__new__(cls)
    for field_name, value in zip(names, values, strict=True):
        object.__setattr__(record, field_name, value)
    return record
