"""What /proc says about a process: resident memory and CPU time used."""

from __future__ import annotations

import os
from pathlib import Path

Pid = int | str  # a process id, or "self"


def rss_mib(pid: Pid = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in /proc/{pid}/status")


def cpu_seconds(pid: Pid = "self") -> float:
    """User + system CPU time: a process's cost, whatever else the machine is running."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime
