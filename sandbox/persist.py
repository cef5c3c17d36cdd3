"""One namespace's whole state as one self-describing blob, and back: what `GET/PUT
/_sandbox/snapshot` hands out and takes in, and what `--state-dir` stores of a namespace besides
the tables it writes by the row (`encode`'s `parts`, `decode`'s `fill`: rows.py).

Format: a first line `sandbox-state`, a JSON header line (`format`, the sandbox `version`, the
namespace it came from), then zlib-compressed pickle (protocol 5). A blob from another format or
version is refused, never half-read: records are dataclasses whose fields change between
versions, and a silent mismatch would answer 500s later.

Why pickle, and how it is kept safe. The state is a graph of the sandbox's own dataclasses
(records with Decimals, datetimes, nested actions and transitions; deliveries, journal entries)
inside a few containers whose internal indexes (the deadline heap, the per-merchant timelines,
the insertion order of capped tables) must come back exactly; pickle round-trips all of that
with no per-class code, and is C-fast (the write-behind flush runs on the server's loop; only
the webhooks, which hold policies, go through the Python-level hook of `_Pickler`). A
snapshot PUT by a colleague is untrusted input, so it is read by `_Unpickler`, whose
`find_class` allows only plain value types of the standard library (datetime, Decimal,
OrderedDict, deque, set...) and the sandbox's own data classes: dataclasses, enums and the
listed containers of `sandbox.*` modules, whose construction only assigns memory. No function
(not even a sandbox one) can be named, so a snapshot cannot make the unpickler call anything.
What cannot be pickled by value is named instead: a delivery's webhook `Policy` (functions) as
its provider's, re-attached on load; the clock, RNGs, scenario and rule counters are written as
plain values and rebuilt through their own constructors (the scenario is validated again).
After loading, every dataclass field is checked against its annotation and the restored
sandbox is exercised (its sessions described, its logs listed, what came due expired) before
it replaces anything: a malformed snapshot is a `SnapshotError` (a 400), never a 500 later.
The rows of `--state-dir` are read through the same unpickler (`loads`), and checked with the rest.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import decimal
import enum
import io
import json
import pickle
import sys
import types
import typing
import zlib
from collections.abc import Callable, Mapping
from typing import Any

from pydantic_core import TzInfo

from sandbox import __version__, fixtures
from sandbox.bounded import Capped, Inboxes
from sandbox.clock import Clock
from sandbox.contract import ProviderSpec
from sandbox.entropy import Entropy
from sandbox.events import EventLog
from sandbox.faults import Faults
from sandbox.journal import Journal
from sandbox.ratelimit import RateLimiter
from sandbox.scenarios import ScenarioError, load_text
from sandbox.state import Sandbox, Settings
from sandbox.store import Store
from sandbox.timeline import Timeline
from sandbox.webhooks import Policy, Webhooks

# 2: `--state-dir` keeps the store's and the limiter's tables as rows (rows.py); 3: a window log
# entry says where its window goes (last, in place, gone); 4: a Payviox session keeps its items as
# JSON text (`items_json`), None for no metadata and what paying sets in a `Payment`; a record's
# history is a tuple; the store's unique values are nested by (provider, merchant, namespace)
FORMAT = 4
MAGIC = b"sandbox-state\n"

_STDLIB: dict[tuple[str, str], type] = {
    ("datetime", "datetime"): dt.datetime,
    ("datetime", "date"): dt.date,
    ("datetime", "timedelta"): dt.timedelta,
    ("datetime", "timezone"): dt.timezone,
    ("decimal", "Decimal"): decimal.Decimal,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "deque"): collections.deque,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "bytearray"): bytearray,
    # the time zone of instants pydantic parsed (a scenario's clock.start): a value, built from its offset
    ("pydantic_core._pydantic_core", "TzInfo"): TzInfo,
}
_CONTAINERS = (Store, Timeline, RateLimiter, Journal, EventLog, Webhooks, Capped, Inboxes)


class SnapshotError(ValueError):
    """The blob is not a state this sandbox can load; the message says why."""


def allowed(module: str, name: str) -> type | None:
    """The class a snapshot may name by `module` and `name`, or None."""
    if (module, name) in _STDLIB:
        return _STDLIB[(module, name)]
    if not module.startswith("sandbox.") or module not in sys.modules or "." in name:
        return None
    found = getattr(sys.modules[module], name, None)
    if not isinstance(found, type) or found.__module__ != module:
        return None
    if dataclasses.is_dataclass(found) or issubclass(found, enum.Enum) or found in _CONTAINERS:
        return found
    return None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, policies: Mapping[str, Policy]) -> None:
        super().__init__(io.BytesIO(data))
        self._policies = policies

    def find_class(self, module: str, name: str) -> Any:
        found = allowed(module, name)
        if found is None:
            raise SnapshotError(f"the snapshot names {module}.{name}, which a snapshot may not contain")
        return found

    def persistent_load(self, pid: Any) -> Any:
        if isinstance(pid, tuple) and len(pid) == 2 and pid[0] == "policy" and pid[1] in self._policies:
            return self._policies[pid[1]]
        raise SnapshotError(f"the snapshot refers to {pid!r}, which this sandbox does not have")


class _Pickler(pickle.Pickler):
    def __init__(self, file: io.BytesIO, policies: Mapping[int, str]) -> None:
        super().__init__(file, protocol=5)
        self._names = policies

    def persistent_id(self, obj: Any) -> Any:
        if isinstance(obj, Policy):
            return ("policy", self._names[id(obj)])
        return None


def _policies(providers: Mapping[str, ProviderSpec]) -> dict[str, Policy]:
    return {name: spec.webhooks.policy for name, spec in providers.items() if spec.webhooks is not None}


def encode(sandbox: Sandbox, namespace: str, parts: tuple[Store, RateLimiter] | None = None) -> bytes:
    """The sandbox's whole state, as `decode` reads it back; with `parts`, that store and limiter
    instead of the sandbox's (`--state-dir` writes their tables apart: rows.py)."""
    store, limiter = parts or (sandbox.store, sandbox.limiter)
    clock = sandbox.clock
    faker = sandbox.entropy._faker
    state = {
        "scenario": sandbox.scenario.model_dump_json(by_alias=True),
        "seed": sandbox.entropy.seed,
        "clock": (clock.manual, clock._instant, clock._offset),
        "rng": sandbox.entropy.rng.getstate(),
        "faker": faker.random.getstate() if faker is not None else None,
        "store": store,
        "limiter": limiter,
        "journal": sandbox.journal,
        "events": sandbox.events,
        "webhooks": sandbox.webhooks,
        "fixtures": sandbox.fixtures,
        "armed": sandbox.chaos is not None,
        "faults": (sandbox.faults.matched, sandbox.faults.fired, sandbox.faults._rng.getstate()),
        "chaos": None
        if sandbox.chaos is None
        else (sandbox.chaos.matched, sandbox.chaos.fired, sandbox.chaos._rng.getstate()),
    }
    chaos, sandbox.webhooks.chaos = sandbox.webhooks.chaos, None  # rebuilt from the scenario on load
    try:  # only the webhooks hold policies: the rest goes through the C pickler, without the hook per object
        buffer = io.BytesIO()
        _Pickler(buffer, {id(policy): name for name, policy in _policies(sandbox.providers).items()}).dump(
            sandbox.webhooks
        )
        state["webhooks"] = buffer.getvalue()
    finally:
        sandbox.webhooks.chaos = chaos
    header = json.dumps({"format": FORMAT, "version": __version__, "namespace": namespace}).encode()
    return MAGIC + header + b"\n" + zlib.compress(pickle.dumps(state, 5), 1)


