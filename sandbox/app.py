"""Settings, the `Sandbox` (everything mutable) and the ASGI app factory.

Everything that changes while the server runs hangs off one `Sandbox`; `reset()` rebuilds it
from its settings, so a reset can never miss a field and the same seed gives the same ids
again. `create_app()` mounts each provider under its own prefix and the control plane under
`/_sandbox`; the lifespan runs the webhook dispatcher, which also expires what came due once a
tick, so expiry (and its webhook) happens on a running clock even when nobody asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount

from sandbox import control, fixtures, pipeline
from sandbox.clock import Clock
from sandbox.cors import CORS
from sandbox.dispatcher import Dispatcher
from sandbox.entropy import Entropy
from sandbox.errors import PayloadTooLarge
from sandbox.faults import Faults
from sandbox.journal import Journal
from sandbox.machine import Transition
from sandbox.pipeline import Provider
from sandbox.providers import PROVIDERS
from sandbox.ratelimit import RateLimiter
from sandbox.scenarios import Scenario, ScenarioError, scenario_model
from sandbox.store import Store
from sandbox.webhook_chaos import WebhookChaos
from sandbox.webhooks import Webhooks, WebhookSource

ScenarioModel = scenario_model(PROVIDERS)


@dataclass
class Settings:
    scenario: Scenario = field(default_factory=lambda: ScenarioModel())
    seed: int | None = None  # overrides the scenario's; with neither, a random seed (printed in the banner)
    body_limit: int = 1024 * 1024
    journal_cap: int = 2_000
    idempotency_ttl: float = 24 * 3600
    tick_seconds: float = 1.0

    def effective_seed(self) -> int:
        if self.seed is not None:
            return self.seed
        if self.scenario.seed is not None:
            return self.scenario.seed
        self.seed = secrets.randbelow(2**31)  # chosen once, so reset() repeats it
        return self.seed


class Sandbox:
    """All mutable state of one sandbox."""

    clock: Clock
    entropy: Entropy
    store: Store
    limiter: RateLimiter
    journal: Journal
    webhooks: Webhooks
    faults: Faults
    fixtures: dict[str, Any]  # fixture name -> the body its create call answered

    def __init__(self, settings: Settings | None = None, providers: Mapping[str, Provider] = PROVIDERS) -> None:
        self.settings = settings or Settings()
        self.providers = providers
        self.dispatcher = Dispatcher()  # a runtime resource, not state: it survives reset()
        self.reset()

    def reset(self) -> None:
        scenario = self.settings.scenario
        try:
            self.clock = Clock(scenario.clock.start, manual=scenario.clock.manual)
        except ValueError as error:  # a start past the clock's last instant
            raise ScenarioError([f"{scenario.where(['clock', 'start'])}: clock.start: {error}"]) from None
        self.entropy = Entropy(self.settings.effective_seed())
        self.store = Store()
        self.limiter = RateLimiter()
        self.journal = Journal(self.settings.journal_cap)
        self.webhooks = Webhooks()
        for name, provider in self.providers.items():  # endpoints a scenario declares for its merchants
            declared = getattr(provider, "webhook_endpoints", None)
            for merchant, endpoint in (declared(self.scenario) if declared else {}).items():
                self.webhooks.endpoints[(name, merchant)] = endpoint
        self.faults = Faults()  # none armed while the scenario's fixtures are built
        self.fixtures = fixtures.build(self)
        self.faults = Faults(self.settings.scenario.faults, self.entropy.seed)
        self.webhooks.chaos = WebhookChaos(self.settings.scenario.webhooks, self.entropy.seed)

    @property
    def scenario(self) -> Scenario:
        return self.settings.scenario

    def provider_settings(self, provider: str) -> Any:
        return self.settings.scenario.settings_for(provider)

    def emit(self, *transitions: Transition) -> None:
        """Record state changes, and queue the webhooks their providers send for them."""
        self.webhooks.record(transitions)
        queued = False
        for step in transitions:
            provider = self.providers.get(step.provider)
            if not isinstance(provider, WebhookSource):
                continue
            record = self.store.get(step.provider, step.record_id)
            for event in provider.webhook_events(step, record):
                secret = provider.webhook_secret(step.merchant)
                policy = provider.webhook_policy
                queued |= bool(
                    self.webhooks.enqueue(step.provider, step.merchant, step.record_id, event, policy, secret, step.at)
                )
        if queued:
            self.dispatcher.nudge()

    def expire_due(self, now: datetime | None = None) -> list[Transition]:
        """Process every record whose deadline is at or before `now` (default: the clock's now).

        A provider with an `on_due(sandbox, record, now)` hook decides what a deadline does
        (CDP settles pending actions); otherwise the record's lifecycle expires it.
        """
        moment = now or self.clock.now()
        fired: list[Transition] = []
        for name, record in self.store.due(moment):
            provider = self.providers[name]
            on_due = getattr(provider, "on_due", None)
            if on_due is not None:
                fired += on_due(self, record, moment)
                continue
            step = provider.lifecycle.expire_due(record, moment)
            if step is not None:
                fired.append(step)
        if fired:  # runs before every request, and almost always finds nothing due
            self.emit(*fired)
        return fired


def create_app(settings: Settings | None = None) -> Starlette:
    sandbox = Sandbox(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        current = app.state.sandbox
        task = asyncio.create_task(current.dispatcher.run(lambda: app.state.sandbox, current.settings.tick_seconds))
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    mounts: list[BaseRoute] = [Mount("/_sandbox", routes=control.routes())]
    mounts += [Mount(f"/{name}", routes=pipeline.routes(provider)) for name, provider in PROVIDERS.items()]
    app = Starlette(
        routes=mounts,
        lifespan=lifespan,
        middleware=[Middleware(CORS)],  # the browser SDKs call the API cross-origin (cors.py)
        exception_handlers={404: _not_found, PayloadTooLarge: _too_large},
    )
    app.state.sandbox = sandbox
    return app


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    """A control-plane body over the limit (provider routes answer in their own envelope first)."""
    message = exc.message if isinstance(exc, PayloadTooLarge) else str(exc)
    return JSONResponse({"error": "payload_too_large", "message": message}, 413)


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    """Outside every provider's prefix: say where the providers are."""
    prefixes = [f"/{name}" for name in PROVIDERS] + ["/_sandbox"]
    return JSONResponse({"error": "not_found", "message": f"no route; providers live under {prefixes}"}, 404)
