"""Payviox's browser SDK and a demo merchant page, served by the sandbox.

`GET /payviox/sdk/payviox.js` stands for `https://sdk.payviox.com/payviox.js` (llms-full.txt,
"Installation"): the documented `Payviox` class, calling the sandbox that served it.
`GET /payviox/demo` is a merchant checkout using it with a `pk_test_` key, for trying the whole
flow in a browser: create a session, pay on the hosted page (redirect or iframe).
"""

from __future__ import annotations

import html
from pathlib import Path

from sandbox import pages
from sandbox.contract import Call, Operation, Reply

_PAGES = Path(__file__).parent / "pages"
DEMO_KEY = "pk_test_demo"  # Invented: the demo shop's business is "demo"


def sdk(call: Call) -> Reply:
    headers = {"content-type": "application/javascript; charset=utf-8", "cache-control": "no-cache"}
    return Reply(200, html=(_PAGES / "payviox.js").read_text(), headers=headers)


def demo(call: Call) -> Reply:
    key = call.query.get("key", DEMO_KEY)
    page = (_PAGES / "demo.html").read_text()
    page = page.replace("{{PUBLIC_KEY}}", html.escape(key)).replace(
        "{{SDK_URL}}", f"{call.root}/payviox/sdk/payviox.js"
    )
    page = page.replace("{{FAVICON}}", pages.FAVICON)
    return Reply(200, html=page)


OPERATIONS = (
    Operation("sdk_script", "GET", "/sdk/payviox.js", sdk, auth=None),
    Operation("demo_page", "GET", "/demo", demo, auth=None),
)
