"""Gregorian date -> Japanese era date, as printed on the card and used in 照合番号B.

Public names: ``Era``, ``EraDate``, ``to_era``, ``era_yymmdd``.

Covers 大正, 昭和, 平成 and 令和 (a card holder cannot be born before 大正 1 = 1912-07-30).
The first day of each era is year 1 of that era (元年), e.g. 1989-01-08 is 平成 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum


class Era(Enum):
    TAISHO = ("大正", dt.date(1912, 7, 30))
    SHOWA = ("昭和", dt.date(1926, 12, 25))
    HEISEI = ("平成", dt.date(1989, 1, 8))
    REIWA = ("令和", dt.date(2019, 5, 1))

    @property
    def kanji(self) -> str:
        return self.value[0]

    @property
    def first_day(self) -> dt.date:
        return self.value[1]


@dataclass(frozen=True)
class EraDate:
    era: Era
    year: int  # 1 = 元年
    month: int
    day: int

    def __repr__(self) -> str:  # a birth date is personal data
        return "EraDate(<hidden>)"


def to_era(date: dt.date) -> EraDate:
    """The era date of ``date``; ValueError before 大正."""
    for era in reversed(Era):
        if date >= era.first_day:
            return EraDate(era, date.year - era.first_day.year + 1, date.month, date.day)
    raise ValueError("date before the Taisho era")


def era_yymmdd(date: dt.date) -> str:
    """Six digits: era year (2 digits), month, day. ``1980-02-17`` -> ``"550217"``."""
    era_date = to_era(date)
    return f"{era_date.year:02d}{era_date.month:02d}{era_date.day:02d}"
