"""The Individual Number (My Number): its check digit, and the card's collation numbers.

Check digit (個人番号の検査用数字, 総務省令第85号 第5条): number the first eleven digits
P_n from the right (P_1 is the 11th digit), weight Q_n = n + 1 for n <= 6 and n - 5 for
n >= 7, r = sum(P_n * Q_n) mod 11; the check digit is 0 when r <= 1, else 11 - r.
"""

from __future__ import annotations

import datetime as dt
import secrets


class MyNumberError(ValueError):
    """Not a valid My Number (the message never contains the number)."""


def check_digit(first_eleven: str) -> int:
    """The check digit for the first eleven digits of a My Number."""
    if len(first_eleven) != 11 or not first_eleven.isascii() or not first_eleven.isdigit():
        raise MyNumberError("need exactly 11 ASCII digits")
    total = 0
    for n, char in enumerate(reversed(first_eleven), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(char) * weight
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_valid(number: str) -> bool:
    """True for 12 ASCII digits whose last digit is the correct check digit."""
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        return False
    return check_digit(number[:11]) == int(number[11])


def random_my_number() -> str:
    """A random, well-formed My Number (the first digit is never 0)."""
    first = str(secrets.randbelow(9) + 1) + "".join(str(secrets.randbelow(10)) for _ in range(10))
    return first + str(check_digit(first))


# (first day, era name); newest first. The testbed needs this to issue 照合番号B; the kiosk's
# card layer has its own conversion, so the two are cross-checked by the end-to-end tests.
_ERAS = (
    (dt.date(2019, 5, 1), "令和"),
    (dt.date(1989, 1, 8), "平成"),
    (dt.date(1926, 12, 25), "昭和"),
    (dt.date(1912, 7, 30), "大正"),
)


def era_year(date: dt.date) -> tuple[str, int]:
    """(era name, year within the era) for a date since 大正."""
    for start, name in _ERAS:
        if date >= start:
            return name, date.year - start.year + 1
    raise MyNumberError("date before the 大正 era")


def collation_number_b(birth_date: dt.date, expiry: dt.date, security_code: str) -> str:
    """照合番号B: era YYMMDD of the birth date, 4-digit expiry year, 4-digit security code."""
    if len(security_code) != 4 or not security_code.isascii() or not security_code.isdigit():
        raise MyNumberError("security code must be 4 digits")
    _, year = era_year(birth_date)
    return f"{year:02d}{birth_date.month:02d}{birth_date.day:02d}{expiry.year:04d}{security_code}"
