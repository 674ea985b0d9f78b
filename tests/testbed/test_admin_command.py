"""Our admin command (profile §4): RESET RETRY COUNTER under secure messaging."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.card_file import load_card_file
from kiosk_testbed.card.secure_messaging import (
    SecureMessagingError,
    SessionKeys,
    build_reset_command,
    check_reset_response,
    derive_admin_keys,
    pad,
    unpad,
)
from kiosk_testbed.card.virtual_card import VirtualCard
from kiosk_testbed.tlv import tlv

from .apdu_util import JPKI, TEXT, select_ap, sw, tx, verify


@pytest.fixture
def keys(testbed_authority: TestAuthority, virtual_card: VirtualCard) -> tuple[bytes, bytes]:
    return testbed_authority.admin_keys_for(virtual_card.card_id)


def _challenge(card: VirtualCard) -> bytes:
    rnd, status = tx(card, "0084000010")
    assert status == 0x9000
    return rnd


def _reset(
    card: VirtualCard, keys: tuple[bytes, bytes], new_pin: bytes
) -> tuple[bytes, int, bytes]:
    rnd = _challenge(card)
    data, status = tx(card, build_reset_command(*keys, rnd, new_pin))
    return data, status, rnd


def test_card_holds_the_keys_the_authority_derives(
    testbed_authority: TestAuthority, card_path: Path, keys: tuple[bytes, bytes]
) -> None:
    card = load_card_file(card_path)
    assert (card.k_enc, card.k_mac) == keys
    master = testbed_authority.admin_master_key_path.read_bytes()
    assert derive_admin_keys(master, card.card_id) == keys
    assert derive_admin_keys(master, card.card_id + b"\x00") != keys


def test_reset_sets_the_pin_and_unblocks(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes], test_card: Any
) -> None:
    select_ap(virtual_card, JPKI)
    for _ in range(5):
        verify(virtual_card, 0x1B, "WRONG1")
    assert verify(virtual_card, 0x1B, None) == 0x6984
    data, status, rnd = _reset(virtual_card, keys, b"NEWPIN42")
    assert status == 0x9000
    assert check_reset_response(*keys, rnd, data) == 0x9000
    assert verify(virtual_card, 0x1B, None) == 0x63C5
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x63C4
    assert verify(virtual_card, 0x1B, "NEWPIN42") == 0x9000


def test_reset_clears_a_verified_sign_pin(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes], test_card: Any
) -> None:
    select_ap(virtual_card, JPKI)
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x9000
    _, status, _ = _reset(virtual_card, keys, b"NEWPIN42")
    assert status == 0x9000
    assert verify(virtual_card, 0x1B, None) == 0x63C5


@pytest.mark.parametrize("bad_pin", [b"newpin42", b"SHORT", b"A" * 17, b"", b"\xff" * 8])
def test_bad_pin_format_is_reported_under_mac(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes], test_card: Any, bad_pin: bytes
) -> None:
    select_ap(virtual_card, JPKI)
    data, status, rnd = _reset(virtual_card, keys, bad_pin)
    assert status == 0x9000
    assert check_reset_response(*keys, rnd, data) == 0x6A80
    assert verify(virtual_card, 0x1B, test_card.values["sign_pin"]) == 0x9000  # unchanged


def test_challenge_is_single_use(virtual_card: VirtualCard, keys: tuple[bytes, bytes]) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    command = build_reset_command(*keys, rnd, b"NEWPIN42")
    assert tx(virtual_card, command)[1] == 0x9000
    assert tx(virtual_card, command)[1] == 0x6985  # replay


def test_challenge_lives_for_the_next_apdu_only(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes]
) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    assert verify(virtual_card, 0x1B, None) == 0x63C5
    assert sw(virtual_card, build_reset_command(*keys, rnd, b"NEWPIN42")) == 0x6985


@pytest.mark.parametrize("event", ["reset", "power_off"])
def test_power_events_forget_the_challenge(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes], event: str
) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    getattr(virtual_card, event)()
    select_ap(virtual_card, JPKI)
    assert sw(virtual_card, build_reset_command(*keys, rnd, b"NEWPIN42")) == 0x6985


def test_wrong_mac_fails_and_consumes_the_challenge(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes]
) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    command = bytearray(build_reset_command(*keys, rnd, b"NEWPIN42"))
    command[-2] ^= 0x01  # last MAC byte
    data, status = tx(virtual_card, bytes(command))
    assert (data, status) == (b"", 0x6988)
    assert sw(virtual_card, build_reset_command(*keys, rnd, b"NEWPIN42")) == 0x6985


def test_altered_cryptogram_is_caught_by_the_mac(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes]
) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    command = bytearray(build_reset_command(*keys, rnd, b"NEWPIN42"))
    command[8] ^= 0x80  # inside DO87's cryptogram
    assert sw(virtual_card, bytes(command)) == 0x6988


def test_another_cards_keys_fail(
    virtual_card: VirtualCard, testbed_authority: TestAuthority
) -> None:
    select_ap(virtual_card, JPKI)
    other = testbed_authority.admin_keys_for(b"\x01\x02\x03")
    _, status, _ = _reset(virtual_card, other, b"NEWPIN42")
    assert status == 0x6988


def test_wrong_p1_p2(virtual_card: VirtualCard, keys: tuple[bytes, bytes]) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    command = bytearray(build_reset_command(*keys, rnd, b"NEWPIN42"))
    command[3] = 0x98  # aim at the auth PIN
    assert sw(virtual_card, bytes(command)) == 0x6A86


@pytest.mark.parametrize(
    "body",
    [
        b"",
        tlv(0x87, b"\x01" + bytes(16)),
        tlv(0x8E, bytes(8)) + tlv(0x87, b"\x01" + bytes(16)),
        tlv(0x87, b"\x01" + bytes(16)) + tlv(0x8E, bytes(4)),
        b"\x87\x20\x01",
    ],
)
def test_malformed_sm_data(virtual_card: VirtualCard, body: bytes) -> None:
    select_ap(virtual_card, JPKI)
    _challenge(virtual_card)
    apdu = bytes([0x0C, 0x2C, 0x02, 0x9B]) + (bytes([len(body)]) + body + b"\0" if body else b"")
    assert sw(virtual_card, apdu) == (0x6700 if not body else 0x6988)


def test_command_outside_secure_messaging_or_jpki(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes]
) -> None:
    select_ap(virtual_card, JPKI)
    rnd = _challenge(virtual_card)
    command = build_reset_command(*keys, rnd, b"NEWPIN42")
    assert sw(virtual_card, b"\x00" + command[1:]) == 0x6982
    select_ap(virtual_card, TEXT)
    rnd = _challenge(virtual_card)
    assert sw(virtual_card, build_reset_command(*keys, rnd, b"NEWPIN42")) == 0x6985


def test_eight_byte_challenge_is_not_enough(
    virtual_card: VirtualCard, keys: tuple[bytes, bytes]
) -> None:
    select_ap(virtual_card, JPKI)
    rnd, _ = tx(virtual_card, "0084000008")
    assert sw(virtual_card, build_reset_command(*keys, rnd + bytes(8), b"NEWPIN42")) == 0x6985


def test_card_without_sign_certificate(
    issue_test_card: Callable[..., Any], testbed_authority: TestAuthority, tmp_path: Path
) -> None:
    card_without = issue_test_card(with_sign_cert=False)
    card = VirtualCard.from_path(card_without.copy_to(tmp_path / "c.json"))
    keys = testbed_authority.admin_keys_for(card.card_id)
    select_ap(card, JPKI)
    _, status, _ = _reset(card, keys, b"NEWPIN42")
    assert status == 0x6A88


def test_response_checker_rejects_forgeries(keys: tuple[bytes, bytes]) -> None:
    rnd = bytes(range(16))
    session = SessionKeys.derive(*keys, rnd)
    do99 = tlv(0x99, b"\x90\x00")
    good = do99 + tlv(0x8E, session.response_mac(do99))
    assert check_reset_response(*keys, rnd, good) == 0x9000
    with pytest.raises(SecureMessagingError):
        check_reset_response(*keys, rnd, do99 + tlv(0x8E, bytes(8)))
    with pytest.raises(SecureMessagingError):
        check_reset_response(*keys, bytes(16), good)
    with pytest.raises(SecureMessagingError):
        check_reset_response(*keys, rnd, b"\x99")


def test_padding_round_trip() -> None:
    for length in range(0, 40):
        data = bytes([0x41]) * length
        padded = pad(data)
        assert len(padded) % 16 == 0 and unpad(padded) == data
    assert unpad(bytes(16)) is None
    assert unpad(b"A" * 16) is None
    assert unpad(b"\x80" + bytes(31)) is None  # more than a block of padding


def test_builder_matches_the_profile_written_out_independently(keys: tuple[bytes, bytes]) -> None:
    from cryptography.hazmat.primitives import cmac
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    def mac(key: bytes, data: bytes) -> bytes:
        c = cmac.CMAC(algorithms.AES(key))
        c.update(data)
        return c.finalize()

    k_enc, k_mac = keys
    rnd = bytes(range(100, 116))
    ks_enc, ks_mac = mac(k_enc, b"\x01" + rnd), mac(k_mac, b"\x02" + rnd)
    ssc_c = bytes(15) + b"\x01"
    ecb = Cipher(algorithms.AES(ks_enc), modes.ECB()).encryptor()  # noqa: S305 (one-block IV rule)
    iv = ecb.update(ssc_c) + ecb.finalize()
    cbc = Cipher(algorithms.AES(ks_enc), modes.CBC(iv)).encryptor()
    cryptogram = cbc.update(b"ABC12345" + b"\x80" + bytes(7)) + cbc.finalize()
    do87 = b"\x87\x11\x01" + cryptogram
    header = b"\x0c\x2c\x02\x9b" + b"\x80" + bytes(11)
    do8e = b"\x8e\x08" + mac(ks_mac, ssc_c + header + do87)[:8]
    expected = b"\x0c\x2c\x02\x9b" + bytes([len(do87 + do8e)]) + do87 + do8e + b"\x00"
    assert build_reset_command(k_enc, k_mac, rnd, b"ABC12345") == expected
    do99 = b"\x99\x02\x90\x00"
    answer = do99 + b"\x8e\x08" + mac(ks_mac, bytes(15) + b"\x02" + do99)[:8]
    assert check_reset_response(k_enc, k_mac, rnd, answer) == 0x9000