def header(blob: bytes) -> dict[str, Any]:
    """The blob's header, or SnapshotError if it is not a state file of this format and version."""
    if not blob.startswith(MAGIC):
        raise SnapshotError("not a sandbox state (it does not start with 'sandbox-state')")
    line, newline, _ = blob[len(MAGIC) : len(MAGIC) + 4096].partition(b"\n")
    try:
        found = json.loads(line) if newline else None
    except ValueError:
        found = None
    if not isinstance(found, dict):
        raise SnapshotError("the state's header line is damaged")
    if found.get("format") != FORMAT or found.get("version") != __version__:
        raise SnapshotError(
            f"the state was written by sandbox {found.get('version')!r} (format {found.get('format')!r}); this is "
            f"sandbox {__version__} (format {FORMAT}), which reads only its own"
        )
    return found


def decode(
    blob: bytes,
    settings: Settings,
    providers: Mapping[str, ProviderSpec],
    courier: Any = None,
    fill: Callable[[Sandbox], None] | None = None,
) -> Sandbox:
    """A new sandbox holding the state in `blob`, and what `fill` adds to it (`--state-dir`: the
    store's and limiter's rows) before it is checked; SnapshotError if it is not one this sandbox made."""
    header(blob)
    body = blob[blob.index(b"\n", len(MAGIC)) + 1 :]
    try:
        raw = zlib.decompressobj().decompress(body, 2**31)
        state = _Unpickler(raw, {}).load()
        if isinstance(state, dict) and isinstance(state.get("webhooks"), bytes):
            state["webhooks"] = _Unpickler(state["webhooks"], _policies(providers)).load()
    except SnapshotError:
        raise
    except (Exception, RecursionError) as error:  # zlib.error, pickle errors, truncation...
        raise SnapshotError(f"the state is damaged ({type(error).__name__})") from None
    try:
        sandbox = _rebuild(state, settings, providers, courier)
        if fill is not None:
            fill(sandbox)
        _check(sandbox)
    except SnapshotError:
        raise
    except ScenarioError as error:
        raise SnapshotError("the state's scenario does not load: " + "; ".join(error.problems)) from None
    except Exception as error:  # a field of the wrong shape that the checks let through
        raise SnapshotError(f"the state does not fit this sandbox ({type(error).__name__}: {error})") from None
    return sandbox


