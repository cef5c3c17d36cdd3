"""EVM values the crypto providers hand out: addresses and transaction hashes.

Addresses are EIP-55 checksummed (mixed case from the Keccak-256 of the lowercase hex), which
needs Keccak-256 (the original padding, not NIST SHA3-256, so `hashlib.sha3_256` will not do):
pycryptodome's, in C. A pure-Python Keccak (what this module had) cost ~450 µs per address,
three quarters of a CubePay session creation. Random values come from the sandbox's seeded
`Entropy`, so the same seed gives the same addresses.
"""

from __future__ import annotations

import re

from sandbox.entropy import Entropy

ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def keccak256(data: bytes) -> bytes:
    from Crypto.Hash import keccak  # on first use: loading its C library is no part of startup

    return keccak.new(digest_bits=256, data=data).digest()


def checksum_address(address: str) -> str:
    """EIP-55: a hex letter is upper case where the matching nibble of keccak(lowercase) is >= 8."""
    if not ADDRESS.match(address):
        raise ValueError(f"not a 20-byte hex address: {address!r}")
    plain = address[2:].lower()
    digest = keccak256(plain.encode()).hex()
    return "0x" + "".join(ch.upper() if int(digest[i], 16) >= 8 else ch for i, ch in enumerate(plain))


def random_address(entropy: Entropy) -> str:
    return checksum_address("0x" + entropy.hex(40))


def random_tx_hash(entropy: Entropy) -> str:
    return "0x" + entropy.hex(64)
