"""Polish company identifiers: NIP, REGON and KRS.

Check-digit rules as published by the Ministry of Finance (NIP) and GUS (REGON).
Used by the generator to make valid numbers and by ingestion to reject invalid ones.
"""

from __future__ import annotations

import random

_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)


def _digits(value: str) -> list[int] | None:
    cleaned = value.replace("-", "").replace(" ", "")
    if not cleaned.isdigit():
        return None
    return [int(c) for c in cleaned]


def nip_check_digit(first_nine: str) -> int | None:
    """Check digit for the first nine NIP digits; None when no valid NIP can end them."""
    total = sum(int(d) * w for d, w in zip(first_nine, _NIP_WEIGHTS, strict=True))
    check = total % 11
    return None if check == 10 else check


def is_valid_nip(value: str | None) -> bool:
    if not value:
        return False
    digits = _digits(value.upper().removeprefix("PL"))
    if digits is None or len(digits) != 10:
        return False
    return nip_check_digit("".join(map(str, digits[:9]))) == digits[9]


def regon_check_digit(body: str) -> int:
    weights = _REGON9_WEIGHTS if len(body) == 8 else _REGON14_WEIGHTS
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return total % 11 % 10


def is_valid_regon(value: str | None) -> bool:
    if not value:
        return False
    digits = _digits(value)
    if digits is None or len(digits) not in (9, 14):
        return False
    body = "".join(map(str, digits[:-1]))
    return regon_check_digit(body) == digits[-1]


def is_valid_krs(value: str | None) -> bool:
    """KRS numbers carry no check digit: ten digits, not all zero."""
    if not value:
        return False
    digits = _digits(value)
    return digits is not None and len(digits) == 10 and any(digits)


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
