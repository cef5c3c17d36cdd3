"""What each dashboard page shows, as plain data read from one sandbox (no HTML, no Starlette).

Reads only: everything the dashboard changes goes through the control API from the page's script,
so a click does exactly what `POST /_sandbox/...` does. Lists are capped (`ROWS`) so a page costs
the same with 100,000 stored sessions as with ten.
"""

from __future__ import annotations

import inspect
import itertools
import json
from datetime import datetime
from decimal import Decimal
from typing import Any

from sandbox.clock import iso
from sandbox.contract import ProviderSpec
from sandbox.journal import Entry
from sandbox.machine import Stateful
from sandbox.state import Sandbox

ROWS = 200  # rows a list page shows, newest first
INBOXES, INBOX_ROWS = 20, 50  # the inboxes the webhooks page shows (most recently made), and entries of each


def age(now: datetime, then: datetime) -> str:
    seconds = int((now - then).total_seconds())
    if seconds < 0:
        return "in the future"
    for size, unit in ((86_400, "d"), (3_600, "h"), (60, "min")):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return f"{seconds} s ago"


def money(record: Any) -> str:
    """The record's amount as its provider keeps it: Decimal units, or integer cents (Payviox)."""
    amount = getattr(record, "amount", None)
    currency = getattr(record, "currency", None) or getattr(record, "asset", None) or ""
    if isinstance(amount, int) and not isinstance(amount, bool):
        amount = Decimal(amount) / 100
    return f"{amount} {currency}".strip() if amount is not None else ""


def session_row(sandbox: Sandbox, provider: str, record: Stateful) -> dict[str, Any]:
    created: datetime | None = getattr(record, "created_at", None)
    return {
        "provider": provider,
        "id": record.id,
        "merchant": record.merchant,
        "status": record.status,
        "amount": money(record),
        "created": iso(created) if created else "",
        "age": age(sandbox.clock.now(), created) if created else "",
    }


def sessions(sandbox: Sandbox, provider: str, merchant: str, status: str) -> tuple[list[dict[str, Any]], int]:
    """Matching sessions newest first (at most ROWS), and how many matched."""
    rows: list[dict[str, Any]] = []
    matched = 0
    for name in sandbox.providers:
        if provider and name != provider:
            continue
        for record in reversed(sandbox.store.of_provider(name)):
            if (merchant and record.merchant != merchant) or (status and record.status != status):
                continue
            matched += 1
            if len(rows) < ROWS:
                rows.append(session_row(sandbox, name, record))
    rows.sort(key=lambda row: row["created"], reverse=True)
    return rows, matched


def offered_actions(spec: ProviderSpec, state: str) -> list[str]:
    """The control actions worth a button in `state`. An action the lifecycle names (`pay` ->
    `pay_succeeded`, `authorize` -> `authorization`) is offered when the lifecycle allows it
    there; one it never names (CDP's `settle`) always is, and the provider says if it refuses."""
    table = {action for _, action in spec.lifecycle.table}
    allowed = set(spec.lifecycle.allowed(state))

    def names(action: str, among: set[str]) -> bool:
        stem = action[:6]
        return any(each == action or each.startswith(action + "_") or each.startswith(stem) for each in among)

    return [action for action in spec.actions if names(action, allowed) or not names(action, table)]


def action_help(spec: ProviderSpec, action: str) -> str:
    return inspect.getdoc(spec.actions[action]) or "No parameters."


def session_detail(sandbox: Sandbox, spec: ProviderSpec, record: Stateful, root: str) -> dict[str, Any]:
    described = spec.describe(record, root)
    timeline = [
        {"at": iso(step.at), "action": step.action, "from": step.before, "to": step.after, "detail": dict(step.detail)}
        for step in record.history
    ]
    touched = [entry for entry in sandbox.journal.entries() if _mentions(entry, record.id)]
    deliveries = sandbox.webhooks.list({"provider": spec.name, "session_id": record.id})
    return {
        "row": session_row(sandbox, spec.name, record),
        "described": _pretty(described),
        "hosted_page": (described.get("sandbox") or {}).get("hosted_page"),
        "timeline": timeline,
        "requests": [_request_row(entry) for entry in reversed(touched[-ROWS:])],
        "deliveries": list(reversed(deliveries)),
        "actions": [{"name": name, "help": action_help(spec, name)} for name in offered_actions(spec, record.status)],
    }


def _mentions(entry: Entry, record_id: str) -> bool:
    if record_id in entry.path:
        return True
    for body in (entry.request_body, entry.response_body):
        if body is not None and record_id in (body if isinstance(body, str) else _pretty(body)):
            return True
    return False


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


def _request_row(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "provider": entry.provider,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "operation": entry.operation,
        "merchant": entry.merchant or "",
    }


def requests(sandbox: Sandbox, provider: str, status_class: str, path: str) -> tuple[list[dict[str, Any]], int]:
    chosen = [
        entry
        for entry in sandbox.journal.entries()
        if (not provider or entry.provider == provider)
        and (not status_class or str(entry.status)[:1] == status_class[:1])
        and (not path or path in entry.path)
    ]
    return [_request_row(entry) for entry in reversed(chosen[-ROWS:])], len(chosen)


def request_detail(entry: Entry) -> dict[str, Any]:
    shown = entry.public()  # masked as GET /_sandbox/requests masks it
    return {
        "row": _request_row(entry),
        "notes": shown["notes"],
        "client_ip": shown["client_ip"],
        "headers": _pretty(shown["request"]["headers"]),
        "request": _pretty(shown["request"]["body"]),
        "response": _pretty(shown["response"]["body"]),
    }


def webhooks(sandbox: Sandbox) -> dict[str, Any]:
    ledger = sandbox.webhooks
    deliveries = ledger.recent(ROWS)
    endpoints = [
        {"provider": provider, "merchant": merchant, "url": endpoint.url or f"inbox:{provider}-{merchant}"}
        for (provider, merchant), endpoint in ledger.endpoints.items()
    ]
    endpoints += [
        {"provider": provider, "merchant": merchant, "url": endpoint.url or "", "subscription": endpoint.id}
        for (provider, merchant), made in ledger.subscriptions.items()
        for endpoint in made.values()
    ]
    inboxes = [
        {"name": name, "entries": list(itertools.islice(reversed(entries), INBOX_ROWS))}
        for name, entries in _inboxes(sandbox)[-INBOXES:]
    ]
    return {"deliveries": deliveries, "endpoints": endpoints, "inboxes": inboxes}


def _inboxes(sandbox: Sandbox) -> list[tuple[str, Any]]:
    inboxes = sandbox.webhooks.inboxes
    return [(name, inboxes.get(name, [])) for name in inboxes.names()]


def overview(sandbox: Sandbox) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    for name in sandbox.providers:
        per: dict[str, int] = {}
        for record in sandbox.store.of_provider(name):
            per[record.status] = per.get(record.status, 0) + 1
        counts[name] = per
    return {
        "clock": sandbox.clock.describe(),
        "seed": sandbox.entropy.seed,
        "scenario": sandbox.scenario.name,
        "faults": sandbox.faults.describe(),
        "chaos": sandbox.chaos.describe() if sandbox.chaos else [],
        "counts": counts,
        "requests": len(sandbox.journal.entries()),
    }
