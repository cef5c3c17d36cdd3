"""CubePay's browser side, served by the sandbox.

`GET /cubepay/vendor/cubist-pay-client-sdk.umd.js` stands for the bundle the docs tell
merchants to self-host under `public/vendor/` (payment-sdk/integration-guide/initialize-sdk);
the real one is not published, so this one is written from the documented contract:
`window.CubePaySDK`, `init(...)` with a merchant id and the `#cubepay-sdk-root` container, a
modal in a Shadow DOM (dialog on desktop, drawer on narrow screens), `open({paymentSessionId,
paymentSessionToken})` resolving with the funding transaction hash and rejecting with
`CubePayClosedError` when the payer closes it. `GET /cubepay/demo` is a merchant page doing
what the seed page's `PayButton` does.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from sandbox import pages as shared
from sandbox.contract import Call, Operation, Reply
from sandbox.providers.cubepay import auth, settings

_PAGES = Path(__file__).parent / "pages"
SDK_FILE = "cubist-pay-client-sdk.umd.js"


@cache  # read on first use (not at startup), then kept: the files do not change while serving
def _asset(name: str) -> str:
    return (_PAGES / name).read_text()


def sdk_bundle(call: Call) -> Reply:
    # Reply carries text in `html`; the explicit content-type header wins over text/html.
    headers = {"content-type": "application/javascript; charset=utf-8", "cache-control": "no-cache"}
    base = json.dumps(f"{call.base_url}/cubepay")[1:-1]  # a JS string body: quotes and backslashes escaped
    return Reply(200, html=_asset(SDK_FILE).replace("{{CUBEPAY_API_BASE}}", base), headers=headers)


def demo_page(call: Call) -> Reply:
    # The demo key's merchant: a declared one in a scenario that declares keys. An undeclared demo
    # key there keeps its digest id here, and the page's backend route gets the 401 (provider.py).
    key = settings.of(call.services).demo_api_key
    merchant = auth.merchant_of_key(call.services, key) or auth.merchant_id(key)
    page = _asset("demo.html").replace("{{MERCHANT_ID}}", html.escape(json.dumps(merchant)[1:-1]))
    page = page.replace("{{FAVICON}}", shared.FAVICON)
    return Reply(200, html=page)


OPERATIONS = (
    Operation("sdk_bundle", "GET", f"/vendor/{SDK_FILE}", sdk_bundle, auth=None),
    Operation("demo_page", "GET", "/demo", demo_page, auth=None),
)
