"""Contract coverage: what a test suite exercised of each provider, and what it never tried.

The catalogue is read from each provider's own tables, never written twice: its operations
(`ProviderSpec.operations`: method and path template), the transitions of its lifecycle (each
distinct `from -> to` of `lifecycle.table`, with the actions that make it), its error kinds
(`ProviderSpec.errors`: domain code, the provider's name for it, status), the webhook event
types it can send (`webhooks.policy.event_types`) and the scenario fault kinds (`faults.KINDS`).

`Coverage` is one small object per sandbox, fed from four places: the pipeline's `finish`
(operation, status, and the error code `Call.render` remembered), `Sandbox.emit` (transitions,
and the events a provider sent), the dispatcher (deliveries that reached `delivered`) and the
fault rules (each firing). It counts catalogue keys only, plus one "other" counter per provider
and dimension (an unmatched path, CDP's x402 402 that is no row of its table, ...), so it is
bounded whatever the traffic; statuses per operation are HTTP statuses, a finite set. It is
made with its sandbox and survives `reset()` and scenario loads (the pytest plugin resets before
every test and reads the total once), until `POST /_sandbox/coverage/reset`.

`Coverage.report()` is the JSON of `GET /_sandbox/coverage`; `coverage_report.py` merges,
prints and renders reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sandbox.contract import Operation, ProviderSpec
from sandbox.coverage_report import DIMENSIONS, summary
from sandbox.envelopes import Wire
from sandbox.faults import KINDS, Act, kinds
from sandbox.machine import Transition


@dataclass(frozen=True)
class Catalogue:
    """What one provider offers to be exercised, in its tables' order."""

    operations: tuple[Operation, ...]
    transitions: tuple[tuple[str, str, tuple[str, ...]], ...]  # (from, to, the actions that make it)
    errors: tuple[tuple[str, Wire], ...]  # (domain code, its row)
    events: tuple[str, ...]
    faults: tuple[str, ...]

    @classmethod
    def of(cls, provider: ProviderSpec) -> Catalogue:
        pairs: dict[tuple[str, str], list[str]] = {}
        for (source, action), target in provider.lifecycle.table.items():
            pairs.setdefault((source, target), []).append(action)
        hooks = provider.webhooks
        return cls(
            operations=tuple(provider.operations),
            transitions=tuple((source, target, tuple(actions)) for (source, target), actions in pairs.items()),
            errors=tuple(provider.errors.items()),
            events=tuple(sorted(hooks.policy.event_types)) if hooks is not None else (),
            faults=KINDS,
        )


class Coverage:
    """Counters over the catalogues of one sandbox's providers."""

    def __init__(self, providers: Mapping[str, ProviderSpec]) -> None:
        self.catalogues = {name: Catalogue.of(provider) for name, provider in providers.items()}
        self.reset()

    def reset(self) -> None:
        """Every counter back to 0 (the catalogue stays)."""
        # Keyed by the Operation's identity: the tables live as long as the process, and a
        # call carries its row, so the hot path is one dict lookup (CubePay serves one name
        # under two prefixes: two rows, two entries).
        self._operations: dict[int, dict[int, int]] = {}
        self._transitions: dict[tuple[str, str, str], int] = {}
        self._errors: dict[tuple[str, str], int] = {}
        self._events: dict[tuple[str, str], list[int]] = {}  # -> [sent, delivered]
        self._faults: dict[tuple[str, str], int] = {}
        self._other: dict[str, dict[str, int]] = {}
        for name, catalogue in self.catalogues.items():
            self._operations.update((id(op), {}) for op in catalogue.operations)
            self._transitions.update(((name, source, target), 0) for source, target, _ in catalogue.transitions)
            self._errors.update(((name, code), 0) for code, _ in catalogue.errors)
            self._events.update(((name, event), [0, 0]) for event in catalogue.events)
            self._faults.update(((name, kind), 0) for kind in catalogue.faults)
            self._other[name] = dict.fromkeys(DIMENSIONS, 0)

    # counting (each a dict lookup or two: this runs on every request) -----------------------
    def request(self, provider: str, operation: str, op: Operation | None, status: int, error: str) -> None:
        """One answered call: its operation's row (None: no row matched), status and error code."""
        statuses = self._operations.get(id(op)) if op is not None else None
        if statuses is not None:
            statuses[status] = statuses.get(status, 0) + 1
        elif not operation.startswith("action."):  # the control API's payer side is no operation
            self._miss(provider, "operations")
        if error:
            key = (provider, error)
            if key in self._errors:
                self._errors[key] += 1
            else:
                self._miss(provider, "errors")

    def transitions(self, steps: Iterable[Transition]) -> None:
        for step in steps:
            if not step.before:  # a session's creation (CDP records one) is no transition of the table
                continue
            key = (step.provider, step.before, step.after)
            if key in self._transitions:
                self._transitions[key] += 1
            else:
                self._miss(step.provider, "transitions")

    def sent(self, provider: str, event: str) -> None:
        """The provider queued this event (whoever it goes to)."""
        counts = self._events.get((provider, event))
        if counts is None:
            self._miss(provider, "webhooks")
        else:
            counts[0] += 1

    def delivered(self, provider: str, event: str) -> None:
        """A delivery of this event reached `delivered` (the receiver accepted it)."""
        counts = self._events.get((provider, event))
        if counts is not None:
            counts[1] += 1

    def fault(self, provider: str, act: Act) -> None:
        """A scenario fault rule fired on a call to `provider`."""
        for kind in kinds(act):
            key = (provider, kind)
            if key in self._faults:
                self._faults[key] += 1
            else:
                self._miss(provider, "faults")

    def _miss(self, provider: str, dimension: str) -> None:
        other = self._other.get(provider)
        if other is not None:  # a provider outside the catalogue is not counted at all
            other[dimension] += 1

    # the report -------------------------------------------------------------------------------
    def report(self) -> dict[str, Any]:
        """`GET /_sandbox/coverage`: every catalogue entry with its counts (0 where nothing hit
        it), per provider, and a `summary` of hit/total per dimension."""
        providers = {name: self._provider(name, catalogue) for name, catalogue in self.catalogues.items()}
        return {"providers": providers, "summary": summary(providers)}

    def _provider(self, name: str, catalogue: Catalogue) -> dict[str, Any]:
        operations = []
        for op in catalogue.operations:
            statuses = self._operations[id(op)]
            operations.append(
                {
                    "name": op.name,
                    "method": op.method,
                    "path": op.path,
                    "calls": sum(statuses.values()),
                    "statuses": {str(status): count for status, count in sorted(statuses.items())},
                }
            )
        return {
            "operations": operations,
            "transitions": [
                {
                    "from": source,
                    "to": target,
                    "actions": list(actions),
                    "count": self._transitions[(name, source, target)],
                }
                for source, target, actions in catalogue.transitions
            ],
            "errors": [
                {"code": code, "kind": wire.kind, "status": wire.status, "count": self._errors[(name, code)]}
                for code, wire in catalogue.errors
            ],
            "webhooks": [
                {"event": event, "sent": self._events[(name, event)][0], "delivered": self._events[(name, event)][1]}
                for event in catalogue.events
            ],
            "faults": [{"kind": kind, "fired": self._faults[(name, kind)]} for kind in catalogue.faults],
            "other": dict(self._other[name]),
        }
