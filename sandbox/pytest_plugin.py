"""pytest plugin: contract tests against the sandbox in a few lines.

Registered through the `pytest11` entry point; importing it starts nothing.

- `sandbox_server` (session): a live uvicorn on a free port in a thread, or the sandbox at
  `--sandbox-url` / `SANDBOX_URL` (e.g. a service container in CI), or, with
  `--sandbox-mode=inprocess` / `SANDBOX_MODE=inprocess`, the ASGI app with no socket at all.
- `sandbox` (function): a `SandboxHandle` for this test, with fresh credentials of its own
  (a tenant no other test sees), provider base URLs, clock control, the payer's actions, the
  request journal and the webhook log. On a server this process owns, the sandbox is reset
  before each test; on an external one (shared with other workers and jobs), each test gets a
  namespace of its own (`/ns/{name}`: its own clock, scenario and state), dropped after it.
- `@pytest.mark.sandbox(scenario=..., seed=..., strict=True)`: load a scenario (a shipped name
  such as "payviox-happy-path", a file path, a YAML string or a dict) before the test; with
  `strict`, a fault or webhook rule declared with `times:` that never fired fails the test,
  naming the rule. On a server this process owns, the server's own scenario is put back after
  the test; on an external one it lived in the test's namespace.

freezegun: in in-process mode with a running sandbox clock (the default), the sandbox reads
time through `datetime.now`, which freezegun patches, so the sandbox clock follows frozen and
ticking time. (A live server on a thread follows it too; an external one cannot.)
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import Generator, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox import pytest_coverage

MARKER = (
    "sandbox(scenario=None, seed=None, strict=True): load a sandbox scenario (shipped name, file path, "
    "YAML text or dict) and/or seed before the test; strict fails the test when a `times:` fault never fired"
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("sandbox", "payment-provider sandbox")
    group.addoption(
        "--sandbox-url",
        default=os.environ.get("SANDBOX_URL"),
        help="use the sandbox already running at this URL (env SANDBOX_URL)",
    )
    group.addoption(
        "--sandbox-mode",
        choices=("live", "inprocess"),
        default=os.environ.get("SANDBOX_MODE", "live"),
        help="live: a uvicorn server on a thread (default); inprocess: the ASGI app, no socket",
    )
    pytest_coverage.add_options(group)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    config.pluginmanager.register(pytest_coverage.Collector(config), "sandbox-coverage")


CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep the test's own outcome, so strict teardown can leave a skipped test alone."""
    report: pytest.TestReport = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    return report


@dataclass
class SandboxServer:
    """Where the sandbox is, and whether this test process owns it (and may reset it)."""

    base_url: str
    owned: bool
    http: httpx.Client
    in_process: bool = False  # no socket: only `http` reaches it, not clients that open their own
    base_scenario: dict[str, Any] | None = None  # what a marked test's scenario replaced (owned servers)


@pytest.fixture(scope="session")
def sandbox_server(request: pytest.FixtureRequest) -> Iterator[SandboxServer]:
    url = request.config.getoption("--sandbox-url")
    with ExitStack() as stack:
        if url:
            client = stack.enter_context(httpx.Client(base_url=url.rstrip("/"), timeout=30))
            yield SandboxServer(url.rstrip("/"), owned=False, http=client)
            return
        from sandbox.app import create_app

        app = create_app()
        if request.config.getoption("--sandbox-mode") == "inprocess":
            from sandbox import syncasgi

            # an httpx.Client on the ASGI app (syncasgi.py: not Starlette's TestClient, which warns
            # into the user's output); like the live mode's client, it does not follow redirects
            lifespan = app.app.router.lifespan_context(app.app)
            in_process = stack.enter_context(syncasgi.client(app, "http://sandbox.test", lifespan))
            yield SandboxServer("http://sandbox.test", owned=True, http=in_process, in_process=True)
            _read_coverage(request.config, in_process, "http://sandbox.test")
            return
        from sandbox.threaded import serve_in_thread

        live = stack.enter_context(serve_in_thread(app))
        client = stack.enter_context(httpx.Client(base_url=live, timeout=30))
        yield SandboxServer(live, owned=True, http=client)
        _read_coverage(request.config, client, live)


def _read_coverage(config: pytest.Config, http: httpx.Client, base_url: str) -> None:
    """Add a sandbox's contract coverage to the run's (pytest_coverage.py)."""
    found = pytest_coverage.collector(config)
    if found is not None:
        found.read(http, base_url)


