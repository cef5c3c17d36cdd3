"""`sandbox serve`: its options (each also an environment variable), and the server itself.

Every option has a `SANDBOX_*` variable (an explicit option wins over it), a description and a
default shown in `--help`. `serve` runs one uvicorn worker and refuses more: all state lives in
one process, so a second worker would be a second, disagreeing sandbox; scale out with
namespaces inside one server, or with several servers behind a proxy (README "Sharing one
sandbox"). The banner is printed once the socket is bound, so a port already in use prints
uvicorn's error and no banner.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4242


def positive(text: str) -> int:
    if not text.strip().isascii() or not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"not a whole number of at least 1: {text!r}")
    return int(text)


def port(text: str) -> int:
    value = positive(text)
    if value > 65_535:
        raise argparse.ArgumentTypeError(f"not a port (1-65535): {text!r}")
    return value


def seed(text: str) -> int:
    if not text.strip().isascii() or not text.strip().lstrip("-").isdigit() or len(text.strip()) > 20:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value < 10**9:
        raise argparse.ArgumentTypeError(f"not a number of seconds above 0: {text!r}")
    return value


def choice(text: str, choices: tuple[str, ...]) -> str:
    if text not in choices:
        raise argparse.ArgumentTypeError(f"not one of {', '.join(choices)}: {text!r}")
    return text


@dataclass(frozen=True)
class Option:
    flag: str
    env: str
    default: Any
    parse: Callable[[str], Any]
    help: str

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


OPTIONS = (
    Option("--host", "SANDBOX_HOST", DEFAULT_HOST, str, "the address to listen on"),
    Option("--port", "SANDBOX_PORT", DEFAULT_PORT, port, "the port to listen on"),
    Option("--scenario", "SANDBOX_SCENARIO", None, str, "a scenario: a YAML file, or a shipped one's name"),
    Option("--seed", "SANDBOX_SEED", None, seed, "seed for ids and tokens (default: the scenario's, else random)"),
    Option(
        "--max-sessions",
        "SANDBOX_MAX_SESSIONS",
        100_000,
        positive,
        "sessions kept per namespace; past it the longest-settled go first, then the oldest",
    ),
    Option("--max-namespaces", "SANDBOX_MAX_NAMESPACES", 1_000, positive, "namespaces held at once (/ns/{name}/...)"),
    Option(
        "--namespace-idle",
        "SANDBOX_NAMESPACE_IDLE",
        3_600.0,
        seconds,
        "seconds after which an unused namespace is dropped",
    ),
    Option(
        "--state-dir",
        "SANDBOX_STATE_DIR",
        None,
        str,
        "keep every namespace's state in this directory (SQLite), so a restart goes on where it stopped",
    ),
    Option("--log-level", "SANDBOX_LOG_LEVEL", "info", str, "uvicorn's log level: debug, info, warning, error"),
    Option(
        "--log-format",
        "SANDBOX_LOG_FORMAT",
        "text",
        lambda text: choice(text, ("text", "json")),
        "text: a readable line per fault, state change and webhook attempt; json: one object per line",
    ),
)

EXAMPLES = """examples:
  sandbox serve                                   # http://127.0.0.1:4242, the default scenario
  sandbox serve --port 8000 --seed 1 --scenario payviox-rate-limit-per-customer
  SANDBOX_PORT=8000 SANDBOX_SEED=1 sandbox serve  # the same through the environment
  sandbox serve --state-dir .sandbox-state        # sessions, clocks and webhook retries survive a restart
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        shown = (
            "none" if option.default is None else f"{option.default:,}" if option.parse is positive else option.default
        )
        parser.add_argument(
            option.flag,
            type=option.parse,
            default=None,
            help=f"{option.help} (env {option.env}; default: {shown})",
        )
    parser.add_argument("--workers", type=int, default=1, help="must be 1: every sandbox lives in one process")