def loads(data: bytes) -> Any:
    """One value pickled apart (a row of `--state-dir`: rows.py), read through the same allow-list."""
    return _Unpickler(data, {}).load()


def _expect(value: Any, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(value, kind):
        raise SnapshotError(f"the state's {what} is not what this sandbox writes")
    return value


def _rebuild(state: Any, settings: Settings, providers: Mapping[str, ProviderSpec], courier: Any) -> Sandbox:
    _expect(state, dict, "top level")
    scenario = load_text(type(settings.scenario), _expect(state.get("scenario"), str, "scenario"), "<snapshot>")
    seed = _expect(state.get("seed"), int, "seed")
    sandbox = Sandbox(dataclasses.replace(settings, scenario=scenario, seed=seed), providers, courier)
    fixtures.fresh(sandbox)  # arms the scenario's rules; everything below replaces what it built
    manual, instant, offset = _expect(state.get("clock"), tuple, "clock")
    clock = Clock(_expect(instant, dt.datetime, "clock"), manual=_expect(manual, bool, "clock"))
    clock._offset = _expect(offset, dt.timedelta, "clock")
    sandbox.clock = clock
    sandbox.entropy = Entropy(seed)
    sandbox.entropy.rng.setstate(_expect(state.get("rng"), tuple, "RNG"))
    if state.get("faker") is not None:
        sandbox.entropy.faker.random.setstate(_expect(state["faker"], tuple, "RNG"))
    sandbox.store = _expect(state.get("store"), Store, "store")
    sandbox.limiter = _expect(state.get("limiter"), RateLimiter, "rate limits")
    sandbox.journal = _expect(state.get("journal"), Journal, "journal")
    sandbox.events = _expect(state.get("events"), EventLog, "events")
    sandbox.webhooks = _expect(state.get("webhooks"), Webhooks, "webhooks")
    sandbox.fixtures = _expect(state.get("fixtures"), dict, "fixtures")
    if not state.get("armed"):  # saved before its rules were armed (only while fixtures are built)
        sandbox.faults, sandbox.chaos = Faults(), None
    for rules, counted in ((sandbox.faults, state.get("faults")), (sandbox.chaos, state.get("chaos"))):
        if rules is None or counted is None:
            continue
        matched, fired, rng = _expect(counted, tuple, "rule counters")
        if len(matched) != len(rules.rules) or len(fired) != len(rules.rules):
            raise SnapshotError("the state's rule counters do not match its scenario")
        rules.matched, rules.fired = list(matched), list(fired)
        rules._rng.setstate(rng)
    sandbox.webhooks.chaos = sandbox.chaos
    return sandbox


def _check(sandbox: Sandbox) -> None:
    """Every dataclass field fits its annotation; then the sandbox is used as a request would."""
    roots = [sandbox.store, sandbox.limiter, sandbox.journal, sandbox.events, sandbox.webhooks, sandbox.fixtures]
    stack: list[Any] = list(roots)
    seen: set[int] = set()
    while stack:
        value = stack.pop()
        if id(value) in seen or isinstance(value, (str, bytes, int, float, decimal.Decimal, dt.datetime, Policy)):
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (list, tuple, collections.deque, set, frozenset)):
            stack.extend(value)
        elif dataclasses.is_dataclass(value):
            hints = _hints(type(value))
            for field in dataclasses.fields(value):
                item = getattr(value, field.name, None)
                if field.name in hints and not _fits(item, hints[field.name]):
                    raise SnapshotError(f"the state's {type(value).__name__}.{field.name} is not what it should be")
                stack.append(item)
        elif isinstance(value, _CONTAINERS):
            slots = getattr(type(value), "__slots__", ())
            stack.extend(getattr(value, name) for name in slots if hasattr(value, name))
            stack.extend(getattr(value, "__dict__", {}).values())
    for name, spec in sandbox.providers.items():
        for record in sandbox.store.of_provider(name):
            spec.describe(record, "")
        for table_name, table in spec.tables.items():  # rows beside the records (CDP's mandates)
            for row in sandbox.store.table(name, table_name).values():
                table.describe(row)
    sandbox.journal.list(limit=0)
    sandbox.events.list()
    sandbox.webhooks.list({})
    sandbox.webhooks.due(sandbox.clock.now())
    sandbox.expire_due()


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        try:
            _HINTS[cls] = typing.get_type_hints(cls)
        except Exception:  # an annotation only a type checker resolves: the exercise in _check covers it
            _HINTS[cls] = {}
    return _HINTS[cls]


def _fits(value: Any, hint: Any) -> bool:
    """Whether `value` has the shape `hint` says (containers one level deep; the walk goes deeper)."""
    origin = typing.get_origin(hint)
    if hint is Any or isinstance(hint, typing.TypeVar):
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, each) for each in typing.get_args(hint))
    if origin is typing.Literal:
        return value in typing.get_args(hint)
    if hint is None or hint is type(None):
        return value is None
    if origin is not None:
        return isinstance(value, origin) if isinstance(origin, type) else True
    if hint is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if isinstance(hint, type):
        return isinstance(value, hint)
    return True


STATE = (
    "settings",
    "clock",
    "entropy",
    "store",
    "limiter",
    "journal",
    "events",
    "webhooks",
    "faults",
    "chaos",
    "fixtures",
)


def restore_into(target: Sandbox, source: Sandbox) -> None:
    """Make `target` hold `source`'s state, in place: whoever holds `target` sees the new state."""
    for name in STATE:
        setattr(target, name, getattr(source, name))
    target.journal.listen(target.changes.bump)  # the live views of the sandbox restored into
    target.dirty = True
