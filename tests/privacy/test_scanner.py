"""The scanner finds what it looks for (so a clean scan means something) and no more."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from urllib.parse import quote

import pytest

from tests.privacy.scanner import birth_date_forms, image_needles, needles_for, scan_bytes

NAME = "山田\u3000花子"
ADDRESS = "東京都千代田区千代田1番1号"


def noise() -> bytes:
    return secrets.token_bytes(200)


@pytest.mark.parametrize(
    "encode",
    [
        lambda v: v.encode(),
        lambda v: v.encode("utf-16-le"),
        lambda v: v.encode("utf-16-be"),
        lambda v: v.encode("shift_jis"),
        lambda v: v.encode("euc_jp"),
        lambda v: v.encode().hex().encode(),
        lambda v: v.encode().hex().upper().encode(),
        lambda v: quote(v).encode(),
        lambda v: "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in v).encode(),
        lambda v: base64.b64encode(b"x" + v.encode() + b"yz"),
        lambda v: base64.b64encode(b"xy" + v.encode()),
        lambda v: base64.urlsafe_b64encode(v.encode() + b"tail"),
    ],
)
@pytest.mark.parametrize("value", [NAME, ADDRESS])
def test_every_encoding_of_japanese_text_is_found(value: str, encode: object) -> None:
    data = noise() + encode(value) + noise()  # type: ignore[operator]
    assert scan_bytes("x", data, needles_for("v", value))


@pytest.mark.parametrize(
    "data",
    [b"pin=7392&", b'"7392"', "7392".encode("utf-16-le"), b"37333932", b"NzM5Mg=="],
)
def test_a_four_digit_pin_is_found_standing_alone(data: bytes) -> None:
    assert scan_bytes("x", noise() + data + noise(), needles_for("pin", "7392"))


def test_a_four_digit_pin_inside_a_longer_number_is_not_a_finding() -> None:
    assert not scan_bytes("x", b"at_ms=1764117392123 port=47392", needles_for("pin", "7392"))


def test_birth_date_forms() -> None:
    forms = birth_date_forms(dt.date(1968, 12, 19))
    assert forms["birth date era"] == "昭和43年12月19日"
    assert forms["birth date YYYYMMDD"] == "19681219"


@pytest.mark.parametrize(
    "image",
    [b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00",
     b"\xff\x4f\xff\x51\x00\x2f", b"\x89PNG\r\n\x1a\n\x00"],
)
def test_images_are_found_raw_hex_and_base64(image: bytes) -> None:
    encoded = base64.b64encode(image + b"cdef" * 3)  # an encoded image starts with it
    for form in (image, image.hex().encode(), encoded):
        assert scan_bytes("x", noise() + form + noise(), image_needles()), form
