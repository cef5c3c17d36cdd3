"""Contract coverage reports: merge them, print them, render them, hold a CI job to a threshold.

A report is the JSON of `GET /_sandbox/coverage` (`Coverage.report()`, sandbox/coverage.py).
The pytest plugin merges one per namespace and per xdist worker; `sandbox coverage` reads one
from a running server. Everything here works on plain dicts, so a report written by another
version or machine merges the same way; it imports nothing of the running sandbox.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable, Mapping
from typing import Any

DIMENSIONS = ("operations", "transitions", "errors", "webhooks", "faults")
# An entry's identity within its dimension, and the counts that add up when reports merge.
KEYS = {
    "operations": ("method", "path"),
    "transitions": ("from", "to"),
    "errors": ("code",),
    "webhooks": ("event",),
    "faults": ("kind",),
}
COUNTS = {
    "operations": ("calls",),
    "transitions": ("count",),
    "errors": ("count",),
    "webhooks": ("sent", "delivered"),
    "faults": ("fired",),
}
HIT = {"operations": "calls", "transitions": "count", "errors": "count", "webhooks": "delivered", "faults": "fired"}
# The misses named in the printed summary, most telling first: an error the client never had to
# handle, a transition it never saw, a webhook it never received, an operation it never called.
TELLING = ("errors", "transitions", "webhooks", "operations")


def empty() -> dict[str, Any]:
    return {"providers": {}, "summary": {}}


def merge(reports: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """One report whose counts are the sums of `reports`' (entries matched by their keys)."""
    providers: dict[str, Any] = {}
    for report in reports:
        for name, block in report.get("providers", {}).items():
            if name not in providers:
                providers[name] = json.loads(json.dumps(block))  # a deep copy we may add to
                continue
            _add(providers[name], block)
    return {"providers": providers, "summary": summary(providers)}


def _add(into: dict[str, Any], block: Mapping[str, Any]) -> None:
    for dimension in DIMENSIONS:
        index = {_key(dimension, entry): entry for entry in into.get(dimension, [])}
        for entry in block.get(dimension, []):
            mine = index.get(_key(dimension, entry))
            if mine is None:  # an entry the first report's catalogue lacked (another version)
                into.setdefault(dimension, []).append(json.loads(json.dumps(entry)))
                continue
            for field in COUNTS[dimension]:
                mine[field] = mine.get(field, 0) + entry.get(field, 0)
            if dimension == "operations":
                statuses = mine.setdefault("statuses", {})
                for status, count in entry.get("statuses", {}).items():
                    statuses[status] = statuses.get(status, 0) + count
    other = into.setdefault("other", {})
    for dimension, count in block.get("other", {}).items():
        other[dimension] = other.get(dimension, 0) + count


