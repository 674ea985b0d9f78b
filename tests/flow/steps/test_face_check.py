"""FACE_CHECK alone: one piece of evidence per transaction, retries, and stale callbacks."""

from __future__ import annotations

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import FaceHint
from kiosk.flow.states import PHOTO_SECRET, Exit, Step
from kiosk.flow.steps import face_check

from ..fakes import BINDING, GOOD_RESULT, NO_MATCH, NOT_LIVE, PHOTO, FakeFace
from .recording import Recording, read, recording_in


def _with_photo(face: FakeFace, attempts_used: int = 0) -> Recording:
    rec = recording_in(Step.FACE_CHECK, face_attempts_used=attempts_used)
    rec.face = face
    read(rec)
    rec.tx.binding = BINDING
    rec.secrets.put(PHOTO_SECRET, bytearray(PHOTO))
    return rec


def test_a_match_is_reported_with_its_binding_and_moves_on() -> None:
    rec = _with_photo(FakeFace(GOOD_RESULT))
    face_check.approved(rec)
    assert rec.exit_taken is Exit.FACE_MATCHED and rec.view.face_attempts_used == 1
    assert rec.backend.faces == [GOOD_RESULT] and rec.backend.bindings == [BINDING]
    assert rec.face.photos_seen == [PHOTO] and rec.lent_during_work == [(PHOTO_SECRET,)]


def test_a_failed_attempt_that_is_not_the_last_is_retried_without_evidence() -> None:
    rec = _with_photo(FakeFace(NO_MATCH))
    face_check.approved(rec)
    assert rec.exit_taken is Exit.RETRY
    assert rec.view.face_last_failure is FailureCode.FACE_NO_MATCH
    assert rec.backend.faces == []


def test_the_last_failed_attempt_is_reported_and_ends_the_transaction() -> None:
    rec = _with_photo(FakeFace(NOT_LIVE), attempts_used=rec_attempts() - 1)
    face_check.approved(rec)
    assert rec.failures == [FailureCode.FACE_NOT_LIVE] and rec.backend.faces == [NOT_LIVE]


def test_without_the_photo_or_its_binding_nothing_runs() -> None:
    rec = _with_photo(FakeFace(GOOD_RESULT))
    rec.tx.binding = None
    face_check.approved(rec)
    assert rec.failures == [FailureCode.INTERNAL] and rec.face.runs == 0


def test_hints_reach_the_view_only_while_the_attempt_is_current() -> None:
    rec = _with_photo(FakeFace(GOOD_RESULT))
    relay = face_check.FaceRelay(rec, rec.generation)
    relay.hint(FaceHint.MOVE_CLOSER)
    assert rec.view.face_hint is FaceHint.MOVE_CLOSER
    rec.generation += 1  # the step was left
    relay.hint(FaceHint.HOLD_STILL)
    assert rec.view.face_hint is FaceHint.MOVE_CLOSER


def test_the_preview_slot_hands_on_the_latest_frame_and_forgets_it() -> None:
    slot = face_check.PreviewSlot()
    frame = object()
    slot.put(frame)
    serial, taken = slot.take()
    assert taken is frame
    slot.clear()
    assert slot.take() == (serial + 1, None)


def rec_attempts() -> int:
    return recording_in(Step.FACE_CHECK).config.face_attempts
