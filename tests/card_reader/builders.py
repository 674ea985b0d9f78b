"""Test data for the card-layer unit tests: TLV files, keys, signed card faces, APDU scripts."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk.card_reader.card_info import FACE_DIGESTS_PREFIX
from kiosk.card_reader.jpki import SHA256_DIGEST_INFO_PREFIX
from kiosk.card_reader.tlv import encode

SW_OK = "9000"
MY_NUMBER = b"123456789018"
FAKE_NAME = "山田\u3000花子"
FAKE_ADDRESS = "東京都千代田区霞が関1-2-3"
FAKE_BIRTH = "19800217"


@cache
def rsa_key(label: str) -> rsa.RSAPrivateKey:
    """Deterministic per label within one test session (generated once)."""
    del label
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def raw_pkcs1_sign(key: rsa.RSAPrivateKey, message: bytes) -> bytes:
    """RSASSA-PKCS1-v1_5 padding applied to ``message`` verbatim (no hashing)."""
    numbers = key.private_numbers()
    size = (key.key_size + 7) // 8
    block = b"\x00\x01" + b"\xff" * (size - 3 - len(message)) + b"\x00" + message
    value = pow(int.from_bytes(block, "big"), numbers.d, numbers.public_numbers.n)
    return value.to_bytes(size, "big")


def public_tlvs(key: rsa.RSAPublicKey, n_tag: int, e_tag: int) -> bytes:
    numbers = key.public_numbers()
    n = numbers.n.to_bytes(256, "big")
    e = numbers.e.to_bytes(3, "big")
    return (
        encode(e_tag, e) + encode(n_tag, n)
        if e_tag < n_tag
        else encode(n_tag, n) + encode(e_tag, e)
    )


@dataclass
class FaceFile:
    raw: bytes
    photo: bytes
    chip_key: rsa.RSAPrivateKey


def card_face(
    signer: rsa.RSAPrivateKey,
    chip_key: rsa.RSAPrivateKey,
    *,
    photo: bytes = b"\x00\x00\x00\x0cjP  \r\n\x87\n" + bytes(range(256)) * 8,
    tamper_photo: bool = False,
) -> FaceFile:
    df22 = encode(0xDF22, FAKE_BIRTH.encode())
    df23 = encode(0xDF23, b"2")
    df24 = encode(0xDF24, public_tlvs(chip_key.public_key(), 0x91, 0x90))
    df25 = encode(0xDF25, b"\x89PNG name")
    df26 = encode(0xDF26, b"\x89PNG address")
    df27 = encode(0xDF27, photo)
    digests = (
        hashlib.sha256(df22 + df23 + df24).digest()
        + hashlib.sha256(df25 + df26).digest()
        + hashlib.sha256(df27).digest()
    )
    df28 = encode(0xDF28, raw_pkcs1_sign(signer, FACE_DIGESTS_PREFIX + digests))
    if tamper_photo:
        df27 = encode(0xDF27, photo[:-1] + bytes([photo[-1] ^ 1]))
    df29 = encode(0xDF29, b"20350217")
    df2a = encode(0xDF2A, b"\x89PNG code")
    offsets = encode(0xDF21, bytes(20))
    body = offsets + df22 + df23 + df24 + df25 + df26 + df27 + df28 + df29 + df2a
    return FaceFile(encode(0xFF20, body), photo, chip_key)


def cv_certificate(
    ca: rsa.RSAPrivateKey, subject: rsa.RSAPublicKey, issuer_id: bytes, subject_id: bytes
) -> bytes:
    body = encode(
        0x5F4E,
        encode(0x42, issuer_id)
        + encode(0x5F20, subject_id)
        + encode(0x7F49, public_tlvs(subject, 0x81, 0x82)),
    )
    signature = ca.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return encode(0x7F21, body + encode(0x5F37, signature))


def chip_signature(chip_key: rsa.RSAPrivateKey, challenge: bytes) -> bytes:
    return chip_key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())


def chip_digest_info(challenge: bytes) -> bytes:
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(challenge).digest()


def basic_info_file() -> bytes:
    body = (
        encode(0xDF21, bytes(8))
        + encode(0xDF22, FAKE_NAME.encode())
        + encode(0xDF23, FAKE_ADDRESS.encode())
        + encode(0xDF24, FAKE_BIRTH.encode())
        + encode(0xDF25, b"2")
    )
    return encode(0xFF20, body)


def my_number_file(number: bytes = MY_NUMBER) -> bytes:
    return b"\xff\x10\x0c" + number + b"\xff\xff"


def fake_certificate(size: int) -> bytes:
    """A DER SEQUENCE of ``size`` total bytes (content is filler)."""
    content = bytes((i * 7) & 0xFF for i in range(size - 4))
    return b"\x30\x82" + len(content).to_bytes(2, "big") + content


def read_all(offset: int = 0) -> str:
    """READ BINARY hex with extended Le 0000 (whole file) at ``offset``."""
    return f"00B0{offset >> 8:02X}{offset & 0xFF:02X}000000"


def today() -> dt.date:
    return dt.date(2026, 11, 25)


def read_sfi(fid: int, le: str = "000000") -> str:
    """READ BINARY hex by short file id at offset 0 (default: extended Le 0000, everything)."""
    return f"00B0{0x80 | fid:02X}00{le}"
