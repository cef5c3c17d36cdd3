"""The stablecoins a CubePay merchant accepts: the legacy Merchants API's `paymentMethods`.

api-overview/merchants-api (legacy generation): `GET /api/v1/merchants/:merchantId` answers
`{merchantId, name, createdAt, paymentMethods: [{paymentMethodId, token: {tokenId, network,
name, symbol, address, decimals}}]}`, with no auth shown. The shape is documented; the values
are not. Invented (FIDELITY.md): a sandbox merchant accepts the one token its sessions use
(`network` x `token_symbol` settings); `paymentMethodId` follows connect-wallet's example
`pm_usdc_polygon`, `tokenId` the same pattern with `tok_`; the contract addresses are the
tokens' public ones where one exists (Circle's USDC on Ethereum, Polygon and Sepolia; World
Liberty's USD1 on Ethereum), else a fixed made-up address.
"""

from __future__ import annotations

from typing import Any

# (symbol, network) -> (name, contract address, decimals)
TOKENS: dict[tuple[str, str], tuple[str, str, int]] = {
    ("USDC", "ETHEREUM"): ("USD Coin", "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48", 6),
    ("USDC", "POLYGON"): ("USD Coin", "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359", 6),
    ("USDC", "SEPOLIA"): ("USD Coin", "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238", 6),
    ("USD1", "ETHEREUM"): ("World Liberty Financial USD", "0x8d0D000Ee44948FC98c9B98A4FA4921476f08B0d", 18),
    # Invented addresses: no public USD1 contract on these networks.
    ("USD1", "POLYGON"): ("World Liberty Financial USD", "0x00000000000000000000000000000000005D1001", 18),
    ("USD1", "SEPOLIA"): ("World Liberty Financial USD", "0x00000000000000000000000000000000005D1002", 18),
}

# Invented: the legacy page shows `createdAt` as ISO 8601 only; a sandbox merchant has always existed.
MERCHANT_CREATED_AT = "2025-01-01T00:00:00Z"


def payment_methods(symbol: str, network: str) -> list[dict[str, Any]]:
    name, address, decimals = TOKENS[(symbol, network)]
    suffix = f"{symbol.lower()}_{network.lower()}"
    token = {
        "tokenId": f"tok_{suffix}",
        "network": network,
        "name": name,
        "symbol": symbol,
        "address": address,
        "decimals": decimals,
    }
    return [{"paymentMethodId": f"pm_{suffix}", "token": token}]


def merchant(merchant_id: str, name: str, symbol: str, network: str) -> dict[str, Any]:
    return {
        "merchantId": merchant_id,
        "name": name,
        "createdAt": MERCHANT_CREATED_AT,
        "paymentMethods": payment_methods(symbol, network),
    }
