"""The card-face and chip-key digests that bind a card face to its chip (card-profile §6).

Kept apart from ``kiosk_testbed.card_face`` (which builds card faces) so the virtual card can
name its own without an import cycle.
"""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from kiosk_testbed.tlv import TlvError, parse_all

# DF28 signs this prefix followed by the three SHA-256 digests (profile §2, "exact bytes").
CARD_FACE_DIGEST_INFO_PREFIX = bytes.fromhex("3071300D060960864801650304020105000460")
def card_face_digests(ef: bytes, chip_public_key: rsa.RSAPublicKey) -> tuple[str, str]:
    """(card_face_sha256, chip_key_sha256) of a card-info AP EF 0002 and its chip key, as the
    authority records them and an honest kiosk names them (docs/card-profile.md §6)."""
    outer = parse_all(ef)
    if len(outer) != 1 or outer[0].tag != 0xFF20:
        raise TlvError("not a card face")
    fields = {element.tag: element.raw for element in parse_all(outer[0].value)}
    try:
        message = (
            CARD_FACE_DIGEST_INFO_PREFIX
            + hashlib.sha256(fields[0xDF22] + fields[0xDF23] + fields[0xDF24]).digest()
            + hashlib.sha256(fields[0xDF25] + fields[0xDF26]).digest()
            + hashlib.sha256(fields[0xDF27]).digest()
        )
    except KeyError:
        raise TlvError("card face lacks a signed element") from None
    spki = chip_public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(message).hexdigest(), hashlib.sha256(spki).hexdigest()
