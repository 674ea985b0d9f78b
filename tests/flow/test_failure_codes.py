"""The error catalogue is complete and readable in both languages."""

from __future__ import annotations

import re

from kiosk.flow.failure_codes import CATALOGUE, FailureCode, NextStep, failure


def test_every_code_has_an_entry_with_both_languages() -> None:
    assert set(CATALOGUE) == set(FailureCode)
    for code, entry in CATALOGUE.items():
        assert entry.code == code.value
        assert re.fullmatch(r"[A-Z]\d\d", entry.code)
        for text in (entry.cause_ja, entry.todo_ja):
            assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", text), text
        for text in (entry.cause_en, entry.todo_en):
            assert text.isascii() and text.endswith("."), text


def test_codes_are_unique() -> None:
    values = [code.value for code in FailureCode]
    assert len(values) == len(set(values))


def test_blocked_pin_and_face_failures_send_to_the_office() -> None:
    office = (FailureCode.AUTH_PIN_BLOCKED, FailureCode.FACE_NO_MATCH, FailureCode.FACE_NOT_LIVE)
    for code in office:
        assert failure(code).next_step == NextStep.MUNICIPAL_OFFICE
    assert failure(FailureCode.CANCELLED).resident_choice
    assert failure(FailureCode.CANCELLED).cause("en").startswith("You cancelled")
    assert "中止" in failure(FailureCode.CANCELLED).cause("ja")


def test_unconfirmed_reset_tells_the_resident_what_to_do() -> None:
    """Never "nothing changed": try the new PIN later, how to check it, whom to contact."""
    entry = failure(FailureCode.RESET_UNCONFIRMED)
    assert entry.next_step == NextStep.TRY_NEW_PIN
    for language in ("en", "ja"):
        assert "Nothing" not in entry.cause(language) and "何も変更" not in entry.cause(language)
    assert "new PIN first" in entry.todo("en") and "old PIN" in entry.todo("en")
    assert "municipal office" in entry.todo("en") and "help desk" in entry.todo("en")
    assert "JPKI利用者ソフト" in entry.todo("ja") and "市区町村" in entry.todo("ja")


def test_binding_mismatch_has_its_own_code_and_leaves_the_card_untouched() -> None:
    entry = failure(FailureCode.CARD_MISMATCH)
    assert entry.code == "C11" and entry.next_step == NextStep.MUNICIPAL_OFFICE
    assert "Nothing on your card was changed" in entry.cause("en")
    assert "何も変更していません" in entry.cause("ja")
