"""EVM values the crypto providers hand out: addresses and transaction hashes.

Addresses are EIP-55 checksummed (mixed case from the Keccak-256 of the lowercase hex), which
needs Keccak-256 (the original padding, not NIST SHA3-256, so `hashlib.sha3_256` will not do).
It is written out here from the Keccak team's compact reference (CompactFIPS202.py) so the
sandbox needs no crypto dependency; hashing 40 characters is all it is used for. Random values
come from the sandbox's seeded `Entropy`, so the same seed gives the same addresses.
"""

from __future__ import annotations

import re

from sandbox.entropy import Entropy

_MASK = (1 << 64) - 1
_RATE = 136  # bytes: Keccak-256 has capacity 512 bits
ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def _rol(value: int, shift: int) -> int:
    shift %= 64
    return ((value << shift) | (value >> (64 - shift))) & _MASK


def _permute(lanes: list[list[int]]) -> None:
    """Keccak-f[1600] on 5x5 lanes of 64 bits, in place."""
    r = 1
    for _ in range(24):
        c = [lanes[x][0] ^ lanes[x][1] ^ lanes[x][2] ^ lanes[x][3] ^ lanes[x][4] for x in range(5)]
        d = [c[(x + 4) % 5] ^ _rol(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                lanes[x][y] ^= d[x]
        x, y = 1, 0
        current = lanes[x][y]
        for t in range(24):
            x, y = y, (2 * x + 3 * y) % 5
            current, lanes[x][y] = lanes[x][y], _rol(current, (t + 1) * (t + 2) // 2)
        for y in range(5):
            row = [lanes[x][y] for x in range(5)]
            for x in range(5):
                lanes[x][y] = row[x] ^ ((~row[(x + 1) % 5]) & row[(x + 2) % 5])
        for j in range(7):
            r = ((r << 1) ^ ((r >> 7) * 0x71)) % 256
            if r & 2:
                lanes[0][0] ^= 1 << ((1 << j) - 1)


def _absorb(state: bytearray) -> None:
    lanes = [
        [int.from_bytes(state[8 * (x + 5 * y) : 8 * (x + 5 * y) + 8], "little") for y in range(5)] for x in range(5)
    ]
    _permute(lanes)
    for x in range(5):
        for y in range(5):
            state[8 * (x + 5 * y) : 8 * (x + 5 * y) + 8] = lanes[x][y].to_bytes(8, "little")


def keccak256(data: bytes) -> bytes:
    state = bytearray(200)
    block = 0
    for offset in range(0, len(data), _RATE):
        chunk = data[offset : offset + _RATE]
        for i, byte in enumerate(chunk):
            state[i] ^= byte
        block = len(chunk)
        if block == _RATE:
            _absorb(state)
            block = 0
    state[block] ^= 0x01  # Keccak's own domain padding (SHA3 would use 0x06)
    state[_RATE - 1] ^= 0x80
    _absorb(state)
    return bytes(state[:32])


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
