"""Card state (PINs, retry counters, blocks) survives restarts; writes are atomic."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from kiosk_testbed.card.card_file import CardFileError, load_card_file, save_card_file
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard

from .apdu_util import JPKI, TEXT, select_ap, sw, verify


def test_retry_counters_and_blocks_survive_a_restart(card_path: Path, test_card: Any) -> None:
    card = VirtualCard.from_path(card_path)
    select_ap(card, JPKI)
    assert verify(card, 0x18, "0000" if test_card.values["auth_pin"] != "0000" else "1111") == (
        0x63C2
    )
    select_ap(card, TEXT)
    for _ in range(3):
        verify(card, 0x11, "0000" if test_card.values["text_pin"] != "0000" else "1111")
    restarted = VirtualCard.from_path(card_path)
    select_ap(restarted, JPKI)
    assert verify(restarted, 0x18, None) == 0x63C2
    select_ap(restarted, TEXT)
    assert verify(restarted, 0x11, None) == 0x6984
    assert verify(restarted, 0x11, test_card.values["text_pin"]) == 0x6984


def test_changed_pin_survives_a_restart(card_path: Path, test_card: Any) -> None:
    card = VirtualCard.from_path(card_path)
    select_ap(card, JPKI)
    assert verify(card, 0x1B, test_card.values["sign_pin"]) == 0x9000
    assert sw(card, b"\x00\x24\x01\x80\x08NEWPIN77") == 0x9000  # the selected PIN EF
    restarted = VirtualCard.from_path(card_path)
    select_ap(restarted, JPKI)
    assert verify(restarted, 0x1B, "NEWPIN77") == 0x9000


def test_verified_state_does_not_survive(card_path: Path, test_card: Any) -> None:
    card = VirtualCard.from_path(card_path)
    select_ap(card, JPKI)
    assert verify(card, 0x18, test_card.values["auth_pin"]) == 0x9000
    restarted = VirtualCard.from_path(card_path)
    select_ap(restarted, JPKI)
    assert verify(restarted, 0x18, None) == 0x63C3


def test_writes_are_atomic_and_private(card_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    card = load_card_file(card_path)
    original = card_path.read_bytes()
    card.pins[(Ap.JPKI, 0x0018)].tries_left = 1

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        save_card_file(card, card_path)
    assert card_path.read_bytes() == original
    assert [p.name for p in card_path.parent.iterdir()] == [card_path.name]
    monkeypatch.undo()
    save_card_file(card, card_path)
    assert load_card_file(card_path).pins[(Ap.JPKI, 0x0018)].tries_left == 1
    assert card_path.stat().st_mode & 0o077 == 0
    assert [p.name for p in card_path.parent.iterdir()] == [card_path.name]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda doc: doc.update(format="other"),
        lambda doc: doc.pop("keys"),
        lambda doc: doc["pins"]["jpki/0018"].update(tries_left=9),
        lambda doc: doc["pins"].update({"jpki/00FF": {"value": "1", "tries_left": 1}}),
        lambda doc: doc["admin"].update(k_enc="00"),
        lambda doc: doc["files"].update({"jpki/000A": "***"}),
    ],
)
def test_broken_card_files_give_a_typed_error(card_path: Path, mutate: Any) -> None:
    doc = json.loads(card_path.read_text())
    mutate(doc)
    card_path.write_text(json.dumps(doc))
    with pytest.raises(CardFileError) as error:
        load_card_file(card_path)
    assert "-----BEGIN" not in str(error.value)


def test_unusable_key_gives_a_typed_error(card_path: Path) -> None:
    doc = json.loads(card_path.read_text())
    doc["keys"]["chip"] = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
    card_path.write_text(json.dumps(doc))
    with pytest.raises(CardFileError):
        VirtualCard.from_path(card_path)


def test_missing_or_non_json_card_file(tmp_path: Path) -> None:
    with pytest.raises(CardFileError):
        load_card_file(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(CardFileError):
        load_card_file(tmp_path / "bad.json")


def test_reprs_hide_secrets(card_path: Path, test_card: Any) -> None:
    card = load_card_file(card_path)
    text = (repr(card) + repr(card.pins) + repr(VirtualCard(card))).replace(card.card_id.hex(), "")
    for secret in ("auth_pin", "sign_pin", "my_number"):
        assert test_card.values[secret] not in text
