"""The rules for a new signature PIN, one place for the kiosk's flow, its client and the
server: 6 to 16 characters, only A-Z and 0-9, at least one letter and at least one digit
(the municipalities' 英数字混合; the card itself is known to check only length and
characters, so the letter-and-digit rule must be enforced here, before the card sees it)."""

from __future__ import annotations

from enum import Enum

SIGN_PIN_MIN = 6
SIGN_PIN_MAX = 16
_DIGITS = frozenset(b"0123456789")
_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


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


def is_valid_signature_pin(pin: bytes | bytearray) -> bool:
    return not sign_pin_broken_rules(pin)
