"""Payviox's payer-facing pages, served by the sandbox.

`/payviox/secure/{id}` stands for `https://secure.payviox.com/{id}` (docs: "Payment page"):
the session's items and total, the methods usable in its currency, and one button per outcome
the sandbox can play (succeeded, declined, pending_review, failed). `/payviox/redirect/{id}`
plays the redirect provider (Zen, PayPal, ...) that `redirect_url` sends a payer to. Both post
to `/payviox/secure/{id}/pay`, which answers 303 back to the page, now showing the result.
An IP mismatch answers with Payviox's documented 403 JSON; other problems with an HTML page.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from string import Template

from sandbox import pages
from sandbox.errors import InvalidRequest, InvalidState, NotFound
from sandbox.pipeline import Call, Operation, Reply
from sandbox.providers.payviox import merchants, payer
from sandbox.providers.payviox.lifecycle import PAY_OUTCOMES, PAYABLE
from sandbox.providers.payviox.methods import CATALOGUE, PROVIDER_NAMES, Method
from sandbox.providers.payviox.session import PayvioxSession

_TEMPLATE = Template((Path(__file__).parent / "pages" / "checkout.html").read_text())

OUTCOME_LABELS = {
    "succeeded": "Pay — succeeds",
    "declined": "Pay — declined by fraud check",
    "pending_review": "Pay — held for review",
    "failed": "Pay — fails",
}
STATUS_TEXT = {
    "pending": "Payment started with the provider; waiting for the payer.",
    "succeeded": "Payment succeeded.",
    "declined": "Payment declined by fraud prevention; the customer is refunded.",
    "pending_review": "Payment held for fraud review.",
    "failed": "Payment failed. You can try again.",
    "expired": "This session expired before a payment was made.",
    "refunded": "Payment refunded.",
}


def secure_path(session_id: str) -> str:
    return f"/payviox/secure/{session_id}"


def redirect_path(session_id: str) -> str:
    return f"/payviox/redirect/{session_id}"


def money(cents: int, currency: str) -> str:
    return f"{Decimal(cents) / 100:,.2f} {html.escape(currency)}"


def _find(call: Call) -> PayvioxSession:
    session = payer.find(call.sandbox.store, call.path_params["session_id"])
    payer.check_ip(session, call.client_ip)
    return session


def _items(session: PayvioxSession) -> str:
    rows = []
    for item in session.items:
        unit, line = money(item["price"], session.currency), money(item["price"] * item["quantity"], session.currency)
        rows.append(
            f"<tr><td>{html.escape(str(item['name']))}</td><td class=n>{item['quantity']}</td>"
            f"<td class=n>{unit}</td><td class=n>{line}</td></tr>"
        )
    return "".join(rows)


def _methods(session: PayvioxSession, enabled: Mapping[str, Method]) -> str:
    usable = [m for m in enabled.values() if m.covers(set(), {session.currency.upper()}) and not m.redirect]
    if not usable:
        return "<p class=note>No payment method is enabled for this currency.</p>"
    chosen = session.requested_method if session.requested_method in enabled else usable[0].id
    options = []
    for method in usable:
        checked = " checked" if method.id == chosen else ""
        options.append(
            f'<label class=method><input type=radio name=method value="{method.id}"{checked}> '
            f"{html.escape(method.name)}</label>"
        )
    return "".join(options)


def _buttons() -> str:
    return "".join(
        f'<button type=submit name=outcome value="{outcome}" class="pay {outcome}" data-outcome="{outcome}">'
        f"{OUTCOME_LABELS[outcome]}</button>"
        for outcome in PAY_OUTCOMES
    )


def _page(session: PayvioxSession, *, brand: str, methods: str, note: str = "") -> str:
    payable = session.status in PAYABLE and not (session.status == "pending" and not methods)
    action = f"{secure_path(session.id)}/pay"
    form = f'<form method=post action="{action}">{methods}<div class=buttons>{_buttons()}</div></form>'
    if not payable:
        form = ""
    status = STATUS_TEXT.get(session.status, "")
    return _TEMPLATE.substitute(
        brand=html.escape(brand),
        session_id=session.id,
        description=html.escape(session.description or "Payment"),
        items=_items(session),
        total=money(session.amount, session.currency),
        status=session.status,
        status_text=html.escape(status),
        note=html.escape(note),
        form=form,
    )


def hosted_page(call: Call) -> Reply:
    try:
        session = _find(call)
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    enabled = merchants.enabled(call, session.merchant)
    return Reply(200, html=_page(session, brand="Payviox", methods=_methods(session, enabled)))


def redirect_page(call: Call) -> Reply:
    """Plays the provider a redirect method sends the payer to (create-session "Direct Redirect")."""
    try:
        session = _find(call)
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    method = CATALOGUE.get(session.payment_method or "")
    name = PROVIDER_NAMES.get(method.provider, method.provider) if method else "Payment provider"
    chosen = f'<input type=hidden name=method value="{method.id}">' if method else ""
    note = f"This page plays {name} for {method.name if method else 'this payment'}."
    return Reply(200, html=_page(session, brand=f"{name} (sandbox)", methods=chosen, note=note))


def hosted_pay(call: Call) -> Reply:
    form = pages.form_fields(call.raw)
    try:
        session = _find(call)
        method = payer.method_for(session, form.get("method"), merchants.enabled(call, session.merchant))
        step = payer.pay(
            session,
            form.get("outcome", "succeeded"),
            method,
            payer_ip=call.client_ip,
            user_agent=call.request.headers.get("user-agent"),
            country=None,
            entropy=call.sandbox.entropy,
            now=call.now,
        )
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    except (InvalidState, InvalidRequest) as error:
        return pages.message(409, "Payment not possible", error.message or str(error.fields))
    call.sandbox.emit(step)
    return Reply(303, headers={"Location": secure_path(session.id)})


OPERATIONS = (
    Operation("hosted_page", "GET", "/secure/{session_id}", hosted_page, auth=None),
    Operation("hosted_page_pay", "POST", "/secure/{session_id}/pay", hosted_pay, auth=None),
    Operation("redirect_provider_page", "GET", "/redirect/{session_id}", redirect_page, auth=None),
)
