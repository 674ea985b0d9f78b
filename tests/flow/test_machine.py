"""The resident's transaction, step by step, on in-memory fakes."""

from __future__ import annotations

import datetime as dt

import pytest

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.machine import FlowError
from kiosk.flow.pin_rules import SignPinRule
from kiosk.flow.ports import (
    BackendFailedError,
    BackendOfflineError,
    BackendRefusedError,
    CardFaceInvalidError,
    CardMismatchError,
    CardPresence,
    CardRemovedError,
    FaceCheckUnavailableError,
    FaceHint,
    LivenessPrompt,
    NotAMyNumberCardError,
    Ticket,
)
from kiosk.flow.states import Exit, Step
from kiosk.flow.view import EntryProblem, NewPinProblem, ProcessingStage

from .fakes import BINDING, GOOD_RESULT, NO_MATCH, NOT_LIVE, PHOTO, FakeCard, FakeFace
from .kit import Kit, make_kit


def test_success_path_resets_the_sign_pin_and_wipes_every_secret(kit: Kit) -> None:
    flow = kit.flow
    auth = bytearray(b"1234")
    first, second = bytearray(b"NEW2PIN9"), bytearray(b"NEW2PIN9")
    flow.begin()
    flow.agree()
    assert kit.step == Step.PLACE_CARD
    flow.card_event(CardPresence.PRESENT)
    assert kit.step == Step.READ_CARD and flow.view.awaiting_approval
    assert kit.card.calls == []  # nothing touches the card before the screen approves
    flow.approve()
    assert kit.step == Step.AUTH_PIN
    assert flow.view.auth_tries_left == 3  # shown before entry
    flow.submit_auth_pin(auth)
    assert kit.step == Step.UNLOCK_PHOTO
    assert flow.view.same_as_before_available
    assert auth == bytearray(b"1234")  # still held for "same as before"
    flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
    assert auth == bytearray()  # wiped on leaving the unlock step
    assert kit.step == Step.FACE_CHECK and flow.view.awaiting_approval
    flow.approve()
    assert kit.face.photos_seen == [PHOTO]
    assert kit.step == Step.NEW_PIN
    flow.submit_new_pin(first, second)
    assert second == bytearray()
    assert kit.step == Step.PROCESSING
    flow.approve()
    assert kit.step == Step.DONE
    assert first == bytearray()
    assert kit.card.new_sign_pin == b"NEW2PIN9"
    assert kit.backend.calls == [
        "begin", "prove_card", "report_face", "authorise_reset", "confirm",
    ]
    assert kit.backend.proofs == [(b"auth-cert-der", b"sig:digest-info-1")]
    # the chip signed the backend's chip nonce, and the evidence names the face it checked
    assert kit.card.chip_signed == [b"chip-digest-info-1"]
    assert kit.backend.chip_proofs == [b"chip:chip-digest-info-1"]
    assert kit.backend.bindings == [BINDING]
    assert kit.card.closed >= 1  # powered off at the end
    flow.card_event(CardPresence.ABSENT)
    assert kit.step == Step.START
    assert kit.steps() == [
        Step.CONSENT, Step.PLACE_CARD, Step.READ_CARD, Step.AUTH_PIN, Step.UNLOCK_PHOTO,
        Step.FACE_CHECK, Step.NEW_PIN, Step.PROCESSING, Step.DONE, Step.START,
    ]
    stages = [v.stage for v in kit.views if v.step == Step.PROCESSING and v.stage]
    assert stages[-1] == ProcessingStage.CONFIRM
    assert repr(flow._secrets) == "SecretStore(names=[])"


