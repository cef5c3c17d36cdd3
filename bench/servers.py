"""Server processes for the benchmark: start one pinned to a CPU, time it to its first answer.

Startup is measured from just before the process is spawned to the first `200` from
`GET /_sandbox/health` (both the sandbox and the bare app answer it), polled every millisecond
over loopback. Memory is the process's resident set (`VmRSS`) and CPU its user + system time,
both read from /proc.
"""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import proc

HOST = "127.0.0.1"
PROBE = "/_sandbox/health"
ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
SCENARIO = ROOT / "bench" / "scenario.yaml"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def sandbox_command(port: int, scenario: Path = SCENARIO) -> list[str]:
    """`sandbox serve` exactly as `make serve` runs it, with the bench scenario (limits raised)."""
    return [
        str(VENV_BIN / "sandbox"),
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--scenario",
        str(scenario),
        "--seed",
        "1",
    ]  # the log level users get (info: uvicorn's access line per request), as `make serve` runs it


def bare_command(port: int) -> list[str]:
    """uvicorn's own CLI on bench/bare_app.py, with uvicorn's defaults (uvloop and httptools when installed),
    which are also what `sandbox serve` gets."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(ROOT / "bench"),
        "bare_app:app",
        "--host",
        HOST,
        "--port",
        str(port),
    ]  # uvicorn's default log level too (info: an access line per request), so both pay for it


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    startup_seconds: float

    def rss_mib(self) -> float:
        return proc.rss_mib(self.process.pid)

    def cpu_seconds(self) -> float:
        return proc.cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def answers(port: int) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", PROBE)
        response = connection.getresponse()
        response.read()
        return response.status == 200
    except OSError:
        return False
    finally:
        connection.close()


def start(command_for_port: Callable[[int], list[str]], core: int, timeout: float = 30.0) -> Server:
    """Spawn `command_for_port(port)` under `taskset -c core` and wait for its first answer."""
    port = free_port()
    command = ["taskset", "-c", str(core), *command_for_port(port)]
    began = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL)
    while not answers(port):
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}: {' '.join(command)}")
        if time.perf_counter() - began > timeout:
            process.kill()
            raise RuntimeError(f"server did not answer within {timeout} s: {' '.join(command)}")
        time.sleep(0.001)
    return Server(process, f"http://{HOST}:{port}", time.perf_counter() - began)
