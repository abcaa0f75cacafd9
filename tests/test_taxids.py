import random

import pytest

from leadhouse import taxids


@pytest.mark.parametrize("nip", ["5260250274", "526-025-02-74", "PL5260250274", "7740001454"])
def test_known_valid_nips(nip: str) -> None:
    assert taxids.is_valid_nip(nip)


@pytest.mark.parametrize("nip", ["5260250275", "526025027", "abcdefghij", "", None, "0000000000x"])
def test_invalid_nips(nip: str | None) -> None:
    assert not taxids.is_valid_nip(nip)


def test_regon_and_krs() -> None:
    assert taxids.is_valid_regon("123456785")
    assert not taxids.is_valid_regon("123456786")
    assert taxids.is_valid_regon("12345678512347")
    assert not taxids.is_valid_regon("12345678512348")
    assert taxids.is_valid_krs("0000012345")
    assert not taxids.is_valid_krs("0000000000")
    assert not taxids.is_valid_krs("12345")


def test_random_numbers_are_valid_and_corruption_is_detected() -> None:
    rng = random.Random(1)
    for _ in range(500):
        nip, regon = taxids.random_nip(rng), taxids.random_regon(rng)
        assert taxids.is_valid_nip(nip) and taxids.is_valid_regon(regon)
        assert not taxids.is_valid_nip(taxids.corrupt_check_digit(nip))
