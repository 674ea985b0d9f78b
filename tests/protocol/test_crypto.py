from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from kiosk_protocol import MessageError
from kiosk_protocol.messages import EncryptedPin, FaceEvidence, Liveness
from kiosk_protocol.pin_envelope import decrypt_pin, encrypt_pin, is_valid_signature_pin
from kiosk_protocol.signing import (
    SHA256_DIGEST_INFO_PREFIX,
    card_proof_digest_info,
    chip_proof_digest_info,
    sign_face_evidence,
    verify_card_proof,
    verify_chip_proof,
    verify_face_evidence,
)

TX = "tx_" + "01" * 16
OTHER_TX = "tx_" + "02" * 16
CARD_KEY = rsa.generate_private_key(65537, 2048)


def card_signs(digest_info: bytes) -> bytes:
    """What `80 2A 00 80` does: PKCS#1 v1.5 over the DigestInfo it is given."""
    assert digest_info.startswith(SHA256_DIGEST_INFO_PREFIX) and len(digest_info) == 51
    return CARD_KEY.sign(digest_info[19:], padding.PKCS1v15(), Prehashed(hashes.SHA256()))


def test_card_proof_verifies_only_for_its_transaction_nonce_and_kiosk() -> None:
    nonce = bytes(range(32))
    signature = card_signs(card_proof_digest_info(TX, nonce, "kiosk-1"))
    public = CARD_KEY.public_key()
    assert verify_card_proof(public, signature, TX, nonce, "kiosk-1")
    assert not verify_card_proof(public, signature, OTHER_TX, nonce, "kiosk-1")
    assert not verify_card_proof(public, signature, TX, bytes(32), "kiosk-1")
    assert not verify_card_proof(public, signature, TX, nonce, "kiosk-2")
    altered = signature[:-1] + bytes([signature[-1] ^ 0x01])
    assert not verify_card_proof(public, altered, TX, nonce, "kiosk-1")


def test_chip_proof_verifies_only_for_its_transaction_chip_nonce_and_kiosk() -> None:
    chip_nonce = bytes(range(32, 64))
    signature = card_signs(chip_proof_digest_info(TX, chip_nonce, "kiosk-1"))
    public = CARD_KEY.public_key()
    assert verify_chip_proof(public, signature, TX, chip_nonce, "kiosk-1")
    assert not verify_chip_proof(public, signature, OTHER_TX, chip_nonce, "kiosk-1")
    assert not verify_chip_proof(public, signature, TX, bytes(32), "kiosk-1")
    assert not verify_chip_proof(public, signature, TX, chip_nonce, "kiosk-2")
    # a card proof over the same nonce is no chip proof (the payloads name their purpose)
    card_proof = card_signs(card_proof_digest_info(TX, chip_nonce, "kiosk-1"))
    assert not verify_chip_proof(public, card_proof, TX, chip_nonce, "kiosk-1")
    assert not verify_card_proof(public, signature, TX, chip_nonce, "kiosk-1")
    assert not verify_chip_proof(public, b"\x00" * 5, TX, chip_nonce, "kiosk-1")


def test_face_evidence_signature_covers_every_field() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    digests = ("a" * 64, "b" * 64)
    evidence = FaceEvidence(
        TX, "kiosk-1", True, 400_000, 550_000, 5, Liveness.PASSED, "m/1", *digests
    )
    signature = sign_face_evidence(key, evidence)
    assert verify_face_evidence(key.public_key(), evidence, signature)
    changed = FaceEvidence(
        TX, "kiosk-1", True, 400_000, 650_000, 5, Liveness.PASSED, "m/1", *digests
    )
    assert not verify_face_evidence(key.public_key(), changed, signature)
    other_card = FaceEvidence(
        TX, "kiosk-1", True, 400_000, 550_000, 5, Liveness.PASSED, "m/1", "c" * 64, "b" * 64
    )
    assert not verify_face_evidence(key.public_key(), other_card, signature)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    assert not verify_face_evidence(stranger, evidence, signature)


SERVER_KEY = ec.generate_private_key(ec.SECP256R1())


def test_pin_envelope_round_trip_and_binding() -> None:
    pin = bytearray(b"NEWPIN12")
    envelope = encrypt_pin(SERVER_KEY.public_key(), pin, TX)
    assert b"NEWPIN12" not in envelope.ciphertext
    assert decrypt_pin(SERVER_KEY, envelope, TX) == bytearray(b"NEWPIN12")
    with pytest.raises(MessageError):
        decrypt_pin(SERVER_KEY, envelope, OTHER_TX)  # bound to its transaction
    tampered = bytearray(envelope.ciphertext)
    tampered[-1] ^= 1
    with pytest.raises(MessageError):
        decrypt_pin(
            SERVER_KEY, EncryptedPin(envelope.key_id, envelope.algorithm, bytes(tampered)), TX
        )
    with pytest.raises(MessageError):
        decrypt_pin(ec.generate_private_key(ec.SECP256R1()), envelope, TX)  # another key id


def test_two_envelopes_of_the_same_pin_differ() -> None:
    first = encrypt_pin(SERVER_KEY.public_key(), bytearray(b"SAMEPIN1"), TX)
    second = encrypt_pin(SERVER_KEY.public_key(), bytearray(b"SAMEPIN1"), TX)
    assert first.ciphertext != second.ciphertext


@pytest.mark.parametrize(
    ("pin", "valid"),
    [
        (b"ABC123", True),
        (b"A" * 15 + b"1", True),
        (b"A" * 16, False),  # no digit
        (b"ABC12", False),
        (b"A" * 17, False),
        (b"abc123", False),
        (b"ABCDEF", False),  # no digit
        (b"123456", False),  # no letter
    ],
)
def test_signature_pin_rule(pin: bytes, valid: bool) -> None:
    assert is_valid_signature_pin(pin) is valid
    if not valid:
        with pytest.raises(MessageError):
            encrypt_pin(SERVER_KEY.public_key(), bytearray(pin), TX)


def test_card_proof_payload_bytes_are_pinned() -> None:
    """The exact bytes of docs/protocol.md §4.2, so another implementation can check itself."""
    from kiosk_protocol.signing import card_proof_payload

    payload = card_proof_payload(TX, bytes([0xAB]) * 32, "kiosk-1")
    assert payload == (
        b'{"kiosk_id":"kiosk-1","nonce":"' + b"ab" * 32 + b'",'
        b'"purpose":"kiosk-pin-reset/card-proof","transaction_id":"' + TX.encode() + b'","v":"v1"}'
    )
    digest_info = card_proof_digest_info(TX, bytes([0xAB]) * 32, "kiosk-1")
    assert digest_info.hex().startswith("3031300d060960864801650304020105000420")
    from kiosk_protocol.signing import chip_proof_payload

    assert chip_proof_payload(TX, bytes([0xCD]) * 32, "kiosk-1") == (
        b'{"kiosk_id":"kiosk-1","nonce":"' + b"cd" * 32 + b'",'
        b'"purpose":"kiosk-pin-reset/chip-proof","transaction_id":"' + TX.encode() + b'","v":"v1"}'
    )
