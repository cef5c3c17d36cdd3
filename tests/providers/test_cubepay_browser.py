"""The CubePay demo merchant page in real headless Chromium: pay through the modal, or close it.

The demo page does what the docs' `PayButton` does (create-payment-session): its backend route
creates the session, the page lazy-loads /cubepay/vendor/cubist-pay-client-sdk.umd.js, calls
`CubePaySDK.init` and `open`, and shows the outcome. Playwright's CSS selectors pierce the
modal's open Shadow DOM under #cubepay-sdk-root.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.control import SyncControl

pytestmark = [pytest.mark.browser, requires_chromium]

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server() -> Iterator[str]:
    with serve_in_thread(make_app()) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def open_page(browser: Any, server: str, viewport: dict[str, int]) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server}/cubepay/demo")
    page.click("#pay")
    page.wait_for_selector("#cubepay-sdk-root button.wallet[data-wallet=metamask]")
    return page, errors


def session_state(server: str, session_id: str) -> dict[str, Any]:
    return SyncControl(server).session("cubepay", session_id)


def test_paying_in_the_desktop_dialog_resolves_with_the_funding_hash(server: str, browser: Any) -> None:
    page, errors = open_page(browser, server, DESKTOP)
    panel = page.locator("#cubepay-sdk-root .panel")
    assert panel.get_attribute("data-layout") == "dialog"
    box = panel.bounding_box()
    assert box["width"] == 400  # a centred dialog, not the full width
    assert abs(box["x"] + box["width"] / 2 - DESKTOP["width"] / 2) < 1
    assert abs(box["y"] + box["height"] / 2 - DESKTOP["height"] / 2) < 1
    assert "50.00 USD" in panel.inner_text()
    in_shadow = page.evaluate(
        """() => {
            const root = document.querySelector("#cubepay-sdk-root");
            return [root.shadowRoot !== null, root.shadowRoot && root.shadowRoot.querySelector(".panel") !== null,
                    document.querySelector("#cubepay-sdk-root .panel") === null];
        }"""
    )
    assert in_shadow == [True, True, True]  # in an open Shadow DOM, out of the page's own DOM
    screenshot(page, "cubepay-modal-desktop.png")

    page.click("#cubepay-sdk-root button.wallet[data-wallet=metamask]")
    page.click("#cubepay-sdk-root button.pay")
    page.wait_for_selector("#paid")
    tx = page.inner_text("#tx")
    assert re.fullmatch(r"0x[0-9a-f]{64}", tx)
    assert page.inner_text("#status") == "FUNDED"
    assert page.locator("#cubepay-sdk-root .panel").count() == 0  # the modal closed itself

    session = session_state(server, page.inner_text("#session-id"))
    assert session["status"] == "FUNDED"
    assert session["fundingTransactionHash"] == session["userSubmittedTransactionHash"] == tx
    assert session["sandbox"]["paymentMethodId"] == "pm_usdc_sepolia"
    assert re.fullmatch(r"0x[0-9a-fA-F]{40}", session["userAddress"])
    assert errors == []


def test_closing_the_narrow_drawer_rejects_with_cubepay_closed_error(server: str, browser: Any) -> None:
    page, errors = open_page(browser, server, PHONE)
    panel = page.locator("#cubepay-sdk-root .panel")
    assert panel.get_attribute("data-layout") == "drawer"
    box = panel.bounding_box()
    assert (box["x"], box["width"]) == (0, PHONE["width"])  # full width, anchored to the bottom
    assert abs(box["y"] + box["height"] - PHONE["height"]) < 1
    screenshot(page, "cubepay-modal-drawer.png")

    page.click("#cubepay-sdk-root button.close")
    page.wait_for_selector("#cancelled")
    assert page.inner_text("#error-name") == "CubePayClosedError"
    sessions = SyncControl(server).sessions("cubepay")
    assert [session["status"] for session in sessions] == ["PENDING"]  # closing pays nothing
    assert errors == []


def test_escape_closes_the_modal_and_the_sdk_checks_its_init_options(server: str, browser: Any) -> None:
    page, _ = open_page(browser, server, DESKTOP)
    page.keyboard.press("Escape")
    page.wait_for_selector("#cancelled")
    problems = page.evaluate(
        """() => {
            const tries = [() => CubePaySDK.init({}), () => CubePaySDK.init({merchantId: "m", container: "nope"})];
            return tries.map((attempt) => { try { attempt(); return null; } catch (e) { return e.message; } });
        }"""
    )
    assert problems == [
        "CubePay merchantId is required",
        "Missing CubePay container element with id 'cubepay-sdk-root'",
    ]
