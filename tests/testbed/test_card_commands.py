"""The virtual card, in process, over every command and error path of the profile.

These run on the FAST profile, which takes every form docs/card-profile.md §3 lists (short
file ids, extended lengths, key references in P2); what the STRICT profile (the default)
refuses of them is in test_strict_profile.py.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk_testbed.card.virtual_card import CardProfile, VirtualCard

from .apdu_util import (
    INFO,
    JPKI,
    SHA256_DIGEST_INFO_PREFIX,
    TEXT,
    read_all,
    select_ap,
    select_ef,
    sign_apdu,
    sw,
    tx,
    verify,
)


@pytest.fixture
def virtual_card(card_path: Any) -> VirtualCard:
    return VirtualCard.from_path(card_path, CardProfile.FAST)


def _digest_info(message: bytes) -> bytes:
    return SHA256_DIGEST_INFO_PREFIX + hashlib.sha256(message).digest()


def _cert(card: VirtualCard, fid: int) -> x509.Certificate:
    select_ap(card, JPKI)
    assert select_ef(card, fid) == 0x9000
    return x509.load_der_x509_certificate(read_all(card))


# ---- SELECT ----


def test_select_every_application(virtual_card: VirtualCard) -> None:
    for aid in (JPKI, TEXT, INFO):
        assert sw(virtual_card, f"00A4040C0A{aid}") == 0x9000


@pytest.mark.parametrize(
    "apdu, status",
    [
        ("00A4040C0AD392F000260100000002", 0x6A82),  # unknown AID
        ("00A4040006D392F0002601", 0x6A86),  # P2 00 (FCI) not offered
        ("00A4080C023F00", 0x6A86),  # select by path
        ("00A4040C", 0x6700),  # no AID
        ("00A4040C0AD392F0002601", 0x6700),  # Lc larger than data
    ],
)
def test_select_errors(virtual_card: VirtualCard, apdu: str, status: int) -> None:
    assert sw(virtual_card, apdu) == status


def test_select_ef_needs_an_application_and_a_known_id(virtual_card: VirtualCard) -> None:
    assert select_ef(virtual_card, 0x000A) == 0x6A82  # no AP selected after power-on
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x000A) == 0x9000
    assert select_ef(virtual_card, 0x0003) == 0x6A82
    assert sw(virtual_card, "00A4020C03000A00") == 0x6700
    assert sw(virtual_card, "00A4020002000A") == 0x6A86


def test_failed_select_keeps_the_current_application(
    virtual_card: VirtualCard, test_card: Any
) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    assert sw(virtual_card, "00A4040C0AD392F000260100000002") == 0x6A82
    assert verify(virtual_card, 0x18, None) == 0x9000


# ---- READ BINARY ----


def test_auth_certificate_is_free_and_well_formed(
    virtual_card: VirtualCard, test_card: Any
) -> None:
    cert = _cert(virtual_card, 0x000A)
    assert cert.serial_number == int(test_card.values["auth_serial"], 16)
    ca = _cert(virtual_card, 0x000B)
    cert.verify_directly_issued_by(ca)


def test_read_binary_status_words(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x000A) == 0x9000
    whole = read_all(virtual_card)
    size = len(whole)
    assert size > 256
    head, status = tx(virtual_card, "00B0000004")
    assert status == 0x9000 and head == whole[:4]
    assert (head[2] << 8 | head[3]) + 4 == size  # what OpenSC relies on
    # offset at or past the end
    assert sw(virtual_card, bytes([0, 0xB0, size >> 8, size & 0xFF, 1])) == 0x6B00
    assert sw(virtual_card, "00B07FFF01") == 0x6B00
    # explicit short Le larger than what is left: 6Cxx with the exact count
    offset = size - 10
    data, status = tx(virtual_card, bytes([0, 0xB0, offset >> 8, offset & 0xFF, 0x20]))
    assert (data, status) == (b"", 0x6C0A)
    # Le 00 (up to 256) near the end: what is left, with 6282
    data, status = tx(virtual_card, bytes([0, 0xB0, offset >> 8, offset & 0xFF, 0]))
    assert (data, status) == (whole[-10:], 0x6282)
    # Le 00 in the middle: 256 bytes
    data, status = tx(virtual_card, "00B0000000")
    assert (data, status) == (whole[:256], 0x9000)


def test_read_binary_extended(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, JPKI)
    select_ef(virtual_card, 0x000A)
    size = len(read_all(virtual_card))
    data, status = tx(virtual_card, "00B00000" + "00" + f"{size:04X}")
    assert status == 0x9000 and len(data) == size
    data, status = tx(virtual_card, "00B00000000000")  # Le 0000 = 65536
    assert status == 0x6282 and len(data) == size
    data, status = tx(virtual_card, "00B00010000000")
    assert status == 0x6282 and len(data) == size - 16


def test_read_binary_by_sfi(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, JPKI)
    data, status = tx(virtual_card, "00B08A0004")
    assert status == 0x9000 and data[:2] == b"\x30\x82"
    data, status = tx(virtual_card, "00B0000004")  # SFI read selected the EF
    assert status == 0x9000 and data[:2] == b"\x30\x82"
    assert sw(virtual_card, "00B0830004") == 0x6A82  # no EF 0003
    assert sw(virtual_card, "00B0EA0004") == 0x6A86  # bits 7-6 set


@pytest.mark.parametrize(
    "apdu, status",
    [("00B00000", 0x6700), ("00B0000002AABB00", 0x6700)],
)
def test_read_binary_length_errors(virtual_card: VirtualCard, apdu: str, status: int) -> None:
    select_ap(virtual_card, JPKI)
    select_ef(virtual_card, 0x000A)
    assert sw(virtual_card, apdu) == status


def test_read_binary_without_ef_or_on_secret_efs(virtual_card: VirtualCard) -> None:
    assert sw(virtual_card, "00B0000004") == 0x6986
    select_ap(virtual_card, JPKI)
    assert sw(virtual_card, "00B0000004") == 0x6986
    for secret in (0x0017, 0x0018, 0x001A, 0x001B):
        assert select_ef(virtual_card, secret) == 0x9000
        assert sw(virtual_card, "00B0000004") == 0x6981


def test_token_info_and_certificate_presence(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, JPKI)
    select_ef(virtual_card, 0x0006)
    token = read_all(virtual_card)
    assert len(token) == 160
    assert token[:32] == b"JPKIAPICCTOKEN2".ljust(32)
    assert token[32:] == bytes(128)
    select_ef(virtual_card, 0x0008)
    assert read_all(virtual_card) == bytes.fromhex("8F8F00")


def test_sign_certificate_needs_the_sign_pin(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert select_ef(virtual_card, 0x0001) == 0x9000
    assert sw(virtual_card, "00B0000004") == 0x6982
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    select_ef(virtual_card, 0x0001)
    assert sw(virtual_card, "00B0000004") == 0x6982  # the auth PIN does not open it
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x9000
    select_ef(virtual_card, 0x0001)
    cert = x509.load_der_x509_certificate(read_all(virtual_card))
    assert cert.serial_number == int(test_card.values["sign_serial"], 16)
    select_ef(virtual_card, 0x0002)
    cert.verify_directly_issued_by(x509.load_der_x509_certificate(read_all(virtual_card)))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    oids = {name.type_id.dotted_string for name in san if isinstance(name, x509.OtherName)}
    assert "1.2.392.200149.8.5.5.1" in oids


# ---- VERIFY ----


def test_verify_counts_blocks_and_resets(virtual_card: VirtualCard, test_card: Any) -> None:
    pin = test_card.values["auth_pin"]
    wrong = "0000" if pin != "0000" else "1111"
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, None) == 0x63C3
    assert verify(virtual_card, 0x18, wrong) == 0x63C2
    assert verify(virtual_card, 0x18, None) == 0x63C2  # the empty VERIFY costs nothing
    assert verify(virtual_card, 0x18, pin) == 0x9000
    assert verify(virtual_card, 0x18, None) == 0x9000  # already verified
    virtual_card.reset()
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, None) == 0x63C3  # a correct PIN refilled the counter
    assert [verify(virtual_card, 0x18, wrong) for _ in range(3)] == [0x63C2, 0x63C1, 0x63C0]
    assert verify(virtual_card, 0x18, None) == 0x6984
    assert verify(virtual_card, 0x18, pin) == 0x6984
    assert verify(virtual_card, 0x18, wrong) == 0x6984


def test_wrong_verify_drops_the_verified_state(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    assert (
        verify(virtual_card, 0x18, "0000" if test_card.values["auth_pin"] != "0000" else "1111")
        == 0x63C2
    )
    assert sw(virtual_card, sign_apdu(b"\x01" * 51, p2=0x97)) == 0x6982


@pytest.mark.parametrize("bad", ["123", "12345", "12a4", "１２３４"])
def test_verify_bad_format_costs_no_try(virtual_card: VirtualCard, bad: str) -> None:
    select_ap(virtual_card, JPKI)
    data = bad.encode()
    assert sw(virtual_card, bytes([0, 0x20, 0, 0x98, len(data)]) + data) == 0x6A80
    assert verify(virtual_card, 0x18, None) == 0x63C3


def test_sign_pin_rules(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x1B, None) == 0x63C5
    assert verify(virtual_card, 0x1B, "abcdef") == 0x6A80  # lower case
    assert verify(virtual_card, 0x1B, "ABCDE") == 0x6A80  # too short
    assert verify(virtual_card, 0x1B, "A" * 17) == 0x6A80  # too long
    assert verify(virtual_card, 0x1B, "WRONG1") == 0x63C4
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x9000


def test_verify_selected_pin_ef_and_p1_p2_errors(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert sw(virtual_card, "00200080") == 0x6986  # no EF selected
    select_ef(virtual_card, 0x000A)
    assert sw(virtual_card, "00200080") == 0x6986  # not a PIN EF
    select_ef(virtual_card, 0x0018)
    assert sw(virtual_card, "00200080") == 0x63C3
    pin = test_card.values["auth_pin"].encode()
    assert sw(virtual_card, b"\x00\x20\x00\x80\x04" + pin) == 0x9000
    assert sw(virtual_card, "0020009C") == 0x6A88  # no such PIN in this AP
    assert sw(virtual_card, "00200091") == 0x6A88  # the text PIN lives in the text AP
    assert sw(virtual_card, "00200198") == 0x6A86
    assert sw(virtual_card, "00200018") == 0x6A86
    assert sw(virtual_card, b"\x00\x20\x00\x98\x04" + pin + b"\x00") == 0x6700  # Le present


def test_verify_without_application(virtual_card: VirtualCard) -> None:
    assert sw(virtual_card, "00200098") == 0x6A88


# ---- text AP and card-info AP access ----


def test_text_ap_access_rules(virtual_card: VirtualCard, test_card: Any) -> None:
    values = test_card.values
    select_ap(virtual_card, TEXT)
    for fid in (1, 2):
        select_ef(virtual_card, fid)
        assert sw(virtual_card, "00B0000001") == 0x6982
    assert verify(virtual_card, 0x15, values["collation_b"]) == 0x9000  # B opens 0002 only
    select_ef(virtual_card, 1)
    assert sw(virtual_card, "00B0000001") == 0x6982
    select_ef(virtual_card, 2)
    basic = read_all(virtual_card)
    assert basic[:2] == b"\xff\x20"
    assert values["name"].encode() in basic and values["address"].encode() in basic
    virtual_card.reset()
    select_ap(virtual_card, TEXT)
    assert verify(virtual_card, 0x14, values["my_number"]) == 0x9000  # A opens 0001 only
    select_ef(virtual_card, 2)
    assert sw(virtual_card, "00B0000001") == 0x6982
    select_ef(virtual_card, 1)
    assert read_all(virtual_card) == b"\xff\x10\x0c" + values["my_number"].encode() + b"\xff\xff"
    virtual_card.reset()
    select_ap(virtual_card, TEXT)
    assert verify(virtual_card, 0x11, values["text_pin"]) == 0x9000  # the PIN opens both
    for fid in (1, 2):
        select_ef(virtual_card, fid)
        assert sw(virtual_card, "00B0000001") == 0x9000


def test_collation_numbers_have_ten_tries_and_formats(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, TEXT)
    assert verify(virtual_card, 0x11, None) == 0x63C3
    assert verify(virtual_card, 0x14, None) == 0x63CA
    assert verify(virtual_card, 0x15, None) == 0x63CA
    assert verify(virtual_card, 0x14, "1234") == 0x6A80
    assert verify(virtual_card, 0x15, "123456789012") == 0x6A80
    select_ap(virtual_card, INFO)
    assert verify(virtual_card, 0x12, None) == 0x63CA
    assert verify(virtual_card, 0x13, None) == 0x63CA
    assert verify(virtual_card, 0x13, "000000000000") == 0x63C9


def test_card_info_ap_needs_a_or_b(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, INFO)
    for fid in (2, 4):
        select_ef(virtual_card, fid)
        assert sw(virtual_card, "00B0000001") == 0x6982
    for fid, value in (
        (0x13, test_card.values["my_number"]),
        (0x12, test_card.values["collation_b"]),
    ):
        virtual_card.reset()
        select_ap(virtual_card, INFO)
        assert verify(virtual_card, fid, value) == 0x9000
        for ef in (2, 4):
            select_ef(virtual_card, ef)
            assert sw(virtual_card, "00B0000001") == 0x9000


def test_security_state_is_per_application(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    select_ap(virtual_card, JPKI)  # re-selecting the same AP keeps it
    assert verify(virtual_card, 0x18, None) == 0x9000
    select_ap(virtual_card, TEXT)
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, None) == 0x63C3


@pytest.mark.parametrize("event", ["power_off", "power_on", "reset"])
def test_power_events_clear_the_security_state(
    virtual_card: VirtualCard, test_card: Any, event: str
) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    getattr(virtual_card, event)()
    assert verify(virtual_card, 0x18, None) == 0x6A82  # no AP selected any more
    assert verify(virtual_card, 0x18, None, by_sfi=True) == 0x6A88
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, None) == 0x63C3


# ---- CHANGE REFERENCE DATA ----


def _change(card: VirtualCard, p2: int, new: str) -> int:
    data = new.encode()
    return sw(card, bytes([0, 0x24, 0x01, p2, len(data)]) + data)


def test_change_reference_data(virtual_card: VirtualCard, test_card: Any) -> None:
    pin = test_card.values["auth_pin"]
    new = "9876" if pin != "9876" else "6789"
    select_ap(virtual_card, JPKI)
    assert _change(virtual_card, 0x98, new) == 0x6982  # not verified
    assert verify(virtual_card, 0x18, pin) == 0x9000
    assert _change(virtual_card, 0x98, "12") == 0x6A80
    assert sw(virtual_card, b"\x00\x24\x00\x98\x04" + new.encode()) == 0x6A86
    assert sw(virtual_card, "00240198") == 0x6700
    assert _change(virtual_card, 0x98, new) == 0x9000
    virtual_card.reset()
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, pin) == 0x63C2
    assert verify(virtual_card, 0x18, new) == 0x9000


def test_change_via_selected_pin_ef(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    select_ef(virtual_card, 0x001B)
    pin = test_card.values["sign_pin"].encode()
    assert sw(virtual_card, bytes([0, 0x20, 0, 0x80, len(pin)]) + pin) == 0x9000
    assert _change(virtual_card, 0x80, "NEWPIN99") == 0x9000
    assert verify(virtual_card, 0x1B, "NEWPIN99") == 0x9000


def test_collation_numbers_cannot_be_changed(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, TEXT)
    assert verify(virtual_card, 0x14, test_card.values["my_number"]) == 0x9000
    assert _change(virtual_card, 0x94, "123456789018") == 0x6985


def test_change_on_a_blocked_pin(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, TEXT)
    wrong = "0000" if test_card.values["text_pin"] != "0000" else "1111"
    for _ in range(3):
        verify(virtual_card, 0x11, wrong)
    assert _change(virtual_card, 0x91, "4444") == 0x6984


# ---- COMPUTE SIGNATURE ----


def test_auth_signature_verifies_with_the_auth_certificate(
    virtual_card: VirtualCard, test_card: Any
) -> None:
    cert = _cert(virtual_card, 0x000A)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    message = os.urandom(32)
    assert select_ef(virtual_card, 0x0017) == 0x9000
    assert sw(virtual_card, sign_apdu(_digest_info(message))) == 0x6982
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    select_ef(virtual_card, 0x0017)
    signature, status = tx(virtual_card, sign_apdu(_digest_info(message)))
    assert status == 0x9000 and len(signature) == 256
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    signature, status = tx(virtual_card, sign_apdu(_digest_info(message), p2=0x97))
    assert status == 0x9000
    public.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    assert sw(virtual_card, sign_apdu(_digest_info(message), p2=0x9A)) == 0x6982


def test_sign_key_signs_after_the_sign_pin(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x9000
    cert = _cert(virtual_card, 0x0001)
    public = cert.public_key()
    assert isinstance(public, rsa.RSAPublicKey)
    signature, status = tx(virtual_card, sign_apdu(_digest_info(b"doc"), p2=0x9A))
    assert status == 0x9000
    public.verify(signature, b"doc", padding.PKCS1v15(), hashes.SHA256())
    # the digest info is padded as given, not hashed again: any payload is accepted
    raw, status = tx(virtual_card, sign_apdu(b"\x01\x02\x03", p2=0x9A))
    assert status == 0x9000
    assert public.recover_data_from_signature(raw, padding.PKCS1v15(), None) == b"\x01\x02\x03"


def test_compute_signature_errors(virtual_card: VirtualCard, test_card: Any) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    digest = _digest_info(b"x")
    assert sw(virtual_card, sign_apdu(digest)) == 0x6986  # no key EF selected
    select_ef(virtual_card, 0x000A)
    assert sw(virtual_card, sign_apdu(digest)) == 0x6986
    assert sw(virtual_card, sign_apdu(digest, p2=0x98)) == 0x6A86
    assert sw(virtual_card, bytes([0x80, 0x2A, 0x01, 0x97, len(digest)]) + digest + b"\0") == (
        0x6A86
    )
    assert sw(virtual_card, sign_apdu(bytes(246), p2=0x97)) == 0x6700
    assert sw(virtual_card, "802A009700") == 0x6700
    assert sw(virtual_card, sign_apdu(digest, p2=0x97, cla=0x00)) == 0x6E00
    select_ap(virtual_card, TEXT)
    assert sw(virtual_card, sign_apdu(digest, p2=0x00)) == 0x6D00


def test_long_answers_with_short_le_use_get_response(
    virtual_card: VirtualCard, test_card: Any
) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x18, test_card.values["auth_pin"]) == 0x9000
    digest = _digest_info(b"m")
    full, status = tx(virtual_card, sign_apdu(digest, p2=0x97))
    assert status == 0x9000
    # no Le: 6100 (256 bytes waiting)
    data, status = tx(virtual_card, sign_apdu(digest, p2=0x97, le=False))
    assert (data, status) == (b"", 0x6100)
    data, status = tx(virtual_card, "00C0000000")
    assert (data, status) == (full, 0x9000)  # deterministic PKCS#1 v1.5
    assert sw(virtual_card, "00C0000000") == 0x6985  # nothing left
    # Le 80: half now, 6180, the rest by GET RESPONSE in two steps
    data, status = tx(virtual_card, sign_apdu(digest, p2=0x97)[:-1] + b"\x80")
    assert (data, status) == (full[:128], 0x6180)
    assert tx(virtual_card, "00C0000090") == (b"", 0x6C80)  # asks for more than is left
    data, status = tx(virtual_card, "00C0000040")
    assert (data, status) == (full[128:192], 0x6140)
    assert tx(virtual_card, "00C0000040") == (full[192:], 0x9000)
    # any other APDU drops what was waiting
    tx(virtual_card, sign_apdu(digest, p2=0x97, le=False))
    verify(virtual_card, 0x18, None)
    assert sw(virtual_card, "00C0000000") == 0x6985
    assert sw(virtual_card, "00C0010000") == 0x6A86
    assert sw(virtual_card, "00C00000") == 0x6700


def test_chip_signature_in_card_info_ap(virtual_card: VirtualCard, test_card: Any) -> None:
    from kiosk_testbed.tlv import parse_all

    select_ap(virtual_card, INFO)
    challenge, status = tx(virtual_card, "0084000010")
    assert status == 0x9000 and len(challenge) == 16
    digest = _digest_info(challenge)
    signature, status = tx(virtual_card, bytes([0x80, 0x2A, 0, 0, len(digest)]) + digest + b"\0")
    assert status == 0x9000  # no credential needed
    assert verify(virtual_card, 0x13, test_card.values["my_number"]) == 0x9000
    select_ef(virtual_card, 2)
    face = parse_all(read_all(virtual_card))[0]
    fields = {e.tag: e.value for e in parse_all(face.value)}
    key = {e.tag: e.value for e in parse_all(fields[0xDF24])}
    public = rsa.RSAPublicNumbers(
        int.from_bytes(key[0x90], "big"), int.from_bytes(key[0x91], "big")
    ).public_key()
    public.verify(signature, challenge, padding.PKCS1v15(), hashes.SHA256())
    assert sw(virtual_card, bytes([0x80, 0x2A, 0, 0x80, len(digest)]) + digest + b"\0") == (0x6A86)


# ---- GET CHALLENGE ----


def test_get_challenge(virtual_card: VirtualCard) -> None:
    select_ap(virtual_card, JPKI)
    one, status = tx(virtual_card, "0084000010")
    two, _ = tx(virtual_card, "0084000010")
    assert status == 0x9000 and len(one) == 16 and one != two
    eight, status = tx(virtual_card, "0084000008")
    assert status == 0x9000 and len(eight) == 8
    assert sw(virtual_card, "0084000004") == 0x6700
    assert sw(virtual_card, "00840000") == 0x6700
    assert sw(virtual_card, "0084010010") == 0x6A86


# ---- malformed commands ----


@pytest.mark.parametrize(
    "apdu, status",
    [
        ("", 0x6700),
        ("00", 0x6700),
        ("00A404", 0x6700),
        ("00A4040C0BD392F000260100000001", 0x6700),  # Lc one too many
        ("00B000000000", 0x6700),  # extended header cut short
        ("00A4040C000000", 0x6700),  # extended Lc of zero
        ("00FF000000", 0x6D00),
        ("A0A4040C0AD392F000260100000001", 0x6E00),
        ("80A4040C0AD392F000260100000001", 0x6E00),
        ("0CA4040C0AD392F000260100000001", 0x6E00),
    ],
)
def test_malformed_and_unknown_commands(virtual_card: VirtualCard, apdu: str, status: int) -> None:
    assert sw(virtual_card, apdu) == status


def test_extended_select_is_accepted(virtual_card: VirtualCard) -> None:
    assert sw(virtual_card, "00A4040C00000AD392F000260100000001") == 0x9000


@settings(
    max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(st.binary(max_size=300))
def test_random_bytes_always_get_a_status_word(virtual_card: VirtualCard, apdu: bytes) -> None:
    response = virtual_card.process(apdu)
    assert len(response) >= 2
    assert response[-2] in (0x90, 0x61, 0x62, 0x63, 0x67, 0x69, 0x6A, 0x6B, 0x6C, 0x6D, 0x6E)
