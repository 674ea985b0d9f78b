"""EF contents of the text AP and the card-info AP, built at issuance (docs/card-profile.md §2).

Renders the printed fields as 1-bit PNG images (Pillow, in memory), signs the card face (DF28)
with the card's signer key and certifies that key with a CV certificate (EF 0004).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from PIL import Image, ImageDraw, ImageFont

from kiosk_testbed.card.face_digests import CARD_FACE_DIGEST_INFO_PREFIX, card_face_digests
from kiosk_testbed.card.rsa_raw import RawRsaKey
from kiosk_testbed.mynumber import era_year
from kiosk_testbed.persona import Persona
from kiosk_testbed.tlv import encode_length, encode_tag, tlv

__all__ = [
    "CARD_FACE_DIGEST_INFO_PREFIX",
    "card_face_digests",
    "card_face_ef",
    "card_face_ef_and_signed_message",
    "cv_certificate",
    "file_with_offsets",
    "render_text_png",
    "rsa_public_key_value",
    "text_basic_info_ef",
    "text_my_number_ef",
]

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


# --- the printed front of the card, for the kiosk's camera (照合番号B by OCR) -----------------

CARD_FACE_WIDTH = 1000
CARD_FACE_HEIGHT = 631  # ID-1: 85.60 x 53.98 mm
_SERIF_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
    *_FONT_FILES,
)


@cache
def _serif(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _SERIF_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default()


def printed_birth_date(birth_date: dt.date) -> str:
    """The birth date as printed for a Japanese national: ``昭和55年 2月17日生`` (元 for year 1)."""
    era, year = era_year(birth_date)
    shown = "元" if year == 1 else f"{year:2d}"
    return f"{era}{shown}年{birth_date.month:2d}月{birth_date.day:2d}日生"


def printed_expiry(expiry: dt.date) -> str:
    """The card's expiry as printed: ``2035年 2月17日まで有効``."""
    return f"{expiry.year}年{expiry.month:2d}月{expiry.day:2d}日まで有効"


def render_card_face(persona: Persona, portrait_rgb: Image.Image | None = None) -> Image.Image:
    """The front of the card as the holder sees it (RGB, 1000 x 631), laid out like the real
    card: name and address at the top left, birth date and sex below them, the expiry in a
    box at the bottom left, the photo on the right with the 4-digit security code under it.

    A test tool: the picture carries the persona's data on purpose; nothing here writes it.
    """
    w, h = CARD_FACE_WIDTH, CARD_FACE_HEIGHT
    card = Image.new("RGB", (w, h), (246, 241, 236))
    draw = ImageDraw.Draw(card)
    # the printed background: soft bands and a faint guilloche-like pattern
    for y in range(h):
        shade = int(10 * (y / h))
        draw.line([(0, y), (w, y)], fill=(246 - shade, 240 - shade // 2, 236 + shade // 3))
    for x in range(-h, w, 22):
        draw.line([(x, h), (x + h, 0)], fill=(236, 228, 230), width=1)
    small, body, big = _serif(22), _serif(34), _serif(40)
    ink = (25, 25, 30)
    draw.text((34, 40), "氏名", font=small, fill=(90, 90, 100))
    draw.text((110, 26), persona.name, font=big, fill=ink)
    draw.text((34, 122), "住所", font=small, fill=(90, 90, 100))
    address = persona.address
    for row, start in enumerate(range(0, min(len(address), 32), 16)):
        draw.text((110, 112 + row * 44), address[start:start + 16], font=body, fill=ink)
    sex = {"1": "男", "2": "女"}.get(persona.sex, "")
    draw.text((34, 258), printed_birth_date(persona.birth_date), font=body, fill=ink)
    draw.text((470, 258), f"性別 {sex}" if sex else "", font=body, fill=ink)
    # expiry, in its own box
    draw.rectangle((28, 326, 560, 384), outline=(120, 120, 130), width=2)
    draw.text((40, 334), printed_expiry(persona.expiry), font=body, fill=ink)
    draw.text((34, 520), "個人番号カード", font=_serif(44), fill=(30, 60, 120))
    # photo and the security code under it
    photo_box = (680, 40, 950, 400)
    if portrait_rgb is not None:
        photo = portrait_rgb.convert("RGB").resize((photo_box[2] - photo_box[0],
                                                    photo_box[3] - photo_box[1]))
        card.paste(photo, photo_box[:2])
    else:
        draw.rectangle(photo_box, fill=(205, 212, 224))
    draw.rectangle(photo_box, outline=(120, 120, 130), width=2)
    draw.text((760, 430), persona.security_code, font=_serif(38), fill=ink)
    return card

