"""Two shards behind nginx against one process direct: requests per CPU-second, on two cores.

The fleet is the shipped `deploy/nginx.conf` (one nginx worker, `hash $sandbox_namespace
consistent` over the namespace segment, keep-alive to the shards) in front of two `sandbox
serve` processes with the bench scenario, as tests/test_fleet.py runs them. wrk sends
`POST /ns/bench-<i>/payviox/session`, i over NAMESPACES names in turn, so both shards get
work; the direct run sends the very same requests to one process.

Pinning, for a machine with two cores: direct, as the rest of `make bench` (the sandbox on
CPU 0, wrk on CPU 1). Fleet: one shard on each CPU, nginx and wrk free to run on either (they
take far less CPU per request than a shard, and pinning them to one core would starve that
core's shard). Four busy processes on two cores: the wall-clock figures are what two cores
give, client included; the figure to compare is requests per CPU-second of the servers
(the shards', plus nginx's master and worker, in the fleet), which does not depend on who
waited for a core. Every answer must be 201: a run with any other is invalid.
"""

from __future__ import annotations

import http.client
import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import load
import proc
import servers

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
NAMESPACES = 64
CONNECTIONS = 32
WARMUP_SECONDS, MEASURE_SECONDS = 2.0, 10.0


@dataclass(frozen=True)
class Run:
    load: load.LoadResult
    cpu_seconds: float  # the servers' (shards and nginx), during the measured run

    @property
    def per_cpu_second(self) -> float:
        return self.load.requests / self.cpu_seconds if self.cpu_seconds else 0.0


@dataclass(frozen=True)
class Figures:
    direct: Run
    fleet: Run
    shard_cpu: tuple[float, ...]  # each shard's CPU seconds in the fleet's measured run
    nginx_cpu: float
    shard_sessions: tuple[int, ...]  # sessions each shard holds at the end

    @property
    def valid(self) -> bool:
        return self.direct.load.valid and self.fleet.load.valid


def _nginx_cpu(master: int) -> float:
    """The master's CPU and its workers' (the children /proc lists)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return proc.cpu_seconds(master) + sum(proc.cpu_seconds(child) for child in children)


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def _sessions(url: str) -> int:
    """Sessions a shard holds, over all its namespaces."""
    connection = http.client.HTTPConnection(servers.HOST, _port(url), timeout=10)
    try:
        connection.request("GET", "/_sandbox/namespaces")
        listed = json.loads(connection.getresponse().read())
    finally:
        connection.close()
    return sum(space["sessions"] for space in listed["namespaces"])


def _drive(url: str, tag: str, seconds: float, core: str) -> load.LoadResult:
    call = load.Call("payviox", 201, str(NAMESPACES))
    return load.drive(url, tag=tag, seconds=seconds, connections=CONNECTIONS, core=core, call=call)


def measure_direct() -> Run:
    server = servers.start(servers.sandbox_command, core=0)
    try:
        _drive(server.url, "warmup", WARMUP_SECONDS, "1")
        before = server.cpu_seconds()
        result = _drive(server.url, "direct", MEASURE_SECONDS, "1")
        return Run(result, server.cpu_seconds() - before)
    finally:
        server.stop()


def _nginx_config(proxy_port: int, ports: list[int]) -> str:
    config = (servers.ROOT / "deploy" / "nginx.conf").read_text()
    config = config.replace("listen 127.0.0.1:4242;", f"listen 127.0.0.1:{proxy_port};")
    config = config.replace("server 127.0.0.1:4243", f"server 127.0.0.1:{ports[0]}")
    return config.replace("server 127.0.0.1:4244", f"server 127.0.0.1:{ports[1]}")


def measure_fleet() -> tuple[Run, tuple[float, ...], float, tuple[int, ...]]:
    shards = [servers.start(servers.sandbox_command, core=core) for core in (0, 1)]
    work = Path(tempfile.mkdtemp(prefix="bench-fleet-"))
    nginx = None
    try:
        (work / "logs").mkdir()
        proxy_port = servers.free_port()
        (work / "nginx.conf").write_text(_nginx_config(proxy_port, [_port(shard.url) for shard in shards]))
        command = [NGINX, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", str(work / "logs" / "error.log")]
        nginx = subprocess.Popen(
            ["taskset", "-c", "0,1", *command, "-g", "daemon off;"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        proxy = f"http://{servers.HOST}:{proxy_port}"
        deadline = time.monotonic() + 30
        while not servers.answers(proxy_port):
            if nginx.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {nginx.stderr.read() if nginx.stderr else ''}")
            time.sleep(0.01)
        _drive(proxy, "warmup", WARMUP_SECONDS, "0,1")
        shard_before = [shard.cpu_seconds() for shard in shards]
        nginx_before = _nginx_cpu(nginx.pid)
        result = _drive(proxy, "fleet", MEASURE_SECONDS, "0,1")
        shard_cpu = tuple(shard.cpu_seconds() - before for shard, before in zip(shards, shard_before, strict=True))
        nginx_cpu = _nginx_cpu(nginx.pid) - nginx_before
        sessions = tuple(_sessions(shard.url) for shard in shards)
        return Run(result, sum(shard_cpu) + nginx_cpu), shard_cpu, nginx_cpu, sessions
    finally:
        if nginx is not None:
            nginx.terminate()
            nginx.wait(timeout=10)
        for shard in shards:
            shard.stop()
        shutil.rmtree(work, ignore_errors=True)


def measure() -> Figures | None:
    """None when nginx is not installed (`make nginx` installs it)."""
    if not Path(NGINX).exists():
        return None
    direct = measure_direct()
    fleet, shard_cpu, nginx_cpu, sessions = measure_fleet()
    return Figures(direct, fleet, shard_cpu, nginx_cpu, sessions)


def report(figures: Figures | None) -> None:
    if figures is None:
        print("\nfleet: nginx is not installed (`make nginx`); not measured")
        return
    direct, fleet = figures.direct, figures.fleet
    print(
        f"\n{'POST /ns/bench-<0..' + str(NAMESPACES - 1) + '>/payviox/session':<44} {'req/s':>8} {'req/CPU-s':>10} "
        f"{'p99 ms':>8} {'requests':>9} {'wrong':>6} {'errors':>7}"
    )
    for name, run in (
        ("one process direct (CPU 0; wrk CPU 1)", direct),
        ("nginx -> 2 shards (CPU 0, 1; nginx, wrk free)", fleet),
    ):
        result = run.load
        print(
            f"{name:<44} {result.rps:>8,.0f} {run.per_cpu_second:>10,.0f} {result.p99_ms:>8.2f} "
            f"{result.requests:>9,} {result.unexpected:>6} {result.socket_errors:>7}"
        )
    shards = ", ".join(f"{cpu:.1f}" for cpu in figures.shard_cpu)
    held = ", ".join(f"{count:,}" for count in figures.shard_sessions)
    print(
        f"fleet over direct           {fleet.per_cpu_second / direct.per_cpu_second:.2f} per CPU-second, "
        f"{fleet.load.rps / direct.load.rps:.2f} wall-clock; CPU s in the measured run: shards {shards}, "
        f"nginx {figures.nginx_cpu:.1f} ({figures.nginx_cpu / fleet.cpu_seconds:.0%} of the servers'); "
        f"sessions held per shard {held}"
    )
