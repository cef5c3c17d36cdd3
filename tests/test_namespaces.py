"""Namespaces: `/ns/{name}/...` is a whole sandbox of its own; the root paths are `default`.

Isolation (sessions, clock, scenario, journal, webhooks), seeds derived from the server's and
the name, the URLs handed out carrying the prefix, hostile names, the bounds, list and drop.
"""

from __future__ import annotations

import json

import httpx
import pytest

from sandbox.app import create_app
from sandbox.namespaces import Limits, Namespaces, derived_seed
from sandbox.registry import PROVIDERS, ScenarioModel
from sandbox.state import Settings
from tests.support.apps import START, client_for
from tests.support.cdp_calls import ACME, BASE, session_body
from tests.support.control import Control
from tests.support.payviox_calls import SECRET, order

pytestmark = pytest.mark.anyio


def _app(seed: int = 7, limits: Limits | None = None) -> object:
    scenario = ScenarioModel.model_validate({"clock": {"start": START, "manual": True}})
    return create_app(Settings(scenario=scenario, seed=seed), limits)


async def _create(client: httpx.AsyncClient, prefix: str = "", **changes: object) -> str:
    response = await client.post(f"{prefix}/payviox/session", json=order(**changes), headers=SECRET)
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


async def test_a_session_made_in_one_namespace_is_seen_in_no_other() -> None:
    async with client_for(_app()) as client:
        made = await _create(client, "/ns/team-a")
        assert (await client.get(f"/ns/team-a/payviox/payment/{made}", headers=SECRET)).status_code == 200
        for elsewhere in ("/ns/team-b", ""):
            missing = await client.get(f"{elsewhere}/payviox/payment/{made}", headers=SECRET)
            assert missing.status_code == 404
            assert missing.json() == {"error": "Payment not found"}
        # the same order_id is free in another namespace: uniqueness is per sandbox
        await _create(client, "/ns/team-b")
        await _create(client)


async def test_clocks_scenarios_and_journals_are_per_namespace() -> None:
    async with client_for(_app()) as client:
        a, default = Control(client, "/ns/a"), Control(client)
        await a.advance(86_400)
        assert (await a.clock())["now"].startswith("2026-01-02T00:00:00")
        assert (await default.clock())["now"].startswith("2026-01-01T00:00:00")
        await a.load_scenario({"name": "only-a", "clock": {"start": "2030-01-01T00:00:00Z", "manual": True}})
        assert (await a.scenario())["scenario"]["name"] == "only-a"
        assert (await default.scenario())["scenario"]["name"] != "only-a"
        await _create(client, "/ns/a")
        assert [entry["path"] for entry in await a.requests()] == ["/ns/a/payviox/session"]
        assert await default.requests() == []


async def test_webhooks_go_to_the_namespace_they_were_made_in() -> None:
    async with client_for(_app()) as client:
        a, b = Control(client, "/ns/a"), Control(client, "/ns/b")
        made = await _create(client, "/ns/a")
        await a.act("payviox", made, "pay", outcome="succeeded")
        await a.flush_webhooks()
        assert [entry["event"] for entry in await a.inbox("payviox-acme")] == ["succeeded"]
        assert await b.inbox("payviox-acme") == []
        assert await b.webhooks() == []


async def test_the_same_name_and_requests_give_the_same_ids_whatever_other_namespaces_do() -> None:
    async with client_for(_app(seed=11)) as quiet, client_for(_app(seed=11)) as busy:
        for index in range(3):
            await _create(busy, f"/ns/other-{index}", order_id=f"noise-{index}")
        await _create(busy, order_id="noise-default")
        assert await _create(quiet, "/ns/ci-job") == await _create(busy, "/ns/ci-job")
    async with client_for(_app(seed=12)) as other_seed, client_for(_app(seed=11)) as same_seed:
        assert await _create(other_seed, "/ns/ci-job") != await _create(same_seed, "/ns/ci-job")


