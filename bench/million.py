"""`make bench-million`: the cost of `POST /payviox/session` with up to 1,000,000 sessions stored.

In-process, straight into the ASGI app (bench/memory.py's `post`: the whole pipeline, no
sockets), with the store's cap raised above the count (`Settings.max_sessions`, as
`sandbox serve --max-sessions N`) and the cycle collector tuned as `sandbox serve` tunes it
(`sandbox/collector.py`). The clock is manual, so no session expires on the way.

The store is filled to each checkpoint (0, 100k, 500k, 1M) by the same requests, every one of
which must answer 201. At each checkpoint:

- CPU per request: process time of ROUNDS batches of BATCH requests, alternating with as many
  on a small app (next to nothing stored), the fastest of each side, and the full store's over
  the small one's: on a shared machine the neighbours then weigh on both alike. Also the share
  of the fastest batch the cycle collector took (`gc.callbacks`). What survives a
  collection is frozen (sandbox/collector.py), so no automatic collection rescans the stored
  sessions; a batch may still hold one young collection more than another, hence also
- the fill's own CPU per request since the previous checkpoint, every collection included: the
  amortised figure;
- memory per stored session: the growth of the process's resident set since the empty store,
  divided by the sessions stored since (capped logs, the journal, the rate-limit windows, are
  full long before 100k, so what grows is the sessions).

Targets (printed, never failed): CPU per request within 10 % from 0 to 1M; <= 1 KB per session.
Every status is checked: any answer but 201 stops the run with exit code 1.
"""

from __future__ import annotations

import asyncio
import gc
import os
import sys
import time
from dataclasses import dataclass

import memory  # first: puts this checkout's sandbox on the path
import proc

from sandbox.collector import tune as tune_collector
from sandbox.heap import keep_mmap_threshold

CHECKPOINTS = (0, 100_000, 500_000, 1_000_000)
WARMUP = 3_000  # the journal filled to its cap, caches warm: "0 stored" is measured after these
BATCH = 3_000
ROUNDS = 5
FILL_STEP = 10_000  # requests per `asyncio.run` while filling
TARGET_FLAT = 0.10
TARGET_BYTES = 1024


@dataclass(frozen=True)
class Point:
    stored: int
    batch_us: float  # CPU per request, the fastest batch on the full store
    reference_us: float  # the same on a small store, its batches alternating with those
    gc_share: float  # of the fastest full-store batch's time, the collector's
    fill_us: float  # CPU per request of the fill since the previous checkpoint, collections included
    bytes_per_session: float  # RSS growth since the empty store / sessions added since

    @property
    def ratio(self) -> float:
        return self.batch_us / self.reference_us


