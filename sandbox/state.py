"""Settings and the `Sandbox`: everything mutable about one sandbox.

Everything that changes while the server runs hangs off one `Sandbox`; `reset()` rebuilds it
from its settings, so a reset can never miss a field and the same seed gives the same ids
again. A `Sandbox` is what providers see as `Services` (contract.py) and what the pipeline
sees as its `Runtime` (pipeline.py): both are narrow views of this one object. It knows its
providers only through their `ProviderSpec`s; which providers exist is the registry's business.
Scenario fixtures are not built here: `fixtures.fresh()` resets and then builds them through
the pipeline, which sits above this module.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import BaseModel

from sandbox import console
from sandbox.changes import Changes
from sandbox.clock import Clock
from sandbox.contract import ProviderSpec
from sandbox.coverage import Coverage
from sandbox.dispatcher import Courier, Dispatcher
from sandbox.entropy import Entropy
from sandbox.events import EventLog
from sandbox.faults import Faults
from sandbox.journal import Journal
from sandbox.machine import Lifecycle, Transition
from sandbox.ratelimit import RateLimiter
from sandbox.scenarios import Scenario, ScenarioError
from sandbox.store import Store
from sandbox.webhook_chaos import WebhookChaos
from sandbox.webhooks import Webhooks

S = TypeVar("S", bound=BaseModel)


@dataclass
class Settings:
    scenario: Scenario
    seed: int | None = None  # overrides the scenario's; with neither, a random seed (printed in the banner)
    body_limit: int = 1024 * 1024
    journal_cap: int = 2_000
    # Stored sessions, all providers together; past it the longest-settled go, else the oldest (store.py).
    max_sessions: int = 100_000
    idempotency_ttl: float = 24 * 3600
    tick_seconds: float = 1.0

    def effective_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        if self.scenario.seed is not None:
            return self.scenario.seed
        self.seed = secrets.randbelow(2**31)  # chosen once, so reset() repeats it
        return self.seed


def settled_states(lifecycle: Lifecycle) -> frozenset[str]:
    """States with no way out, and what expiry leads to: a session there only waits to be read."""
    states = {source for source, _ in lifecycle.table} | set(lifecycle.table.values())
    ends = {state for state in states if not lifecycle.allowed(state)}
    expired = {target for (_, action), target in lifecycle.table.items() if action == lifecycle.expire_action}
    return frozenset(ends | expired)


class Sandbox:
    """All mutable state of one sandbox."""

    clock: Clock
    entropy: Entropy
    store: Store
    limiter: RateLimiter
    journal: Journal
    events: EventLog
    webhooks: Webhooks
    faults: Faults
    chaos: WebhookChaos | None
    fixtures: dict[str, Any]  # fixture name -> the body its create call answered

    def __init__(
        self, settings: Settings, providers: Mapping[str, ProviderSpec], courier: Courier | None = None
    ) -> None:
        self.settings = settings
        self.providers = providers
        # What live views listen to (changes.py); like the dispatcher, it survives reset().
        self.changes = Changes()
        self.dispatcher = Dispatcher(courier, self.changes.bump)  # a runtime resource, not state: it survives reset()
        # Contract coverage outlives reset() and scenario loads: a suite resets before every test
        # and reads the total once (POST /_sandbox/coverage/reset starts afresh).
        self.coverage = Coverage(providers)
        # Changed since `--state-dir` last wrote it (statedir.py): set by every request and by the
        # live loop when it expired or sent something; cleared by the write.
        self.dirty = True
        # Per provider, the states a session never leaves: reaching one makes it first to go when the store is full.
        self.settled_states = {name: settled_states(provider.lifecycle) for name, provider in providers.items()}
        self.reset()

    def reset(self) -> None:
        """Fresh state from the settings, with no fixtures yet and no scenario rule armed."""
        scenario = self.settings.scenario
        try:
            self.clock = Clock(scenario.clock.start, manual=scenario.clock.manual)
        except ValueError as error:  # a start past the clock's last instant
            raise ScenarioError([f"{scenario.where(['clock', 'start'])}: clock.start: {error}"]) from None
        self.entropy = Entropy(self.settings.effective_seed())
        self.store = Store(max_records=self.settings.max_sessions)
        self.limiter = RateLimiter()
        self.journal = Journal(self.settings.journal_cap, self.changes.bump)
        self.events = EventLog()
        self.webhooks = Webhooks()
        for name, provider in self.providers.items():  # what the scenario declares beside its fixtures
            if provider.webhooks is not None:  # its merchants' webhook endpoints
                for merchant, endpoint in provider.webhooks.endpoints(scenario).items():
                    self.webhooks.endpoints[(name, merchant)] = endpoint
            for table_name, table in provider.tables.items():  # rows the scenario declares (CDP's mandates)
                self.store.table(name, table_name).update(table.seed(self))
        self.faults = Faults()  # none armed while the scenario's fixtures are built
        self.chaos = None
        self.fixtures = {}
        self._declared: dict[str, dict[str, Any]] = {}  # provider -> its merchant blocks (the scenario's, fixed)

    def arm(self) -> None:
        """Arm the scenario's faults and webhook chaos (after its fixtures: fixtures are never broken)."""
        self.faults = Faults(self.scenario.faults, self.entropy.seed)
        self.chaos = WebhookChaos(self.scenario.webhooks, self.entropy.seed)
        self.webhooks.chaos = self.chaos
        self.faults.on_fire = self.coverage.fault

    @property
    def scenario(self) -> Scenario:
        return self.settings.scenario

    @property
    def body_limit(self) -> int:
        return self.settings.body_limit

    @property
    def idempotency_ttl(self) -> float:
        return self.settings.idempotency_ttl

    def provider_settings(self, provider: str, model: type[S]) -> S:
        found = self.scenario.settings_for(provider)
        if not isinstance(found, model):  # the scenario model is built from the same settings_model
            raise TypeError(f"{provider} settings are {type(found).__name__}, not {model.__name__}")
        return found

    def merchants(self, provider: str, model: type[S]) -> dict[str, S]:
        # Read on every authenticated request (strict keys, IP rules): built once per scenario,
        # since a scenario never changes while loaded (loading another one resets). Callers read it only.
        declared = self._declared.get(provider)
        if declared is None:
            found = self.scenario.merchants_for(provider).items()
            declared = self._declared[provider] = {name: block for name, block in found if isinstance(block, model)}
        return declared

    def emit(self, *transitions: Transition) -> None:
        """Record state changes, and queue the webhooks their providers send for them."""
        self.events.record(transitions)
        self.coverage.transitions(transitions)
        self.changes.bump()
        queued = False
        for step in transitions:
            console.log(
                console.STATE,
                f"{step.provider} {step.record_id} {step.before} -> {step.after} ({step.action})",
                provider=step.provider,
                session_id=step.record_id,
                action=step.action,
                before=step.before,
                after=step.after,
                at=step.at.isoformat(),
            )
            if step.after in self.settled_states.get(step.provider, ()):
                self.store.settle(step.provider, step.record_id)
            hooks = self.providers[step.provider].webhooks
            if hooks is None:
                continue
            record = self.store.get(step.provider, step.record_id)
            for event in hooks.events(step, record):
                self.coverage.sent(step.provider, event.type)
                secret = hooks.secret(step.merchant)
                queued |= bool(
                    self.webhooks.enqueue(
                        step.provider, step.merchant, step.record_id, event, hooks.policy, secret, step.at
                    )
                )
        if queued:
            self.dispatcher.nudge()

    def expire_due(self, now: datetime | None = None) -> list[Transition]:
        """Process every record whose deadline is at or before `now` (default: the clock's now).

        A provider's `on_due` decides what a deadline does (CDP settles pending actions);
        without one, the record's lifecycle expires it.
        """
        moment = now or self.clock.now()
        fired: list[Transition] = []
        for name, record in self.store.due(moment):
            provider = self.providers[name]
            if provider.on_due is not None:
                fired += provider.on_due(self, record, moment)
                continue
            step = provider.lifecycle.expire_due(record, moment)
            if step is not None:
                fired.append(step)
        if fired:  # runs before every request, and almost always finds nothing due
            self.emit(*fired)
        return fired
