"""Card-info AP: card face parsing, CV certificate, DF28 and chip authentication."""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives import serialization

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.card_info import (
    CARD_INFO_AID,
    FACE_DIGESTS_PREFIX,
    CardInfoSession,
    ChipProof,
    TrustAnchors,
    parse_card_face,
    parse_cv_certificate,
    public_key_sha256,
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
NONCE_PAYLOAD = b'{"purpose":"kiosk-pin-reset/chip-proof","nonce":"..."}'


def anchors(key_id: bytes = ISSUER_ID) -> TrustAnchors:
    result = TrustAnchors()
    result.add(key_id, rsa_key("ca").public_key())
    return result


def chip_proof(key: str = "chip", payload: bytes = NONCE_PAYLOAD) -> ChipProof:
    """What the chip signed earlier in the session (the backend's chip nonce payload)."""
    return ChipProof(chip_digest_info(payload), chip_signature(rsa_key(key), payload))


def card_script(
    *, face_raw: bytes | None = None, cert: bytes | None = None
) -> ScriptedTransport:
    """Unlock with 照合番号A (SELECT EF 0013, VERIFY the current EF), then the card face and CV
    certificate (fast reads, which this card takes). The chip proof needs no command here."""
    face = card_face(rsa_key("signer"), rsa_key("chip"))
    face_raw = face.raw if face_raw is None else face_raw
    if cert is None:
        cert = cv_certificate(rsa_key("ca"), rsa_key("signer").public_key(), ISSUER_ID, SUBJECT_ID)
    return ScriptedTransport(
        [
            (SELECT_INFO, "9000"),
            ("00A4020C020013", "9000"),
            ("002000800C" + MY_NUMBER.hex(), "9000"),
            (read_sfi(0x0002), face_raw.hex() + "6282"),
            (read_sfi(0x0004), cert.hex() + "6282"),
        ]
    )


def test_trusted_card_face() -> None:
    transport = card_script()
    session = CardInfoSession(CardChannel(transport))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    trusted = session.read_trusted_card_face(anchors(), chip_proof())
    face = card_face(rsa_key("signer"), rsa_key("chip"))
    assert trusted.face.photo == face.photo
    assert trusted.face.birth_date == FAKE_BIRTH
    assert trusted.face.expiry == "20350217"
    assert trusted.issuer_key_id == ISSUER_ID
    assert FAKE_BIRTH not in repr(trusted) and FAKE_BIRTH not in repr(trusted.face)
    transport.assert_done()
    # the digests the face evidence names: the signed card face and the chip key
    parsed = parse_card_face(face.raw)
    assert parsed.signed_message.startswith(FACE_DIGESTS_PREFIX)
    assert trusted.card_face_sha256 == hashlib.sha256(parsed.signed_message).hexdigest()
    assert trusted.chip_key_sha256 == public_key_sha256(rsa_key("chip").public_key())
    spki = rsa_key("chip").public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert trusted.chip_key_sha256 == hashlib.sha256(spki).hexdigest()


def test_chip_signs_what_it_is_given_with_80_2a_00_00() -> None:
    proof = chip_proof()
    transport = ScriptedTransport(
        [
            (SELECT_INFO, "9000"),
            ("802A000033" + proof.digest_info.hex() + "00", proof.signature.hex() + "9000"),
        ]
    )
    made = CardInfoSession(CardChannel(transport)).sign_with_chip_key(proof.digest_info)
    assert made == proof
    transport.assert_done()


def test_without_a_proof_the_chip_signs_a_fresh_value_the_kiosk_chose() -> None:
    """Nothing the card chose is signed: no GET CHALLENGE, and two reads sign two values."""
    signed: list[bytes] = []

    class Chip:
        def transmit(self, apdu: bytes) -> tuple[bytes, int]:
            if apdu[:4] == bytes.fromhex("802A0000"):
                digest_info = apdu[5 : 5 + apdu[4]]
                signed.append(digest_info)
                key = rsa_key("chip")
                from cryptography.hazmat.primitives import hashes
                from cryptography.hazmat.primitives.asymmetric import padding
                from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

                signature = key.sign(digest_info[19:], padding.PKCS1v15(),
                                     Prehashed(hashes.SHA256()))
                return signature, 0x9000
            assert apdu[1] != 0x84, "GET CHALLENGE: a card-chosen value"
            return b"", 0x9000

        def close(self) -> None:
            pass

    session = CardInfoSession(CardChannel(Chip()))  # type: ignore[arg-type]
    for _ in range(2):
        session.authenticate_chip(rsa_key("chip").public_key())
    assert len(signed) == 2 and signed[0] != signed[1]
    with pytest.raises(CardFaceInvalid, match="clone"):
        session.authenticate_chip(rsa_key("impostor").public_key())


def test_unknown_issuer_is_rejected() -> None:
    session = CardInfoSession(CardChannel(card_script()))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="unknown issuer"):
        session.read_trusted_card_face(anchors(bytes(16)), chip_proof())


def test_cv_certificate_signed_by_another_ca_is_rejected() -> None:
    forged = cv_certificate(
        rsa_key("impostor"), rsa_key("signer").public_key(), ISSUER_ID, SUBJECT_ID
    )
    session = CardInfoSession(CardChannel(card_script(cert=forged)))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="CV certificate"):
        session.read_trusted_card_face(anchors(), chip_proof())


def test_swapped_photo_breaks_df28() -> None:
    tampered = card_face(rsa_key("signer"), rsa_key("chip"), tamper_photo=True).raw
    session = CardInfoSession(CardChannel(card_script(face_raw=tampered)))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="DF28"):
        session.read_trusted_card_face(anchors(), chip_proof())


def test_face_signed_by_an_uncertified_key_is_rejected() -> None:
    face = parse_card_face(card_face(rsa_key("impostor"), rsa_key("chip")).raw)
    with pytest.raises(CardFaceInvalid, match="DF28"):
        verify_face_signature(face, rsa_key("signer").public_key())


@pytest.mark.parametrize(
    "proof",
    [
        pytest.param(chip_proof("impostor"), id="another chip signed"),
        pytest.param(ChipProof(chip_digest_info(b"another nonce"),
                               chip_proof().signature), id="signature over another nonce"),
    ],
)
def test_card_face_of_another_chip_is_rejected(proof: ChipProof) -> None:
    """A spliced card (face from one card, chip from another) or a replayed chip answer: the
    chip proof does not verify under this face's DF24 key."""
    session = CardInfoSession(CardChannel(card_script()))
    session.unlock_with_my_number(bytearray(MY_NUMBER))
    with pytest.raises(CardFaceInvalid, match="clone"):
        session.read_trusted_card_face(anchors(), proof)


def test_wrong_my_number_as_check_code_a() -> None:
    transport = ScriptedTransport(
        [(SELECT_INFO, "9000"), ("00A4020C020013", "9000"), ("002000800C" + "30" * 12, "63C8")]
    )
    session = CardInfoSession(CardChannel(transport))
    with pytest.raises(WrongPin) as info:
        session.unlock_with_my_number(bytearray(b"0" * 12))
    assert info.value.attempts_left == 8


def test_check_code_b_goes_to_ef_0012() -> None:
    transport = ScriptedTransport(
        [
            (SELECT_INFO, "9000"),
            ("00A4020C020012", "9000"),
            ("002000800E" + b"55021720352285".hex(), "9000"),
        ]
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
