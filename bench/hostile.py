"""Worst-case bodies: the time a live server takes per byte of a hostile body, up to the 1 MiB cap.

Every shape of tests/support/hostile.py (unterminated strings, escapes, deep nesting, long
numbers, many keys, huge arrays...) is sent at 64 KiB and at the cap to every route that reads a
body: each provider's POST/PUT operations (on a real session where the path names one, so the
body reaches validation) and the control API's. Each request is timed on the client over
loopback (keep-alive, best of REPEATS) and divided by its size. The figure to watch is the worst
time per byte at the cap, and how it compares with the worst at 64 KiB: a super-linear path (the
quadratic nesting check that blocked the server 14 s on 60 KB) shows as a per-byte time that
grows 16-fold from one size to the other. Run alone with `python bench/hostile.py`.
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import servers

sys.path.insert(0, str(servers.ROOT))  # tests/support/hostile.py: the shapes the tests use

from sandbox.registry import PROVIDERS
from tests.support import hostile

SIZES = (64 * 1024, hostile.CAP)
REPEATS = 2
CREDENTIALS = {  # what tests/test_bad_input.py sends: accepted in each provider's default mode
    "payviox": "Bearer sk_test_hostile",
    "cdp": "Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJob3N0aWxlIn0.",
    "cubepay": "Bearer cubepay_test_hostile",
}
CREATE = {
    "payviox": (
        "/payviox/session",
        {
            "amount": 1000,
            "currency": "USD",
            "customer": "c",
            "order_id": "o",
            "items": [{"name": "x", "quantity": 1, "price": 1000}],
        },
    ),
    "cdp": (
        "/cdp/platform/v2/payment-sessions",
        {"amount": "5.00", "asset": "usdc", "target": {"address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913"}},
    ),
    "cubepay": ("/cubepay/payment-sessions", {"amount": "5.00", "currency": "USD"}),
}
ID_FIELD = {"payviox": "session_id", "cdp": "paymentSessionId", "cubepay": "paymentSessionId"}


@dataclass(frozen=True)
class Timed:
    route: str
    shape: str
    size: int
    seconds: float
    status: int

    @property
    def ns_per_byte(self) -> float:
        return self.seconds / self.size * 1e9


class Client:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)

    def send(self, method: str, path: str, body: bytes, authorization: str | None) -> tuple[int, bytes, float]:
        headers = {"Content-Type": "application/json"}
        if authorization:
            headers["Authorization"] = authorization
        began = time.perf_counter()
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        data = response.read()
        return response.status, data, time.perf_counter() - began


def routes(client: Client) -> list[tuple[str, str, str | None]]:
    """(method, path, credential) of every route that reads a body, on a live session each."""
    found: list[tuple[str, str, str | None]] = []
    for name, provider in PROVIDERS.items():
        path, body = CREATE[name]
        status, data, _ = client.send("POST", path, json.dumps(body).encode(), CREDENTIALS[name])
        if status >= 300:
            raise RuntimeError(f"could not create a {name} session: {status} {data[:200]!r}")
        session_id = json.loads(data)[ID_FIELD[name]]
        for op in provider.operations:
            if op.method in ("POST", "PUT", "PATCH"):
                real = op.path.replace("{session_id}", session_id)
                while "{" in real:
                    real = real[: real.index("{")] + "x" + real[real.index("}") + 1 :]
                found.append((op.method, f"/{name}{real}", CREDENTIALS[name]))
        for action in provider.actions:
            found.append(("POST", f"/_sandbox/{name}/sessions/{session_id}/actions/{action}", None))
    for method, path in [
        ("POST", "/_sandbox/clock/advance"),
        ("POST", "/_sandbox/clock/set"),
        ("PUT", "/_sandbox/webhooks/endpoints/payviox/hostile"),
        ("PUT", "/_sandbox/inbox/hostile"),
        ("POST", "/_sandbox/inbox/hostile"),
    ]:
        found.append((method, path, None))
    return found


def measure(url: str) -> list[Timed]:
    client = Client(url)
    timed = []
    for method, path, credential in routes(client):
        for shape, make in hostile.SHAPES.items():
            for size in SIZES:
                body = make(size)[: hostile.CAP]
                best, status = float("inf"), 0
                for _ in range(REPEATS):
                    status, _, seconds = client.send(method, path, body, credential)
                    best = min(best, seconds)
                timed.append(Timed(f"{method} {path.split('/actions/')[-1] if '/actions/' in path else path}",
                                   shape, len(body), best, status))  # fmt: skip
    return timed


def report(timed: list[Timed]) -> bool:
    """Print the worst figures; False if any answer was a 5xx."""
    worst = {size: max((t for t in timed if abs(t.size - size) < 2048), key=lambda t: t.ns_per_byte) for size in SIZES}
    print(f"\nhostile bodies             {len(timed):,} timed requests, {len(hostile.SHAPES)} shapes, "
          f"{len({t.route for t in timed})} routes, best of {REPEATS}")  # fmt: skip
    for size, t in worst.items():
        print(
            f"  worst at {size // 1024:>5} KiB      {t.ns_per_byte:,.0f} ns/byte ({t.seconds * 1000:,.1f} ms): "
            f"{t.shape!r} on {t.route} -> {t.status}"
        )
    small, large = (worst[size].ns_per_byte for size in SIZES)
    print(f"  per-byte growth          x{large / small:.2f} from 64 KiB to 1 MiB (1 = linear; quadratic would be x16)")
    failures = [t for t in timed if t.status >= 500]
    for t in failures[:10]:
        print(f"  5xx: {t.shape!r} at {t.size:,} B on {t.route} -> {t.status}")
    return not failures


def measure_server(core: int) -> list[Timed]:
    """Serve the sandbox (`sandbox serve`, the bench scenario) pinned to `core`, and measure it."""
    os.environ["PYTHONPATH"] = str(servers.ROOT)  # this checkout's sandbox, whatever the venv installed
    server = servers.start(servers.sandbox_command, core)
    try:
        return measure(server.url)
    finally:
        server.stop()


def main() -> int:
    return 0 if report(measure_server(core=0)) else 1


if __name__ == "__main__":
    sys.exit(main())
