"""CDP's and CubePay's create calls: what `make bench` drives with wrk, and where their time goes.

CDP (`POST /cdp/platform/v2/payment-sessions`) is measured as cdp-sdk calls it: a JWT signed
with the API key per request (`sandbox.cdptoken.mint`, cdp-sdk's `generate_jwt`: Ed25519, a
random nonce, `uris` naming the request, 2 minutes of life), against a server in strict mode
(the scenario declares the key, so every token's signature, times and `uris` are verified).
wrk cannot sign, so TOKENS distinct tokens are minted just before each wrk run (the warm-up's
and the measured run's apart), for the server's own host and port, and the wrk script takes
the next one per request, from the start again when they run out: the sandbox keeps no record
of tokens it has seen (no replay check, no cache of verified tokens: providers/cdp/auth.py), so
a token used twice costs what a fresh one would. The run also measures the default mode (any
key; the token decoded, not verified), on another server. CubePay
(`POST /cubepay/payment-sessions`) takes an API key and signs an HS256 `paymentSessionToken`
into each answer.

Run alone, it times each create call in-process (the ASGI app, no sockets; batches of the four
kinds alternate, the fastest of each kept) or profiles one kind with cProfile:

    python bench/creates.py cpu
    python bench/creates.py profile [cdp|cdp-default|cubepay|payviox] [REQUESTS]

and `--only KIND N [TOKENS]` runs N requests and nothing else, for instruction counts with
callgrind (over two counts, the difference divided: start-up cancels out), as
bench/coverage_cost.py does; CDP's tokens come from a file minted beforehand, so that the count
holds no signing:

    TOKENS=$(mktemp); python bench/creates.py tokens 1300 $TOKENS
    valgrind --tool=callgrind --callgrind-out-file=/dev/null python bench/creates.py --only cdp 300 $TOKENS
    ... --only cdp 1300 $TOKENS: (I(1300) - I(300)) / 1000 per request (the bodies built included)
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import pstats
import sys
import time
from collections.abc import Callable
from pathlib import Path

import load
import memory
import servers
import yaml

sys.path.insert(0, str(servers.ROOT))  # this checkout's sandbox, whatever the venv installed

from sandbox import cdptoken
from sandbox.app import create_app
from sandbox.providers.cdp.auth import test_credentials
from sandbox.registry import ScenarioModel
from sandbox.state import Settings

CDP_PATH = "/cdp/platform/v2/payment-sessions"
CUBEPAY_PATH = "/cubepay/payment-sessions"
TOKENS = 20_000
CDP_OK, CUBEPAY_OK = 200, 200  # both answer a create with 200 (their specs), Payviox with 201
CUBEPAY_KEY = b"Bearer cubepay_test_bench"


def strict_scenario(directory: Path, key_id: str, secret: str) -> Path:
    """The bench scenario with one CDP API key declared: strict mode, every JWT verified."""
    scenario = yaml.safe_load(servers.SCENARIO.read_text())
    scenario["providers"]["cdp"] = {"api_keys": [{"id": key_id, "secret": secret}]}
    path = directory / "scenario-cdp-strict.yaml"
    path.write_text(yaml.safe_dump(scenario))
    return path


def mint_tokens(url: str, key_id: str, secret: str, count: int) -> list[str]:
    """`count` tokens for `POST url`, each as cdp-sdk signs it (its own nonce and timestamps)."""
    return [cdptoken.mint("POST", url, key_id, secret) for _ in range(count)]


class Cdp:
    """A strict-mode server's command, and the wrk call with freshly minted tokens for it."""

    def __init__(self, directory: Path, strict: bool = True) -> None:
        self.directory = directory
        self.key_id, self.secret = cdptoken.new_key()
        scenario = strict_scenario(directory, self.key_id, self.secret) if strict else servers.SCENARIO
        self.scenario = scenario

    def command(self, port: int) -> list[str]:
        return servers.sandbox_command(port, self.scenario)

    def call(self, server: servers.Server) -> load.Call:
        """TOKENS fresh tokens for the server's address, in a file for the wrk script."""
        tokens = self.directory / f"tokens-{server.url.rsplit(':', 1)[1]}.txt"
        tokens.write_text("\n".join(mint_tokens(server.url + CDP_PATH, self.key_id, self.secret, TOKENS)) + "\n")
        return load.Call("cdp", CDP_OK, str(tokens))


CUBEPAY = load.Call("cubepay", CUBEPAY_OK)


# in-process: profiles and instruction counts ---------------------------------------------------


