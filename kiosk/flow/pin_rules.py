"""Format rules for what the resident types, checked before any try is spent on the card."""

from __future__ import annotations

from enum import Enum

_DIGITS = frozenset(b"0123456789")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")

SIGN_PIN_MIN = 6
SIGN_PIN_MAX = 16
NUMBER_B_LENGTH = 14


class SignPinRule(Enum):
    """The rules for a new signature PIN, each shown to the resident as they type."""

    LENGTH = "length"  # 6 to 16 characters
    CHARSET = "charset"  # only A-Z and 0-9
    HAS_LETTER = "has_letter"
    HAS_DIGIT = "has_digit"


def sign_pin_broken_rules(pin: bytes | bytearray) -> list[SignPinRule]:
    """The rules ``pin`` breaks, in display order; empty when it is acceptable."""
    broken: list[SignPinRule] = []
    if not SIGN_PIN_MIN <= len(pin) <= SIGN_PIN_MAX:
        broken.append(SignPinRule.LENGTH)
    if any(byte not in _DIGITS and byte not in _LETTERS for byte in pin):
        broken.append(SignPinRule.CHARSET)
    if not any(byte in _LETTERS for byte in pin):
        broken.append(SignPinRule.HAS_LETTER)
    if not any(byte in _DIGITS for byte in pin):
        broken.append(SignPinRule.HAS_DIGIT)
    return broken


def is_four_digit_pin(pin: bytes | bytearray) -> bool:
    """The auth PIN and the text-AP PIN are exactly four digits."""
    return len(pin) == 4 and all(byte in _DIGITS for byte in pin)


def is_number_b(value: bytes | bytearray) -> bool:
    """照合番号B: 14 digits (birth date YYMMDD in the Japanese era, expiry year, security code)."""
    return len(value) == NUMBER_B_LENGTH and all(byte in _DIGITS for byte in value)


def same_secret(first: bytes | bytearray, second: bytes | bytearray) -> bool:
    """Compare two secrets without an early exit on the first difference."""
    if len(first) != len(second):
        return False
    difference = 0
    for a, b in zip(first, second, strict=True):
        difference |= a ^ b
    return difference == 0
