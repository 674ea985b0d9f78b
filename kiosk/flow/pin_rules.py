"""Format rules for what the resident types, checked before any try is spent on the card.

The signature-PIN rules live in ``kiosk_protocol.pin_rules`` so that the flow, the backend
client and the server check the very same rules."""

from __future__ import annotations

from kiosk_protocol.pin_rules import (
    SIGN_PIN_MAX,
    SIGN_PIN_MIN,
    SignPinRule,
    sign_pin_broken_rules,
)

_DIGITS = frozenset(b"0123456789")

NUMBER_B_LENGTH = 14

__all__ = [
    "SIGN_PIN_MAX",
    "SIGN_PIN_MIN",
    "SignPinRule",
    "is_four_digit_pin",
    "is_number_b",
    "same_secret",
    "sign_pin_broken_rules",
]


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
