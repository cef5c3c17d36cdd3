"""The dashboard and landing page in real headless Chromium: links, live updates, clicks, a11y.

Each page is screenshotted at 390 px and 1280 px into `test-artifacts/`, and checked with
axe-core (vendored in tests/support/axe.min.js, MPL-2.0) for serious or critical violations.
`SANDBOX_DOCS_SCREENSHOT=1` also writes the README's picture, docs/dashboard.png.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sandbox.threaded import serve_in_thread
from tests.support.apps import make_app
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.payviox_calls import SECRET, order

pytestmark = [pytest.mark.browser, requires_chromium]
AXE = Path(__file__).parent / "support" / "axe.min.js"
DOCS = Path(__file__).resolve().parents[1] / "docs"
WIDTHS = (390, 1280)


@pytest.fixture
def server() -> Iterator[str]:
    with serve_in_thread(make_app()) as url:
        yield url


@pytest.fixture
def browser(server: str) -> Iterator[Any]:
    with chromium() as launched:
        yield launched


def open_page(browser: Any, width: int = 1280) -> tuple[Any, list[str]]:
    """A page that records console errors and uncaught exceptions."""
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def create(url: str, **changes: Any) -> str:
    created = httpx.post(f"{url}/payviox/session", json=order(**changes), headers=SECRET)
    assert created.status_code == 201, created.text
    return str(created.json()["session_id"])


def refused(errors: list[str]) -> int:
    """How many errors are Chromium's log line for a 400 answer; fails on any other error."""
    others = [error for error in errors if "status of 400" not in error]
    assert others == []
    return len(errors)


def accessibility_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document)).violations")
    return [f"{v['id']} ({v['impact']}): {v['help']}" for v in result if v["impact"] in ("serious", "critical")]


def test_the_landing_page_links_work(server: str, browser: Any) -> None:
    create(server)
    page, errors = open_page(browser)
    page.goto(f"{server}/")
    assert page.get_by_role("heading", name="Payment provider sandbox").is_visible()
    hrefs = page.eval_on_selector_all("main a[href]", "links => links.map(link => link.href)")
    assert any(href.endswith("/payviox/demo") for href in hrefs) and any("/cubepay/demo" in h for h in hrefs)
    for href in hrefs:
        response = httpx.get(href, headers={"Accept": "text/html"})
        assert response.status_code == 200, href
    page.click("#dashboard-link")
    page.wait_for_url(f"{server}/_sandbox/ui/")
    assert page.get_by_role("heading", name="Overview").is_visible()
    assert errors == []


def test_a_session_created_over_the_api_appears_without_a_reload(server: str, browser: Any) -> None:
    page, errors = open_page(browser)
    page.goto(f"{server}/_sandbox/ui/sessions")
    page.wait_for_selector('#live[data-state="live"]')
    page.evaluate("window.__notReloaded = true")
    session_id = create(server)
    page.wait_for_selector(f'tr[data-session="{session_id}"]')
    assert page.evaluate("window.__notReloaded") is True
    assert errors == []


def test_a_payer_action_clicked_moves_the_session_and_shows_its_webhook(server: str, browser: Any) -> None:
    session_id = create(server)
    page, errors = open_page(browser)
    page.goto(f"{server}/_sandbox/ui/sessions/payviox/{session_id}")
    page.wait_for_selector('#live[data-state="live"]')
    page.fill("#body-pay", json.dumps({"outcome": "bogus"}))
    page.click('button[data-action="pay"]')
    problem = page.wait_for_selector('#action-result[data-bad="true"]')
    assert "400" in problem.inner_text() and "outcome must be one of" in problem.inner_text()  # Payviox's own words
    page.fill("#body-pay", json.dumps({"outcome": "succeeded"}))
    page.click('button[data-action="pay"]')
    page.wait_for_selector('#session-status[data-status="succeeded"]')
    page.wait_for_selector("details[data-delivery] summary >> text=succeeded")
    assert page.locator('button[data-action="refund"]').is_visible()
    assert refused(errors) == 1  # the bogus outcome's 400, which Chromium logs as a failed load


def test_advancing_the_clock_in_one_dashboard_expires_a_session_in_another(server: str, browser: Any) -> None:
    session_id = create(server)
    watching, errors = open_page(browser)
    watching.goto(f"{server}/_sandbox/ui/sessions")
    watching.wait_for_selector(f'tr[data-session="{session_id}"] [data-status="open"]')
    watching.wait_for_selector('#live[data-state="live"]')
    driving, more = open_page(browser)
    driving.goto(f"{server}/_sandbox/ui/")
    driving.get_by_role("button", name="+1 day").click()
    watching.wait_for_selector(f'tr[data-session="{session_id}"] [data-status="expired"]')
    assert errors == [] and more == []


def test_a_pasted_scenario_with_a_typo_shows_its_line(server: str, browser: Any) -> None:
    page, errors = open_page(browser)
    page.goto(f"{server}/_sandbox/ui/")
    page.fill("#yaml", "name: typo\nclock:\n  manual: true\n  strat: 2026-01-01T00:00:00Z\n")
    page.get_by_role("button", name="Load scenario").click()
    problems = page.wait_for_selector('#scenario-problems[data-bad="true"]')
    assert "dashboard:4" in problems.inner_text() and "strat" in problems.inner_text()
    page.select_option("#shipped", "payviox-happy-path.yaml")
    page.wait_for_function("document.getElementById('yaml').value.includes('payviox')")
    page.get_by_role("button", name="Load scenario").click()
    page.wait_for_selector("#running >> text=payviox-happy-path")
    assert refused(errors) == 1  # the typo's 400


def test_keyboard_reaches_the_skip_link_and_the_navigation(server: str, browser: Any) -> None:
    page, _ = open_page(browser)
    page.goto(f"{server}/_sandbox/ui/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    for _ in range(2):  # the brand link, then the first navigation link
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')").endswith("/_sandbox/ui/")


def test_every_page_at_both_widths_passes_axe_and_is_screenshotted(server: str, browser: Any) -> None:
    session_id = create(server, metadata={"note": "<img src=x onerror=alert(1)>"})
    httpx.post(f"{server}/_sandbox/payviox/sessions/{session_id}/actions/pay", json={})
    httpx.post(f"{server}/_sandbox/narration", json={"step": 2, "name": "pay", "note": "The payer pays on the page."})
    pages = {
        "landing": "/",
        "overview": "/_sandbox/ui/",
        "sessions": "/_sandbox/ui/sessions",
        "session": f"/_sandbox/ui/sessions/payviox/{session_id}",
        "requests": "/_sandbox/ui/requests",
        "request": "/_sandbox/ui/requests/1",
        "webhooks": "/_sandbox/ui/webhooks",
        "namespace-overview": "/ns/demo/_sandbox/ui/",
    }
    for width in WIDTHS:
        page, errors = open_page(browser, width)
        for name, path in pages.items():
            page.goto(f"{server}{path}")
            page.wait_for_load_state("networkidle") if name == "landing" else page.wait_for_selector(
                '#live[data-state="live"]'
            )
            screenshot(page, f"dashboard-{name}-{width}.png")
            assert accessibility_violations(page) == [], (name, width)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, (name, width, overflow)  # nothing wider than the screen
        assert errors == [], width
        page.close()
    if os.environ.get("SANDBOX_DOCS_SCREENSHOT"):
        page, _ = open_page(browser, 1280)
        page.goto(f"{server}/_sandbox/ui/sessions/payviox/{session_id}")
        page.wait_for_selector('#live[data-state="live"]')
        page.screenshot(path=str(DOCS / "dashboard.png"))
