"""A provider's tables (`ProviderSpec.tables`, contract.Table): rows tests create and change.

For a table called NAME (the route table names each one: CDP's `mandates`):

    GET    /_sandbox/{provider}/NAME        {"NAME": [row...], "max_NAME": cap}, oldest first
    POST   /_sandbox/{provider}/NAME        a row's fields (its id optional) -> 201 the row
    GET    /_sandbox/{provider}/NAME/{id}   the row
    PATCH  /_sandbox/{provider}/NAME/{id}   the fields to change (`null` clears one) -> the row
    DELETE /_sandbox/{provider}/NAME/{id}   {"deleted": id}

A row's fields are those the scenario declares it with, and the provider checks them the same
way. Refusals are the control API's own: a body that is not a JSON object, or breaks a field's
rule, 400 naming the field; an unknown provider, table or id, 404; an id already taken, or a
table at its cap, 409 (creating is refused rather than dropping a row a test may rely on; a
reset or a scenario load empties the table back to what the scenario declares).
"""

from __future__ import annotations

from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.contract import Table
from sandbox.control._http import error, json_response, no_provider, provider_of, read_object, sandbox_of
from sandbox.errors import InvalidRequest

T = TypeVar("T")


def routes(name: str) -> list[Route]:
    """The routes of every provider's table called `name`."""

    def opened(request: Request) -> tuple[Table, dict[str, Any]] | Response:
        """The table the path names and its rows, or the 404 saying what is missing."""
        provider = provider_of(request)
        if provider is None:
            return no_provider(request)
        table = provider.tables.get(name)
        if table is None:
            return error(404, "not_found", f"{provider.name} has no {name}")
        return table, sandbox_of(request).store.table(provider.name, name)

    def row_of(request: Request) -> tuple[Table, dict[str, Any], Any] | Response:
        found = opened(request)
        if isinstance(found, Response):
            return found
        table, rows = found
        row_id = request.path_params["id"]
        if row_id not in rows:
            return error(404, "not_found", f"no {request.path_params['provider']} {name} {row_id!r}")
        return table, rows, rows[row_id]

    async def with_body(request: Request, found: T | Response) -> tuple[T, dict[str, Any]] | Response:
        """What the path named, and the body: a JSON object, else the 400 saying so (a 404 first)."""
        if isinstance(found, Response):
            return found
        body = await read_object(request)
        if body is None:
            return error(400, "invalid_request", f"the body must be a JSON object of the fields of one of the {name}")
        return found, body

    async def listing(request: Request) -> Response:
        found = opened(request)
        if isinstance(found, Response):
            return found
        table, rows = found
        return json_response({name: [table.describe(row) for row in rows.values()], f"max_{name}": table.cap})

    async def create(request: Request) -> Response:
        found = await with_body(request, opened(request))
        if isinstance(found, Response):
            return found
        (table, rows), body = found
        if len(rows) >= table.cap:
            message = f"the sandbox holds its maximum of {table.cap} {name}: delete one, or reset"
            return error(409, "limit_reached", message)
        try:
            row = table.create(sandbox_of(request), body)
        except InvalidRequest as problem:
            return error(400, "invalid_request", problem.message)
        if row.id in rows:
            return error(409, "conflict", f"there is already one of the {name} with id {row.id!r}")
        rows[row.id] = row
        return json_response(table.describe(row), 201)

    async def show(request: Request) -> Response:
        found = row_of(request)
        if isinstance(found, Response):
            return found
        table, _, row = found
        return json_response(table.describe(row))

    async def change(request: Request) -> Response:
        found = await with_body(request, row_of(request))
        if isinstance(found, Response):
            return found
        (table, rows, row), body = found
        try:
            changed = table.change(row, body)
        except InvalidRequest as problem:
            return error(400, "invalid_request", problem.message)
        rows[changed.id] = changed
        return json_response(table.describe(changed))

    async def delete(request: Request) -> Response:
        found = row_of(request)
        if isinstance(found, Response):
            return found
        _, rows, row = found
        del rows[row.id]
        return json_response({"deleted": row.id})

    one = f"/{{provider}}/{name}/{{id}}"
    return [
        Route(f"/{{provider}}/{name}", listing, methods=["GET"]),
        Route(f"/{{provider}}/{name}", create, methods=["POST"]),
        Route(one, show, methods=["GET"]),
        Route(one, change, methods=["PATCH"]),
        Route(one, delete, methods=["DELETE"]),
    ]
