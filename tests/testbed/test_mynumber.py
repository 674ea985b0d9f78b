"""My Number check digit, 照合番号B and the random persona values."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_testbed.mynumber import (
    MyNumberError,
    check_digit,
    collation_number_b,
    era_year,
    is_valid,
    random_my_number,
)
from kiosk_testbed.persona import PersonaError, make_persona


def reference_check_digit(first_eleven: str) -> int:
    # Written out from the ordinance's formula, independently of the implementation.
    digits = [int(c) for c in first_eleven]
    total = sum(digits[11 - n] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    return 0 if total % 11 <= 1 else 11 - total % 11


def test_known_valid_number() -> None:
    # 1*2+0*3+9*4+8*5+7*6+6*7+5*2+4*3+3*4+2*5+1*6 = 212; 212 % 11 = 3; 11 - 3 = 8
    assert check_digit("12345678901") == 8
    assert is_valid("123456789018")
    assert not is_valid("123456789017")


@pytest.mark.parametrize(
    "bad", ["", "12345678901", "1234567890123", "12345678901a", "１２３４５６７８９０１８"]
)
def test_malformed_numbers_are_invalid(bad: str) -> None:
    assert not is_valid(bad)


def test_check_digit_rejects_wrong_input() -> None:
    with pytest.raises(MyNumberError):
        check_digit("1234")


@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_check_digit_matches_formula(first_eleven: str) -> None:
    assert check_digit(first_eleven) == reference_check_digit(first_eleven)
    assert is_valid(first_eleven + str(check_digit(first_eleven)))


def test_remainder_zero_and_one_give_zero() -> None:
    # find eleven digits with remainder 0 and 1 and check both map to 0
    seen = set()
    for value in range(0, 10**4):
        first = f"{value:011d}"
        digits = [int(c) for c in first]
        total = sum(digits[11 - n] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
        if total % 11 in (0, 1):
            assert check_digit(first) == 0
            seen.add(total % 11)
        if seen == {0, 1}:
            break
    assert seen == {0, 1}


def test_random_numbers_are_valid_and_vary() -> None:
    numbers = {random_my_number() for _ in range(50)}
    assert len(numbers) > 45
    assert all(is_valid(n) and n[0] != "0" for n in numbers)


def test_collation_b_matches_a_real_card_example() -> None:
    # myna-card's measured example: 1980-02-17 (昭和55), expiry 2035, code 2285
    assert collation_number_b(dt.date(1980, 2, 17), dt.date(2035, 2, 17), "2285") == (
        "55021720352285"
    )


def test_era_boundaries_used_for_issuing() -> None:
    assert era_year(dt.date(1989, 1, 7)) == ("昭和", 64)
    assert era_year(dt.date(1989, 1, 8)) == ("平成", 1)
    assert era_year(dt.date(2019, 5, 1)) == ("令和", 1)
    with pytest.raises(MyNumberError):
        era_year(dt.date(1912, 7, 29))


def test_persona_defaults_are_valid() -> None:
    persona = make_persona(today=dt.date(2026, 11, 25))
    assert is_valid(persona.my_number)
    assert "\u3000" in persona.name
    assert len(persona.auth_pin) == 4 and persona.auth_pin.isdigit()
    assert 6 <= len(persona.sign_pin) <= 16
    assert any(c.isdigit() for c in persona.sign_pin)
    assert any(c.isalpha() for c in persona.sign_pin)
    assert persona.expiry > dt.date(2026, 11, 25)
    assert len(persona.collation_b) == 14
    assert persona.my_number not in repr(persona)


@pytest.mark.parametrize(
    "field, value",
    [
        ("auth_pin", "12345"),
        ("sign_pin", "abc123"),
        ("sign_pin", "A1"),
        ("text_pin", "12a4"),
        ("my_number", "123456789017"),
        ("security_code", "123"),
        ("sex", "3"),
    ],
)
def test_persona_rejects_invalid_values(field: str, value: str) -> None:
    with pytest.raises(PersonaError) as error:
        make_persona(**{field: value})  # type: ignore[arg-type]
    assert value not in str(error.value)
