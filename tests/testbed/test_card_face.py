"""Card-info AP EF 0002 (card face, DF28 signature) and EF 0004 (CV certificate)."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image

from kiosk.face_match.card_photo import decode_card_photo
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.card_file import CardFile, load_card_file
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.tlv import Element, parse_all

PROFILE_PREFIX = bytes.fromhex("3071300D060960864801650304020105000460")


def _fields(ef: bytes) -> tuple[Element, list[Element]]:
    [outer] = parse_all(ef)
    assert outer.tag == 0xFF20
    return outer, parse_all(outer.value)


def _check_offsets(ef: bytes) -> dict[int, Element]:
    outer, elements = _fields(ef)
    assert elements[0].tag == 0xDF21
    header_length = len(ef) - len(outer.value)
    position = header_length + len(elements[0].raw)
    expected = b""
    for element in elements[1:]:
        assert ef[position : position + len(element.raw)] == element.raw
        expected += position.to_bytes(2, "big")
        position += len(element.raw)
    assert elements[0].value == expected
    return {e.tag: e for e in elements[1:]}


@pytest.fixture(scope="module")
def card(test_card: Any) -> CardFile:
    return load_card_file(test_card.template)


def test_card_face_layout(card: CardFile, test_card: Any) -> None:
    fields = _check_offsets(card.files[(Ap.INFO, 0x0002)])
    assert list(fields) == [0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A]
    assert fields[0xDF22].value.decode() == test_card.values["birth_date"].replace("-", "")
    assert fields[0xDF23].value.decode() == test_card.values["sex"]
    assert fields[0xDF29].value.decode() == test_card.values["expiry"].replace("-", "")
    for tag in (0xDF25, 0xDF26, 0xDF2A):
        image = Image.open(io.BytesIO(fields[tag].value))
        assert image.format == "PNG" and image.mode == "1"
    assert len(fields[0xDF28].value) == 256


def test_card_photo_is_a_small_greyscale_jpeg2000(card: CardFile) -> None:
    photo = _check_offsets(card.files[(Ap.INFO, 0x0002)])[0xDF27].value
    assert photo.startswith(b"\x00\x00\x00\x0cjP  \r\n\x87\n")
    assert 2_000 < len(photo) < 12_000
    grey = decode_card_photo(photo)
    assert grey.ndim == 2 and 140 <= grey.shape[1] <= 180


def test_chip_key_in_df24_is_the_cards_chip_key(card: CardFile) -> None:
    fields = _check_offsets(card.files[(Ap.INFO, 0x0002)])
    key = {e.tag: e.value for e in parse_all(fields[0xDF24].value)}
    chip = serialization.load_pem_private_key(card.chip_key_pem, None)
    assert isinstance(chip, rsa.RSAPrivateKey)
    numbers = chip.public_key().public_numbers()
    assert key[0x90] == b"\x01\x00\x01"
    assert key[0x91] == numbers.n.to_bytes(256, "big")


def test_cv_certificate_and_df28_verify(card: CardFile, testbed_authority: TestAuthority) -> None:
    [cv] = parse_all(card.files[(Ap.INFO, 0x0004)])
    assert cv.tag == 0x7F21
    body, signature = parse_all(cv.value)
    assert (body.tag, signature.tag) == (0x5F4E, 0x5F37)
    issuer, subject, key = parse_all(body.value)
    assert (issuer.tag, subject.tag, key.tag) == (0x42, 0x5F20, 0x7F49)
    assert issuer.value == testbed_authority.card_face_ca_key_id()
    assert len(subject.value) == 16
    ca_public = serialization.load_pem_public_key(
        testbed_authority.card_face_ca_pub_path.read_bytes()
    )
    assert isinstance(ca_public, rsa.RSAPublicKey)
    ca_public.verify(signature.value, body.raw, padding.PKCS1v15(), hashes.SHA256())
    numbers = {e.tag: e.value for e in parse_all(key.value)}
    signer = rsa.RSAPublicNumbers(
        int.from_bytes(numbers[0x82], "big"), int.from_bytes(numbers[0x81], "big")
    ).public_key()
    assert subject.value == hashlib.sha256(numbers[0x81]).digest()[:16]

    fields = _check_offsets(card.files[(Ap.INFO, 0x0002)])
    message = (
        PROFILE_PREFIX
        + hashlib.sha256(b"".join(fields[t].raw for t in (0xDF22, 0xDF23, 0xDF24))).digest()
        + hashlib.sha256(fields[0xDF25].raw + fields[0xDF26].raw).digest()
        + hashlib.sha256(fields[0xDF27].raw).digest()
    )
    recovered = signer.recover_data_from_signature(fields[0xDF28].value, padding.PKCS1v15(), None)
    assert recovered == message


def test_text_ap_basic_info(card: CardFile, test_card: Any) -> None:
    fields = _check_offsets(card.files[(Ap.TEXT, 0x0002)])
    assert list(fields) == [0xDF22, 0xDF23, 0xDF24, 0xDF25]
    assert fields[0xDF22].value.decode() == test_card.values["name"]
    assert "\u3000" in test_card.values["name"]
    assert fields[0xDF23].value.decode() == test_card.values["address"]
    assert fields[0xDF24].value.decode() == test_card.values["birth_date"].replace("-", "")
    assert fields[0xDF25].value.decode() == test_card.values["sex"]
