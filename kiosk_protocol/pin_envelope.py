"""The new signature PIN, encrypted to the server's published key, apart from TLS.

ECIES on P-256: a fresh ephemeral key pair per envelope, ECDH with the server's key,
HKDF-SHA256 to a 256-bit AES-GCM key, and the transaction id as associated data, so an
envelope is useless in any other transaction. AES-GCM takes the PIN from a bytearray,
so the kiosk never makes an immutable copy of it.

Envelope bytes: ephemeral public point (65, uncompressed) ‖ GCM nonce (12) ‖ ciphertext+tag.
"""

from __future__ import annotations

import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from kiosk_protocol.errors import MessageError
from kiosk_protocol.messages import EncryptedPin
from kiosk_protocol.pin_rules import is_valid_signature_pin as _valid_signature_pin

PIN_ALGORITHM = "ECDH-ES-P256+HKDF-SHA256+A256GCM"
_POINT_LENGTH = 65
_NONCE_LENGTH = 12


def is_valid_signature_pin(pin: bytes | bytearray) -> bool:
    """The signature-PIN rules (``kiosk_protocol.pin_rules``): 6 to 16 of A–Z and 0–9 with
    at least one letter and one digit."""
    return _valid_signature_pin(pin)


def associated_data(transaction_id: str) -> bytes:
    return b"kiosk-pin-reset/v1/new-pin/" + transaction_id.encode("ascii")


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    """A short, stable name for a public key: SHA-256 of its SubjectPublicKeyInfo."""
    spki = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(spki).hexdigest()[:32]


def _content_key(shared: bytes, ephemeral_point: bytes, transaction_id: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=None,
        info=associated_data(transaction_id) + ephemeral_point,
    ).derive(shared)


def encrypt_pin(
    public_key: ec.EllipticCurvePublicKey, pin: bytearray, transaction_id: str
) -> EncryptedPin:
    """Encrypt the PIN bytes (ASCII). The caller still owns and wipes `pin`."""
    if not is_valid_signature_pin(pin):
        raise MessageError("new PIN: must be 6 to 16 of A-Z and 0-9, with a letter and a digit")
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    point = ephemeral.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    key = _content_key(ephemeral.exchange(ec.ECDH(), public_key), point, transaction_id)
    nonce = os.urandom(_NONCE_LENGTH)
    sealed = AESGCM(key).encrypt(nonce, pin, associated_data(transaction_id))
    return EncryptedPin(
        key_id=key_id(public_key), algorithm=PIN_ALGORITHM, ciphertext=point + nonce + sealed
    )


def decrypt_pin(
    private_key: ec.EllipticCurvePrivateKey, envelope: EncryptedPin, transaction_id: str
) -> bytearray:
    """The PIN bytes, in a bytearray the caller wipes. MessageError if the envelope is bad."""
    if envelope.algorithm != PIN_ALGORITHM:
        raise MessageError("encrypted_pin.algorithm: not supported")
    if envelope.key_id != key_id(private_key.public_key()):
        raise MessageError("encrypted_pin.key_id: not the server's current key")
    data = envelope.ciphertext
    if len(data) < _POINT_LENGTH + _NONCE_LENGTH + 16 + 1:
        raise MessageError("encrypted_pin.ciphertext: too short")
    point = data[:_POINT_LENGTH]
    nonce = data[_POINT_LENGTH : _POINT_LENGTH + _NONCE_LENGTH]
    try:
        ephemeral = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        key = _content_key(private_key.exchange(ec.ECDH(), ephemeral), point, transaction_id)
        plain = AESGCM(key).decrypt(
            nonce, data[_POINT_LENGTH + _NONCE_LENGTH :], associated_data(transaction_id)
        )
    except (ValueError, InvalidTag):
        raise MessageError("encrypted_pin: cannot be opened for this transaction") from None
    pin = bytearray(plain)
    del plain
    return pin


def load_public_key_pem(pem: str) -> ec.EllipticCurvePublicKey:
    try:
        key = serialization.load_pem_public_key(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        raise MessageError("server key: not a PEM public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise MessageError("server key: expected a P-256 public key")
    return key
