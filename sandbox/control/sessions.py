"""Sessions, their actions, the journal and the state-change log.

GETs have no side effects beyond expiring what came due. The session actions play the payer's
or the network's side of a provider and so run through the provider's pipeline and answer in
its envelope (an IP mismatch on Payviox's `pay` is Payviox's 403, wherever it is triggered from).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from sandbox import pipeline
from sandbox.clock import iso
from sandbox.contract import Operation, ProviderSpec
from sandbox.control._http import error, json_response, no_provider, provider_of, sandbox_of
from sandbox.state import Sandbox


async def requests(request: Request) -> Response:
    provider = request.query_params.get("provider")
    limit = request.query_params.get("limit", "100")
    if not (limit.isascii() and limit.isdigit()):  # "²".isdigit() is true too, and int() refuses it
        return error(400, "invalid_request", "limit must be a whole number")
    count = int(limit) if len(limit) <= 9 else 10**9  # int() refuses more than 4300 digits
    return json_response({"requests": sandbox_of(request).journal.list(provider, count)})


async def events(request: Request) -> Response:
    query = request.query_params
    return json_response({"events": sandbox_of(request).events.list(query.get("provider"), query.get("session_id"))})


async def providers(request: Request) -> Response:
    """Each provider's base path, and test credentials for `?tenant=` (the pytest plugin's fresh
    credentials per test): a provider's `test_credentials(tenant)` name the merchant `tenant`,
    or, where a credential cannot name its merchant freely (a merchant that is a digest of its
    key), the one its `test_merchant(tenant)` returns."""
    tenant = request.query_params.get("tenant", "sandbox")
    if not (tenant.isascii() and tenant.replace("_", "").isalnum()) or len(tenant) > 64:  # keys take ASCII only
        return error(400, "invalid_request", "tenant must be 1-64 letters, digits or underscores")
    listed = [
        {
            "name": provider.name,
            "title": provider.title,
            "base_path": provider.base_path,
            "merchant": provider.test_merchant(tenant),
            "credentials": provider.test_credentials(tenant),
        }
        for provider in sandbox_of(request).providers.values()
    ]
    return json_response({"providers": listed})


def _current(request: Request) -> tuple[ProviderSpec, Sandbox] | None:
    """The provider the path names and the request's sandbox, with what came due expired (the
    reads show sessions as of now); None for an unknown provider."""
    provider = provider_of(request)
    if provider is None:
        return None
    sandbox = sandbox_of(request)
    sandbox.expire_due()
    return provider, sandbox


def _root(request: Request) -> str:
    """The namespace's path prefix: the paths a session's view hands out carry it."""
    root: str = request.scope.get("app_root_path", "")
    return root


async def sessions(request: Request) -> Response:
    found = _current(request)
    if found is None:
        return no_provider(request)
    provider, sandbox = found
    records = sandbox.store.of_provider(provider.name)
    return json_response({"sessions": [provider.describe(record, _root(request)) for record in records]})


async def session(request: Request) -> Response:
    found = _current(request)
    if found is None:
        return no_provider(request)
    provider, sandbox = found
    record = sandbox.store.get(provider.name, request.path_params["session_id"])
    if record is None:
        return error(404, "not_found", f"no {provider.name} session {request.path_params['session_id']!r}")
    body = provider.describe(record, _root(request))
    body["history"] = [
        {"action": step.action, "from": step.before, "to": step.after, "at": iso(step.at)} for step in record.history
    ]
    return json_response(body)


async def action(request: Request) -> Response:
    provider = provider_of(request)
    if provider is None:
        return no_provider(request)
    name = request.path_params["action"]
    if name not in provider.actions:
        return error(404, "not_found", f"{provider.name} has no action {name!r}; it has {sorted(provider.actions)}")
    op = Operation(f"action.{name}", "POST", "", provider.action(name), auth=None)
    sandbox = sandbox_of(request)
    call = pipeline.start_call(sandbox, request.scope, provider, op.name)
    return await pipeline.run(sandbox, request.scope, request.receive, call, op)
