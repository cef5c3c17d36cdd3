"""The payment methods a sandbox business has, as `GET /payments/methods` lists them.

Ids, names, fee shapes and the redirect providers are from the docs
(api/endpoints/get-payment-methods, api/endpoints/create-session "Redirect-based Providers");
`static_fees` is in dollars and `percent_fees` a fraction, as documented. Which countries and
currencies each local method covers, and every fee figure not printed in the docs, are
invented to look like the real providers' coverage (FIDELITY.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# The docs' images live on `https://cdn.payviox.com/images/<provider>.png` (GPM); the sandbox
# serves its own, a generated SVG per provider (images.py), so no URL it hands out leaves it.
IMAGES = "/payviox/images"


@dataclass(frozen=True, slots=True)
class Method:
    id: str
    name: str
    type: str  # SDK's PaymentMethod.type: "card", "bank_transfer", "wallet", "crypto"
    provider: str
    image: str  # a path below the sandbox's base URL
    countries: tuple[str, ...] | None
    currencies: tuple[str, ...] | None
    static_fees: Decimal  # dollars, as the docs print it
    percent_fees: Decimal
    redirect: bool = False  # a redirect-based provider: POST /session answers with redirect_url

    def covers(self, countries: set[str], currencies: set[str]) -> bool:
        """`null` countries/currencies mean global and always pass a filter (docs)."""
        if countries and self.countries and not countries.intersection(self.countries):
            return False
        return not (currencies and self.currencies and not currencies.intersection(self.currencies))

    def listing(self, base_url: str) -> dict[str, object]:
        """`base_url`: the sandbox's origin and namespace prefix as the client reached it."""
        return {
            "name": self.name,
            "image": base_url + self.image,
            "countries": list(self.countries) if self.countries else None,
            "currencies": list(self.currencies) if self.currencies else None,
            "fees": {"static_fees": self.static_fees, "percent_fees": self.percent_fees},
        }

    def fee_cents(self, amount: int) -> int:
        """fee = static + amount x percent (docs), rounded half up to a whole cent."""
        exact = self.static_fees * 100 + Decimal(amount) * self.percent_fees
        return int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


def _m(
    id: str,
    name: str,
    type: str,
    provider: str,
    countries: tuple[str, ...] | None,
    currencies: tuple[str, ...] | None,
    static: str,
    percent: str,
    redirect: bool = False,
) -> Method:
    return Method(
        id,
        name,
        type,
        provider,
        f"{IMAGES}/{provider}.svg",
        countries,
        currencies,
        Decimal(static),
        Decimal(percent),
        redirect,
    )


EUR = ("EUR",)
CATALOGUE: dict[str, Method] = {
    method.id: method
    for method in (
        _m("stripe_credit", "Credit Card (Stripe)", "card", "stripe", None, None, "0.30", "0.029"),
        _m("pm_card", "Card", "card", "stripe", None, None, "0.30", "0.029"),
        _m("stripe_apple_pay", "Apple Pay (Stripe)", "wallet", "stripe", None, None, "0.30", "0.029"),
        _m("pm_bank_transfer", "Bank Transfer", "bank_transfer", "stripe", None, ("EUR", "GBP", "USD"), "0", "0.008"),
        _m("zen_card", "Card (Zen)", "card", "zen", None, None, "0.25", "0.025", redirect=True),
        _m("zen_blik", "BLIK (Zen)", "bank_transfer", "zen", ("PL",), ("PLN",), "0", "0.02", redirect=True),
        _m("zen_usdt", "USDT (Zen)", "crypto", "zen", None, ("USD", "EUR"), "0", "0.01", redirect=True),
        _m(
            "nicepay_va",
            "Virtual Account (Nicepay)",
            "bank_transfer",
            "nicepay",
            ("ID",),
            ("IDR",),
            "0",
            "0.01",
            redirect=True,
        ),
        _m(
            "nicepay_ewallet", "E-Wallet (Nicepay)", "wallet", "nicepay", ("ID",), ("IDR",), "0", "0.015", redirect=True
        ),
        _m(
            "nicepay_pix",
            "PIX (Nicepay)",
            "bank_transfer",
            "nicepay",
            ("BR",),
            ("BRL", "USD"),
            "0",
            "0.015",
            redirect=True,
        ),
        _m("paypal", "PayPal", "wallet", "paypal", None, None, "0.49", "0.0349", redirect=True),
        _m("payssion_ideal", "iDEAL (Payssion)", "bank_transfer", "payssion", ("NL",), EUR, "0", "0.02", redirect=True),
        _m(
            "payssion_bancontact",
            "Bancontact (Payssion)",
            "bank_transfer",
            "payssion",
            ("BE",),
            EUR,
            "0",
            "0.02",
            redirect=True,
        ),
        _m("pallapay_crypto", "Crypto (Pallapay)", "crypto", "pallapay", None, None, "0", "0.01", redirect=True),
        _m("cryptocom", "Crypto.com Pay", "crypto", "cryptocom", None, None, "0", "0.01", redirect=True),
        _m("cryptocom_btc", "Bitcoin (Crypto.com)", "crypto", "cryptocom", None, None, "0", "0.01", redirect=True),
    )
}

PROVIDER_NAMES = {
    "stripe": "Stripe",
    "zen": "Zen",
    "nicepay": "Nicepay",
    "paypal": "PayPal",
    "payssion": "Payssion",
    "pallapay": "Pallapay",
    "cryptocom": "Crypto.com",
}