def test_wrong_auth_pin_shows_tries_left_and_last_try_needs_confirmation(kit: Kit) -> None:
    kit.to_auth_pin()
    flow = kit.flow
    flow.submit_auth_pin(bytearray(b"9999"))
    assert kit.step == Step.AUTH_PIN
    assert flow.view.entry_problem == EntryProblem.WRONG
    assert flow.view.auth_tries_left == 2
    flow.submit_auth_pin(bytearray(b"9998"))
    assert flow.view.auth_tries_left == 1
    assert flow.view.needs_last_try_confirmation
    flow.submit_auth_pin(bytearray(b"1234"))  # not confirmed: must not reach the card
    assert kit.card.pins_seen == [b"9999", b"9998"]
    assert flow.view.entry_problem == EntryProblem.NEEDS_LAST_TRY_CONFIRMATION
    flow.confirm_last_try()
    assert not flow.view.needs_last_try_confirmation
    flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.step == Step.UNLOCK_PHOTO


def test_the_last_wrong_auth_pin_blocks_and_sends_to_the_municipal_office() -> None:
    kit = make_kit(card=FakeCard(auth_tries=1))
    kit.to_auth_pin()
    kit.flow.confirm_last_try()
    kit.flow.submit_auth_pin(bytearray(b"0000"))
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.AUTH_PIN_BLOCKED
    assert kit.backend.abandoned == ["C05"]


def test_a_failed_transaction_powers_the_card_off_before_telling_the_backend() -> None:
    kit = make_kit(card=FakeCard(auth_tries=1))
    closed_when_told: list[int] = []
    abandon = kit.backend.abandon

    def abandon_noting_the_card(ticket: Ticket, reason: str) -> None:
        closed_when_told.append(kit.card.closed)
        abandon(ticket, reason)

    kit.backend.abandon = abandon_noting_the_card  # type: ignore[method-assign]
    kit.to_auth_pin()
    kit.flow.confirm_last_try()
    kit.flow.submit_auth_pin(bytearray(b"0000"))
    assert kit.step == Step.ERROR and closed_when_told == [1]


