"""Gregorian -> Japanese era dates at every era boundary, and 照合番号B."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.card_reader.card_info import build_check_code_b
from kiosk.card_reader.era import Era, era_yymmdd, to_era


@pytest.mark.parametrize(
    ("date", "era", "yymmdd"),
    [
        (dt.date(1912, 7, 30), Era.TAISHO, "010730"),
        (dt.date(1926, 12, 24), Era.TAISHO, "151224"),
        (dt.date(1926, 12, 25), Era.SHOWA, "011225"),
        (dt.date(1980, 2, 17), Era.SHOWA, "550217"),
        (dt.date(1989, 1, 7), Era.SHOWA, "640107"),
        (dt.date(1989, 1, 8), Era.HEISEI, "010108"),
        (dt.date(2019, 4, 30), Era.HEISEI, "310430"),
        (dt.date(2019, 5, 1), Era.REIWA, "010501"),
        (dt.date(2020, 1, 1), Era.REIWA, "020101"),
        (dt.date(2026, 11, 25), Era.REIWA, "081125"),
    ],
)
def test_era_boundaries(date: dt.date, era: Era, yymmdd: str) -> None:
    assert to_era(date).era is era
    assert era_yymmdd(date) == yymmdd


def test_before_taisho_is_rejected() -> None:
    with pytest.raises(ValueError, match="Taisho"):
        to_era(dt.date(1912, 7, 29))


def test_era_date_repr_hides_the_date() -> None:
    assert "55" not in repr(to_era(dt.date(1980, 2, 17)))


def test_check_code_b_matches_the_published_example() -> None:
    # 1980-02-17 (昭和55), expiry 2035, security code 2285
    assert build_check_code_b(dt.date(1980, 2, 17), 2035, "2285") == bytearray(b"55021720352285")


@pytest.mark.parametrize(("year", "code"), [(999, "1234"), (2035, "123"), (2035, "12a4")])
def test_check_code_b_rejects_bad_parts(year: int, code: str) -> None:
    with pytest.raises(ValueError):
        build_check_code_b(dt.date(1980, 2, 17), year, code)