async def test_a_namespace_seed_is_derived_from_the_server_seed_and_its_name() -> None:
    async with client_for(_app(seed=11)) as client:
        await _create(client, "/ns/ci-job")
        listed = {space["name"]: space for space in (await client.get("/_sandbox/namespaces")).json()["namespaces"]}
        assert listed["default"]["seed"] == 11
        assert listed["ci-job"]["seed"] == derived_seed(11, "ci-job") != 11
        assert listed["ci-job"]["sessions"] == 1 and listed["default"]["sessions"] == 0


async def test_urls_handed_out_in_a_namespace_carry_its_prefix() -> None:
    async with client_for(_app()) as client:
        redirect = await client.post("/ns/shop/payviox/session", json=order(paymentMethodId="paypal"), headers=SECRET)
        assert redirect.json()["redirect_url"].startswith("http://sandbox.test/ns/shop/payviox/redirect/")
        page = await client.get(redirect.json()["redirect_url"])
        assert page.status_code == 200 and 'action="/ns/shop/payviox/secure/' in page.text  # posts back in here
        cdp = await client.post(f"/ns/shop{BASE}", json=session_body(), headers=ACME)
        assert cdp.json()["url"].startswith("http://sandbox.test/ns/shop/cdp/payment-sessions/")
        assert cdp.json()["x402Url"].startswith("http://sandbox.test/ns/shop/cdp/platform/")
        hosted = await client.get(cdp.json()["url"])
        assert hosted.status_code == 200 and 'action="/ns/shop/cdp/payment-sessions/' in hosted.text
        authorized = await client.post(f"{cdp.json()['url']}/authorize", data={"outcome": "succeeded"})
        assert authorized.headers["location"].startswith("/ns/shop/cdp/payment-sessions/")
        control = await client.get(f"/ns/shop/_sandbox/cdp/sessions/{cdp.json()['paymentSessionId']}")
        assert control.json()["sandbox"]["hosted_page"].startswith("/ns/shop/cdp/payment-sessions/")
        demo = await client.get("/ns/shop/payviox/demo")
        assert 'src="/ns/shop/payviox/sdk/payviox.js"' in demo.text
        bundle = await client.get("/ns/shop/cubepay/vendor/cubist-pay-client-sdk.umd.js")
        assert "http://sandbox.test/ns/shop/cubepay" in bundle.text


async def _raw_post(app: object, path: str) -> tuple[int, dict[str, object]]:
    """POST through the ASGI app with `path` exactly as given: httpx would remove `.` and `..`
    segments before sending, as browsers do, but curl --path-as-is and raw sockets do not."""
    answer: dict[str, object] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))  # type: ignore[arg-type]

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 1),
        "server": ("sandbox.test", 80),
        "headers": [(b"host", b"sandbox.test"), (b"content-type", b"application/json")],
    }
    await app(scope, receive, send)  # type: ignore[operator]
    return int(answer["status"]), json.loads(b"".join(chunks))  # type: ignore[call-overload]


@pytest.mark.parametrize("path", ["/ns/../payviox/session", "/ns/./payviox/session", "/ns/../ns/a/payviox/session"])
async def test_dot_segments_are_not_namespace_names(path: str) -> None:
    app = _app()
    status, body = await _raw_post(app, path)
    assert (status, body["error"]) == (400, "invalid_namespace")
    async with client_for(app) as client:
        listed = (await client.get("/_sandbox/namespaces")).json()["namespaces"]
        assert [space["name"] for space in listed] == ["default"]


@pytest.mark.parametrize(
    "path",
    [
        "/ns//payviox/session",
        "/ns/" + "x" * 65 + "/payviox/session",
        "/ns/a b/payviox/session",
        "/ns/caf\u00e9/payviox/session",
        "/ns/a%2Fb/payviox/session",
        "/ns/%61/payviox/session",
    ],
)
async def test_a_malformed_namespace_name_is_a_clear_400(path: str) -> None:
    async with client_for(_app()) as client:
        response = await client.post(path, json=order(), headers=SECRET)
        assert response.status_code == 400, response.text
        assert response.json()["error"] == "invalid_namespace"
        listed = (await client.get("/_sandbox/namespaces")).json()["namespaces"]
        assert [space["name"] for space in listed] == ["default"]


