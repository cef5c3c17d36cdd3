"""Namespaces: many isolated sandboxes in one server, addressed by a path prefix.

`/ns/{name}/payviox/session` is the Payviox API of the sandbox called `name`; the root paths are
the namespace `default`. Each namespace is a whole `Sandbox` (its own clock, seed and RNG,
scenario, store, journal, webhooks, rate-limit windows and idempotency records), created on
first use with the server's scenario. Its seed is derived from the server's seed and its name,
so the same name and the same requests give the same ids on any server started with the same
seed, whatever other namespaces do (`default` keeps the server's seed, as before namespaces).

Bounded: at most `max_namespaces` at once (the default namespace included); an unused one is
dropped after `idle_seconds`, and when the table is full a new name first takes the place of
the longest-idle namespace past its idle time, else it is refused (`Full`), never mixed with
another. Idle time is server bookkeeping on the monotonic clock, not sandbox time: a
namespace's own clock may be frozen for days. Names are case-sensitive (`CI` and `ci` are two
namespaces), 1-64 of `[A-Za-z0-9._-]`, and not `.` or `..`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox import fixtures
from sandbox.clock import iso
from sandbox.contract import ProviderSpec
from sandbox.dispatcher import Courier
from sandbox.state import Sandbox, Settings

DEFAULT = "default"
PREFIX = "/ns/"
_NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


class InvalidName(ValueError):
    pass


class Full(Exception):
    pass


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name) or name in (".", ".."):
        raise InvalidName(
            f"namespace names are 1-64 characters of letters, digits, '.', '_' and '-' (not '.' or '..'); "
            f"got {name[:80]!r}"
        )
    return name


def derived_seed(server_seed: int, name: str) -> int:
    """The seed of namespace `name` on a server started with `server_seed`."""
    digest = hashlib.sha256(f"{server_seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 2**31


@dataclass
class Limits:
    max_namespaces: int = 1_000
    idle_seconds: float = 3_600.0


@dataclass
class Namespace:
    name: str
    sandbox: Sandbox
    created: float
    last_used: float
    requests: int = 0

    def describe(self, now: float) -> dict[str, Any]:
        sandbox = self.sandbox
        return {
            "name": self.name,
            "seed": sandbox.entropy.seed,
            "clock": iso(sandbox.clock.now()),
            "scenario": sandbox.scenario.name,
            "sessions": sandbox.store.count(),
            "requests": self.requests,
            "idle_seconds": round(now - self.last_used, 1),
        }


class Namespaces:
    """Every namespace of one server, least recently used first."""

    def __init__(
        self,
        settings: Settings,
        providers: Mapping[str, ProviderSpec],
        limits: Limits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.providers = providers
        self.limits = limits or Limits()
        self._monotonic = monotonic
        self._spaces: OrderedDict[str, Namespace] = OrderedDict()
        self.courier = Courier()  # one live webhook loop and HTTP client for every namespace
        self.default = self._create(DEFAULT, settings)

    def _create(self, name: str, settings: Settings) -> Sandbox:
        sandbox = Sandbox(settings, self.providers, self.courier)
        fixtures.fresh(sandbox)
        now = self._monotonic()
        self._spaces[name] = Namespace(name, sandbox, now, now)
        return sandbox

    def get(self, name: str) -> Sandbox:
        """The namespace's sandbox, created on first use; InvalidName or Full otherwise."""
        found = self._spaces.get(name)
        if found is None:
            return self._open(check_name(name))
        found.last_used = self._monotonic()
        found.requests += 1
        self._spaces.move_to_end(name)
        return found.sandbox

    def used(self, name: str) -> Sandbox:
        """An existing namespace's sandbox, counted as a request but not moved in the idle order
        (the default namespace, on every root path: it is never dropped)."""
        found = self._spaces[name]
        found.requests += 1
        return found.sandbox

    def _open(self, name: str) -> Sandbox:
        self.sweep()
        if len(self._spaces) >= self.limits.max_namespaces:
            raise Full(
                f"the server holds its maximum of {self.limits.max_namespaces} namespaces and none has been idle "
                f"for {self.limits.idle_seconds:g} s; DELETE /_sandbox/namespaces/{{name}} or raise --max-namespaces"
            )
        settings = dataclasses.replace(self.settings, seed=derived_seed(self.settings.effective_seed(), name))
        sandbox = self._create(name, settings)
        self._spaces[name].requests = 1
        return sandbox

    def sweep(self) -> list[str]:
        """Drop every namespace unused for longer than the idle time (never `default`)."""
        cutoff = self._monotonic() - self.limits.idle_seconds
        idle = [name for name, space in self._spaces.items() if space.last_used < cutoff and name != DEFAULT]
        for name in idle:
            del self._spaces[name]
        return idle

    def drop(self, name: str) -> bool:
        if name == DEFAULT:
            raise InvalidName("the default namespace cannot be dropped; POST /_sandbox/reset empties it")
        return self._spaces.pop(name, None) is not None

    def list(self) -> list[dict[str, Any]]:
        now = self._monotonic()
        return [space.describe(now) for space in self._spaces.values()]

    def sandboxes(self) -> Iterator[Sandbox]:
        """A snapshot: a namespace dropped meanwhile finishes what it was doing, unseen."""
        return iter([space.sandbox for space in self._spaces.values()])

    def named(self) -> tuple[tuple[str, Sandbox], ...]:
        return tuple((name, space.sandbox) for name, space in self._spaces.items())

    def name_of(self, sandbox: Sandbox) -> str | None:
        """The name of the namespace `sandbox` is (a control route knows only its sandbox)."""
        return next((name for name, space in self._spaces.items() if space.sandbox is sandbox), None)

    def __len__(self) -> int:
        return len(self._spaces)
