"""EF contents of the text AP and the card-info AP, built at issuance (docs/card-profile.md §2).

Renders the printed fields as 1-bit PNG images (Pillow, in memory), signs the card face (DF28)
with the card's signer key and certifies that key with a CV certificate (EF 0004).
"""

from __future__ import annotations

import hashlib
import io
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image, ImageDraw, ImageFont

from kiosk_testbed.card.rsa_raw import RawRsaKey
from kiosk_testbed.persona import Persona
from kiosk_testbed.tlv import encode_length, encode_tag, tlv

# DF28 signs this prefix followed by the three SHA-256 digests (profile §2, "exact bytes").
CARD_FACE_DIGEST_INFO_PREFIX = bytes.fromhex("3071300D060960864801650304020105000460")

_FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def render_text_png(text: str, size: int = 16, max_chars_per_line: int = 24) -> bytes:
    """The text as a black-on-white 1-bit PNG, wrapped every ``max_chars_per_line`` characters."""
    lines = [text[i : i + max_chars_per_line] for i in range(0, len(text), max_chars_per_line)]
    lines = lines or [""]
    font = _font(size)
    line_height = size + 4
    width = max(8, max(int(font.getlength(line)) for line in lines) + 4)
    image = Image.new("1", (width, line_height * len(lines) + 2), 1)
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((2, 1 + row * line_height), line, font=font, fill=0)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def rsa_public_key_value(key: rsa.RSAPublicKey) -> bytes:
    """``90 e ‖ 91 n`` (unsigned big-endian, modulus 256 bytes for RSA-2048)."""
    numbers = key.public_numbers()
    size = (key.key_size + 7) // 8
    e = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    return tlv(0x90, e) + tlv(0x91, numbers.n.to_bytes(size, "big"))


def file_with_offsets(outer_tag: int, elements: list[bytes]) -> bytes:
    """``outer { DF21 offsets, elements... }``; each offset (u16 BE) counts from the first
    byte of the file to the first byte of the element it names, in element order."""
    table_element_length = 2 + len(encode_length(2 * len(elements))) + 2 * len(elements)
    value_length = table_element_length + sum(len(e) for e in elements)
    header = encode_tag(outer_tag) + encode_length(value_length)
    position = len(header) + table_element_length
    offsets = b""
    for element in elements:
        offsets += position.to_bytes(2, "big")
        position += len(element)
    return header + tlv(0xDF21, offsets) + b"".join(elements)


def text_my_number_ef(persona: Persona) -> bytes:
    """Text AP EF 0001: ``FF 10 0C`` + 12 ASCII digits + ``FF FF``."""
    return b"\xff\x10\x0c" + persona.my_number.encode("ascii") + b"\xff\xff"


def text_basic_info_ef(persona: Persona) -> bytes:
    """Text AP EF 0002: FF20 { DF21, DF22 name, DF23 address, DF24 birth date, DF25 sex }."""
    return file_with_offsets(
        0xFF20,
        [
            tlv(0xDF22, persona.name.encode()),
            tlv(0xDF23, persona.address.encode()),
            tlv(0xDF24, persona.birth_date.strftime("%Y%m%d").encode()),
            tlv(0xDF25, persona.sex.encode()),
        ],
    )


def card_face_ef(
    persona: Persona, chip_public_key: rsa.RSAPublicKey, photo_jp2: bytes, signer: RawRsaKey
) -> bytes:
    """Card-info AP EF 0002, with DF28 signed by ``signer`` over the three digests."""
    return card_face_ef_and_signed_message(persona, chip_public_key, photo_jp2, signer)[0]


def card_face_ef_and_signed_message(
    persona: Persona, chip_public_key: rsa.RSAPublicKey, photo_jp2: bytes, signer: RawRsaKey
) -> tuple[bytes, bytes]:
    """(EF 0002, the message DF28 signs): the authority records SHA-256 of the message as the
    card-face digest of the card (docs/card-profile.md §6)."""
    df22 = tlv(0xDF22, persona.birth_date.strftime("%Y%m%d").encode())
    df23 = tlv(0xDF23, persona.sex.encode())
    df24 = tlv(0xDF24, rsa_public_key_value(chip_public_key))
    df25 = tlv(0xDF25, render_text_png(persona.name, size=18))
    df26 = tlv(0xDF26, render_text_png(persona.address, size=14))
    df27 = tlv(0xDF27, photo_jp2)
    message = (
        CARD_FACE_DIGEST_INFO_PREFIX
        + hashlib.sha256(df22 + df23 + df24).digest()
        + hashlib.sha256(df25 + df26).digest()
        + hashlib.sha256(df27).digest()
    )
    df28 = tlv(0xDF28, signer.sign_pkcs1_type1(message))
    df29 = tlv(0xDF29, persona.expiry.strftime("%Y%m%d").encode())
    df2a = tlv(0xDF2A, render_text_png(persona.security_code, size=10))
    ef = file_with_offsets(0xFF20, [df22, df23, df24, df25, df26, df27, df28, df29, df2a])
    return ef, message


def cv_certificate(
    ca_key: rsa.RSAPrivateKey, issuer_key_id: bytes, subject_public_key: rsa.RSAPublicKey
) -> bytes:
    """EF 0004: 7F21 { 5F4E { 42 issuer id, 5F20 subject id, 7F49 { 81 n, 82 e } }, 5F37 sig }.

    The subject key id is the first 16 bytes of SHA-256 of the modulus.
    """
    if len(issuer_key_id) != 16:
        raise ValueError("issuer key id must be 16 bytes")
    numbers = subject_public_key.public_numbers()
    size = (subject_public_key.key_size + 7) // 8
    modulus = numbers.n.to_bytes(size, "big")
    exponent = numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")
    subject_key_id = hashlib.sha256(modulus).digest()[:16]
    body = tlv(
        0x5F4E,
        tlv(0x42, issuer_key_id)
        + tlv(0x5F20, subject_key_id)
        + tlv(0x7F49, tlv(0x81, modulus) + tlv(0x82, exponent)),
    )
    signature = ca_key.sign(body, padding.PKCS1v15(), hashes.SHA256())
    return tlv(0x7F21, body + tlv(0x5F37, signature))
