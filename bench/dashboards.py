"""`make bench-dashboards`: does an open dashboard cost the API anything?

One `sandbox serve` (CPU 0), driven by wrk as `make bench` drives it (`POST /payviox/session`, 32
connections, CPU 1), alternately with no dashboard and with `STREAMS` (10) dashboards' event
streams (`GET /_sandbox/ui/stream`, Server-Sent Events) held open and read, twice each, so the
machine's neighbours weigh on both alike. Reported per run: req/s and requests per server
CPU-second; then the ratio with/without (target: at most 5 % lower), and the server's CPU
over `IDLE_SECONDS` with the streams open and no load (target: ~0, no polling).

The streams here only read events; a browser also re-fetches the page it shows after each event
(at most 4 per second per dashboard, events.MIN_GAP), which this mode does not do.
Loopback only; every loop is bounded in time.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

import load
import servers

SERVER_CPU, LOAD_CPU = 0, 1
CONNECTIONS = 32
WARMUP_SECONDS, MEASURE_SECONDS, IDLE_SECONDS = 2.0, 10.0, 5.0
STREAMS = 10
TARGET_DROP = 0.05


class Dashboards:
    """`count` open event streams, each read on its own thread, counting `change` events."""

    def __init__(self, url: str, count: int) -> None:
        parts = urlsplit(url)
        self.events = 0
        self._lock = threading.Lock()
        self._sockets = []
        self._threads = []
        for _ in range(count):
            sock = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=60)
            request = f"GET /_sandbox/ui/stream HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n"
            sock.sendall(request.encode())
            thread = threading.Thread(target=self._read, args=(sock,), daemon=True)
            thread.start()
            self._sockets.append(sock)
            self._threads.append(thread)

    def _read(self, sock: socket.socket) -> None:
        try:
            while chunk := sock.recv(65536):
                with self._lock:
                    self.events += chunk.count(b"event: change")
        except OSError:
            pass

    def close(self) -> None:
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(timeout=5)


def run(server: servers.Server, tag: str) -> tuple[load.LoadResult, float]:
    cpu = server.cpu_seconds()
    result = load.drive(server.url, tag=tag, seconds=MEASURE_SECONDS, connections=CONNECTIONS, core=LOAD_CPU)
    return result, result.requests / max(1e-9, server.cpu_seconds() - cpu)


def main() -> int:
    os.environ["PYTHONPATH"] = str(servers.ROOT)
    os.sched_setaffinity(0, {LOAD_CPU})
    load.wrk_path()
    server = servers.start(servers.sandbox_command, SERVER_CPU)
    figures: dict[bool, list[tuple[float, float]]] = {False: [], True: []}
    valid = True
    try:
        load.drive(server.url, tag="warmup", seconds=WARMUP_SECONDS, connections=CONNECTIONS, core=LOAD_CPU)
        print(f"{'POST /payviox/session':<28} {'req/s':>8} {'req/CPU-s':>10} {'p99 ms':>8} {'events':>7}")
        for round_ in range(2):
            for open_ in (False, True):
                dashboards = Dashboards(server.url, STREAMS) if open_ else None
                try:
                    result, per_cpu = run(server, f"d{round_}{int(open_)}")
                finally:
                    events = dashboards.events if dashboards else 0
                    if dashboards:
                        dashboards.close()
                valid &= result.valid
                figures[open_].append((result.rps, per_cpu))
                label = f"{STREAMS} dashboards open" if open_ else "no dashboard"
                print(f"{label:<28} {result.rps:>8,.0f} {per_cpu:>10,.0f} {result.p99_ms:>8.2f} {events:>7,}")
        cpu = server.cpu_seconds()
        time.sleep(IDLE_SECONDS)
        bare_idle = server.cpu_seconds() - cpu  # the webhook courier's once-a-second tick, dashboards or not
        dashboards = Dashboards(server.url, STREAMS)
        time.sleep(1.0)
        cpu = server.cpu_seconds()
        time.sleep(IDLE_SECONDS)
        idle = server.cpu_seconds() - cpu
        dashboards.close()
    finally:
        server.stop()
    mean = {key: [sum(values) / len(values) for values in zip(*rows, strict=True)] for key, rows in figures.items()}
    wall = 1 - mean[True][0] / mean[False][0]
    per_cpu = 1 - mean[True][1] / mean[False][1]
    ok = max(wall, per_cpu) <= TARGET_DROP
    print(
        f"\nwith {STREAMS} dashboards: {wall:+.1%} fewer req/s, {per_cpu:+.1%} fewer req per CPU-second "
        f"(target <= {TARGET_DROP:.0%}: {'ok' if ok else 'MISSED'})"
    )
    print(
        f"idle, no load: server CPU {idle * 1000:.1f} ms over {IDLE_SECONDS:g} s with {STREAMS} dashboards open, "
        f"{bare_idle * 1000:.1f} ms with none"
    )
    print(f"load average {' '.join(f'{value:.1f}' for value in os.getloadavg())} on {os.cpu_count()} CPUs")
    if not valid:
        print("\nINVALID: some requests did not answer 201 (or hit socket errors).")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
