"""The card's fixed layout: AIDs, EF ids, PIN rules and access rules (docs/card-profile.md §2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ATR = bytes.fromhex("3BE000FF8131FE4514")


class Ap(StrEnum):
    JPKI = "jpki"
    TEXT = "text"
    INFO = "info"


AIDS: dict[bytes, Ap] = {
    bytes.fromhex("D392F000260100000001"): Ap.JPKI,
    bytes.fromhex("D3921000310001010408"): Ap.TEXT,
    bytes.fromhex("D3921000310001010402"): Ap.INFO,
}
AID_OF: dict[Ap, bytes] = {ap: aid for aid, ap in AIDS.items()}

# JPKI AP
JPKI_SIGN_CERT = 0x0001
JPKI_SIGN_CA_CERT = 0x0002
JPKI_TOKEN_INFO = 0x0006
JPKI_CERT_PRESENCE = 0x0008
JPKI_AUTH_CERT = 0x000A
JPKI_AUTH_CA_CERT = 0x000B
JPKI_AUTH_KEY = 0x0017
JPKI_AUTH_PIN = 0x0018
JPKI_SIGN_KEY = 0x001A
JPKI_SIGN_PIN = 0x001B
# text AP
TEXT_MY_NUMBER = 0x0001
TEXT_BASIC_INFO = 0x0002
TEXT_PIN = 0x0011
TEXT_COLLATION_A = 0x0014
TEXT_COLLATION_B = 0x0015
# card-info AP
INFO_CARD_FACE = 0x0002
INFO_CV_CERT = 0x0004
INFO_COLLATION_B = 0x0012
INFO_COLLATION_A = 0x0013

SIGN_PIN_MAX_TRIES = 5


@dataclass(frozen=True, slots=True)
class PinRule:
    name: str
    pattern: re.Pattern[str]
    max_tries: int
    changeable: bool


_FOUR_DIGITS = re.compile(r"[0-9]{4}")
_SIGN_PIN = re.compile(r"[A-Z0-9]{6,16}")
_COLLATION_A = re.compile(r"[0-9]{12}")
_COLLATION_B = re.compile(r"[0-9]{14}")

PIN_RULES: dict[tuple[Ap, int], PinRule] = {
    (Ap.JPKI, JPKI_AUTH_PIN): PinRule("auth PIN", _FOUR_DIGITS, 3, True),
    (Ap.JPKI, JPKI_SIGN_PIN): PinRule("sign PIN", _SIGN_PIN, SIGN_PIN_MAX_TRIES, True),
    (Ap.TEXT, TEXT_PIN): PinRule("text PIN", _FOUR_DIGITS, 3, True),
    (Ap.TEXT, TEXT_COLLATION_A): PinRule("text 照合番号A", _COLLATION_A, 10, False),
    (Ap.TEXT, TEXT_COLLATION_B): PinRule("text 照合番号B", _COLLATION_B, 10, False),
    (Ap.INFO, INFO_COLLATION_B): PinRule("card-info 照合番号B", _COLLATION_B, 10, False),
    (Ap.INFO, INFO_COLLATION_A): PinRule("card-info 照合番号A", _COLLATION_A, 10, False),
}

# Private-key EFs of the JPKI AP: EF -> (key name in the card file, PIN EF that unlocks it).
KEY_EFS: dict[int, tuple[str, int]] = {
    JPKI_AUTH_KEY: ("auth", JPKI_AUTH_PIN),
    JPKI_SIGN_KEY: ("sign", JPKI_SIGN_PIN),
}
# COMPUTE SIGNATURE P2 naming a key by SFI.
KEY_BY_P2: dict[int, int] = {0x97: JPKI_AUTH_KEY, 0x9A: JPKI_SIGN_KEY}

# Transparent EFs and the PINs any one of which opens them (empty = free to read).
READ_ACCESS: dict[tuple[Ap, int], frozenset[int]] = {
    (Ap.JPKI, JPKI_SIGN_CERT): frozenset({JPKI_SIGN_PIN}),
    (Ap.JPKI, JPKI_SIGN_CA_CERT): frozenset(),
    (Ap.JPKI, JPKI_TOKEN_INFO): frozenset(),
    (Ap.JPKI, JPKI_CERT_PRESENCE): frozenset(),
    (Ap.JPKI, JPKI_AUTH_CERT): frozenset(),
    (Ap.JPKI, JPKI_AUTH_CA_CERT): frozenset(),
    (Ap.TEXT, TEXT_MY_NUMBER): frozenset({TEXT_PIN, TEXT_COLLATION_A}),
    (Ap.TEXT, TEXT_BASIC_INFO): frozenset({TEXT_PIN, TEXT_COLLATION_B}),
    (Ap.INFO, INFO_CARD_FACE): frozenset({INFO_COLLATION_A, INFO_COLLATION_B}),
    (Ap.INFO, INFO_CV_CERT): frozenset({INFO_COLLATION_A, INFO_COLLATION_B}),
}
