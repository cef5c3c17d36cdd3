"""Fixtures: sessions that already exist when a scenario loads, built by the real code paths.

Each fixture is a `create` call to one of its provider's operations, then actions, calls and
clock advances, all run through `pipeline.run` exactly as HTTP requests would be (auth,
validation, state machine, outbox, journal), so balances and histories are what the API
would have produced. Nothing here knows a provider: the operation and action tables say
where each name goes.

Fixtures happen in the past: the clock starts early by the sum of their `advance`s, so when
they are done it stands at the scenario's `clock.start` (an expired fixture really expired
before the scenario began). They do not spend rate limits, and no scenario fault touches them.
"""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from sandbox import jsonwire, pipeline
from sandbox.clock import Clock
from sandbox.pipeline import Call, Operation, Provider
from sandbox.ratelimit import RateLimiter
from sandbox.scenarios import ScenarioError
from sandbox.steps import CallSpec, Fixture, Unresolved, operation_path, substitute

if TYPE_CHECKING:
    from sandbox.app import Sandbox

# The origin fixture calls appear to come from; URLs they produce point at the default port.
ORIGIN = ("127.0.0.1", 4242)


class FixtureFailed(Exception):
    def __init__(self, path: list[str | int], message: str) -> None:
        super().__init__(message)
        self.path = path


def build(sandbox: Sandbox) -> dict[str, Any]:
    """Run every fixture of the sandbox's scenario; returns name -> its create response body."""
    scenario = sandbox.scenario
    lead = sum(then.advance or 0 for fixture in scenario.fixtures for then in fixture.then)
    if lead:
        try:
            start = sandbox.clock.now() - timedelta(seconds=lead)
        except OverflowError:  # advances that add up to more time than a datetime holds
            problem = f"{scenario.where(['fixtures'])}: fixtures: their advances add up to too long"
            raise ScenarioError([problem]) from None
        sandbox.clock = Clock(start, manual=sandbox.clock.manual)
    variables: dict[str, Any] = {}
    for index, fixture in enumerate(scenario.fixtures):
        try:
            variables[fixture.name] = _build_one(sandbox, fixture, variables)
        except FixtureFailed as failure:
            path = ["fixtures", index, *failure.path]
            raise ScenarioError([f"{scenario.where(path)}: {'.'.join(map(str, path))}: {failure}"]) from None
    sandbox.limiter = RateLimiter()
    return variables


def _build_one(sandbox: Sandbox, fixture: Fixture, variables: dict[str, Any]) -> Any:
    provider = sandbox.providers[fixture.provider]
    before = len(sandbox.store.of_provider(provider.name))
    body = _operation(sandbox, provider, fixture.create, variables, fixture.name, ["create"])
    made = sandbox.store.of_provider(provider.name)
    session = made[-1].id if len(made) > before else None
    scope = {**variables, fixture.name: body}
    for number, then in enumerate(fixture.then):
        at: list[str | int] = ["then", number]
        if then.advance is not None:
            sandbox.clock.advance(then.advance)
            sandbox.expire_due()
        elif then.call is not None:
            _operation(sandbox, provider, then.call, scope, fixture.name, [*at, "call"])
        elif then.action is not None:
            target = _resolve(then.session, scope, [*at, "session"]) if then.session else session
            if target is None:
                raise FixtureFailed([*at, "session"], "the create call made no session; name one with `session`")
            handler = provider.actions[then.action]
            op = Operation(f"action.{then.action}", "POST", "", handler, auth=None)
            path = f"/_sandbox/{provider.name}/sessions/{target}/actions/{then.action}"
            params = {"provider": provider.name, "session_id": str(target), "action": then.action}
            request = _request("POST", path, params, {}, {}, _resolve(then.body, scope, [*at, "body"]))
            _expect_success(_run(sandbox, provider, op, request, fixture.name), [*at, "action"], op.name)
    return body


def _operation(
    sandbox: Sandbox, provider: Provider, spec: CallSpec, variables: dict[str, Any], name: str, at: list[str | int]
) -> Any:
    target = sandbox.providers[spec.provider] if spec.provider else provider
    op = next(op for op in target.operations if op.name == spec.operation)
    params = {key: str(value) for key, value in _resolve(spec.params, variables, [*at, "params"]).items()}
    try:
        path = operation_path(target.name, op.path, params)
    except Unresolved as error:
        raise FixtureFailed([*at, "params"], str(error)) from None
    headers = _resolve(spec.headers, variables, [*at, "headers"])
    query = _resolve(spec.query, variables, [*at, "query"])
    request = _request(op.method, path, params, query, headers, _resolve(spec.body, variables, [*at, "body"]))
    return _expect_success(_run(sandbox, target, op, request, name), at, op.name)


def _resolve(value: Any, variables: dict[str, Any], at: list[str | int]) -> Any:
    try:
        return substitute(value, variables)
    except Unresolved as error:
        raise FixtureFailed(at, str(error)) from None


def _request(
    method: str, path: str, params: dict[str, str], query: dict[str, Any], headers: dict[str, str], body: Any
) -> Request:
    raw = b"" if body is None else jsonwire.dumps(body)
    sent = {"host": f"{ORIGIN[0]}:{ORIGIN[1]}", "content-type": "application/json", **headers}
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "server": ORIGIN,
        "client": ("127.0.0.1", 0),
        "root_path": "",
        "path": path,
        "raw_path": path.encode(),
        "query_string": urlencode(query).encode(),
        "headers": [(key.lower().encode(), str(value).encode()) for key, value in sent.items()],
        "path_params": params,
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": raw, "more_body": False}

    return Request(scope, receive)


def _run(sandbox: Sandbox, provider: Provider, op: Operation, request: Request, name: str) -> Response:
    call = Call(sandbox, provider, op.name, request, sandbox.clock.now(), pipeline.client_ip(request))
    call.notes.append(f"fixture {name}")
    return _drive(pipeline.run(call, op))


def _drive(flow: Coroutine[Any, Any, Response]) -> Response:
    """Run the pipeline to its end without an event loop: handlers are sync, the body is in
    memory and no fault is armed while fixtures build, so nothing in it ever suspends."""
    try:
        flow.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    flow.close()
    raise RuntimeError("a fixture call tried to wait for I/O")


def _expect_success(response: Response, at: list[str | int], operation: str) -> Any:
    try:
        body = jsonwire.loads(bytes(response.body)) if response.body else None
    except ValueError:  # an HTML page
        body = bytes(response.body).decode(errors="replace")
    if response.status_code >= 400:
        raise FixtureFailed(at, f"{operation} answered {response.status_code}: {jsonwire.dumps(body).decode()}")
    return body
