"""Fixtures: sessions that already exist when a scenario loads, built by the real code paths.

Each fixture is a `create` call to one of its provider's operations, then actions, calls and
clock advances, all run through the pipeline's synchronous core (`pipeline.execute`) on a
`Call` built here, exactly as HTTP requests would be (auth, validation, state machine, outbox,
journal), so balances and histories are what the API would have produced. Nothing here
knows a provider: the operation and action tables say where each name goes.

Fixtures happen in the past: the clock starts early by the sum of their `advance`s, so when
they are done it stands at the scenario's `clock.start` (an expired fixture really expired
before the scenario began). They do not spend rate limits, and no scenario fault touches them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from sandbox import jsonwire, pipeline
from sandbox.clock import Clock
from sandbox.contract import Call, Headers, Operation, ProviderSpec, Reply
from sandbox.ratelimit import RateLimiter
from sandbox.scenarios import ScenarioError
from sandbox.state import Sandbox
from sandbox.steps import CallSpec, Fixture, Unresolved, operation_path, substitute

# The origin fixture calls appear to come from; URLs they produce point at the default port.
ORIGIN = ("127.0.0.1", 4242)


def fresh(sandbox: Sandbox) -> None:
    """Reset the sandbox, build its scenario's fixtures, then arm its faults and webhook chaos."""
    sandbox.reset()
    sandbox.fixtures = build(sandbox)
    sandbox.arm()


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
            handler = provider.action(then.action)
            op = Operation(f"action.{then.action}", "POST", "", handler, auth=None)
            path = f"/_sandbox/{provider.name}/sessions/{target}/actions/{then.action}"
            params = {"provider": provider.name, "session_id": str(target), "action": then.action}
            sent = _resolve(then.body, scope, [*at, "body"])
            call = _call(sandbox, provider, op, path, params, {}, {}, sent, fixture.name)
            _expect_success(pipeline.execute(sandbox, call, op), [*at, "action"], op.name)
    return body


def _operation(
    sandbox: Sandbox, provider: ProviderSpec, spec: CallSpec, variables: dict[str, Any], name: str, at: list[str | int]
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
    body = _resolve(spec.body, variables, [*at, "body"])
    call = _call(sandbox, target, op, path, params, query, headers, body, name)
    return _expect_success(pipeline.execute(sandbox, call, op), at, op.name)


def _resolve(value: Any, variables: dict[str, Any], at: list[str | int]) -> Any:
    try:
        return substitute(value, variables)
    except Unresolved as error:
        raise FixtureFailed(at, str(error)) from None


def _call(
    sandbox: Sandbox,
    provider: ProviderSpec,
    op: Operation,
    path: str,
    params: dict[str, str],
    query: dict[str, Any],
    headers: dict[str, str],
    body: Any,
    name: str,
) -> Call:
    """The call an HTTP client on the sandbox's own host would make, with a JSON body."""
    raw = b"" if body is None else jsonwire.dumps(body)
    sent = Headers.of({"host": f"{ORIGIN[0]}:{ORIGIN[1]}", "content-type": "application/json", **headers})
    forwarded = sent.get("x-forwarded-for")
    call = Call(
        services=sandbox,
        provider=provider,
        operation=op.name,
        method=op.method,
        path=path,
        raw_path=path,
        path_params=params,
        headers=sent,
        client_ip=forwarded.split(",")[0].strip() if forwarded else "127.0.0.1",
        base_url=f"http://{ORIGIN[0]}:{ORIGIN[1]}",
        now=sandbox.clock.now(),
        query_string=urlencode(query).encode(),
        raw=raw,
        body=pipeline.parse_json(raw),
    )
    call.notes.append(f"fixture {name}")
    return call


def _expect_success(reply: Reply, at: list[str | int], operation: str) -> Any:
    if reply.html is not None:
        body: Any = reply.html
    elif reply.encoded is not None or reply.body is not None:
        # As a client reads it: encoded and parsed again (Decimals become JSON numbers, tuples lists).
        body = jsonwire.loads(reply.encoded if reply.encoded is not None else jsonwire.dumps(reply.body))
    else:
        body = None
    if reply.status >= 400:
        raise FixtureFailed(at, f"{operation} answered {reply.status}: {jsonwire.dumps(body).decode()}")
    return body
