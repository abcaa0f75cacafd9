"""Polish company identifiers: NIP, REGON and KRS.

Check-digit rules as published by the Ministry of Finance (NIP) and GUS (REGON).
Used by the generator to make valid numbers and by ingestion to reject invalid ones.
"""

from __future__ import annotations

import operator
import random

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
_ZERO = ord("0")


def _digits(value: str) -> str | None:
    """The ASCII digits of an identifier written with dashes or spaces, or None. Other
    Unicode digits (which ``str.isdigit`` accepts) are refused, as the SQL checks do."""
    cleaned = value.replace("-", "").replace(" ", "")
    return cleaned if cleaned.isascii() and cleaned.isdigit() else None


def _weighted_sum(digits: str, weights: tuple[int, ...]) -> int:
    # The bytes of ASCII digits are their values plus ord("0"): no int() per character,
    # which made the check digits a sixth of the company registry's ingest.
    if len(digits) != len(weights) or not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected {len(weights)} ASCII digits, got {digits!r}")
    return sum(map(operator.mul, digits.encode("ascii"), weights)) - _ZERO * sum(weights)


def nip_check_digit(first_nine: str) -> int | None:
    """Check digit for the first nine NIP digits; None when no valid NIP can end them."""
    check = _weighted_sum(first_nine, _NIP_WEIGHTS) % 11
    return None if check == 10 else check


def is_valid_nip(value: str | None) -> bool:
    if not value:
        return False
    digits = _digits(value.upper().removeprefix("PL"))
    if digits is None or len(digits) != 10:
        return False
    return nip_check_digit(digits[:9]) == int(digits[9])


def regon_check_digit(body: str) -> int:
    weights = _REGON9_WEIGHTS if len(body) == 8 else _REGON14_WEIGHTS
    return _weighted_sum(body, weights) % 11 % 10


def is_valid_regon(value: str | None) -> bool:
    if not value:
        return False
    digits = _digits(value)
    if digits is None or len(digits) not in (9, 14):
        return False
    return regon_check_digit(digits[:-1]) == int(digits[-1])


def is_valid_krs(value: str | None) -> bool:
    """KRS numbers carry no check digit: ten digits, not all zero."""
    if not value:
        return False
    digits = _digits(value)
    return digits is not None and len(digits) == 10 and digits != "0" * 10


def random_nip(rng: random.Random) -> str:
    while True:
        # The first three digits are a tax-office code and never start with 0.
        body = str(rng.randint(1, 9)) + "".join(str(rng.randint(0, 9)) for _ in range(8))
        check = nip_check_digit(body)
        if check is not None:
            return body + str(check)


def random_regon(rng: random.Random) -> str:
    body = "".join(str(rng.randint(0, 9)) for _ in range(8))
    return body + str(regon_check_digit(body))


def random_krs(rng: random.Random) -> str:
    return f"{rng.randint(1, 999_999):010d}"


def corrupt_check_digit(value: str) -> str:
    """Same number with a wrong last digit: realistic typo for dirty test data."""
    last = int(value[-1])
    return value[:-1] + str((last + 1) % 10)
