"""Onchain facts the payer-side answers print: chain ids and stablecoin contracts per network,
and the EIP-3009 transfer a wallet option asks the payer to sign.

Chain ids are the networks' public EIP-155 ids. USDC contracts are Circle's published
addresses (the spec's examples use Base's 0x8335... and Base Sepolia's 0x036C...). EURC and
the fiat assets have no contract here: the sandbox pays them in USDC's contract shape
(Invented: the options endpoint only needs a verifying contract to sign against).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sandbox.contract import Call
from sandbox.providers.cdp.records import CdpSession

CHAIN_IDS = {
    "arbitrum": 42161,
    "arbitrum-sepolia": 421614,
    "avalanche": 43114,  # Avalanche C-Chain (cdp-sdk 1.51 PaymentSourceNetwork)
    "base": 8453,
    "base-sepolia": 84532,
    "ethereum": 1,
    "ethereum-sepolia": 11155111,
    "optimism": 10,
    "optimism-sepolia": 11155420,
    "polygon": 137,
    "polygon-amoy": 80002,
}

USDC = {
    "arbitrum": "0xaf88d065e77c8cC2239327C5EDb3A432268e5831",
    "arbitrum-sepolia": "0x75faf114eafb1BDbe2F0316DF893fd58CE46AA4d",
    "avalanche": "0xB97EF9Ef8734C71904D8002F8b6Bc66Dd9c48a6E",
    "base": "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913",
    "base-sepolia": "0x036CbD53842c5426634e7929541eC2318f3dCF7e",
    "ethereum": "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48",
    "ethereum-sepolia": "0x1c7D4B196Cb0C7B01d743Fbc6116a902379C7238",
    "optimism": "0x0b2C639c533813f4Aa9D7837CAf62653d097Ff85",
    "optimism-sepolia": "0x5fd84259d66Cd46123540766Be93DFE6D43130D7",
    "polygon": "0x3c499c542cEF5E3811e1192ce70d8cC03d5c3359",
    "polygon-amoy": "0x41E94Eb019C0762f9Bfcf9Fb1E58725BfB0e7582",
}

# What a payer's wallet holds for a session in a fiat or stablecoin asset.
ONCHAIN_ASSET = {"usdc": "usdc", "usd": "usdc", "eurc": "eurc", "eur": "eurc"}
TOKEN_NAME = {"usdc": "USD Coin", "eurc": "EURC"}
DECIMALS = 6  # USDC and EURC

NETWORK_OF_CHAIN = {f"eip155:{chain}": network for network, chain in CHAIN_IDS.items()}


def caip2(network: str) -> str:
    """x402 v2 names networks as CAIP-2 ids (`eip155:84532` in the spec's PAYMENT-REQUIRED example)."""
    return f"eip155:{CHAIN_IDS[network]}"


def atomic(value: Decimal) -> str:
    """An amount in the token's smallest unit (6 decimals)."""
    return str(int(value.scaleb(DECIMALS)))


def transfer_payload(call: Call, session: CdpSession, payer: str, network: str) -> dict[str, Any]:
    """One EIP-3009 TransferWithAuthorization to sign (the spec's options example)."""
    address_type = [{"name": name, "type": "address"} for name in ("from", "to")]
    return {
        "payloadId": f"payload_{call.services.entropy.uuid4()}",
        "type": "eip3009",
        "data": {
            "types": {
                "EIP712Domain": [
                    {"name": "name", "type": "string"},
                    {"name": "version", "type": "string"},
                    {"name": "chainId", "type": "uint256"},
                    {"name": "verifyingContract", "type": "address"},
                ],
                "TransferWithAuthorization": [
                    *address_type,
                    {"name": "value", "type": "uint256"},
                    {"name": "validAfter", "type": "uint256"},
                    {"name": "validBefore", "type": "uint256"},
                    {"name": "nonce", "type": "bytes32"},
                ],
            },
            "primaryType": "TransferWithAuthorization",
            "domain": {
                "name": TOKEN_NAME[ONCHAIN_ASSET[session.asset]],
                "version": "2",
                "chainId": CHAIN_IDS[network],
                "verifyingContract": USDC[network],
            },
            "message": {
                "from": payer,
                "to": session.target.get("address", USDC[network]),
                "value": atomic(session.amount),
                "validAfter": "0",
                "validBefore": str(int(session.expiries["authorizationExpiresAt"].timestamp())),
                "nonce": "0x" + call.services.entropy.hex(64),
            },
        },
    }