def _key(dimension: str, entry: Mapping[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(field) for field in KEYS[dimension])


def summary(providers: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    return {name: {dimension: ratio(block, dimension) for dimension in DIMENSIONS} for name, block in providers.items()}


def hits(block: Mapping[str, Any], dimension: str) -> tuple[int, int]:
    entries = block.get(dimension, [])
    return sum(1 for entry in entries if entry.get(HIT[dimension])), len(entries)


def ratio(block: Mapping[str, Any], dimension: str) -> str:
    hit, total = hits(block, dimension)
    return f"{hit}/{total}"


def used(report: Mapping[str, Any]) -> bool:
    """Whether anything at all was counted."""
    return any(_touched(block) for block in report.get("providers", {}).values())


def _touched(block: Mapping[str, Any]) -> bool:
    """Whether a provider's block counts anything (a webhook sent but never delivered included)."""
    if any(block.get("other", {}).values()) or any(entry.get("sent") for entry in block.get("webhooks", [])):
        return True
    return any(hits(block, dimension)[0] for dimension in DIMENSIONS)


def label(dimension: str, entry: Mapping[str, Any]) -> str:
    """How an entry reads in a list of misses."""
    if dimension == "operations":
        return f"{entry['method']} {entry['path']}"
    if dimension == "transitions":
        return f"transition {entry['from']} -> {entry['to']}"
    if dimension == "errors":
        kind = f" ({entry['kind']})" if entry.get("kind") and entry["kind"] != entry["code"] else ""
        return f"{entry['status']} {entry['code']}{kind}"
    if dimension == "webhooks":
        return f"webhook {entry['event']}"
    return f"fault {entry['kind']}"


def misses(block: Mapping[str, Any], dimension: str) -> list[str]:
    return [label(dimension, entry) for entry in block.get(dimension, []) if not entry.get(HIT[dimension])]


def lines(report: Mapping[str, Any], per_dimension: int = 2) -> list[str]:
    """The short summary: per provider its hit/total, then the most telling misses of the
    providers the run used."""
    out = []
    for name, block in report.get("providers", {}).items():
        counts = ", ".join(f"{dimension} {ratio(block, dimension)}" for dimension in DIMENSIONS)
        out.append(f"{name}: {counts}")
    providers = report.get("providers", {})
    touched = {name: block for name, block in providers.items() if _touched(block)} or providers
    telling = [
        f"{name} {miss}"
        for name, block in touched.items()  # a provider the run never used misses everything: no news
        for dimension in TELLING
        for miss in misses(block, dimension)[:per_dimension]
    ]
    if telling:
        out.append("never exercised: " + "; ".join(telling))
    return out


# thresholds -----------------------------------------------------------------------------------


def parse_thresholds(spec: str) -> dict[str, float]:
    """`transitions:80,errors:50` -> {dimension: percent}; a bare `80` holds every dimension to it."""
    wanted: dict[str, float] = {}
    for part in filter(None, (piece.strip() for piece in spec.split(","))):
        dimension, _, percent = part.rpartition(":")
        if dimension and dimension not in DIMENSIONS:
            raise ValueError(f"unknown coverage dimension {dimension!r}; known: {', '.join(DIMENSIONS)}")
        try:
            value = float(percent)
        except ValueError:
            raise ValueError(f"{part!r}: the threshold must be a percentage, e.g. transitions:80") from None
        for each in [dimension] if dimension else DIMENSIONS:
            wanted[each] = value
    return wanted


def shortfalls(report: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    """Every dimension below its threshold, as readable lines; empty when the report meets them all.
    A dimension's figure is summed over the providers the run touched at all: a suite of a
    Payviox shop is not held to the CDP catalogue."""
    found = []
    touched = [block for block in report.get("providers", {}).values() if _touched(block)]
    for dimension, percent in thresholds.items():
        hit = total = 0
        for block in touched:
            some, every = hits(block, dimension)
            hit, total = hit + some, total + every
        reached = 100.0 * hit / total if total else 100.0
        if reached < percent:
            found.append(f"{dimension} coverage {reached:.1f}% ({hit}/{total}) is below {percent:g}%")
    return found


# files ----------------------------------------------------------------------------------------


def write(report: Mapping[str, Any], path: str) -> None:
    """The report as JSON, or as an HTML page when `path` ends in `.html`."""
    text = page(report) if path.lower().endswith((".html", ".htm")) else json.dumps(report, indent=2) + "\n"
    with open(path, "w", encoding="utf-8") as file:
        file.write(text)


STYLE = (
    "body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:0 0 1.5em}"
    "td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;vertical-align:top}"
    ".hit{background:#d8f5d8}.miss{background:#fbe0e0}h3{margin:.8em 0 .3em}"
)


def page(report: Mapping[str, Any]) -> str:
    """A readable page: per provider a summary, one table per dimension (hits green, misses
    red) and the misses listed. Every value from the report is escaped."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset=utf-8><title>Contract coverage</title><style>{STYLE}</style>"]
    parts.append("<h1>Contract coverage</h1>")
    for name, block in report.get("providers", {}).items():
        parts.append(f"<h2>{esc(str(name))}</h2><p>")
        parts.append(", ".join(esc(f"{dimension} {ratio(block, dimension)}") for dimension in DIMENSIONS))
        parts.append("</p>")
        missed = [miss for dimension in TELLING for miss in misses(block, dimension)]
        if missed:
            items = "".join(f"<li>{esc(miss)}</li>" for miss in missed)
            parts.append(f"<details><summary>never exercised ({len(missed)})</summary><ul>{items}</ul></details>")
        for dimension in DIMENSIONS:
            entries = block.get(dimension, [])
            if not entries:
                continue
            columns = list(entries[0])
            head = "".join(f"<th>{esc(str(column))}</th>" for column in columns)
            rows = []
            for entry in entries:
                css = "hit" if entry.get(HIT[dimension]) else "miss"
                cells = "".join(f"<td>{esc(_cell(entry.get(column)))}</td>" for column in columns)
                rows.append(f'<tr class="{css}">{cells}</tr>')
            parts.append(f"<h3>{esc(dimension)}</h3><table><tr>{head}</tr>{''.join(rows)}</table>")
        other = {key: count for key, count in block.get("other", {}).items() if count}
        if other:
            parts.append(f"<p>outside the catalogue: {esc(json.dumps(other))}</p>")
    return "".join(parts) + "\n"


def _cell(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{key}: {count}" for key, count in value.items())
    if isinstance(value, list):
        return ", ".join(str(each) for each in value)
    return "" if value is None else str(value)


# `sandbox coverage` ---------------------------------------------------------------------------


def fetch(url: str) -> dict[str, Any]:
    """The report of the sandbox (or namespace: `.../ns/NAME`) at `url`."""
    import httpx

    response = httpx.get(url.rstrip("/") + "/_sandbox/coverage", timeout=30)
    response.raise_for_status()
    report: dict[str, Any] = response.json()
    return report


def command(url: str, html_path: str | None, json_path: str | None, fail_under: str | None) -> int:
    """Print a running sandbox's coverage; write it as HTML and/or JSON; exit 1 below a threshold."""
    import sys

    try:
        thresholds = parse_thresholds(fail_under) if fail_under else {}
        report = fetch(url)
    except ValueError as error:
        print(f"sandbox coverage: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # httpx's errors: no server there, or not a sandbox
        print(f"sandbox coverage: cannot read {url}/_sandbox/coverage: {error}", file=sys.stderr)
        return 2
    for line in lines(report):
        print(line)
    for path in (html_path, json_path):
        if path:
            write(report, path)
            print(f"coverage report written to {path}")
    below = shortfalls(report, thresholds)
    for line in below:
        print(f"FAIL: {line}", file=sys.stderr)
    return 1 if below else 0