def test_bad_format_costs_no_try(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.submit_auth_pin(bytearray(b"12a4"))
    kit.flow.submit_auth_pin(bytearray(b"12345"))
    assert kit.flow.view.entry_problem == EntryProblem.BAD_FORMAT
    assert kit.card.pins_seen == []


@pytest.mark.parametrize(
    ("card", "code"),
    [
        (FakeCard(auth_tries=0), FailureCode.AUTH_PIN_BLOCKED),
        (FakeCard(sign_cert_present=False), FailureCode.SIGN_CERT_MISSING),
        (FakeCard(sign_cert_expiry=dt.date(2026, 11, 24)), FailureCode.SIGN_CERT_EXPIRED),
        (FakeCard(fail={"read_card": NotAMyNumberCardError()}), FailureCode.NOT_A_MY_NUMBER_CARD),
    ],
)
def test_card_problems_found_on_reading(card: FakeCard, code: FailureCode) -> None:
    kit = make_kit(card=card)
    kit.flow.begin()
    kit.flow.agree()
    kit.flow.card_event(CardPresence.PRESENT)
    kit.flow.approve()
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == code
    assert "begin" not in kit.backend.calls  # the backend is not bothered for a bad card


def test_backend_offline_is_found_before_any_pin_try(kit: Kit) -> None:
    kit.backend.fail["begin"] = BackendOfflineError("down")
    kit.flow.begin()
    kit.flow.agree()
    kit.flow.card_event(CardPresence.PRESENT)
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.BACKEND_OFFLINE
    assert "verify_auth_pin" not in kit.card.calls


def test_backend_refusal_during_the_reset(kit: Kit) -> None:
    kit.to_processing()
    kit.backend.fail["authorise_reset"] = BackendRefusedError("rate_limit")
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.BACKEND_REFUSED
    assert "relay" not in kit.card.calls


def test_card_answer_not_accepted_is_reset_failed(kit: Kit) -> None:
    kit.to_processing()
    kit.backend.success = False
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.RESET_FAILED
    assert kit.backend.abandoned == []  # the backend already knows the outcome


@pytest.mark.parametrize(
    "to_step", ["to_auth_pin", "to_unlock_photo", "to_face_check", "to_new_pin", "to_processing"]
)
def test_removing_the_card_aborts_every_transaction_step(kit: Kit, to_step: str) -> None:
    getattr(kit, to_step)()
    kit.flow.card_event(CardPresence.ABSENT)
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.CARD_REMOVED
    assert repr(kit.flow._secrets) == "SecretStore(names=[])"
    assert kit.card.calls[-1] == "close"


def test_card_removed_during_card_work_is_reported_as_removed(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.card.present = False
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.flow.view.failure == FailureCode.CARD_REMOVED


def test_other_card_before_a_pin_try_discards_everything(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.card.card_id = "card-B"
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.flow.view.failure == FailureCode.CARD_SWAPPED
    assert kit.card.pins_seen == []  # the PIN never went to the other card


def test_changed_counters_before_the_reset_count_as_a_swap(kit: Kit) -> None:
    kit.to_processing()
    kit.card.sign_tries = 2  # someone else's card with the same id would still differ here
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.CARD_SWAPPED
    assert "authorise_reset" not in kit.backend.calls


def test_own_wrong_tries_are_not_mistaken_for_a_swap(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.submit_auth_pin(bytearray(b"0000"))
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    kit.flow.submit_text_pin(bytearray(b"0000"))
    assert kit.flow.view.text_tries_left == 2
    kit.flow.submit_text_pin(bytearray(b"1234"))
    assert kit.step == Step.FACE_CHECK
    # The correct text PIN restored its counter: the reset's same-card check expects that.
    kit.flow.approve()
    kit.flow.submit_new_pin(bytearray(b"ABC123"), bytearray(b"ABC123"))
    kit.flow.approve()
    assert kit.step == Step.DONE, kit.flow.view


def test_a_text_counter_spent_before_this_visit_is_restored_without_a_false_swap() -> None:
    kit = make_kit(card=FakeCard(text_tries=2))  # a wrong try some other day
    kit.to_processing()
    kit.flow.approve()
    assert kit.step == Step.DONE, kit.flow.view


def test_a_card_swapped_as_the_photo_is_read_is_caught_after_the_text_pin() -> None:
    card = FakeCard()
    kit = make_kit(card=card)
    kit.to_unlock_photo()
    real_read = card.read_photo_with_text_pin

    def read_then_swap(pin: bytearray) -> bytearray:
        photo = real_read(pin)
        card.card_id = "card-B"
        return photo

    card.read_photo_with_text_pin = read_then_swap  # type: ignore[method-assign,assignment]
    kit.flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.CARD_SWAPPED


def _time_out_processing(kit: Kit) -> None:
    limit = kit.flow.config.timeout(Step.PROCESSING)
    assert limit is not None
    kit.clock.advance(limit + 1)
    kit.flow.tick()


def test_a_reset_job_outliving_its_step_never_writes_the_card(kit: Kit) -> None:
    kit.to_processing()
    authorise = kit.backend.authorise_reset

    def slow_authorise(ticket: Ticket, new_pin: bytearray, challenge: bytes) -> bytes:
        apdu = authorise(ticket, new_pin, challenge)
        _time_out_processing(kit)  # the step's time runs out while the backend answers
        return apdu

    kit.backend.authorise_reset = slow_authorise  # type: ignore[method-assign,assignment]
    kit.runner.hold = True
    kit.flow.approve()
    kit.runner.run_held()
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.STEP_TOO_SLOW  # "nothing changed" is true:
    assert "relay" not in kit.card.calls and kit.card.new_sign_pin is None
    assert kit.backend.abandoned == [FailureCode.STEP_TOO_SLOW.value]
    assert kit.card.calls[-1] == "close"


def test_a_reset_job_that_starts_after_its_step_ended_asks_the_backend_nothing(
    kit: Kit,
) -> None:
    kit.to_processing()
    kit.runner.hold = True
    kit.flow.approve()
    _time_out_processing(kit)
    kit.runner.run_held()
    assert kit.step == Step.ERROR and "authorise_reset" not in kit.backend.calls
    assert "relay" not in kit.card.calls


def test_a_step_ending_while_the_card_is_written_says_unconfirmed(kit: Kit) -> None:
    kit.to_processing()
    relay = kit.card.relay

    def slow_relay(apdu: bytes) -> bytes:
        answer = relay(apdu)
        _time_out_processing(kit)
        return answer

    kit.card.relay = slow_relay  # type: ignore[method-assign]
    kit.runner.hold = True
    kit.flow.approve()
    kit.runner.run_held()
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.RESET_UNCONFIRMED


def test_inactivity_times_out_and_activity_restarts_the_clock(kit: Kit) -> None:
    kit.to_auth_pin()
    limit = kit.flow.config.timeout(Step.AUTH_PIN)
    assert limit is not None
    kit.clock.advance(limit - 1)
    assert kit.flow.countdown() == 1
    kit.flow.user_activity()
    assert kit.flow.countdown() is None  # far from the end again
    kit.clock.advance(limit - 1)
    kit.flow.tick()
    assert kit.step == Step.AUTH_PIN
    kit.clock.advance(1.5)
    kit.flow.tick()
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.TIMED_OUT


def test_every_step_with_a_timeout_leaves_on_it() -> None:
    for step_fn, step in [
        (lambda k: (k.flow.begin()), Step.CONSENT),
        (lambda k: (k.flow.begin(), k.flow.agree()), Step.PLACE_CARD),
        (lambda k: k.to_face_check(), Step.FACE_CHECK),
        (lambda k: k.to_new_pin(), Step.NEW_PIN),
    ]:
        kit = make_kit()
        step_fn(kit)
        assert kit.step == step
        kit.clock.advance(1000)
        kit.flow.tick()
        assert kit.step in (Step.START, Step.ERROR), step


def test_config_timeouts_are_used() -> None:
    kit = make_kit(FlowConfig.from_mapping({"timeouts": {"consent": 5}}))
    kit.flow.begin()
    kit.clock.advance(5.1)
    kit.flow.tick()
    assert kit.step == Step.START


def test_cancel_in_a_transaction_shows_cancelled_and_before_it_goes_home(kit: Kit) -> None:
    kit.flow.begin()
    kit.flow.cancel()
    assert kit.step == Step.START
    kit.to_new_pin()
    kit.flow.cancel()
    assert kit.flow.view.failure == FailureCode.CANCELLED
    assert kit.backend.abandoned == ["K01"]


def test_face_mismatch_retries_then_sends_to_the_office() -> None:
    kit = make_kit()
    kit.face.results = [NO_MATCH]
    kit.to_face_check()
    for attempt in (1, 2):
        kit.flow.approve()
        assert kit.step == Step.FACE_CHECK
        assert kit.flow.view.face_last_failure == FailureCode.FACE_NO_MATCH
        assert kit.flow.view.face_attempts_used == attempt
        assert kit.flow.view.awaiting_approval
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.FACE_NO_MATCH
    assert kit.backend.faces == [NO_MATCH]  # only the final result goes to the backend


def test_liveness_failure_then_success(kit: Kit) -> None:
    kit.face.results = [NOT_LIVE, GOOD_RESULT]
    kit.to_face_check()
    kit.flow.approve()
    assert kit.flow.view.face_last_failure == FailureCode.FACE_NOT_LIVE
    kit.flow.approve()
    assert kit.step == Step.NEW_PIN
    assert kit.backend.faces == [GOOD_RESULT]  # a failure followed by a success is not told
    kit.flow.cancel()
    assert kit.backend.faces == [GOOD_RESULT]


@pytest.mark.parametrize("leave", ["cancel", "timeout"])
def test_a_failed_face_attempt_still_counts_when_the_resident_leaves_before_the_next(
    kit: Kit, leave: str
) -> None:
    # Otherwise cancelling before the last attempt would keep every failure off the card's
    # record at the backend, however often it is tried.
    kit.face.results = [NOT_LIVE]
    kit.to_face_check()
    kit.flow.approve()
    assert kit.step == Step.FACE_CHECK and kit.backend.faces == []
    if leave == "cancel":
        kit.flow.cancel()
    else:
        limit = kit.flow.config.timeout(Step.FACE_CHECK)
        assert limit is not None
        kit.clock.advance(limit + 1)
        kit.flow.tick()
    assert kit.step == Step.ERROR
    assert kit.backend.faces == [NOT_LIVE]
    assert kit.backend.bindings == [BINDING]
    assert kit.card.calls[-1] == "close"


def test_a_late_face_report_that_fails_still_lets_the_ticket_be_abandoned(kit: Kit) -> None:
    kit.face.results = [NOT_LIVE]
    kit.to_face_check()
    kit.flow.approve()
    kit.backend.fail["report_face"] = BackendFailedError("409 transaction closed")
    kit.flow.cancel()
    assert kit.backend.calls[-2:] == ["report_face", "abandon"]
    assert kit.backend.abandoned == [FailureCode.CANCELLED.value]


def test_an_earlier_failure_is_not_reported_once_a_later_attempt_went_to_the_backend(
    kit: Kit,
) -> None:
    kit.face.results = [NOT_LIVE, GOOD_RESULT]
    kit.to_face_check()
    kit.flow.approve()
    kit.backend.fail["report_face"] = BackendOfflineError("gone")  # the success's report fails
    kit.flow.approve()
    assert kit.step == Step.ERROR
    assert kit.backend.calls.count("report_face") == 1  # the success's, never the failure's


def test_face_hints_and_prompts_reach_the_view(kit: Kit) -> None:
    kit.to_face_check()
    kit.flow.approve()
    hints = {v.face_hint for v in kit.views if v.face_hint}
    prompts = {v.face_prompt for v in kit.views if v.face_prompt}
    assert hints == {FaceHint.MOVE_CLOSER}
    assert prompts == {LivenessPrompt.BLINK}
    assert kit.flow.view.face_hint is None  # cleared on leaving the step


def test_the_screens_illumination_colour_reaches_the_view_and_is_cleared(kit: Kit) -> None:
    kit.face.colour = (0.45, 1.0, 0.45)
    kit.to_face_check()
    kit.flow.approve()
    assert {v.face_illumination for v in kit.views if v.face_illumination} == {(0.45, 1.0, 0.45)}
    assert kit.flow.view.face_illumination is None  # never left lit after the step


def test_camera_unavailable() -> None:
    kit = make_kit()
    kit.face.fail = FaceCheckUnavailableError("no camera")
    kit.to_face_check()
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.CAMERA_UNAVAILABLE


def test_new_pin_rules_and_mismatch(kit: Kit) -> None:
    kit.to_new_pin()
    first, second = bytearray(b"abc"), bytearray(b"abc")
    kit.flow.submit_new_pin(first, second)
    assert kit.flow.view.new_pin_problem == NewPinProblem.BROKEN_RULES
    assert set(kit.flow.view.new_pin_broken_rules) == {
        SignPinRule.LENGTH, SignPinRule.CHARSET, SignPinRule.HAS_LETTER, SignPinRule.HAS_DIGIT,
    }
    assert first == bytearray() and second == bytearray()
    kit.flow.submit_new_pin(bytearray(b"ABC123"), bytearray(b"ABC124"))
    assert kit.flow.view.new_pin_problem == NewPinProblem.MISMATCH
    assert kit.step == Step.NEW_PIN
    kit.flow.submit_new_pin(bytearray(b"ABC123"), bytearray(b"ABC123"))
    assert kit.step == Step.PROCESSING


def test_same_as_before_wrong_is_not_offered_again() -> None:
    kit = make_kit(card=FakeCard(text_pin=b"5678"))
    kit.to_unlock_photo()
    kit.flow.submit_same_pin_as_before(understood_it_costs_a_try=True)
    assert kit.step == Step.UNLOCK_PHOTO
    assert kit.flow.view.entry_problem == EntryProblem.WRONG
    assert kit.flow.view.text_tries_left == 2
    assert not kit.flow.view.same_as_before_available
    kit.flow.submit_number_b(bytearray(b"06010120304321"))
    assert kit.step == Step.FACE_CHECK


def test_same_as_before_needs_the_warning_acknowledged(kit: Kit) -> None:
    kit.to_unlock_photo()
    with pytest.raises(ValueError, match="costs a try"):
        kit.flow.submit_same_pin_as_before(understood_it_costs_a_try=False)


def test_photo_locked_when_both_ways_are_used_up() -> None:
    kit = make_kit(card=FakeCard(text_tries=0, number_b_tries=1))
    kit.to_unlock_photo()
    assert not kit.flow.view.same_as_before_available
    kit.flow.submit_text_pin(bytearray(b"1234"))
    assert kit.flow.view.entry_problem == EntryProblem.BLOCKED
    kit.flow.submit_number_b(bytearray(b"00000000000000"))
    assert kit.flow.view.failure == FailureCode.PHOTO_LOCKED


def test_forged_card_face_is_refused(kit: Kit) -> None:
    kit.card.fail["read_photo_with_text_pin"] = CardFaceInvalidError("bad signature")
    kit.to_unlock_photo()
    kit.flow.submit_text_pin(bytearray(b"1234"))
    assert kit.flow.view.failure == FailureCode.CARD_FACE_INVALID


def test_done_alarm_when_the_card_is_left(kit: Kit) -> None:
    kit.to_processing()
    kit.flow.approve()
    assert kit.step == Step.DONE and not kit.flow.view.alarm
    kit.clock.advance(11)
    kit.flow.tick()
    assert kit.step == Step.DONE and kit.flow.view.alarm
    kit.flow.card_event(CardPresence.ABSENT)
    assert kit.step == Step.START and not kit.flow.view.alarm


def test_error_acknowledged_with_the_card_on_the_reader_alarms(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.cancel()
    kit.flow.acknowledge()
    assert kit.step == Step.ERROR and kit.flow.view.alarm
    assert kit.flow.view.failure == FailureCode.CANCELLED
    kit.flow.card_event(CardPresence.ABSENT)
    assert kit.step == Step.START


def test_error_without_card_goes_home_on_ok(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.card_event(CardPresence.ABSENT)
    kit.flow.acknowledge()
    assert kit.step == Step.START


def test_out_of_service_waits_for_the_resident_to_finish(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.set_out_of_service(True)
    assert kit.step == Step.AUTH_PIN
    kit.flow.cancel()
    kit.flow.card_event(CardPresence.ABSENT)
    kit.flow.acknowledge()
    assert kit.step == Step.OUT_OF_SERVICE
    kit.flow.begin()  # the start button is not there; nothing happens
    assert kit.step == Step.OUT_OF_SERVICE
    kit.flow.set_out_of_service(False)
    assert kit.step == Step.START


def test_reader_lost_and_found(kit: Kit) -> None:
    kit.flow.card_event(CardPresence.NO_READER)
    assert kit.step == Step.OUT_OF_SERVICE
    kit.flow.card_event(CardPresence.ABSENT)
    assert kit.step == Step.START


def test_reader_lost_mid_transaction(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.flow.card_event(CardPresence.NO_READER)
    assert kit.flow.view.failure == FailureCode.READER_UNAVAILABLE


def test_input_in_the_wrong_step_is_ignored_and_wiped(kit: Kit) -> None:
    pin = bytearray(b"1234")
    kit.flow.submit_auth_pin(pin)
    assert pin == bytearray()
    assert kit.step == Step.START
    assert kit.card.calls == []


def test_a_transition_outside_the_table_is_refused(kit: Kit) -> None:
    with pytest.raises(FlowError):
        kit.flow._go(Exit.RESET_DONE)


@pytest.mark.expect_logged_errors
def test_unexpected_errors_become_internal(kit: Kit) -> None:
    kit.card.fail["verify_auth_pin"] = RuntimeError("boom")
    kit.to_auth_pin()
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.flow.view.failure == FailureCode.INTERNAL


def test_face_fake_default_is_a_match() -> None:
    assert FakeFace().results[0].matched


def test_an_io_fault_is_looked_into_removed_swapped_or_unreadable() -> None:
    from kiosk.flow.ports import CardFaultError

    for change, code in [
        (lambda card: None, FailureCode.CARD_UNREADABLE),
        (lambda card: setattr(card, "card_id", "card-B"), FailureCode.CARD_SWAPPED),
        (lambda card: setattr(card, "present", False), FailureCode.CARD_REMOVED),
    ]:
        kit = make_kit()
        kit.to_unlock_photo()
        kit.card.fail["read_photo_with_text_pin"] = CardFaultError("SCardTransmit failed")

        def during(name: str, card: FakeCard = kit.card, change: object = change) -> None:
            if name == "read_photo_with_text_pin":
                change(card)  # type: ignore[operator]

        kit.card.before = during
        kit.flow.submit_text_pin(bytearray(b"1234"))
        assert kit.flow.view.failure == code
        assert kit.card.calls[-2:] == ["read_counters", "close"]  # the probe, then power off


def test_an_io_fault_in_the_first_read_is_looked_into_removed_or_unreadable() -> None:
    from kiosk.flow.ports import CardFaultError

    cases = [(True, FailureCode.CARD_UNREADABLE), (False, FailureCode.CARD_REMOVED)]
    for still_there, code in cases:
        kit = make_kit()
        kit.card.fail["read_card"] = CardFaultError("SCardTransmit failed")

        def during(name: str, card: FakeCard = kit.card, stays: bool = still_there) -> None:
            if name == "read_card":
                card.present = stays

        kit.card.before = during
        kit.flow.begin()
        kit.flow.agree()
        kit.flow.card_event(CardPresence.PRESENT)
        kit.flow.approve()
        assert kit.flow.view.failure == code
        assert "read_counters" in kit.card.calls  # the probe: an empty VERIFY, no PIN try
        assert kit.card.pins_seen == []


def test_a_chip_the_backend_did_not_issue_with_the_card_ends_with_its_own_code(kit: Kit) -> None:
    kit.to_auth_pin()
    kit.backend.fail["prove_card"] = CardMismatchError("card_binding_mismatch")
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.CARD_MISMATCH
    assert "read_photo_with_text_pin" not in kit.card.calls  # nothing more read from the card
    assert kit.card.closed >= 1


def test_a_card_face_the_backend_did_not_issue_with_the_card_ends_with_its_own_code(
    kit: Kit,
) -> None:
    kit.to_face_check()
    kit.backend.fail["report_face"] = CardMismatchError("card_binding_mismatch")
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.CARD_MISMATCH
    assert "authorise_reset" not in kit.backend.calls and "relay" not in kit.card.calls


def test_the_photo_is_trusted_only_after_the_chip_proof(kit: Kit) -> None:
    """The card port checks the face against the chip's signature over the backend's nonce:
    without a chip proof in the session there is no photo."""
    kit.to_auth_pin()
    kit.card.fail["sign_with_chip_key"] = CardFaceInvalidError("chip refused")
    kit.flow.submit_auth_pin(bytearray(b"1234"))
    assert kit.flow.view.failure == FailureCode.CARD_FACE_INVALID
    assert "prove_card" not in kit.backend.calls


def test_a_flagged_kiosk_sends_the_resident_to_staff(kit: Kit) -> None:
    kit.backend.fail["begin"] = BackendRefusedError("kiosk_flagged")
    kit.flow.begin()
    kit.flow.agree()
    kit.flow.card_event(CardPresence.PRESENT)
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.KIOSK_FLAGGED


def test_an_answer_the_backend_cannot_authenticate_is_unconfirmed(kit: Kit) -> None:
    kit.to_processing()
    kit.backend.unconfirmed = True
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.RESET_UNCONFIRMED
    assert kit.backend.abandoned == []  # the backend closed it already


@pytest.mark.parametrize(
    "fault", [CardRemovedError("gone"), RuntimeError("reader died")], ids=["removed", "fault"]
)
def test_a_fault_while_the_command_is_at_the_card_is_unconfirmed(
    kit: Kit, fault: Exception
) -> None:
    """Once the command was sent, the card may have set the PIN: never "nothing changed"."""
    kit.to_processing()
    kit.card.fail["relay"] = fault
    kit.flow.approve()
    assert kit.flow.view.failure == FailureCode.RESET_UNCONFIRMED
    assert kit.backend.abandoned == [FailureCode.RESET_UNCONFIRMED.value]


def test_card_pulled_after_the_command_went_out_is_unconfirmed(kit: Kit) -> None:
    kit.to_processing()

    def pull_after_relay(name: str) -> None:
        if name == "relay":
            kit.flow.card_event(CardPresence.ABSENT)

    kit.card.before = pull_after_relay
    kit.flow.approve()
    assert kit.step == Step.ERROR
    assert kit.flow.view.failure == FailureCode.RESET_UNCONFIRMED


def test_no_cancel_once_the_reset_is_under_way(kit: Kit) -> None:
    kit.to_processing()
    kit.flow.cancel()
    assert kit.step == Step.PROCESSING
    kit.flow.approve()
    assert kit.step == Step.DONE


def test_no_secret_reaches_the_log(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    caplog.set_level(logging.DEBUG)
    kit = make_kit(card=FakeCard(auth_pin=b"8642", text_pin=b"9753"))
    kit.to_auth_pin()
    kit.flow.submit_auth_pin(bytearray(b"8641"))  # wrong once
    kit.flow.submit_auth_pin(bytearray(b"8642"))
    kit.flow.submit_text_pin(bytearray(b"9753"))
    kit.flow.approve()
    kit.flow.submit_new_pin(bytearray(b"QX7Z9W2K"), bytearray(b"QX7Z9W2K"))
    kit.flow.approve()
    assert kit.step == Step.DONE
    logged = caplog.text + repr(kit.flow.view)
    assert "flow: start" in caplog.text or "--begin-->" in caplog.text
    for secret in ("8641", "8642", "9753", "QX7Z9W2K", "fake-photo"):
        assert secret not in logged


def test_accessible_mode_lengthens_only_the_residents_steps() -> None:
    from kiosk.flow.config import FlowConfig
    from tests.flow.kit import make_kit

    kit = make_kit(FlowConfig.from_mapping({"accessible_factor": 3}))
    kit.flow.set_accessible(True)
    assert kit.flow.view.accessible
    kit.to_auth_pin()
    limit = kit.flow.config.timeout(Step.AUTH_PIN)
    assert limit is not None
    assert kit.flow.seconds_left() == 3 * limit
    kit.clock.advance(2 * limit)
    kit.flow.tick()
    assert kit.step == Step.AUTH_PIN
    kit.flow.set_accessible(False)
    kit.flow.tick()
    assert kit.step == Step.ERROR  # the normal limit has long passed


def test_accessible_factor_setting_is_checked() -> None:
    import pytest

    from kiosk.flow.config import FlowConfig

    assert FlowConfig.from_mapping({"accessible_factor": 1.5}).accessible_factor == 1.5
    for bad in (0.5, 6, True, "2"):
        with pytest.raises(ValueError, match="accessible_factor"):
            FlowConfig.from_mapping({"accessible_factor": bad})
