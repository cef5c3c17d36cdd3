"""The control API (`/_sandbox/...`) for tests: the one place that knows its routes.

`Control` is the async twin of the pytest plugin's `SandboxHandle` (same method names where it has
them), on any `httpx.AsyncClient`: `control = Control(client)`. Its methods assert the answer is
200 and return the parsed body, except `act`, which returns the raw response (a payer's action
may well answer with the provider's error). `control.raw` sends the same requests and returns
the raw `httpx.Response`, for tests that check an error answer. `SyncControl` is a small sync
twin for tests that reach a live server with plain httpx (browser tests, cdp-sdk tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import httpx

PREFIX = "/_sandbox"


def _ok(response: httpx.Response, status: int = 200) -> Any:
    """The parsed body of a 200 (or `status`), or an assertion error naming the call and its answer."""
    assert response.status_code == status, (
        f"control call {response.request.method} {response.request.url.path} "
        f"answered {response.status_code}: {response.text}"
    )
    return response.json()


def _scenario_request(scenario: dict[str, Any] | str | bytes, source: str | None) -> dict[str, Any]:
    """PUT /scenario's arguments: a dict goes as JSON, text or bytes as given (YAML, or JSON)."""
    request: dict[str, Any] = {}
    if isinstance(scenario, dict):
        request["content"] = json.dumps(scenario)
        request["headers"] = {"Content-Type": "application/json"}
    else:
        request["content"] = scenario
    if source is not None:
        request["params"] = {"source": source}
    return request


def _query(**params: Any) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


class RawControl:
    """Every control route, answering the raw `httpx.Response`; `namespace` is a prefix such as `/ns/a`."""

    def __init__(self, http: httpx.AsyncClient, namespace: str = "") -> None:
        self.http = http
        self.namespace = namespace

    async def send(self, method: str, path: str, **request: Any) -> httpx.Response:
        return await self.http.request(method, self.namespace + PREFIX + path, **request)

    async def health(self) -> httpx.Response:
        return await self.send("GET", "/health")

    async def reset(self) -> httpx.Response:
        return await self.send("POST", "/reset")

    async def clock(self) -> httpx.Response:
        return await self.send("GET", "/clock")

    async def advance(self, seconds: Any) -> httpx.Response:
        return await self.send("POST", "/clock/advance", json={"seconds": seconds})

    async def set_clock(self, now: str | None = None, *, manual: bool | None = None) -> httpx.Response:
        return await self.send("POST", "/clock/set", json=_query(now=now, manual=manual))

    async def requests(self, provider: str | None = None, limit: int | str | None = None) -> httpx.Response:
        return await self.send("GET", "/requests", params=_query(provider=provider, limit=limit))

    async def events(self, provider: str | None = None, session_id: str | None = None) -> httpx.Response:
        return await self.send("GET", "/events", params=_query(provider=provider, session_id=session_id))

    async def providers(self, tenant: str | None = None) -> httpx.Response:
        return await self.send("GET", "/providers", params=_query(tenant=tenant))

    async def sessions(self, provider: str) -> httpx.Response:
        return await self.send("GET", f"/{provider}/sessions")

    async def session(self, provider: str, session_id: str) -> httpx.Response:
        return await self.send("GET", f"/{provider}/sessions/{session_id}")

    async def act(self, provider: str, session_id: str, action: str, **body: Any) -> httpx.Response:
        return await self.send("POST", f"/{provider}/sessions/{session_id}/actions/{action}", json=body)

    async def scenario(self) -> httpx.Response:
        return await self.send("GET", "/scenario")

    async def load_scenario(self, scenario: dict[str, Any] | str | bytes, source: str | None = None) -> httpx.Response:
        return await self.send("PUT", "/scenario", **_scenario_request(scenario, source))

    async def webhooks(self, **filters: str) -> httpx.Response:
        return await self.send("GET", "/webhooks", params=filters)

    async def flush_webhooks(self) -> httpx.Response:
        return await self.send("POST", "/webhooks/flush")

    async def redeliver(self, delivery_id: str) -> httpx.Response:
        return await self.send("POST", f"/webhooks/{delivery_id}/redeliver")

    async def endpoints(self) -> httpx.Response:
        return await self.send("GET", "/webhooks/endpoints")

    async def set_webhook_endpoint(self, provider: str, merchant: str, **body: Any) -> httpx.Response:
        """`body` as given (`url`, `secret`, `events`), so a test can send a wrong one."""
        return await self.send("PUT", f"/webhooks/endpoints/{provider}/{merchant}", json=body)

    async def inbox(self, name: str) -> httpx.Response:
        return await self.send("GET", f"/inbox/{name}")

    async def expect_inbox(self, name: str, **body: Any) -> httpx.Response:
        return await self.send("PUT", f"/inbox/{name}", json=body)

    async def deliver_to_inbox(self, name: str, content: bytes, headers: dict[str, str]) -> httpx.Response:
        return await self.send("POST", f"/inbox/{name}", content=content, headers=headers)

    async def mandates(self) -> httpx.Response:
        return await self.send("GET", "/cdp/mandates")

    async def create_mandate(self, **body: Any) -> httpx.Response:
        return await self.send("POST", "/cdp/mandates", json=body)

    async def mandate(self, mandate_id: str) -> httpx.Response:
        return await self.send("GET", f"/cdp/mandates/{mandate_id}")

    async def change_mandate(self, mandate_id: str, **body: Any) -> httpx.Response:
        return await self.send("PATCH", f"/cdp/mandates/{mandate_id}", json=body)

    async def delete_mandate(self, mandate_id: str) -> httpx.Response:
        return await self.send("DELETE", f"/cdp/mandates/{mandate_id}")


