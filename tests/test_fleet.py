"""A fleet: two `sandbox serve` processes behind a real nginx with the shipped `deploy/nginx.conf`.

A namespace's requests always reach the same process, two namespaces on different processes
stay isolated, and the hosted-page URLs a sandbox hands out work through the proxy.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.threaded import free_port
from tests.support.apps import wait_until_answers
from tests.support.payviox_calls import SECRET, order

ROOT = Path(__file__).resolve().parents[1]
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

pytestmark = pytest.mark.skipif(
    not Path(NGINX).exists(), reason="Debian's nginx is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """(the proxy's URL, each shard's own URL), in the order of the config's `server` lines."""
    work = tmp_path_factory.mktemp("fleet")
    (work / "logs").mkdir()
    ports = [free_port(), free_port()]
    proxy_port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    shards = [
        subprocess.Popen(
            [sys.executable, "-m", "sandbox", "serve", "--port", str(port), "--seed", "1", "--log-level", "warning"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for port in ports
    ]
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    config = config.replace("listen 127.0.0.1:4242;", f"listen 127.0.0.1:{proxy_port};")
    config = config.replace("server 127.0.0.1:4243", f"server 127.0.0.1:{ports[0]}")
    config = config.replace("server 127.0.0.1:4244", f"server 127.0.0.1:{ports[1]}")
    (work / "nginx.conf").write_text(config)
    nginx = subprocess.Popen(
        [
            NGINX,
            "-p",
            str(work),
            "-c",
            str(work / "nginx.conf"),
            "-e",
            str(work / "logs" / "error.log"),
            "-g",
            "daemon off;",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        for url, process in zip(urls, shards, strict=True):
            wait_until_answers(url, process)
        wait_until_answers(f"http://127.0.0.1:{proxy_port}", nginx)
        yield f"http://127.0.0.1:{proxy_port}", urls
    finally:
        for process in [nginx, *shards]:
            process.terminate()
        for process in [nginx, *shards]:
            process.wait(timeout=10)


def _holder(shards: list[str], name: str) -> int:
    """Which shard holds namespace `name`, asked of each shard directly (not through the proxy)."""
    held = [
        index
        for index, url in enumerate(shards)
        if name in {space["name"] for space in httpx.get(f"{url}/_sandbox/namespaces").json()["namespaces"]}
    ]
    assert len(held) == 1, f"{name} is on shards {held}"
    return held[0]


def test_a_namespace_always_reaches_the_same_process(fleet: tuple[str, list[str]]) -> None:
    proxy, shards = fleet
    for name in ("team-a", "ci-1234", "demo"):
        for number in range(5):
            created = httpx.post(
                f"{proxy}/ns/{name}/payviox/session", json=order(order_id=f"o{number}"), headers=SECRET
            )
            assert created.status_code == 201, created.text
        listed = [
            space
            for url in shards
            for space in httpx.get(f"{url}/_sandbox/namespaces").json()["namespaces"]
            if space["name"] == name
        ]
        assert [space["sessions"] for space in listed] == [5]  # all five on one process, none elsewhere


def test_namespaces_on_different_processes_stay_isolated(fleet: tuple[str, list[str]]) -> None:
    proxy, shards = fleet
    names = [f"job-{index}" for index in range(40)]
    for name in names:
        httpx.get(f"{proxy}/ns/{name}/_sandbox/clock").raise_for_status()
    by_shard: dict[int, str] = {}
    for name in names:
        by_shard.setdefault(_holder(shards, name), name)
    assert len(by_shard) == 2, "forty names all hashed to one process"
    first, second = by_shard[0], by_shard[1]
    made = httpx.post(f"{proxy}/ns/{first}/payviox/session", json=order(), headers=SECRET).json()["session_id"]
    assert httpx.get(f"{proxy}/ns/{first}/payviox/payment/{made}", headers=SECRET).status_code == 200
    assert httpx.get(f"{proxy}/ns/{second}/payviox/payment/{made}", headers=SECRET).status_code == 404
    httpx.post(f"{proxy}/ns/{first}/_sandbox/clock/advance", json={"seconds": 86_400}).raise_for_status()
    first_now = httpx.get(f"{proxy}/ns/{first}/_sandbox/clock").json()["now"]
    second_now = httpx.get(f"{proxy}/ns/{second}/_sandbox/clock").json()["now"]
    assert first_now[:10] != second_now[:10]


def test_hosted_page_urls_work_through_the_proxy(fleet: tuple[str, list[str]]) -> None:
    proxy, _ = fleet
    created = httpx.post(f"{proxy}/ns/shop/payviox/session", json=order(paymentMethodId="paypal"), headers=SECRET)
    redirect = created.json()["redirect_url"]
    assert redirect.startswith(f"{proxy}/ns/shop/payviox/redirect/")
    page = httpx.get(redirect)
    assert page.status_code == 200 and 'action="/ns/shop/payviox/secure/' in page.text
    session_id = redirect.rsplit("/", 1)[-1]
    paid = httpx.post(f"{proxy}/ns/shop/payviox/secure/{session_id}/pay", data={"outcome": "succeeded"})
    assert paid.status_code == 303
    assert httpx.get(f"{proxy}/ns/shop/payviox/payment/{session_id}", headers=SECRET).json()["status"] == "succeeded"


def test_the_same_name_gives_the_same_ids_on_whichever_process_holds_it(fleet: tuple[str, list[str]]) -> None:
    proxy, shards = fleet
    through_proxy = httpx.post(f"{proxy}/ns/twin/payviox/session", json=order(), headers=SECRET).json()["session_id"]
    other = shards[1 - _holder(shards, "twin")]  # the process that does not hold it, asked directly
    direct = httpx.post(f"{other}/ns/twin/payviox/session", json=order(), headers=SECRET).json()["session_id"]
    assert through_proxy == direct
    assert re.fullmatch(r"[a-z0-9]{32}", direct)