class SandboxHandle:
    """One test's view of the sandbox. `http` is an httpx client on it (in every mode)."""

    def __init__(self, server: SandboxServer, tenant: str, namespace: str | None = None) -> None:
        self.server = server
        self.http = server.http
        self.tenant = tenant
        self.namespace = namespace  # this test's own namespace on a shared server, else None
        self._providers: dict[str, Any] | None = None

    # where things are ---------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The sandbox this test talks to: the server's root, or its own namespace on a shared server."""
        if self.namespace is None:
            return self.server.base_url
        return f"{self.server.base_url}/ns/{self.namespace}"

    @property
    def in_process(self) -> bool:
        """True in in-process mode: a client with its own sockets (cdp-sdk's aiohttp) cannot reach it."""
        return self.server.in_process

    def providers(self) -> dict[str, Any]:
        if self._providers is None:
            listed = self._ok(self.http.get(self.base_url + "/_sandbox/providers", params={"tenant": self.tenant}))[
                "providers"
            ]
            self._providers = {item["name"]: item for item in listed}
        return self._providers

    def url(self, provider: str) -> str:
        """The base URL to give this provider's client, e.g. `http://127.0.0.1:PORT/cdp/platform`."""
        return self.base_url + str(self.providers()[provider]["base_path"])

    def credentials(self, provider: str) -> dict[str, str]:
        """Test credentials that only this test uses: its own tenant."""
        return dict(self.providers()[provider]["credentials"])

    def merchant(self, provider: str) -> str:
        """The merchant `credentials(provider)` name: the tenant, or the provider's own id for it."""
        return str(self.providers()[provider]["merchant"])

    # control ------------------------------------------------------------------------------
    def reset(self) -> None:
        self._ok(self.http.post(self.base_url + "/_sandbox/reset"))

    def load_scenario(self, scenario: str | Path | dict[str, Any], source: str | None = None) -> dict[str, Any]:
        text, named = _scenario_text(scenario)
        response = self.http.put(
            self.base_url + "/_sandbox/scenario",
            content=text.encode(),
            params={"source": source or named},
            headers={"content-type": "application/yaml"},
        )
        if response.status_code != 200:
            pytest.fail(f"the sandbox refused the scenario:\n{response.text}", pytrace=False)
        return _object(response)

    def now(self) -> str:
        return str(self._ok(self.http.get(self.base_url + "/_sandbox/clock"))["now"])

    def advance(self, seconds: float) -> dict[str, Any]:
        return self._ok(self.http.post(self.base_url + "/_sandbox/clock/advance", json={"seconds": seconds}))

    def set_time(self, instant: str) -> dict[str, Any]:
        return self._ok(self.http.post(self.base_url + "/_sandbox/clock/set", json={"now": instant}))

    def act(self, provider: str, session_id: str, action: str, *, check: bool = True, **body: Any) -> httpx.Response:
        """Play the payer's or the network's side (docs/actions.md lists every action's parameters).
        A refusal (a typo, a state that forbids it) fails the test here, with the provider's answer,
        rather than steps later; `check=False` returns any response, for tests of the refusal."""
        response = self.http.post(
            f"{self.base_url}/_sandbox/{provider}/sessions/{session_id}/actions/{action}", json=body
        )
        if check and not response.is_success:
            raise AssertionError(
                f"sandbox.act({provider!r}, {session_id!r}, {action!r}) answered {response.status_code}: "
                f"{response.text}\n(pass check=False to get the response instead)"
            )
        return response

    def session(self, provider: str, session_id: str) -> dict[str, Any]:
        return self._ok(self.http.get(f"{self.base_url}/_sandbox/{provider}/sessions/{session_id}"))

    def requests(self, provider: str | None = None) -> list[dict[str, Any]]:
        params = {"provider": provider} if provider else {}
        return list(self._ok(self.http.get(self.base_url + "/_sandbox/requests", params=params))["requests"])

    def webhooks(self, **filters: str) -> list[dict[str, Any]]:
        return list(self._ok(self.http.get(self.base_url + "/_sandbox/webhooks", params=filters))["deliveries"])

    def flush_webhooks(self) -> list[str]:
        return list(self._ok(self.http.post(self.base_url + "/_sandbox/webhooks/flush"))["attempted"])

    def set_webhook_endpoint(
        self, provider: str, url: str | None, secret: str | None = None, events: list[str] | None = None
    ) -> dict[str, Any]:
        merchant = self.merchant(provider)
        body = {"url": url, "secret": secret, "events": events}
        return self._ok(self.http.put(f"{self.base_url}/_sandbox/webhooks/endpoints/{provider}/{merchant}", json=body))

    def inbox(self, name: str) -> list[dict[str, Any]]:
        return list(self._ok(self.http.get(f"{self.base_url}/_sandbox/inbox/{name}"))["deliveries"])

    def unfired_rules(self) -> list[str]:
        """Fault and webhook rules declared with `times:` that never fired, as readable lines."""
        active = self._ok(self.http.get(self.base_url + "/_sandbox/scenario"))
        rules = (active.get("faults") or []) + (active.get("webhooks") or [])
        return [
            f"{rule['name']} (times: {rule['when']['times']}, matched {rule['matched']}): {rule['match']}"
            for rule in rules
            if rule.get("when", {}).get("times") is not None and not rule.get("fired")
        ]

    def _ok(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise AssertionError(
                f"sandbox control call {response.request.method} {response.request.url.path} "
                f"answered {response.status_code}: {response.text}"
            )
        return _object(response)


def _object(response: httpx.Response) -> dict[str, Any]:
    """The control API's answer: always a JSON object."""
    body = response.json()
    if not isinstance(body, dict):
        raise AssertionError(f"sandbox control call answered {response.text[:200]!r}, not a JSON object")
    return body


def tenant_for(nodeid: str) -> str:
    """A tenant name no other test (and no other xdist worker) uses."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return "t" + hashlib.sha256(f"{worker}:{nodeid}".encode()).hexdigest()[:16]


RUN = secrets.token_hex(4)  # this pytest run, so two CI jobs running the same test never share a namespace


def namespace_for(nodeid: str) -> str:
    """The namespace a test gets on a shared server: its own for this run (SANDBOX_RUN_ID pins the
    run's part, for ids that repeat from run to run)."""
    run = os.environ.get("SANDBOX_RUN_ID", RUN)
    return f"pytest-{run}-{tenant_for(nodeid)}"[:64]


@pytest.fixture
def sandbox(request: pytest.FixtureRequest, sandbox_server: SandboxServer) -> Iterator[SandboxHandle]:
    # On a shared server (`--sandbox-url`) each test plays in a namespace of its own, dropped after
    # it: its clock moves and scenarios touch nobody else, and the server is left as it was.
    namespace = None if sandbox_server.owned else namespace_for(request.node.nodeid)
    handle = SandboxHandle(sandbox_server, tenant_for(request.node.nodeid), namespace)
    try:
        yield from _prepared(request, sandbox_server, handle)
    finally:
        if namespace is not None:  # its coverage first: the namespace and its counts go with it
            _read_coverage(request.config, sandbox_server.http, handle.base_url)
            sandbox_server.http.delete(f"{sandbox_server.base_url}/_sandbox/namespaces/{namespace}")


def _prepared(
    request: pytest.FixtureRequest, sandbox_server: SandboxServer, handle: SandboxHandle
) -> Iterator[SandboxHandle]:
    marker = request.node.get_closest_marker("sandbox")
    options = dict(marker.kwargs) if marker else {}
    if sandbox_server.owned:
        handle.reset()
    scenario, seed = options.get("scenario"), options.get("seed")
    if scenario is not None or seed is not None:
        loaded: dict[str, Any] | str | Path = scenario if scenario is not None else {}
        if seed is not None:
            base = loaded if isinstance(loaded, dict) else _as_dict(loaded)
            loaded = {**base, "seed": seed}
        if sandbox_server.owned and sandbox_server.base_scenario is None:
            active = handle._ok(handle.http.get(handle.base_url + "/_sandbox/scenario"))
            sandbox_server.base_scenario = {**active["scenario"], "seed": active["seed"]}
        handle.load_scenario(loaded)
    yield handle
    try:
        report = request.node.stash.get(CALL_REPORT, None)
        ran = report is not None and not report.skipped  # a test skipped before or in its body had no chance to fire
        if options.get("strict", True) and (scenario is not None) and ran:
            unfired = handle.unfired_rules()
            if unfired:
                pytest.fail("scenario rules with `times:` that never fired:\n  " + "\n  ".join(unfired), pytrace=False)
    finally:
        if sandbox_server.owned and (scenario is not None or seed is not None) and sandbox_server.base_scenario:
            # A reset keeps the loaded scenario: put the server's own back, so the next test starts clean.
            handle.load_scenario(sandbox_server.base_scenario, source="<the server's scenario>")


def _scenario_text(scenario: str | Path | dict[str, Any]) -> tuple[str, str]:
    """(text, source name) of a scenario given as a dict, a file path, a shipped name or YAML text."""
    from sandbox import shipped

    if isinstance(scenario, dict):
        return json.dumps(scenario), "<dict>"
    if isinstance(scenario, Path) or ("\n" not in scenario and ":" not in scenario):
        try:
            return shipped.read(scenario)
        except shipped.UnknownScenario as error:
            pytest.fail(str(error), pytrace=False)
    return str(scenario), "<inline>"


def _as_dict(scenario: str | Path) -> dict[str, Any]:
    import yaml

    value = yaml.safe_load(_scenario_text(scenario)[0]) or {}
    if not isinstance(value, dict):
        pytest.fail("a sandbox scenario must be a mapping", pytrace=False)
    return value
