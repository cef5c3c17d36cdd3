"""The load generator: wrk, pinned to its own CPU, driving a create call (`POST /payviox/session`
unless told otherwise: CDP's and CubePay's create, or Payviox's spread over namespaces).

wrk (C, one thread, keep-alive connections) outruns a one-core Python server, so the figure is
the server's, not the client's. bench/session.lua makes every body unique and checks every
status against the one expected; its `done` hook prints one `BENCH key=value ...` line, parsed here.
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
    unexpected: int  # answers with another status than the call's success
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def valid(self) -> bool:
        """A run with any answer other than the expected one, or any socket error, is not a figure."""
        return self.requests > 0 and self.unexpected == 0 and self.socket_errors == 0


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
        unexpected=int(fields["unexpected"]),
        socket_errors=int(fields["socket_errors"]),
        p50_ms=int(fields["p50_us"]) / 1000,
        p99_ms=int(fields["p99_us"]) / 1000,
    )


@dataclass(frozen=True)
class Call:
    """What wrk sends (bench/session.lua's kinds) and the status every answer must have."""

    kind: str = "payviox"
    expect: int = 201
    argument: str = ""  # payviox: how many namespaces to spread over; cdp: the file of Bearer JWTs


PAYVIOX = Call()


def drive(url: str, *, tag: str, seconds: float, connections: int, core: int | str, call: Call = PAYVIOX) -> LoadResult:
    """Run wrk for `seconds` against `url`; `tag` keeps order ids unique across runs on one server.
    `core` is a taskset CPU list ("0", "0,1")."""
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
        call.kind,
        str(call.expect),
        *([call.argument] if call.argument else []),
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse(done.stdout)
