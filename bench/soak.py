"""`make soak`: memory stays flat under endless session creation once the store is full.

Serves `sandbox serve --max-sessions SOAK_MAX_SESSIONS` (default 20,000; the bench scenario,
rate limits raised) on loopback, and creates Payviox sessions continuously over 64 keep-alive
connections (a Python asyncio loop: every body unique, every status counted) for SOAK_SECONDS
(default 600). The server's RSS is printed every SOAK_INTERVAL seconds (default 60). The first
interval is warm-up (the store fills to its cap); after it, RSS must stay within 10 % of the
first post-warm-up sample, else the run exits 1, as it does if any answer is not a 201.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from dataclasses import dataclass, field

import servers

CONNECTIONS = 64
TOLERANCE = 0.10


def _setting(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


@dataclass
class Tally:
    created: int = 0
    other: dict[int, int] = field(default_factory=dict)
    errors: int = 0


def _request(n: int, host: str) -> bytes:
    body = json.dumps(
        {
            "amount": 1500,
            "currency": "EUR",
            "customer": f"soak-{n}",
            "order_id": f"soak-order-{n}",
            "items": [{"name": "Plan", "quantity": 1, "price": 1500}],
        }
    ).encode()
    head = (
        f"POST /payviox/session HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer sk_test_soak\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _connection(host: str, port: int, numbers: list[int], stop: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.monotonic() < stop:
            numbers[0] += 1
            writer.write(_request(numbers[0], f"{host}:{port}"))
            status_line = await reader.readline()
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            status = int(status_line.split()[1]) if status_line else 0
            if status == 201:
                tally.created += 1
            else:
                tally.other[status] = tally.other.get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError, ValueError):
        tally.errors += 1
    finally:
        writer.close()


async def _soak(server: servers.Server, seconds: int, interval: int) -> list[tuple[float, int, float]]:
    host, port = servers.HOST, int(server.url.rsplit(":", 1)[1])
    tally, numbers = Tally(), [0]
    began = time.monotonic()
    stop = began + seconds
    workers = [asyncio.create_task(_connection(host, port, numbers, stop, tally)) for _ in range(CONNECTIONS)]
    samples = [(0.0, 0, server.rss_mib())]
    print(f"  {'t (s)':>6} {'created':>10} {'RSS MiB':>8}", flush=True)
    print(f"  {0:>6.0f} {0:>10,} {samples[0][2]:>8.1f}", flush=True)
    while (now := time.monotonic()) < stop:
        await asyncio.sleep(min(interval, stop - now))
        samples.append((time.monotonic() - began, tally.created, server.rss_mib()))
        print(f"  {samples[-1][0]:>6.0f} {tally.created:>10,} {samples[-1][2]:>8.1f}", flush=True)
    await asyncio.gather(*workers)
    if tally.other or tally.errors:
        print(f"  answers other than 201: {tally.other}; connection errors: {tally.errors}")
    return samples if not (tally.other or tally.errors) else []


def main() -> int:
    seconds = _setting("SOAK_SECONDS", 600)
    interval = _setting("SOAK_INTERVAL", 60)
    cap = _setting("SOAK_MAX_SESSIONS", 20_000)
    os.environ["PYTHONPATH"] = str(servers.ROOT)  # this checkout's sandbox, whatever the venv installed

    def command(port: int) -> list[str]:
        return [*servers.sandbox_command(port), "--max-sessions", str(cap)]

    print(f"soak: {seconds} s of POST /payviox/session over {CONNECTIONS} connections, --max-sessions {cap:,}")
    server = servers.start(command, core=0)
    try:
        samples = asyncio.run(_soak(server, seconds, interval))
    finally:
        server.stop()
    if not samples:
        print("INVALID: some requests did not answer 201")
        return 1
    settled = [rss for at, _, rss in samples if at >= interval]
    if len(settled) < 2:
        print("too short to judge: run at least two intervals (SOAK_SECONDS >= 2 * SOAK_INTERVAL)")
        return 0
    base, top, low = settled[0], max(settled), min(settled)
    spread = max(top - base, base - low) / base
    ok = spread <= TOLERANCE
    print(
        f"after warm-up: RSS {low:.1f}-{top:.1f} MiB, at most {spread:.1%} from {base:.1f} MiB "
        f"(limit {TOLERANCE:.0%}: {'ok' if ok else 'MISSED'})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