class CollectorTime:
    """Seconds of process time spent in the cycle collector, through `gc.callbacks`."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._began = 0.0
        gc.callbacks.append(self._on)

    def _on(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.process_time()
        else:
            self.seconds += time.process_time() - self._began


class Filled:
    """One app, and the count of sessions sent to it (every one answered 201)."""

    def __init__(self, max_sessions: int = memory.Settings.max_sessions) -> None:
        self.app = memory.bench_app(max_sessions=max_sessions)
        self.sent = 0

    def send(self, count: int) -> None:
        for _ in range(count // FILL_STEP):
            asyncio.run(memory.drive(self.app, memory.session_body, self.sent, FILL_STEP, 201))
            self.sent += FILL_STEP
        asyncio.run(memory.drive(self.app, memory.session_body, self.sent, count % FILL_STEP, 201))
        self.sent += count % FILL_STEP

    def timed(self, collector: CollectorTime) -> tuple[float, float]:
        """(process seconds, of them in the collector) of one batch."""
        collected, began = collector.seconds, time.process_time()
        self.send(BATCH)
        return time.process_time() - began, collector.seconds - collected


def measure(checkpoints: tuple[int, ...] = CHECKPOINTS) -> list[Point]:
    """Fill one app to each checkpoint; there, time batches on it alternately with batches on a
    small app (WARMUP sessions stored, ROUNDS * BATCH more at each checkpoint), so that the
    machine's neighbours weigh on both alike; each side keeps its fastest batch. Both apps stay
    to the end, so the RSS growth divided by the sessions of both is per session."""
    full = Filled(max_sessions=checkpoints[-1] + WARMUP + len(checkpoints) * ROUNDS * BATCH)
    small = Filled()
    tune_collector()  # as `sandbox serve` does, and
    keep_mmap_threshold()
    collector = CollectorTime()
    full.send(WARMUP)
    small.send(WARMUP)
    gc.collect()
    base_rss, base_sent = proc.rss_mib(), full.sent + small.sent
    points = []
    for stored in checkpoints:
        fill = stored - (full.sent - WARMUP)
        began = time.process_time()
        full.send(max(0, fill))
        fill_us = (time.process_time() - began) / fill * 1e6 if fill > 0 else 0.0
        per_session = (proc.rss_mib() - base_rss) * 2**20 / max(1, full.sent + small.sent - base_sent)
        timed_full, timed_small = [], []
        for _ in range(ROUNDS):
            timed_full.append(full.timed(collector))
            timed_small.append(small.timed(collector))
        seconds, in_gc = min(timed_full)
        reference = min(timed_small)[0]
        points.append(
            Point(stored, seconds / BATCH * 1e6, reference / BATCH * 1e6, in_gc / seconds, fill_us, per_session)
        )
        print(f"  {stored:>9,} stored: {points[-1].batch_us:.1f} us/request", file=sys.stderr, flush=True)
    return points


def report(points: list[Point]) -> bool:
    """Print the table and the verdicts; True if the targets are met."""
    print(
        f"{'stored':>9} {'us/request':>10} {'small store':>11} {'ratio':>6} {'GC':>5} {'fill us/req':>11} "
        f"{'RSS B/session':>13}"
    )
    for point in points:
        fill = f"{point.fill_us:.1f}" if point.fill_us else "-"
        rss = f"{point.bytes_per_session:,.0f}" if point.stored else "-"
        print(
            f"{point.stored:>9,} {point.batch_us:>10.1f} {point.reference_us:>11.1f} {point.ratio:>6.2f} "
            f"{point.gc_share:>5.1%} {fill:>11} {rss:>13}"
        )
    first, last = points[0], points[-1]
    drift = last.ratio / first.ratio - 1
    fills = [point.fill_us for point in points if point.fill_us]
    fill_drift = fills[-1] / fills[0] - 1 if fills else 0.0
    flat = abs(drift) <= TARGET_FLAT
    small = last.bytes_per_session <= TARGET_BYTES
    print(
        f"(us/request: CPU, the fastest of {ROUNDS} batches of {BATCH:,}; small store: the same batches "
        f"alternated on an app with {WARMUP:,} stored, {ROUNDS * BATCH:,} more at each checkpoint; GC: the "
        "collector's share of the fastest batch; fill: the fill since the previous checkpoint, every collection "
        "included; RSS: growth since the empty store per session)\n"
        f"CPU per request, {first.stored:,} -> {last.stored:,} stored: {drift:+.1%} against the small store, "
        f"{last.batch_us / first.batch_us - 1:+.1%} as measured, {fill_drift:+.1%} over the fills "
        f"(target within {TARGET_FLAT:.0%}: {'ok' if flat else 'MISSED'})\n"
        f"memory per stored session at {last.stored:,}: {last.bytes_per_session:,.0f} B of RSS "
        f"(target <= {TARGET_BYTES:,} B: {'ok' if small else 'MISSED'})"
    )
    return flat and small


def main() -> int:
    os.sched_setaffinity(0, {int(os.environ.get("BENCH_CPU", "0"))})
    began = time.perf_counter()
    print(f"POST /payviox/session in-process, stored sessions up to {CHECKPOINTS[-1]:,}", flush=True)
    points = measure()
    report(points)
    print(
        f"{time.perf_counter() - began:.0f} s; load average "
        f"{' '.join(f'{load:.1f}' for load in os.getloadavg())} on {os.cpu_count()} CPUs"
    )
    return 0  # any answer but 201 has raised already


if __name__ == "__main__":
    sys.exit(main())