def cdp_body(n: int) -> bytes:
    return json.dumps(
        {
            "amount": f"{n + 1}.00",
            "asset": "usdc",
            "target": {"address": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913", "network": "base"},
            "externalReferenceId": f"order-{n}",
        }
    ).encode()


def cubepay_body(n: int) -> bytes:
    return json.dumps({"amount": f"{n + 1}.00", "currency": "USD"}).encode()


def in_process_tokens(count: int) -> list[str]:
    """Tokens for the in-process app (Host `bench`), signed with a fixed key (the pytest plugin's
    for tenant "bench"), living an hour: under callgrind a run takes minutes, not seconds."""
    key = test_credentials("bench")
    return [
        cdptoken.mint("POST", f"http://bench{CDP_PATH}", key["api_key_id"], key["api_key_secret"], 3600)
        for _ in range(count)
    ]


KINDS = ("payviox", "cubepay", "cdp-default", "cdp")
WARM, BATCH, ROUNDS = 500, 1_000, 5


def in_process(kind: str, requests: int, tokens: list[str] | None = None) -> Callable[[int, int], None]:
    """A fresh app, and a function that sends it create calls `start` to `stop` of the `requests`
    of `kind` built here; CDP's tokens are minted here, before, unless given (`--only` reads them
    from a file, so that callgrind counts no signing)."""
    providers: dict[str, object] = dict(memory.RAISED_LIMITS)
    if kind == "cdp":
        key = test_credentials("bench")
        providers["cdp"] = {"api_keys": [{"id": key["api_key_id"], "secret": key["api_key_secret"]}]}
    scenario = ScenarioModel.model_validate({"clock": {"manual": True}, "providers": providers})
    app = create_app(Settings(scenario=scenario, seed=1))
    plain = [(b"host", b"bench"), (b"content-type", b"application/json")]
    if kind in ("cdp", "cdp-default"):
        tokens = (tokens or in_process_tokens(requests))[:requests]
        if len(tokens) < requests:
            raise SystemExit(f"{requests:,} requests need as many tokens, not {len(tokens):,}")
        calls = [
            (CDP_PATH, cdp_body(n), [*plain, (b"authorization", f"Bearer {token}".encode())], CDP_OK)
            for n, token in enumerate(tokens)
        ]
    elif kind == "cubepay":
        calls = [
            (CUBEPAY_PATH, cubepay_body(n), [*plain, (b"authorization", CUBEPAY_KEY)], CUBEPAY_OK)
            for n in range(requests)
        ]
    elif kind == "payviox":
        calls = [("/payviox/session", memory.session_body(n), memory.HEADERS, 201) for n in range(requests)]
    else:
        raise SystemExit(f"unknown kind {kind!r}: {', '.join(KINDS)}")

    async def run(start: int, stop: int) -> None:
        for n in range(start, stop):
            path, body, headers, expect = calls[n]
            status = await memory.post(app, path, body, headers)
            if status != expect:
                raise RuntimeError(f"{kind} request {n} answered {status}, expected {expect}")

    return lambda start, stop: asyncio.run(run(start, stop))


def profile(kind: str, requests: int) -> None:
    """cProfile's cumulative shares (its overhead weighs on Python calls more than on C ones)."""
    send = in_process(kind, WARM + requests)
    send(0, WARM)  # warm-up: lazy imports (PyJWT, cryptography), caches, the journal
    profiler = cProfile.Profile()
    profiler.runcall(send, WARM, WARM + requests)
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    print(f"{kind}: {requests:,} create calls in-process, {total / requests * 1e6:.0f} us each under cProfile")
    shares: dict[str, float] = {}
    for (filename, _, name), (_, _, _, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        shares[f"{Path(filename).parent.name}/{Path(filename).name}:{name}"] = cumulative / total
    for name, share in sorted(shares.items(), key=lambda item: -item[1])[:40]:
        print(f"  {share:6.1%}  {name}")


def cpu() -> dict[str, float]:
    """CPU microseconds per create call of each kind in-process: batches of the kinds alternate,
    so that the machine's neighbours weigh on all alike; each keeps its fastest batch."""
    senders = {kind: in_process(kind, WARM + ROUNDS * BATCH) for kind in KINDS}
    best = dict.fromkeys(KINDS, float("inf"))
    for send in senders.values():
        send(0, WARM)
    for round_ in range(ROUNDS):
        start = WARM + round_ * BATCH
        for kind, send in senders.items():
            began = time.process_time()
            send(start, start + BATCH)
            best[kind] = min(best[kind], (time.process_time() - began) / BATCH * 1e6)
    return best


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "tokens":
        Path(sys.argv[3]).write_text("\n".join(in_process_tokens(int(sys.argv[2]))) + "\n")
    elif len(sys.argv) in (4, 5) and sys.argv[1] == "--only":
        given = Path(sys.argv[4]).read_text().split() if len(sys.argv) == 5 else None
        in_process(sys.argv[2], int(sys.argv[3]), given)(0, int(sys.argv[3]))
    elif sys.argv[1:] == ["cpu"]:
        for kind, us in cpu().items():
            print(
                f"{kind:<12} {us:6.0f} us of CPU per create call in-process (fastest of {ROUNDS} batches of {BATCH:,})"
            )
    elif len(sys.argv) >= 2 and sys.argv[1] == "profile":
        profile(sys.argv[2] if len(sys.argv) > 2 else "cdp", int(sys.argv[3]) if len(sys.argv) > 3 else 2_000)
    else:
        raise SystemExit(__doc__)
