"""What gets signed, and how: the card proof, the chip proof and the kiosk's face evidence.

Card proof: the card's user-authentication key signs, with `80 2A 00 80`, a SHA-256
DigestInfo of the canonical card-proof payload. That is RSASSA-PKCS1-v1_5 with SHA-256 over
the payload, so the server verifies it with a standard library call.

Chip proof: the card-info AP's chip key (DF24) signs, with `80 2A 00 00`, a SHA-256
DigestInfo of the canonical chip-proof payload (the backend's chip nonce). The server checks
it against the chip key the authority registered for the card's auth certificate.

Face evidence: the kiosk's own key (ECDSA P-256, the key of its TLS client certificate)
signs the canonical evidence object with SHA-256.
"""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from kiosk_protocol import PROTOCOL_VERSION
from kiosk_protocol.canonical import canonical_json
from kiosk_protocol.messages import FaceEvidence

# DER prefix of DigestInfo { sha256, NULL } followed by the 32-byte digest.
SHA256_DIGEST_INFO_PREFIX = bytes.fromhex("3031300d060960864801650304020105000420")
CARD_PROOF_PURPOSE = "kiosk-pin-reset/card-proof"
CHIP_PROOF_PURPOSE = "kiosk-pin-reset/chip-proof"
FACE_EVIDENCE_PURPOSE = "kiosk-pin-reset/face-evidence"


def _proof_payload(purpose: str, transaction_id: str, nonce: bytes, kiosk_id: str) -> bytes:
    return canonical_json(
        {
            "v": PROTOCOL_VERSION,
            "purpose": purpose,
            "transaction_id": transaction_id,
            "kiosk_id": kiosk_id,
            "nonce": nonce.hex(),
        }
    )


def card_proof_payload(transaction_id: str, nonce: bytes, kiosk_id: str) -> bytes:
    """The canonical bytes the card's signature covers."""
    return _proof_payload(CARD_PROOF_PURPOSE, transaction_id, nonce, kiosk_id)


def chip_proof_payload(transaction_id: str, chip_nonce: bytes, kiosk_id: str) -> bytes:
    """The canonical bytes the chip's signature covers."""
    return _proof_payload(CHIP_PROOF_PURPOSE, transaction_id, chip_nonce, kiosk_id)


def chip_proof_digest_info(transaction_id: str, chip_nonce: bytes, kiosk_id: str) -> bytes:
    """The 51-byte DigestInfo the kiosk hands to the chip's `80 2A 00 00`."""
    digest = hashlib.sha256(chip_proof_payload(transaction_id, chip_nonce, kiosk_id)).digest()
    return SHA256_DIGEST_INFO_PREFIX + digest


def verify_chip_proof(
    public_key: rsa.RSAPublicKey,
    signature: bytes,
    transaction_id: str,
    chip_nonce: bytes,
    kiosk_id: str,
) -> bool:
    try:
        public_key.verify(
            signature,
            chip_proof_payload(transaction_id, chip_nonce, kiosk_id),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def card_proof_digest_info(transaction_id: str, nonce: bytes, kiosk_id: str) -> bytes:
    """The 51-byte DigestInfo the kiosk hands to the card's COMPUTE SIGNATURE."""
    digest = hashlib.sha256(card_proof_payload(transaction_id, nonce, kiosk_id)).digest()
    return SHA256_DIGEST_INFO_PREFIX + digest


def verify_card_proof(
    public_key: rsa.RSAPublicKey,
    signature: bytes,
    transaction_id: str,
    nonce: bytes,
    kiosk_id: str,
) -> bool:
    try:
        public_key.verify(
            signature,
            card_proof_payload(transaction_id, nonce, kiosk_id),
            padding.PKCS1v15(),
            hashes.SHA256(),
        )
    except (InvalidSignature, ValueError):
        return False
    return True


def face_evidence_payload(evidence: FaceEvidence) -> bytes:
    return canonical_json(
        {"v": PROTOCOL_VERSION, "purpose": FACE_EVIDENCE_PURPOSE, "evidence": evidence.to_json()}
    )


def sign_face_evidence(private_key: ec.EllipticCurvePrivateKey, evidence: FaceEvidence) -> bytes:
    return private_key.sign(face_evidence_payload(evidence), ec.ECDSA(hashes.SHA256()))


def verify_face_evidence(
    public_key: ec.EllipticCurvePublicKey, evidence: FaceEvidence, signature: bytes
) -> bool:
    try:
        public_key.verify(signature, face_evidence_payload(evidence), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
