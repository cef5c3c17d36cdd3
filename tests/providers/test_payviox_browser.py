"""The hosted payment page in real headless Chromium: a session created over HTTP, paid by clicking."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.control import SyncControl
from tests.support.payviox_calls import SECRET, order

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed"),
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def server() -> Iterator[str]:
    with serve_in_thread(make_app()) as url:
        yield url


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            yield browser.new_page(viewport={"width": 1024, "height": 900})
        finally:
            browser.close()


def test_a_session_created_over_http_is_paid_in_the_browser(server: str, page) -> None:  # type: ignore[no-untyped-def]
    created = httpx.post(f"{server}/payviox/session", json=order(), headers=SECRET)
    session_id = created.json()["session_id"]
    page.goto(f"{server}/payviox/secure/{session_id}")
    assert page.locator("#total").inner_text() == "100.00 USD"
    assert page.get_by_text("Premium Plan").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payviox-hosted-page.png"), full_page=True)

    page.get_by_role("button", name="Pay — succeeds").click()
    page.wait_for_selector('#status[data-status="succeeded"]')
    assert "Payment succeeded." in page.locator("#status").inner_text()
    assert page.locator("button.pay").count() == 0
    page.screenshot(path=str(ARTIFACTS / "payviox-hosted-page-paid.png"), full_page=True)

    paid = httpx.get(f"{server}/payviox/payment/{session_id}", headers=SECRET).json()
    assert paid["status"] == "succeeded"
    assert paid["ip"] == "127.0.0.1"
    assert "Chrome" in paid["user_agent"]


def test_choosing_a_method_and_a_review_outcome(server: str, page) -> None:  # type: ignore[no-untyped-def]
    created = httpx.post(f"{server}/payviox/session", json=order(order_id="o2"), headers=SECRET)
    session_id = created.json()["session_id"]
    page.goto(f"{server}/payviox/secure/{session_id}")
    page.get_by_label("Apple Pay (Stripe)").check()
    page.get_by_role("button", name="Pay — held for review").click()
    page.wait_for_selector('#status[data-status="pending_review"]')
    paid = httpx.get(f"{server}/payviox/payment/{session_id}", headers=SECRET).json()
    assert (paid["status"], paid["payment_method"]) == ("pending_review", "stripe_apple_pay")


def test_a_payer_at_another_ip_gets_the_403(server: str, page) -> None:  # type: ignore[no-untyped-def]
    created = httpx.post(f"{server}/payviox/session", json=order(order_id="o3", ip="203.0.113.42"), headers=SECRET)
    response = page.goto(f"{server}/payviox/secure/{created.json()['session_id']}")
    assert response is not None and response.status == 403
    assert "IP mismatch" in page.content()


@pytest.mark.parametrize("namespace", ["", "/ns/demo-team"], ids=["root", "namespace"])
def test_sdk_redirect_mode_from_the_demo_shop(server: str, page, namespace: str) -> None:  # type: ignore[no-untyped-def]
    sandbox = server + namespace  # in a namespace, the SDK, the API and the hosted page all stay in it
    page.goto(f"{sandbox}/payviox/demo")
    page.get_by_role("button", name="Pay (redirect)").click()
    page.wait_for_url(f"{sandbox}/payviox/secure/*")
    session_id = page.url.rsplit("/", 1)[-1]
    assert page.locator("#total").inner_text() == "50.00 USD"
    page.get_by_role("button", name="Pay — succeeds").click()
    page.wait_for_selector('#status[data-status="succeeded"]')
    assert page.url == f"{sandbox}/payviox/secure/{session_id}"
    state = SyncControl(sandbox).session("payviox", session_id)
    assert state["status"] == "succeeded"
    assert state["sandbox"]["key_kind"] == "public"
    assert state["sandbox"]["required_ip"] == "127.0.0.1"  # a pk_ key captures the browser's IP


def test_sdk_iframe_mode_pays_inside_the_frame_and_closes(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/payviox/demo")
    page.get_by_role("button", name="Pay (embedded)").click()
    frame = page.frame_locator("#payment-container iframe")
    frame.get_by_role("button", name="Pay — succeeds").click()
    frame.locator('#status[data-status="succeeded"]').wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "payviox-sdk-iframe.png"), full_page=True)
    session_id = page.locator("#payment-container iframe").get_attribute("data-payviox-session")
    assert SyncControl(server).session("payviox", session_id)["status"] == "succeeded"
    frame.get_by_text("Back to merchant").click()  # the page posts payviox:close; the SDK removes the frame
    page.wait_for_selector("#payment-container iframe", state="detached")


def test_sdk_lists_methods_and_rejects_bad_requests(server: str, page) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server}/payviox/demo")
    methods = page.evaluate("new Payviox('pk_test_demo').getPaymentsMethods({currencies: ['IDR']})")
    ids = {method["id"] for method in methods}
    assert "nicepay_va" in ids and "zen_blik" not in ids
    assert {"id", "name", "type", "currencies", "countries"} == set(methods[0])
    failure = page.evaluate(
        "new Payviox('pk_test_demo').createSession({amount: 5}).catch(e => ({status: e.status, message: e.message}))"
    )
    assert failure["status"] == 400 and failure["message"].startswith("Bad request")
    unauthorized = page.evaluate(
        "new Payviox('pk_live_x').getPaymentsMethods().catch(e => ({status: e.status, message: e.message}))"
    )
    assert unauthorized["status"] == 401 and "Unauthorized" in unauthorized["message"]
