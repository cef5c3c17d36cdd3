"""The payer's pages at a phone's width (390 px) and a desktop's (1280 px), in headless Chromium.

Nothing overflows the viewport, the card keeps a margin from the screen's edges, the session id
never runs into "Back to merchant", and no page logs a console error (a favicon included). The
Payviox demo shop's embedded mode fits its frame to the page and tells the shop the outcome, its
redirect mode comes back to the shop with it, and an IP mismatch is a page, not raw JSON, in a
browser. Screenshots go to test-artifacts/ for a reviewer.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.cdp_calls import ACME, BASE, session_body
from tests.support.chromium import ARTIFACTS, chromium, requires_chromium
from tests.support.payviox_calls import SECRET, order

pytestmark = [pytest.mark.browser, requires_chromium]
WIDTHS = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serve_in_thread(make_app()) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


@pytest.fixture(params=list(WIDTHS), ids=list(WIDTHS))
def page(request: pytest.FixtureRequest, browser: Any) -> Iterator[Any]:
    width, height = WIDTHS[request.param]
    context = browser.new_context(viewport={"width": width, "height": height})
    opened = context.new_page()
    opened.errors = []  # console errors and uncaught exceptions, checked by every test
    opened.on("console", lambda message: message.type == "error" and opened.errors.append(message.text))
    opened.on("pageerror", lambda error: opened.errors.append(str(error)))
    opened.width_name = request.param
    try:
        yield opened
    finally:
        context.close()


def _check_layout(page: Any, name: str) -> None:
    page.wait_for_load_state("load")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.width_name}.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} is {overflow}px wider than the viewport"
    card = page.locator("main").first.bounding_box() if page.locator("main").count() else None
    if card is not None:
        viewport = page.viewport_size
        assert card["x"] >= 8 and card["x"] + card["width"] <= viewport["width"] - 8, (
            f"{name}: the card touches an edge"
        )
    footer = page.locator("footer")
    if footer.count() and page.locator("#back").count():
        session, back = footer.locator("code").bounding_box(), page.locator("#back").bounding_box()
        apart = (
            session["x"] + session["width"] <= back["x"]
            or back["x"] + back["width"] <= session["x"]
            or session["y"] + session["height"] <= back["y"]
            or back["y"] + back["height"] <= session["y"]
        )
        assert apart, f"{name}: the session id runs into Back to merchant"
    assert page.errors == [], f"{name} logged: {page.errors}"


def test_the_payviox_hosted_page_before_and_after_paying(server: str, page: Any) -> None:
    session = httpx.post(f"{server}/payviox/session", json=order(order_id=f"o-{page.width_name}"), headers=SECRET)
    page.goto(f"{server}/payviox/secure/{session.json()['session_id']}")
    _check_layout(page, "payviox-hosted")
    page.get_by_role("button", name="Pay — succeeds").click()
    page.wait_for_selector('#status[data-status="succeeded"]')
    _check_layout(page, "payviox-hosted-paid")


def test_the_payviox_redirect_provider_page(server: str, page: Any) -> None:
    body = order(order_id=f"r-{page.width_name}", paymentMethodId="paypal")
    created = httpx.post(f"{server}/payviox/session", json=body, headers=SECRET).json()
    page.goto(created["redirect_url"])
    _check_layout(page, "payviox-redirect")


def test_the_cdp_hosted_page(server: str, page: Any) -> None:
    created = httpx.post(f"{server}{BASE}", json=session_body(), headers=ACME).json()
    page.goto(created["url"])
    _check_layout(page, "cdp-hosted")


def test_the_cubepay_demo_store(server: str, page: Any) -> None:
    page.goto(f"{server}/cubepay/demo")
    _check_layout(page, "cubepay-demo")


def test_the_payviox_demo_embedded_fits_and_tells_the_shop(server: str, page: Any) -> None:
    page.goto(f"{server}/payviox/demo")
    _check_layout(page, "payviox-demo")
    page.get_by_role("button", name="Pay (embedded)").click()
    frame = page.frame_locator("#payment-container iframe")
    frame.get_by_role("button", name="Pay — succeeds").click()
    page.wait_for_function("document.getElementById('outcome').dataset.status === 'succeeded'")
    assert "Payment succeeded" in page.locator("#outcome").inner_text()
    # the frame follows its page's height: no clipped button, no empty block below the result
    inner = frame.locator("main").evaluate("element => element.getBoundingClientRect().bottom + window.scrollY")
    outer = page.locator("#payment-container iframe").bounding_box()["height"]
    assert abs(outer - inner) <= 2, (outer, inner)
    _check_layout(page, "payviox-demo-embedded-paid")
    frame.locator("#back").click()
    page.wait_for_function("document.querySelector('#payment-container iframe') === null")
    assert "Payment succeeded" in page.locator("#outcome").inner_text()  # still said after the close


def test_the_payviox_demo_redirect_returns_to_the_shop_with_the_outcome(server: str, page: Any) -> None:
    page.goto(f"{server}/payviox/demo")
    page.get_by_role("button", name="Pay (redirect)").click()
    page.wait_for_url(f"{server}/payviox/secure/*")
    page.get_by_role("button", name="Pay — declined by fraud check").click()
    page.wait_for_selector('#status[data-status="declined"]')
    page.locator("#back").click()
    page.wait_for_url(f"{server}/payviox/demo*")
    assert "Payment declined" in page.locator("#outcome").inner_text()


def test_an_ip_mismatch_is_a_page_in_a_browser_and_json_for_an_api_client(server: str, page: Any) -> None:
    body = order(order_id=f"ip-{page.width_name}", ip="203.0.113.42")
    session_id = httpx.post(f"{server}/payviox/session", json=body, headers=SECRET).json()["session_id"]
    api = httpx.get(f"{server}/payviox/secure/{session_id}")
    assert (api.status_code, api.json()) == (
        403,
        {"error": "IP mismatch", "message": "Request IP does not match session IP"},
    )
    response = page.goto(f"{server}/payviox/secure/{session_id}")
    assert response.status == 403
    assert page.locator("h1").inner_text() == "IP mismatch"
    page.errors.clear()  # the 403 itself is logged as a failed resource load
    _check_layout(page, "payviox-ip-mismatch")
