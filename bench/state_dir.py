"""What `--state-dir` costs the hot path: `POST /payviox/session` with and without it.

The same wrk load as `make bench` (bench/run.py: 32 connections, warm-up, then measured runs on
one server, every session kept), on a server without `--state-dir` and on one with it, in turns
(`ROUNDS`, default 2), compared in requests per CPU-second of the serving process (with
`--state-dir` its flushes run there: encoding on the loop, SQLite in a writer thread) and again
counting the CPU of the children it waited for (there are none since flushes stopped forking;
the run is kept so the figures compare with the earlier design's). The namespace grows by
thousands of sessions a second, so this is the write-behind's worst case: every flush writes
thousands of new sessions and a full journal. Run: `.venv/bin/python bench/state_dir.py`.
"""

from __future__ import annotations

import os
import sys
import tempfile

import proc
import run
import servers

_cpu_seconds = proc.cpu_seconds


def _with_children(pid: proc.Pid = "self") -> float:
    """The process's CPU plus that of its children it waited for (the flushing children)."""
    fields = proc.Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return sum(int(value) for value in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def main() -> int:
    os.environ["PYTHONPATH"] = str(servers.ROOT)
    os.sched_setaffinity(0, {run.LOAD_CPU})
    rounds = int(os.environ.get("ROUNDS", "2"))
    plain: list[float] = []
    stored: list[float] = []
    whole: list[float] = []
    for n in range(rounds):
        (measured, _), _ = run.measure_load(servers.sandbox_command, runs=2)
        plain.append(measured.per_cpu_second)
        print(run.row(f"in memory, round {n + 1}", measured), flush=True)
        with tempfile.TemporaryDirectory() as state:

            def with_state(port: int, directory: str = state) -> list[str]:
                return [*servers.sandbox_command(port), "--state-dir", directory]

            (measured, _), _ = run.measure_load(with_state, runs=2)
            stored.append(measured.per_cpu_second)
            print(run.row(f"--state-dir, round {n + 1}", measured), flush=True)
        with tempfile.TemporaryDirectory() as state:

            def fresh_state(port: int, directory: str = state) -> list[str]:
                return [*servers.sandbox_command(port), "--state-dir", directory]

            proc.cpu_seconds = _with_children  # the same run again, the children's CPU counted
            try:
                (measured, _), _ = run.measure_load(fresh_state, runs=2)
            finally:
                proc.cpu_seconds = _cpu_seconds
            whole.append(measured.per_cpu_second)
            print(run.row(f"--state-dir + children, round {n + 1}", measured), flush=True)
    best_plain, best_stored, best_whole = max(plain), max(stored), max(whole)
    print(f"\nrequests per CPU-second, best of {rounds}: in memory {best_plain:,.0f}, --state-dir {best_stored:,.0f}")
    print(f"hot path (serving process): {100 * (1 - best_stored / best_plain):.1f} % slower (target <= 10 %)")
    print(f"with the flushing children's CPU: {100 * (1 - best_whole / best_plain):.1f} % more CPU per request")
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
