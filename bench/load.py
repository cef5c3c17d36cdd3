"""The load generator: wrk, pinned to its own CPU, driving `POST /payviox/session`.

wrk (C, one thread, keep-alive connections) outruns a one-core Python server, so the figure is
the server's, not the client's. bench/session.lua makes every body unique and checks every
status; its `done` hook prints one `BENCH key=value ...` line, parsed here.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "session.lua"


@dataclass(frozen=True)
class LoadResult:
    requests: int
    seconds: float
    non201: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def valid(self) -> bool:
        """A run with any answer other than 201, or any socket error, is not a figure."""
        return self.requests > 0 and self.non201 == 0 and self.socket_errors == 0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk is not installed (`make bench` installs Debian's wrk with apt-get)")
    return path


def parse(output: str) -> LoadResult:
    line = next((line for line in output.splitlines() if line.startswith("BENCH ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no BENCH line:\n{output}")
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return LoadResult(
        requests=int(fields["requests"]),
        seconds=float(fields["seconds"]),
        non201=int(fields["non201"]),
        socket_errors=int(fields["socket_errors"]),
        p50_ms=int(fields["p50_us"]) / 1000,
        p99_ms=int(fields["p99_us"]) / 1000,
    )


def drive(url: str, *, tag: str, seconds: float, connections: int, core: int) -> LoadResult:
    """Run wrk for `seconds` against `url`; `tag` keeps order ids unique across runs on one server."""
    command = [
        "taskset",
        "-c",
        str(core),
        wrk_path(),
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "-s",
        str(SCRIPT),
        url,
        "--",
        tag,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse(done.stdout)
