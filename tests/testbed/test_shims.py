"""The attackers' shims the attack tests put in a reader slot (kiosk_testbed/card/shims.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509

from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.shims import (
    ChipAnswerRecorder,
    ForgedResetAnswer,
    SplicedCard,
    certificate_only_card,
)
from kiosk_testbed.card.virtual_card import VirtualCard

from .apdu_util import INFO, JPKI, SHA256_DIGEST_INFO_PREFIX, TEXT, select_ap, select_ef, sw, tx


def _read(card: Any, fid: int) -> bytes:
    assert select_ef(card, fid) == 0x9000
    out = b""
    for _ in range(200):  # bounded: no EF is that long
        data, status = tx(card, bytes([0, 0xB0, len(out) >> 8, len(out) & 0xFF, 0x80]))
        if status >> 8 == 0x6C:
            data, status = tx(card, bytes([0, 0xB0, len(out) >> 8, len(out) & 0xFF, status & 0xFF]))
        if status != 0x9000:
            return out
        out += data
    raise AssertionError("READ BINARY never ended")


def _two_cards(
    issue_test_card: Callable[..., Any], tmp_path: Path
) -> tuple[VirtualCard, VirtualCard]:
    victim, attacker = issue_test_card(), issue_test_card()
    return (
        VirtualCard.from_path(victim.copy_to(tmp_path / "victim.json")),
        VirtualCard.from_path(attacker.copy_to(tmp_path / "attacker.json")),
    )


def test_spliced_card_answers_each_application_from_its_card(
    issue_test_card: Callable[..., Any], tmp_path: Path
) -> None:
    victim, attacker = _two_cards(issue_test_card, tmp_path)
    spliced = SplicedCard(victim, attacker)
    spliced.power_on()
    select_ap(spliced, JPKI)  # type: ignore[arg-type]
    auth = _read(spliced, layout.JPKI_AUTH_CERT)
    assert auth == victim.card_file.files[(Ap.JPKI, layout.JPKI_AUTH_CERT)]
    select_ap(spliced, INFO)  # type: ignore[arg-type]
    assert _read(spliced, layout.INFO_CV_CERT) == b""  # 照合番号 needed: the attacker's 6982
    select_ap(spliced, TEXT)  # type: ignore[arg-type]
    select_ap(spliced, JPKI)  # type: ignore[arg-type]
    assert x509.load_der_x509_certificate(_read(spliced, layout.JPKI_AUTH_CERT))


def test_spliced_card_can_take_the_chip_signature_from_the_first_card(
    issue_test_card: Callable[..., Any], tmp_path: Path
) -> None:
    victim, attacker = _two_cards(issue_test_card, tmp_path)
    digest_info = SHA256_DIGEST_INFO_PREFIX + bytes(32)
    apdu = b"\x80\x2a\x00\x00\x33" + digest_info + b"\x00"
    signatures = {}
    for first in (False, True):
        spliced = SplicedCard(victim, attacker, chip_signatures_from_jpki_card=first)
        select_ap(spliced, INFO)  # type: ignore[arg-type]
        signatures[first] = tx(spliced, apdu)  # type: ignore[arg-type]
    select_ap(victim, INFO)
    select_ap(attacker, INFO)
    assert signatures[True] == tx(victim, apdu)  # RSA PKCS#1 v1.5 is deterministic
    assert signatures[False] == tx(attacker, apdu)


def test_chip_answer_recorder_replays_the_recorded_answer(virtual_card: VirtualCard) -> None:
    recorder = ChipAnswerRecorder(virtual_card)
    select_ap(recorder, INFO)  # type: ignore[arg-type]
    first = tx(recorder, b"\x80\x2a\x00\x00\x33" + SHA256_DIGEST_INFO_PREFIX + bytes(32) + b"\0")
    recorder.replay = True
    other = SHA256_DIGEST_INFO_PREFIX + bytes([1]) * 32
    assert tx(recorder, b"\x80\x2a\x00\x00\x33" + other + b"\x00") == first  # type: ignore[arg-type]
    assert len(recorder.recorded) == 1


def test_certificate_only_card_says_yes_to_any_pin_but_cannot_sign_for_it(
    issue_test_card: Callable[..., Any], tmp_path: Path
) -> None:
    victim, attacker = _two_cards(issue_test_card, tmp_path)
    fake = certificate_only_card(
        victim.card_file.files[(Ap.JPKI, layout.JPKI_AUTH_CERT)], attacker.card_file
    )
    select_ap(fake, JPKI)
    assert _read(fake, layout.JPKI_AUTH_CERT) == victim.card_file.files[
        (Ap.JPKI, layout.JPKI_AUTH_CERT)
    ]
    assert select_ef(fake, layout.JPKI_AUTH_PIN) == 0x9000
    assert sw(fake, b"\x00\x20\x00\x80\x04" + b"0000") == 0x9000
    assert select_ef(fake, 0x0017) == 0x9000
    data, status = tx(fake, b"\x80\x2a\x00\x80\x33" + SHA256_DIGEST_INFO_PREFIX + bytes(32) + b"\0")
    assert status == 0x9000 and len(data) == 256


def test_forged_reset_answer_hides_the_cards_answer(virtual_card: VirtualCard) -> None:
    shim = ForgedResetAnswer(virtual_card)
    select_ap(shim, JPKI)  # type: ignore[arg-type]
    assert sw(shim, "0084000010") == 0x9000  # type: ignore[arg-type]
    assert tx(shim, "0C2C029B0A" + "00" * 10) == (b"", 0x6985)  # type: ignore[arg-type]
    assert shim.genuine_answers == [bytes.fromhex("6988")]  # the card saw (and judged) it
