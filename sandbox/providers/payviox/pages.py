"""Payviox's payer-facing pages, served by the sandbox.

`/payviox/secure/{id}` stands for `https://secure.payviox.com/{id}` (docs: "Payment page"):
the session's items and total, the methods usable in its currency, and one button per outcome
the sandbox can play (succeeded, declined, pending_review, failed, processing). `/payviox/redirect/{id}`
plays the redirect provider (Zen, PayPal, ...) that `redirect_url` sends a payer to; for a
crypto method it also lets the payer send too little (`incomplete`), then the rest. Both post
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
from sandbox.contract import Call, Operation, Reply
from sandbox.errors import Forbidden, InvalidRequest, InvalidState, NotFound
from sandbox.providers.payviox import ledger, merchants
from sandbox.providers.payviox.errors import IP_MISMATCH
from sandbox.providers.payviox.lifecycle import INCOMPLETE, LIFECYCLE, NAME, PAY_OUTCOMES
from sandbox.providers.payviox.methods import CATALOGUE, PROVIDER_NAMES, Method
from sandbox.providers.payviox.records import PayvioxSession
from sandbox.providers.payviox.settings import PayvioxSettings
from sandbox.providers.payviox.wire import secure_path

_TEMPLATE = Template((Path(__file__).parent / "pages" / "checkout.html").read_text())

OUTCOME_LABELS = {
    "succeeded": "Pay — succeeds",
    "declined": "Pay — declined by fraud check",
    "pending_review": "Pay — held for review",
    "failed": "Pay — fails",
    "processing": "Pay — processing, settles later",
}
STATUS_TEXT = {
    "pending": "Payment started with the provider; waiting for the payer.",
    "succeeded": "Payment succeeded.",
    "declined": "Payment declined by fraud prevention; the customer is refunded.",
    "pending_review": "Payment held for fraud review.",
    "failed": "Payment failed. You can try again.",
    "expired": "This session expired before a payment was made.",
    "refunded": "Payment refunded.",
    "processing": "Payment processing; it settles shortly.",
}


def money(cents: int, currency: str) -> str:
    return f"{Decimal(cents) / 100:,.2f} {html.escape(currency)}"


def _find(call: Call) -> PayvioxSession:
    session = ledger.find(call.services.store, call.path_params["session_id"])
    ledger.check_ip(session, call.client_ip)
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


def _hidden_method(method_id: str) -> str:
    return f'<input type=hidden name=method value="{html.escape(method_id)}">'


def _methods(session: PayvioxSession, enabled: Mapping[str, Method]) -> str:
    if session.status == INCOMPLETE and session.payment_method:  # the rest goes where the first part went
        return _hidden_method(session.payment_method)
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


def _button(outcome: str, label: str) -> str:
    return (
        f'<button type=submit name=outcome value="{outcome}" class="pay {outcome}" data-outcome="{outcome}">'
        f"{label}</button>"
    )


def _buttons(session: PayvioxSession) -> str:
    """A button per outcome the session's state still allows."""
    labels = dict(OUTCOME_LABELS)
    if session.status == INCOMPLETE:
        labels["succeeded"] = f"Pay the remaining {money(session.amount_due, session.currency)} — succeeds"
    return "".join(_button(o, labels[o]) for o in PAY_OUTCOMES if LIFECYCLE.can(session, f"pay_{o}"))


def _short_form(session: PayvioxSession, action: str, methods: str) -> str:
    """A crypto payer may send less than is due (webhooks: `incomplete`); amounts in cents, as the API's."""
    due = session.amount_due
    if not LIFECYCLE.can(session, "pay_incomplete") or due < 2:
        return ""
    field = f"<input type=number name=amount_paid min=1 max={due - 1} value={due // 2} required>"
    return (
        f'<form method=post action="{action}" class=short>{methods}'
        f"<label>Amount paid, in cents (of {due} due) {field}</label>"
        f"<div class=buttons>{_button(INCOMPLETE, 'Pay short — incomplete')}</div></form>"
    )


def _status_text(session: PayvioxSession) -> str:
    if session.status == INCOMPLETE:
        paid, due = money(session.amount_received, session.currency), money(session.amount_due, session.currency)
        return f"Crypto payment incomplete: {paid} received, {due} still due."
    return STATUS_TEXT.get(session.status, "")


