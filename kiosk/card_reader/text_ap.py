"""Text AP (券面事項入力補助AP) session: My Number and basic 4 info.

Public names: ``TEXT_AP_AID``, ``TextPin``, ``BasicInfo``, ``TextApSession``.

``TextApSession(channel)`` offers ``pin_status()``, ``verify_pin(pin)`` (4 digits, EF 0011),
``unlock_with_my_number(my_number)`` (照合番号A, opens EF 0001),
``unlock_with_check_code_b(code)`` (照合番号B, opens EF 0002), ``read_my_number()`` (a
``bytearray`` of 12 ASCII digits that the caller wipes) and ``read_basic_info()``.
Every answer of these EFs is logged as hidden; ``BasicInfo``'s repr shows no values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.card_reader import pin as pins
from kiosk.card_reader import tlv
from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.errors import MalformedResponse
from kiosk.card_reader.pin import PinStatus

TEXT_AP_AID = bytes.fromhex("D3921000310001010408")
EF_MY_NUMBER = 0x0001
EF_BASIC_INFO = 0x0002
TAG_MY_NUMBER = 0xFF10
TAG_BASIC_INFO = 0xFF20
MY_NUMBER_EF_SIZE = 17  # FF 10 0C, 12 digits, FF FF (what the reference clients read)


class TextPin:
    PIN = pins.PinRule("text PIN", 0x11, r"[0-9]{4}", "4 digits", 3)
    CHECK_CODE_A = pins.PinRule("check code A", 0x14, r"[0-9]{12}", "12 digits", 10)
    CHECK_CODE_B = pins.PinRule("check code B", 0x15, r"[0-9]{14}", "14 digits", 10)


@dataclass(frozen=True)
class BasicInfo:
    """基本4情報. The repr hides every value."""

    name: str = field(repr=False)
    address: str = field(repr=False)
    birth_date: str = field(repr=False)  # "YYYYMMDD"
    sex: str = field(repr=False)  # "1" male, "2" female, "9" not applicable

    def __repr__(self) -> str:
        return "BasicInfo(<hidden>)"


def _utf8(item: tlv.Tlv, what: str) -> str:
    try:
        return item.value.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedResponse(f"{what} is not UTF-8") from None


def parse_basic_info(raw: bytes) -> BasicInfo:
    outer = tlv.parse_single(raw, TAG_BASIC_INFO)
    fields = tlv.index(tlv.parse_all(outer.value), required=(0xDF22, 0xDF23, 0xDF24, 0xDF25))
    info = BasicInfo(
        name=_utf8(fields[0xDF22], "name"),
        address=_utf8(fields[0xDF23], "address"),
        birth_date=_utf8(fields[0xDF24], "birth date"),
        sex=_utf8(fields[0xDF25], "sex"),
    )
    if len(info.birth_date) != 8 or not info.birth_date.isdigit():
        raise MalformedResponse("birth date is not YYYYMMDD")
    return info


def parse_my_number(raw: bytes | bytearray) -> bytearray:
    """The 12 digits from EF 0001 content (``FF 10 0C`` + digits); returns a bytearray."""
    outer = tlv.parse_single(raw, TAG_MY_NUMBER)
    digits = bytearray(outer.value)
    if len(digits) != 12 or not all(0x30 <= b <= 0x39 for b in digits):
        digits[:] = bytes(len(digits))
        raise MalformedResponse("My Number is not 12 digits")
    return digits


class TextApSession:
    """Operations of the text AP; see the module docstring."""

    def __init__(self, channel: CardChannel) -> None:
        self.channel = channel

    def select(self, *, force: bool = False) -> None:
        self.channel.select_application(TEXT_AP_AID, force=force)

    def pin_status(self) -> PinStatus:
        self.select()
        return pins.pin_status(self.channel, TextPin.PIN)

    def verify_pin(self, pin: bytearray) -> None:
        self.select()
        pins.verify(self.channel, TextPin.PIN, pin)

    def unlock_with_my_number(self, my_number: bytearray) -> None:
        self.select()
        pins.verify(self.channel, TextPin.CHECK_CODE_A, my_number)

    def unlock_with_check_code_b(self, code: bytearray) -> None:
        self.select()
        pins.verify(self.channel, TextPin.CHECK_CODE_B, code)

    def read_my_number(self) -> bytearray:
        """The My Number as 12 ASCII digits; the caller wipes the bytearray after use."""
        self.select()
        raw = self.channel.read_ef_tlv(
            EF_MY_NUMBER, sensitive=True, expected_size=MY_NUMBER_EF_SIZE
        )
        return parse_my_number(raw)

    def read_basic_info(self) -> BasicInfo:
        self.select()
        return parse_basic_info(self.channel.read_ef_tlv(EF_BASIC_INFO, sensitive=True))
