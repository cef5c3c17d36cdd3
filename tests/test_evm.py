"""Keccak-256 and EIP-55 addresses against published vectors."""

from __future__ import annotations

import re

import pytest

from sandbox.entropy import Entropy
from sandbox.evm import checksum_address, keccak256, random_address, random_tx_hash


@pytest.mark.parametrize(
    ("data", "digest"),
    [
        (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
        (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    ],
)
def test_keccak256_vectors(data: bytes, digest: str) -> None:
    assert keccak256(data).hex() == digest


def test_keccak256_across_the_136_byte_block_boundary() -> None:
    # transfer(address,uint256): the ERC-20 selector every wallet computes.
    assert keccak256(b"transfer(address,uint256)").hex()[:8] == "a9059cbb"
    assert len({keccak256(b"x" * n) for n in (135, 136, 137, 272)}) == 4


@pytest.mark.parametrize(
    "address",  # EIP-55's own test vectors
    [
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
        "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
        "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
        "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    ],
)
def test_eip55_vectors(address: str) -> None:
    assert checksum_address(address.lower()) == address
    assert checksum_address(address.upper().replace("0X", "0x")) == address


def test_random_values_are_seeded() -> None:
    assert random_address(Entropy(1)) == random_address(Entropy(1)) != random_address(Entropy(2))
    assert re.fullmatch(r"0x[0-9a-f]{64}", random_tx_hash(Entropy(1)))
    with pytest.raises(ValueError):
        checksum_address("0x123")