class Control:
    """The control API for one test's client; see the module docstring."""

    def __init__(self, http: httpx.AsyncClient, namespace: str = "") -> None:
        self.http = http
        self.raw = RawControl(http, namespace)

    async def health(self) -> dict[str, Any]:
        return _ok(await self.raw.health())  # type: ignore[no-any-return]

    async def reset(self) -> dict[str, Any]:
        return _ok(await self.raw.reset())  # type: ignore[no-any-return]

    # the clock ------------------------------------------------------------------------------
    async def clock(self) -> dict[str, Any]:
        return _ok(await self.raw.clock())  # type: ignore[no-any-return]

    async def now(self) -> str:
        return str((await self.clock())["now"])

    async def advance(self, seconds: float) -> dict[str, Any]:
        """Move the clock; the answer lists what expired and how many webhook attempts were made."""
        return _ok(await self.raw.advance(seconds))  # type: ignore[no-any-return]

    async def set_clock(self, now: str | None = None, *, manual: bool | None = None) -> dict[str, Any]:
        return _ok(await self.raw.set_clock(now, manual=manual))  # type: ignore[no-any-return]

    async def set_time(self, instant: str) -> dict[str, Any]:
        return await self.set_clock(instant)

    # what happened --------------------------------------------------------------------------
    async def requests(self, provider: str | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.requests(provider, limit))["requests"])

    async def events(self, provider: str | None = None, session_id: str | None = None) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.events(provider, session_id))["events"])

    async def providers(self, tenant: str | None = None) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.providers(tenant))["providers"])

    # sessions -------------------------------------------------------------------------------
    async def sessions(self, provider: str) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.sessions(provider))["sessions"])

    async def session(self, provider: str, session_id: str) -> dict[str, Any]:
        """The session as the sandbox describes it, with its `history`."""
        return _ok(await self.raw.session(provider, session_id))  # type: ignore[no-any-return]

    async def act(self, provider: str, session_id: str, action: str, **body: Any) -> httpx.Response:
        """Play the payer's or the network's side; the raw response (it may be a provider error)."""
        return await self.raw.act(provider, session_id, action, **body)

    # the scenario ---------------------------------------------------------------------------
    async def scenario(self) -> dict[str, Any]:
        """The active scenario, seed, fault and webhook rules (with their counters) and fixtures."""
        return _ok(await self.raw.scenario())  # type: ignore[no-any-return]

    async def load_scenario(self, scenario: dict[str, Any] | str | bytes, source: str | None = None) -> dict[str, Any]:
        """Load a scenario (a dict, or YAML / JSON text); `control.raw.load_scenario` for one that fails."""
        return _ok(await self.raw.load_scenario(scenario, source))  # type: ignore[no-any-return]

    # webhooks -------------------------------------------------------------------------------
    async def webhooks(self, **filters: str) -> list[dict[str, Any]]:
        """The delivery log, filtered by `provider`, `session_id`, `event`, `state` or `merchant`."""
        return list(_ok(await self.raw.webhooks(**filters))["deliveries"])

    async def flush_webhooks(self) -> list[str]:
        """Attempt every delivery due now; the ids attempted."""
        return list(_ok(await self.raw.flush_webhooks())["attempted"])

    async def redeliver(self, delivery_id: str) -> dict[str, Any]:
        return _ok(await self.raw.redeliver(delivery_id))  # type: ignore[no-any-return]

    async def endpoints(self) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.endpoints())["endpoints"])

    async def set_webhook_endpoint(
        self,
        provider: str,
        merchant: str,
        url: str | None,
        secret: str | None = None,
        events: Iterable[str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url, "secret": secret, "events": list(events) if events is not None else None}
        return _ok(await self.raw.set_webhook_endpoint(provider, merchant, **body))  # type: ignore[no-any-return]

    async def inbox(self, name: str) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.inbox(name))["deliveries"])

    async def expect_inbox(self, name: str, provider: str, secret: str) -> dict[str, Any]:
        """Tell inbox `name` whose signature to verify on what it receives."""
        return _ok(await self.raw.expect_inbox(name, provider=provider, secret=secret))  # type: ignore[no-any-return]

    async def deliver_to_inbox(self, name: str, content: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """POST a delivery to inbox `name`, as a provider would; `{"received", "verified"}`."""
        return _ok(await self.raw.deliver_to_inbox(name, content, headers))  # type: ignore[no-any-return]

    # CDP's mandates ---------------------------------------------------------------------------
    async def mandates(self) -> list[dict[str, Any]]:
        return list(_ok(await self.raw.mandates())["mandates"])

    async def create_mandate(self, **body: Any) -> dict[str, Any]:
        """A mandate with the scenario's fields (`id` optional); the mandate as the sandbox holds it."""
        return _ok(await self.raw.create_mandate(**body), 201)  # type: ignore[no-any-return]

    async def mandate(self, mandate_id: str) -> dict[str, Any]:
        return _ok(await self.raw.mandate(mandate_id))  # type: ignore[no-any-return]

    async def change_mandate(self, mandate_id: str, **body: Any) -> dict[str, Any]:
        """Set the fields given (None clears an optional one); the mandate as changed."""
        return _ok(await self.raw.change_mandate(mandate_id, **body))  # type: ignore[no-any-return]


class SyncControl:
    """The few control calls sync tests make on a live server (plain httpx, no event loop)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def _send(self, method: str, path: str, **request: Any) -> httpx.Response:
        return httpx.request(method, self.base_url + PREFIX + path, **request)

    def health(self) -> dict[str, Any]:
        return _ok(self._send("GET", "/health"))  # type: ignore[no-any-return]

    def scenario(self) -> dict[str, Any]:
        return _ok(self._send("GET", "/scenario"))  # type: ignore[no-any-return]

    def sessions(self, provider: str) -> list[dict[str, Any]]:
        return list(_ok(self._send("GET", f"/{provider}/sessions"))["sessions"])

    def session(self, provider: str, session_id: str) -> dict[str, Any]:
        return _ok(self._send("GET", f"/{provider}/sessions/{session_id}"))  # type: ignore[no-any-return]

    def act(self, provider: str, session_id: str, action: str, **body: Any) -> httpx.Response:
        return self._send("POST", f"/{provider}/sessions/{session_id}/actions/{action}", json=body)

    def webhooks(self, **filters: str) -> list[dict[str, Any]]:
        return list(_ok(self._send("GET", "/webhooks", params=filters))["deliveries"])

    def flush_webhooks(self, timeout: float = 10) -> list[str]:
        """Attempt every delivery due now (on a live server that may wait for a slow receiver)."""
        return list(_ok(self._send("POST", "/webhooks/flush", timeout=timeout))["attempted"])

    def set_webhook_endpoint(
        self, provider: str, merchant: str, url: str | None, secret: str | None = None, events: Any = None
    ) -> dict[str, Any]:
        body = {"url": url, "secret": secret, "events": list(events) if events is not None else None}
        return _ok(self._send("PUT", f"/webhooks/endpoints/{provider}/{merchant}", json=body))  # type: ignore[no-any-return]

    def create_mandate(self, **body: Any) -> dict[str, Any]:
        return _ok(self._send("POST", "/cdp/mandates", json=body), 201)  # type: ignore[no-any-return]

    def change_mandate(self, mandate_id: str, **body: Any) -> dict[str, Any]:
        return _ok(self._send("PATCH", f"/cdp/mandates/{mandate_id}", json=body))  # type: ignore[no-any-return]
