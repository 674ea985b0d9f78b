"""Card-info AP: card face parsing, CV certificate, DF28 and chip authentication."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.card_info import (
    CARD_INFO_AID,
    CardInfoSession,
    TrustAnchors,
    parse_card_face,
    parse_cv_certificate,
    verify_cv_certificate,
    verify_face_signature,
)
from kiosk.card_reader.errors import CardFaceInvalid, MalformedResponse, WrongPin
from kiosk.card_reader.scripted import ScriptedTransport
from kiosk.card_reader.tlv import encode

from .builders import (
    FAKE_BIRTH,
    MY_NUMBER,
    card_face,
    chip_digest_info,
    chip_signature,
    cv_certificate,
    read_sfi,
    rsa_key,
)

SELECT_INFO = "00A4040C0A" + CARD_INFO_AID.hex()
ISSUER_ID = bytes.fromhex("11" * 16)
SUBJECT_ID = bytes.fromhex("22" * 16)
CHALLENGE = bytes(range(16))


def anchors(key_id: bytes = ISSUER_ID) -> TrustAnchors:
    result = TrustAnchors()
    result.add(key_id, rsa_key("ca").public_key())
    return result


def card_script(
    *, face_raw: bytes | None = None, cert: bytes | None = None, chip_sig: bytes | None = None
) -> ScriptedTransport:
    face = card_face(rsa_key("signer"), rsa_key("chip"))
    face_raw = face.raw if face_raw is None else face_raw
    if cert is None:
        cert = cv_certificate(rsa_key("ca"), rsa_key("signer").public_key(), ISSUER_ID, SUBJECT_ID)
    if chip_sig is None:
        chip_sig = chip_signature(rsa_key("chip"), CHALLENGE)
    return ScriptedTransport(
        [
            (SELECT_INFO, "9000"),
            ("002000930C" + MY_NUMBER.hex(), "9000"),
            (read_sfi(0x0002), face_raw.hex() + "6282"),
            (read_sfi(0x0004), cert.hex() + "6282"),
            ("0084000010", CHALLENGE.hex() + "9000"),
            ("802A000033" + chip_digest_info(CHALLENGE).hex() + "00", chip_sig.hex() + "9000"),
        ]
    )


def test_trusted_card_face() -> None:
    transport = card_script()
    session = CardInfoSession(CardChannel(transport))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    trusted = session.read_trusted_card_face(anchors())
    face = card_face(rsa_key("signer"), rsa_key("chip"))
    assert trusted.face.photo == face.photo
    assert trusted.face.birth_date == FAKE_BIRTH
    assert trusted.face.expiry == "20350217"
    assert trusted.issuer_key_id == ISSUER_ID
    assert FAKE_BIRTH not in repr(trusted) and FAKE_BIRTH not in repr(trusted.face)
    transport.assert_done()


def test_unknown_issuer_is_rejected() -> None:
    session = CardInfoSession(CardChannel(card_script()))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="unknown issuer"):
        session.read_trusted_card_face(anchors(bytes(16)))


def test_cv_certificate_signed_by_another_ca_is_rejected() -> None:
    forged = cv_certificate(
        rsa_key("impostor"), rsa_key("signer").public_key(), ISSUER_ID, SUBJECT_ID
    )
    session = CardInfoSession(CardChannel(card_script(cert=forged)))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="CV certificate"):
        session.read_trusted_card_face(anchors())


def test_swapped_photo_breaks_df28() -> None:
    tampered = card_face(rsa_key("signer"), rsa_key("chip"), tamper_photo=True).raw
    session = CardInfoSession(CardChannel(card_script(face_raw=tampered)))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="DF28"):
        session.read_trusted_card_face(anchors())


def test_face_signed_by_an_uncertified_key_is_rejected() -> None:
    face = parse_card_face(card_face(rsa_key("impostor"), rsa_key("chip")).raw)
    with pytest.raises(CardFaceInvalid, match="DF28"):
        verify_face_signature(face, rsa_key("signer").public_key())


def test_clone_without_the_chip_key_is_rejected() -> None:
    clone_sig = chip_signature(rsa_key("impostor"), CHALLENGE)
    session = CardInfoSession(CardChannel(card_script(chip_sig=clone_sig)))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="clone"):
        session.read_trusted_card_face(anchors())


def test_wrong_my_number_as_check_code_a() -> None:
    transport = ScriptedTransport([(SELECT_INFO, "9000"), ("002000930C" + "30" * 12, "63C8")])
    session = CardInfoSession(CardChannel(transport))
    with pytest.raises(WrongPin) as info:
        session.unlock_with_my_number(bytearray(b"0" * 12))
    assert info.value.attempts_left == 8


def test_check_code_b_goes_to_ef_0012() -> None:
    transport = ScriptedTransport(
        [(SELECT_INFO, "9000"), ("002000920E" + b"55021720352285".hex(), "9000")]
    )
    CardInfoSession(CardChannel(transport)).unlock_with_check_code_b(bytearray(b"55021720352285"))
    transport.assert_done()


def test_cv_certificate_parsing_and_anchor_loading(tmp_path: object) -> None:
    cert = parse_cv_certificate(
        cv_certificate(rsa_key("ca"), rsa_key("signer").public_key(), ISSUER_ID, SUBJECT_ID)
    )
    assert cert.subject_key_id == SUBJECT_ID
    pem = (
        rsa_key("ca")
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    loaded = TrustAnchors()
    loaded.add_pem(pem, ISSUER_ID)
    assert len(loaded) == 1
    signer = verify_cv_certificate(cert, loaded)
    assert signer.public_numbers() == rsa_key("signer").public_key().public_numbers()
    with pytest.raises(ValueError):
        loaded.add_pem(pem, b"short")


@pytest.mark.parametrize(
    "raw",
    [
        encode(0x7F21, encode(0x5F4E, b"")),
        encode(0x7F21, encode(0x5F4E, encode(0x42, b"x")) + encode(0x5F37, b"sig")),
        encode(
            0x7F21,
            encode(
                0x5F4E,
                encode(0x42, bytes(16))
                + encode(0x5F20, bytes(16))
                + encode(0x7F49, encode(0x81, b"\x05") + encode(0x82, b"\x03")),
            )
            + encode(0x5F37, b"sig"),
        ),
        b"\x7f\x21\x05\x01",
    ],
)
def test_malformed_cv_certificates(raw: bytes) -> None:
    with pytest.raises(MalformedResponse):
        parse_cv_certificate(raw)


def test_face_missing_the_photo_is_malformed() -> None:
    with pytest.raises(MalformedResponse, match="DF27"):
        parse_card_face(encode(0xFF20, encode(0xDF22, b"19800217")))
