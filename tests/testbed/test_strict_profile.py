"""The strict real-card profile (the default): it answers the command forms the reference
clients send to real cards (OpenSC's jpki driver, jpki/myna) and refuses every other form,
never spending a PIN try on a refused one (docs/card-profile.md §5.1)."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard

from .apdu_util import INFO, JPKI, SHA256_DIGEST_INFO_PREFIX, TEXT, select_ap, select_ef, sw, tx


def tries(card: VirtualCard, ap: Ap, fid: int) -> int:
    return card.card_file.pins[(ap, fid)].tries_left


def test_strict_is_the_default(virtual_card: VirtualCard) -> None:
    assert virtual_card.profile is CardProfile.STRICT


@pytest.mark.parametrize(
    ("what", "apdu", "status"),
    [
        ("VERIFY by short file id", "0020009804{pin}", 0x6A86),
        ("empty VERIFY by short file id", "00200098", 0x6A86),
        ("CHANGE REFERENCE DATA by short file id", "0024019804{pin}", 0x6A86),
        ("VERIFY with extended Lc", "0020008000000 4{pin}", 0x6700),
        ("READ BINARY by short file id", "00B08A0000", 0x6A86),
        ("READ BINARY by short file id, extended Le", "00B08A00000000", 0x6700),
        ("READ BINARY with extended Le", "00B00000000000", 0x6700),
        ("SELECT with extended Lc", "00A4020C0000020018", 0x6700),
        ("COMPUTE SIGNATURE on key 97", "802A009733" + "00" * 51 + "00", 0x6A86),
        ("COMPUTE SIGNATURE on key 9A", "802A009A33" + "00" * 51 + "00", 0x6A86),
        ("SELECT with FCI", "00A4020002001800", 0x6A86),
    ],
)
def test_forms_no_reference_client_sends_are_refused_and_cost_no_try(
    virtual_card: VirtualCard, test_card: Any, what: str, apdu: str, status: int
) -> None:
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x0018) == 0x9000
    raw = bytes.fromhex(apdu.replace(" ", "").replace("{pin}", "31313131"))
    assert sw(virtual_card, raw) == status, what
    assert tries(virtual_card, Ap.JPKI, layout.JPKI_AUTH_PIN) == 3
    # nothing was verified: the auth key still refuses, the current EF is still the PIN's
    assert sw(virtual_card, "00200080") == 0x63C3
    pin = test_card.values["auth_pin"].encode()
    assert sw(virtual_card, b"\x00\x20\x00\x80\x04" + pin) == 0x9000


def test_short_le_beyond_the_end_gets_6cxx_even_for_le_00(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, TEXT)
    assert select_ef(virtual_card, 0x0001) == 0x9000
    assert sw(virtual_card, "00B0000000") == 0x6982  # protected first
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x0008) == 0x9000
    assert sw(virtual_card, "00B0000000") == 0x6C03
    assert sw(virtual_card, "00B0000010") == 0x6C03
    data, status = tx(virtual_card, "00B0000003")
    assert (len(data), status) == (3, 0x9000)
    assert sw(virtual_card, "00B0000300") == 0x6B00


def test_the_reference_clients_forms_do_everything_the_kiosk_needs(
    virtual_card: VirtualCard, test_card: Any
) -> None:
    """OpenSC / myna: SELECT EF (P2 0C), READ BINARY in short chunks, VERIFY P2 80 on the
    selected PIN, COMPUTE DIGITAL SIGNATURE P2 80 on the selected key; the card-info AP's
    chip signs with 80 2A 00 00."""
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x000A) == 0x9000
    head, status = tx(virtual_card, "00B0000004")
    assert status == 0x9000
    size = (head[2] << 8 | head[3]) + 4
    der = head
    while len(der) < size:
        offset = len(der)
        chunk, status = tx(
            virtual_card,
            bytes([0, 0xB0, offset >> 8, offset & 0xFF, min(256, size - offset) % 256]),
        )
        assert status == 0x9000
        der += chunk
    certificate = x509.load_der_x509_certificate(der)
    assert select_ef(virtual_card, 0x0018) == 0x9000
    assert sw(virtual_card, b"\x00\x20\x00\x80\x04" + test_card.values["auth_pin"].encode()) == (
        0x9000
    )
    assert select_ef(virtual_card, 0x0017) == 0x9000
    message = b"the backend's nonce"
    digest_info = SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()
    signature, status = tx(virtual_card, b"\x80\x2a\x00\x80\x33" + digest_info + b"\x00")
    assert status == 0x9000
    public = certificate.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    select_ap(virtual_card, INFO)
    chip_signature, status = tx(virtual_card, b"\x80\x2a\x00\x00\x33" + digest_info + b"\x00")
    assert status == 0x9000 and len(chip_signature) == 256


def test_the_fast_profile_takes_the_fast_forms(fast_virtual_card: VirtualCard) -> None:
    select_ap(fast_virtual_card, JPKI)
    data, status = tx(fast_virtual_card, "00B08A00000000")
    assert status == 0x6282 and data[0] == 0x30
    assert sw(fast_virtual_card, "00200098") == 0x63C3