def _page(session: PayvioxSession, *, root: str, brand: str, methods: str, crypto: bool = False, note: str = "") -> str:
    """`root`: the namespace's prefix, so the form posts back into the same sandbox."""
    action = f"{root}{secure_path(session.id)}/pay"
    buttons = _buttons(session)
    payable = bool(buttons) and not (session.status == "pending" and not methods)
    form = f'<form method=post action="{action}">{methods}<div class=buttons>{buttons}</div></form>' if payable else ""
    if crypto and methods:
        form += _short_form(session, action, methods)
    status = _status_text(session)
    return _TEMPLATE.substitute(
        brand=html.escape(brand),
        session_id=session.id,
        description=html.escape(session.description or "Payment"),
        items=_items(session),
        total=money(session.amount, session.currency),
        status=session.status,
        status_text=status,
        favicon=pages.FAVICON,
        note=html.escape(note),
        form=form,
    )


def hosted_page(call: Call) -> Reply:
    try:
        session = _find(call)
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    except Forbidden:
        if not pages.wants_html(call.headers.get("accept")):
            raise  # API clients get the documented JSON (create-session "Error Responses")
        # Invented: a payer's browser gets the same words as a page, not raw JSON.
        explained = "this payment session only opens from the IP it was created for (or given as `ip`)."
        return pages.message(403, IP_MISMATCH["error"], f"{IP_MISMATCH['message']}: {explained}")
    enabled = merchants.enabled(call, session.merchant)
    paying = CATALOGUE.get(session.payment_method or "") if session.status == INCOMPLETE else None
    crypto = paying is not None and paying.type == "crypto"
    return Reply(
        200, html=_page(session, root=call.root, brand="Payviox", methods=_methods(session, enabled), crypto=crypto)
    )


def redirect_page(call: Call) -> Reply:
    """Plays the provider a redirect method sends the payer to (create-session "Direct Redirect")."""
    try:
        session = _find(call)
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    method = CATALOGUE.get(session.payment_method or "")
    name = PROVIDER_NAMES.get(method.provider, method.provider) if method else "Payment provider"
    chosen = _hidden_method(method.id) if method else ""
    note = f"This page plays {name} for {method.name if method else 'this payment'}."
    crypto = method is not None and method.type == "crypto"
    return Reply(
        200, html=_page(session, root=call.root, brand=f"{name} (sandbox)", methods=chosen, crypto=crypto, note=note)
    )


def _cents(text: str | None) -> int | str | None:
    """A form's `amount_paid`: whole cents, or the text as typed (which the payer's rules reject)."""
    digits = (text or "").strip()
    return int(digits) if digits.isdecimal() and len(digits) <= 15 else text


def hosted_pay(call: Call) -> Reply:
    form = pages.form_fields(call.raw)
    try:
        session = _find(call)
        method = ledger.method_for(session, form.get("method"), merchants.enabled(call, session.merchant))
        step = ledger.pay(
            session,
            form.get("outcome", "succeeded"),
            method,
            amount_paid=_cents(form.get("amount_paid")),
            payer_ip=call.client_ip,
            user_agent=call.headers.get("user-agent"),
            country=None,
            entropy=call.services.entropy,
            now=call.now,
        )
        seconds = call.services.provider_settings(NAME, PayvioxSettings).processing_seconds
        ledger.await_settlement(call.services.store, session, seconds, call.now)
    except NotFound:
        return pages.message(404, "Session not found", "No payment session has this id.")
    except (InvalidState, InvalidRequest) as error:
        problems = " ".join(message for messages in (error.fields or {}).values() for message in messages)
        return pages.message(409, "Payment not possible", error.message or problems)
    call.services.emit(step)
    return Reply(303, headers={"Location": call.root + secure_path(session.id)})


OPERATIONS = (
    Operation("hosted_page", "GET", "/secure/{session_id}", hosted_page, auth=None),
    Operation("hosted_page_pay", "POST", "/secure/{session_id}/pay", hosted_pay, auth=None),
    Operation("redirect_provider_page", "GET", "/redirect/{session_id}", redirect_page, auth=None),
)