def resolve(args: argparse.Namespace) -> dict[str, Any]:
    """Each option's value: the flag, else its environment variable, else the default. ValueError
    names a variable that does not parse."""
    values: dict[str, Any] = {}
    for option in OPTIONS:
        given = getattr(args, option.dest)
        if given is None and os.environ.get(option.env, "").strip():
            try:
                given = option.parse(os.environ[option.env].strip())
            except argparse.ArgumentTypeError as error:
                raise ValueError(f"{option.env}: {error}") from None
        values[option.dest] = option.default if given is None else given
    return values


def banner(host: str, port: int, seed: int, scenario: str) -> str:
    from sandbox.registry import PROVIDERS

    origin = f"http://{host}:{port}"
    bases = "  ".join(f"{name} {origin}{provider.base_path}" for name, provider in PROVIDERS.items())
    return (
        f"sandbox on {origin}  |  {bases}  |  control {origin}/_sandbox  |  dashboard {origin}/_sandbox/ui/  |  "
        f"namespaces {origin}/ns/NAME/...  |  "
        f"seed {seed}, scenario {scenario}"
    )


def serve(args: argparse.Namespace, load: Callable[[str | None], Any], problem: Callable[[str, Exception], str]) -> int:
    """Serve until stopped; 2 on a bad option, variable or scenario (which `load` turns into a model)."""
    if args.workers != 1:
        print(
            "sandbox: --workers must be 1: every session, clock and counter lives in one process, and a second "
            "worker would be a second sandbox that disagrees with the first. Give each CI job or test a "
            "namespace (/ns/NAME/...), or run several servers behind a proxy (README).",
            file=sys.stderr,
        )
        return 2
    try:
        options = resolve(args)
    except ValueError as error:
        print(f"sandbox: {error}", file=sys.stderr)
        return 2
    import asyncio

    from sandbox import collector, heap

    with collector.paused():  # startup's imports and models leave nothing for the collector to find
        import uvicorn

        from sandbox.accesslog import AccessLog
        from sandbox.app import create_app
        from sandbox.errors import StateDirError
        from sandbox.namespaces import Limits
        from sandbox.state import Settings

        try:
            scenario = load(options["scenario"])
            settings = Settings(scenario=scenario, seed=options["seed"], max_sessions=options["max_sessions"])
            limits = Limits(options["max_namespaces"], options["namespace_idle"])
            app = create_app(settings, limits, options["state_dir"])  # builds the scenario's fixtures, which may fail
        except StateDirError as error:
            print(f"sandbox: {error}", file=sys.stderr)
            return 2
        except (ValueError, OSError) as error:
            print(f"sandbox: {problem(options['scenario'] or '<default>', error)}", file=sys.stderr)
            return 2
    line = banner(options["host"], options["port"], settings.effective_seed(), scenario.name)

    class Server(uvicorn.Server):
        async def startup(self, sockets: Any = None) -> None:
            await super().startup(sockets)
            if self.started:  # bound: only now is the banner true
                print(line, flush=True)
                self.collecting = asyncio.create_task(collector.collect_when_idle())

        def handle_exit(self, sig: int, frame: Any) -> None:
            from sandbox.ui import close_streams

            close_streams()  # an open dashboard's event stream would hold the graceful shutdown forever
            super().handle_exit(sig, frame)

    collector.tune()
    heap.keep_mmap_threshold()  # a long run's RSS follows what it holds (heap.py)
    from sandbox import console

    console.configure(options["log_format"], options["log_level"])
    # Text lines: the access line is written by AccessLog, uvicorn's own line for a fraction of its
    # CPU (accesslog.py); uvicorn logs it at INFO, so below INFO there is none either way.
    level = uvicorn.config.LOG_LEVELS.get(str(options["log_level"]).lower(), logging.INFO)
    own_access_line = options["log_format"] == "text" and level <= logging.INFO
    config = uvicorn.Config(
        AccessLog(app) if own_access_line else app,
        host=options["host"],
        port=options["port"],
        log_level=options["log_level"],
        log_config=console.uvicorn_config() if options["log_format"] == "json" else uvicorn.config.LOGGING_CONFIG,
        access_log=not own_access_line,
    )
    Server(config).run()
    return 0
