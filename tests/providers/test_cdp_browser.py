"""CDP's hosted payment page in real headless Chromium: authorize, then back to the merchant.

A session is created over HTTP with `redirect.successUrl` / `failureUrl` on a small merchant
site served next to the sandbox; the browser opens the session's `url`, clicks, and must land
on the merchant's page for that outcome, with the session in the matching status.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.cdp_calls import ACME, BASE, session_body
from tests.support.chromium import chromium, requires_chromium, screenshot

pytestmark = [pytest.mark.browser, requires_chromium]


async def _shop_page(request: Request) -> HTMLResponse:
    outcome = request.path_params["outcome"]
    return HTMLResponse(f"<h1 id=outcome>{outcome}</h1><p>order {request.query_params.get('order', '')}</p>")


SHOP = Starlette(routes=[Route("/checkout/{outcome}", _shop_page)])


@pytest.fixture
def servers() -> Iterator[tuple[str, str]]:
    """(the sandbox's URL, the merchant site's URL), both live."""
    with serve_in_thread(make_app()) as sandbox, serve_in_thread(SHOP) as shop:
        yield sandbox, shop


@pytest.fixture
def page() -> Iterator[Any]:
    with chromium() as browser:
        yield browser.new_page(viewport={"width": 800, "height": 900})


def create(sandbox: str, shop: str) -> dict[str, Any]:
    redirect = {"successUrl": f"{shop}/checkout/paid?order=o-1", "failureUrl": f"{shop}/checkout/failed?order=o-1"}
    body = session_body(redirect=redirect, customerDisplay={"merchantName": "Acme Coffee"})
    created = httpx.post(f"{sandbox}{BASE}", json=body, headers=ACME)
    assert created.status_code == 200, created.text
    return created.json()  # type: ignore[no-any-return]


def status(sandbox: str, session_id: str) -> str:
    return str(httpx.get(f"{sandbox}{BASE}/{session_id}", headers=ACME).json()["status"])


def leave_by(page: Any, role: str, name: str, landing: str) -> None:
    """Click `name` on the hosted page and wait for the merchant's page it sends the payer to."""
    page.get_by_role(role, name=name).click()
    page.wait_for_url(landing)


def test_authorize_succeeds_and_the_payer_lands_on_the_success_url(servers: tuple[str, str], page: Any) -> None:
    sandbox, shop = servers
    session = create(sandbox, shop)
    assert session["url"] == f"{sandbox}/cdp/payment-sessions/{session['paymentSessionId']}"
    page.goto(session["url"])
    assert page.locator("#amount").inner_text() == "1.00 USDC"
    assert page.locator(".brand").inner_text() == "Acme Coffee"
    assert page.locator("#status").get_attribute("data-status") == "created"
    screenshot(page, "cdp-hosted-page.png")

    leave_by(page, "button", "Authorize — succeeds", f"{shop}/checkout/paid?order=o-1")
    assert page.locator("#outcome").inner_text() == "paid"
    screenshot(page, "cdp-hosted-page-success-redirect.png")
    assert status(sandbox, session["paymentSessionId"]) == "authorization_succeeded"


def test_authorize_fails_and_the_payer_lands_on_the_failure_url(servers: tuple[str, str], page: Any) -> None:
    sandbox, shop = servers
    session = create(sandbox, shop)
    page.goto(session["url"])
    leave_by(page, "button", "Authorize — fails", f"{shop}/checkout/failed?order=o-1")
    assert page.locator("#outcome").inner_text() == "failed"
    assert status(sandbox, session["paymentSessionId"]) == "authorization_failed"
    page.goto(session["url"])  # back on the page: no buttons once authorized
    assert page.locator("#status").get_attribute("data-status") == "authorization_failed"
    assert page.get_by_role("button").count() == 0


def test_go_back_leaves_the_session_unpaid(servers: tuple[str, str], page: Any) -> None:
    sandbox, shop = servers
    session = create(sandbox, shop)
    page.goto(session["url"])
    leave_by(page, "link", "Go back", f"{shop}/checkout/failed?order=o-1")
    assert status(sandbox, session["paymentSessionId"]) == "created"


def test_go_back_without_a_failure_url_returns_to_the_previous_page(servers: tuple[str, str], page: Any) -> None:
    sandbox, shop = servers
    created = httpx.post(f"{sandbox}{BASE}", json=session_body(), headers=ACME).json()
    page.goto(f"{shop}/checkout/cart")
    page.goto(created["url"])
    leave_by(page, "button", "Go back", f"{shop}/checkout/cart")
    assert page.locator("#outcome").inner_text() == "cart"
    assert status(sandbox, created["paymentSessionId"]) == "created"
