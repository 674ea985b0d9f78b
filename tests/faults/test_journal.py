"""The kiosk's journal on its own: what it keeps, a torn last line, compaction, bad values."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from kiosk.journal import Journal, JournalError, JournalStep
from kiosk.journal.store import KEEP_CLOSED_MS


def test_steps_fold_into_the_latest_state(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j" / "journal.jsonl")
    journal.begun("tx_a")
    journal.begun("tx_b")
    journal.command_received("tx_a")
    journal.card_answered("tx_a", bytes.fromhex("990290008e08aabbccddeeff00119000"))
    journal.closed("tx_b", "aborted")
    entries = journal.entries()
    assert list(entries) == ["tx_a", "tx_b"]
    assert entries["tx_a"].step == JournalStep.CARD_ANSWERED
    assert entries["tx_a"].card_answer is not None
    assert entries["tx_b"].finished and entries["tx_b"].outcome == "aborted"
    assert [entry.transaction_id for entry in journal.unfinished()] == ["tx_a"]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    for line in journal.path.read_text().splitlines():  # only these fields, ever
        assert set(json.loads(line)) <= {"tx", "step", "at_ms", "answer", "outcome"}


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.begun("tx_a")
    with journal.path.open("ab") as handle:
        handle.write(b'{"tx":"tx_a","step":"clo')
    assert journal.entries()["tx_a"].step == JournalStep.BEGUN
    journal.closed("tx_a", "aborted")  # the next line starts after the torn one
    assert journal.entries()["tx_a"].finished


def test_a_damaged_line_neither_stops_the_kiosk_nor_is_lost_by_compaction(
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.begun("tx_a")
    damaged = [
        b'{"tx":"tx_a","step":"closed","at_ms":1e999,"outcome":"pin_reset"}',  # inf
        b'{"tx":"tx_b","step":"card_answered","at_ms":1,"answer":"9g00"}',  # a flipped bit
        b'["not", "a", "record"]',
    ]
    with journal.path.open("ab") as handle:
        handle.write(b"\n".join(damaged) + b"\n")
    assert journal.entries()["tx_a"].step == JournalStep.BEGUN
    journal.compact()
    assert set(journal.entries()) == {"tx_a"}
    assert journal.unreadable_path.read_bytes().splitlines() == damaged
    assert stat.S_IMODE(journal.unreadable_path.stat().st_mode) == 0o600
    journal.compact()  # set aside once: the rewritten journal has no damaged line left
    assert len(journal.unreadable_path.read_bytes().splitlines()) == len(damaged)


def test_compaction_keeps_open_and_recent(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.begun("tx_open")
    journal.begun("tx_done")
    journal.closed("tx_done", "pin_reset")
    journal.compact()
    assert set(journal.entries()) == {"tx_open", "tx_done"}
    assert journal.entries()["tx_done"].outcome == "pin_reset"
    journal.compact(keep_closed_ms=-KEEP_CLOSED_MS)
    assert set(journal.entries()) == {"tx_open"}


@pytest.mark.parametrize(
    "write",
    [
        lambda j: j.begun("1234 5678 9012"),  # not an id: spaces (a My Number would be refused)
        lambda j: j.begun("x" * 65),
        lambda j: j.closed("tx_a", "PIN 1234"),
        lambda j: j.card_answered("tx_a", b"\x90"),
    ],
)
def test_values_of_the_wrong_shape_are_refused(tmp_path: Path, write: object) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    with pytest.raises(JournalError):
        write(journal)  # type: ignore[operator]
    assert not journal.path.exists()


def test_an_unwritable_journal_is_a_typed_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    journal = Journal(tmp_path / "file" / "journal.jsonl")
    with pytest.raises(JournalError):
        journal.begun("tx_a")


def test_a_new_kiosk_compacts_an_empty_journal_in_a_folder_not_made_yet(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "kiosk" / "journal.jsonl")
    journal.compact()
    assert journal.entries() == {}
    assert (tmp_path / "kiosk" / "journal.jsonl").read_bytes() == b""
