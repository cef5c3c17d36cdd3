"""CDP's hosted payment page, served by the sandbox.

`/cdp/payment-sessions/{id}` stands for `https://payments.coinbase.com/payment-sessions/{id}`
(the session's `url`). The real page runs wallet connection, option choice and signing, then
sends the payer to `redirect.successUrl` or `redirect.failureUrl` (payments docs,
"authorization"). The sandbox page shows amount, asset, network and target, and plays the
payer with two buttons (authorize: succeeds / fails) and a way back (to `failureUrl`, else to
the previous page). Authorizing posts to `/cdp/payment-sessions/{id}/authorize`, which starts
the same authorization the API would and answers 303 to the redirect URL for that outcome, or
back to the page when none was given. Invented: the redirect carries no query parameters
(what CDP appends is not public).
"""

from __future__ import annotations

import html
from pathlib import Path
from string import Template

from sandbox import pages
from sandbox.contract import Call, Operation, Reply
from sandbox.errors import InvalidRequest, InvalidState, NotFound
from sandbox.providers.cdp import payer
from sandbox.providers.cdp.lifecycle import CREATED, RESULTS
from sandbox.providers.cdp.records import CdpSession, money
from sandbox.providers.cdp.wire import hosted_path

_TEMPLATE = Template((Path(__file__).parent / "pages" / "checkout.html").read_text())

STATUS_TEXT = {
    "created": "Waiting for the payer to authorize.",
    "canceled": "The merchant canceled this payment.",
    "authorization_pending": "Authorization submitted; waiting for the network.",
    "authorization_succeeded": "Payment authorized.",
    "authorization_failed": "Authorization failed.",
}
BUTTONS = {"succeeded": "Authorize — succeeds", "failed": "Authorize — fails"}


def _form(session: CdpSession, root: str) -> str:
    """`root`: the namespace's prefix, so the form posts back into the same sandbox."""
    if session.status != CREATED:
        return ""
    buttons = "".join(
        f'<button type=submit name=outcome value="{outcome}" class="{outcome}" data-outcome="{outcome}">'
        f"{BUTTONS[outcome]}</button>"
        for outcome in RESULTS
    )
    back = (session.redirect or {}).get("failureUrl")
    # Invented: without a failureUrl, "Go back" returns to the page the payer came from.
    back_link = (
        f'<a class=back id=back href="{html.escape(back)}">Go back</a>'
        if back
        else '<button type=button class=back id=back onclick="history.back()">Go back</button>'
    )
    action = f"{root}{hosted_path(session.id)}/authorize"
    return f'<form method=post action="{action}"><div class=buttons>{buttons}{back_link}</div></form>'


def _page(session: CdpSession, root: str) -> str:
    display = session.customer_display or {}
    shown = display.get("displayAmount")
    extra = (
        f"<dt>Shown as</dt><dd>{html.escape(shown['amount'])} {html.escape(shown['currency'].upper())}</dd>"
        if shown
        else ""
    )
    target = session.target.get("address") or session.target.get("accountId", "")
    status = session.status
    return _TEMPLATE.substitute(
        merchant=html.escape(display.get("merchantName", "Coinbase Payments")),
        amount=money(session.amount, session.scale),
        asset=html.escape(session.asset),
        asset_upper=html.escape(session.asset.upper()),
        network=html.escape(session.target.get("network", "base") if session.wallet_target else "Coinbase account"),
        target=html.escape(target),
        display=extra,
        status=status,
        status_text=html.escape(STATUS_TEXT.get(status, status.replace("_", " ").capitalize() + ".")),
        form=_form(session, root),
        session_id=session.id,
        favicon=pages.FAVICON,
    )


def hosted_page(call: Call) -> Reply:
    try:
        session = payer.find(call)
    except NotFound:
        return pages.message(404, "Payment not found", "No payment session has this id.")
    return Reply(200, html=_page(session, call.root))


def hosted_authorize(call: Call) -> Reply:
    form = pages.form_fields(call.raw)
    outcome = form.get("outcome", "succeeded")
    try:
        session = payer.find(call)
        planned = next((result for result in RESULTS if result == outcome), None)
        if planned is None:
            raise InvalidRequest(f"outcome must be one of {', '.join(RESULTS)}")
        payer.authorize(call, session, payer.default_source(call, session), planned=planned)
    except NotFound:
        return pages.message(404, "Payment not found", "No payment session has this id.")
    except (InvalidState, InvalidRequest) as error:
        return pages.message(409, "Payment not possible", error.message)
    redirect = (session.redirect or {}).get("successUrl" if outcome == "succeeded" else "failureUrl")
    return Reply(303, headers={"Location": redirect or call.root + hosted_path(session.id)})


OPERATIONS = (
    Operation("hosted_payment_page", "GET", "/payment-sessions/{session_id}", hosted_page, auth=None),
    Operation(
        "hosted_payment_authorize", "POST", "/payment-sessions/{session_id}/authorize", hosted_authorize, auth=None
    ),
)