async def test_names_that_differ_only_in_case_are_two_namespaces() -> None:
    async with client_for(_app()) as client:
        made = await _create(client, "/ns/CI")
        assert (await client.get(f"/ns/ci/payviox/payment/{made}", headers=SECRET)).status_code == 404
        assert (await client.get(f"/ns/CI/payviox/payment/{made}", headers=SECRET)).status_code == 200


async def test_dropping_a_namespace_forgets_everything_in_it() -> None:
    async with client_for(_app()) as client:
        first = await _create(client, "/ns/tmp")
        assert (await client.delete("/_sandbox/namespaces/tmp")).json() == {"dropped": "tmp"}
        assert (await client.get(f"/ns/tmp/payviox/payment/{first}", headers=SECRET)).status_code == 404
        assert await _create(client, "/ns/tmp") == first  # afresh: the same seed gives the same ids
        assert (await client.delete("/_sandbox/namespaces/nope")).status_code == 404
        refused = await client.delete("/_sandbox/namespaces/default")
        assert refused.status_code == 400 and "cannot be dropped" in refused.json()["message"]


async def test_past_the_maximum_a_new_namespace_gets_the_providers_own_503() -> None:
    async with client_for(_app(limits=Limits(max_namespaces=2))) as client:
        await _create(client, "/ns/one")  # default + one: full
        payviox = await client.post("/ns/two/payviox/session", json=order(), headers=SECRET)
        assert (payviox.status_code, payviox.json()) == (503, {"error": "Service Unavailable"})
        assert "maximum of 2 namespaces" in payviox.headers["x-sandbox-reason"]
        cdp = await client.post(f"/ns/two{BASE}", json=session_body(), headers=ACME)
        assert cdp.status_code == 503 and cdp.json()["errorType"] == "service_unavailable"
        control = await client.get("/ns/two/_sandbox/clock")
        assert (control.status_code, control.json()["error"]) == (503, "too_many_namespaces")
        await _create(client, "/ns/one", order_id="again")  # an existing one still works
        await client.delete("/_sandbox/namespaces/one")
        await _create(client, "/ns/two")


def test_an_idle_namespace_is_dropped_and_makes_room() -> None:
    now = [0.0]
    scenario = ScenarioModel.model_validate({"clock": {"start": START, "manual": True}})
    spaces = Namespaces(Settings(scenario=scenario, seed=1), PROVIDERS, Limits(2, 60), monotonic=lambda: now[0])
    first = spaces.get("first")
    now[0] = 30
    assert spaces.get("first") is first  # in use: kept
    now[0] = 100
    spaces.get("second")  # first idle for 70 s > 60: its place is taken
    assert [space["name"] for space in spaces.list()] == ["default", "second"]
    now[0] = 1_000
    assert spaces.sweep() == ["second"]  # the default namespace is never dropped
    assert len(spaces) == 1


async def test_dropping_a_namespace_while_its_webhook_is_in_flight_is_clean() -> None:
    """The drop answers at once; the attempt under way finishes into the dropped sandbox, unseen;
    the name, used again, is a fresh sandbox, and no other namespace saw anything."""
    import asyncio

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    from sandbox.threaded import serve_in_thread

    async def hook(request: Request) -> Response:
        await asyncio.sleep(0.5)
        return Response(b"ok")

    with serve_in_thread(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as receiver:
        async with client_for(_app()) as client:
            doomed = Control(client, "/ns/doomed")
            await doomed.set_webhook_endpoint("payviox", "acme", f"{receiver}/hooks", "whtoken_x")
            await doomed.act("payviox", await _create(client, "/ns/doomed"), "pay")
            flush = asyncio.create_task(client.post("/ns/doomed/_sandbox/webhooks/flush"))
            await asyncio.sleep(0.1)  # the attempt is under way
            dropped = await client.delete("/_sandbox/namespaces/doomed")
            assert dropped.status_code == 200
            flushed = await flush
            assert flushed.status_code == 200 and len(flushed.json()["attempted"]) == 1
            assert await Control(client, "/ns/doomed").webhooks() == []  # the name again: a fresh sandbox
            assert await Control(client).webhooks() == []
