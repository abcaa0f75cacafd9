import random
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from leadhouse import taxids


@pytest.mark.parametrize("nip", ["5260250274", "526-025-02-74", "PL5260250274", "7740001454"])
def test_known_valid_nips(nip: str) -> None:
    assert taxids.is_valid_nip(nip)


@pytest.mark.parametrize(
    "nip",
    [
        "5260250275",
        "526025027",
        "abcdefghij",
        "",
        None,
        "0000000000x",
        "\uff15\uff12\uff16\uff10\uff12\uff15\uff10\uff12\uff17\uff14",  # full-width 5260250274
        "52602502\u0667\u0664",  # Arabic-Indic digits: str.isdigit accepts them, SQL does not
    ],
)
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


@pytest.mark.parametrize(
    ("check_digit", "body"),
    [
        (taxids.nip_check_digit, "52602502a"),
        (taxids.nip_check_digit, "\uff15\uff12\uff16\uff10\uff12\uff15\uff10\uff12\uff17"),
        (taxids.nip_check_digit, "52602502"),
        (taxids.regon_check_digit, "1234567x"),
        (taxids.regon_check_digit, "123-4567"),
        (taxids.regon_check_digit, "1234567851234\u0667"),
    ],
)
def test_check_digits_of_anything_but_the_right_number_of_ascii_digits_are_refused(
    check_digit: Callable[[str], int | None], body: str
) -> None:
    """The check-digit functions are public: given unchecked text they refuse it instead
    of computing a digit from the characters' byte values (or failing to encode them)."""
    with pytest.raises(ValueError, match="ASCII digits"):
        check_digit(body)


def test_random_numbers_are_valid_and_corruption_is_detected() -> None:
    rng = random.Random(1)
    for _ in range(500):
        nip, regon = taxids.random_nip(rng), taxids.random_regon(rng)
        assert taxids.is_valid_nip(nip) and taxids.is_valid_regon(regon)
        assert not taxids.is_valid_nip(taxids.corrupt_check_digit(nip))


def test_sql_check_digits_agree_with_python(tmp_path: Path) -> None:
    """The dbt macros that validate published tax ids give the same verdicts as Python."""
    import duckdb

    from leadhouse.build import dbt_env, dbt_executable
    from leadhouse.config import DBT_PROJECT_DIR, Warehouse

    rng = random.Random(5)
    nips = [taxids.random_nip(rng) for _ in range(200)]
    nips += [taxids.corrupt_check_digit(n) for n in nips[:100]] + ["123", "12345678AB"]
    regons = [taxids.random_regon(rng) for _ in range(200)]
    regons += [taxids.corrupt_check_digit(r) for r in regons[:100]]
    regons += ["12345678512347", "12345678512348", "1234"]
    warehouse = Warehouse(tmp_path)
    completed = subprocess.run(
        [
            dbt_executable(),
            "compile",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--inline",
            "select value, {{ nip_is_valid('value') }} as nip_ok, "
            "{{ regon_is_valid('value') }} as regon_ok from candidates",
        ],
        env=dbt_env(warehouse),
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    with duckdb.connect() as con:
        con.execute("create table candidates (value varchar)")
        con.executemany("insert into candidates values (?)", [[v] for v in nips + regons])
        verdicts = {v: (n, r) for v, n, r in con.execute(completed.stdout).fetchall()}
    assert all(verdicts[n][0] == taxids.is_valid_nip(n) for n in nips)
    assert all(verdicts[r][1] == taxids.is_valid_regon(r) for r in regons)
    assert sum(verdicts[n][0] for n in nips) == 200  # the corrupted ones fail
