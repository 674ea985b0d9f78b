"""Replayed and altered protocol messages against the real server over mutual TLS, with a
virtual card. Complements tests/backend/test_refusals.py (replayed card proof and nonce,
another kiosk's key, altered and replayed reset commands, forged card answer), which these
tests do not repeat."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.messages import Liveness
from kiosk_protocol.signing import sign_face_evidence
from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, error_code, new_key
from tests.helpers.virtual_card import TEST_PINS
from tests.security.conftest import BackendFactory


def ready_for_command(steps: Steps, driver: CardDriver) -> str:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    assert steps.face(tx).status_code == 200
    return tx


def sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


# --- face evidence altered after the kiosk signed it -------------------------------------------

ALTERATIONS: dict[str, Any] = {
    "matched": True,  # the check failed; the evidence is rewritten to a match
    "score_ppm": 100_000,
    "threshold_ppm": 600_000,
    "frames_used": 50,
    "liveness": Liveness.PASSED.value,
    "model_version": "forged/9",
}


@pytest.mark.parametrize("field", sorted(ALTERATIONS))
def test_evidence_altered_after_signing_is_refused(
    steps: Steps, driver: CardDriver, field: str
) -> None:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    honest = steps.evidence(
        tx,
        matched=False,
        score_ppm=900_000,
        threshold_ppm=550_000,
        frames_used=1,
        liveness=Liveness.FAILED,
        model_version="test/1",
    )
    signature = sign_face_evidence(steps.credentials.signing_key(), honest)
    forged = honest.to_json()
    forged[field] = ALTERATIONS[field]
    response = steps.http.post(
        f"/v1/transactions/{tx}/face-evidence",
        json={
            "idempotency_key": new_key(),
            "evidence": forged,
            "signature": base64.b64encode(signature).decode(),
        },
    )
    assert (response.status_code, error_code(response)) == (400, "bad_kiosk_signature")
    assert steps.status(tx)["state"] == "awaiting_face_evidence"


# --- a transaction's messages moved into another transaction -----------------------------------


def test_pin_envelope_of_another_transaction_is_refused(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    """The new PIN is encrypted with the transaction id as associated data: an envelope
    captured from transaction A cannot set a PIN through transaction B."""
    first = ready_for_command(steps, driver)
    second = ready_for_command(steps, driver)
    driver.select_jpki()
    challenge = driver.get_challenge()
    moved = steps.reset_command_body(first, "STOLEN12", challenge)  # built for `first`
    response = steps.post_body(second, "reset-command", moved)
    assert (response.status_code, error_code(response)) == (400, "pin_envelope_invalid")
    assert steps.status(second)["state"] == "awaiting_reset_request"
    assert sign_pin(virtual_card) == (TEST_PINS["sign_pin"], 5)


def test_card_answer_of_another_transaction_is_not_authentic(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    """A genuine card answer is MACed under session keys of its own challenge: replayed into
    another transaction (or the same card's next one) it proves nothing."""
    first = ready_for_command(steps, driver)
    driver.select_jpki()
    apdu = base64.b64decode(
        steps.reset_command(first, "GENUINE1", driver.get_challenge()).json()["apdu"]
    )
    genuine_answer = virtual_card.process(apdu)
    second = ready_for_command(steps, driver)
    driver.select_jpki()
    steps.reset_command(second, "SECOND22", driver.get_challenge())  # never sent to the card
    replayed = steps.card_answer(second, genuine_answer).json()
    assert replayed["outcome"] == "unconfirmed"  # proves nothing: never "nothing changed"
    assert steps.card_answer(first, genuine_answer).json()["outcome"] == "pin_reset"
    assert sign_pin(virtual_card) == ("GENUINE1", 5)


def test_reset_command_in_a_swapped_transaction_path_is_refused(
    backend: RunningBackend, steps: Steps, driver: CardDriver
) -> None:
    """The transaction id in the path is the only one that counts: a body for transaction A
    posted to B's path decrypts nothing (bound to A); posted with B's id but A's idempotency
    key it is a reused key."""
    first = ready_for_command(steps, driver)
    second = ready_for_command(steps, driver)
    driver.select_jpki()
    body = steps.reset_command_body(first, "FIRSTPIN2", driver.get_challenge())
    assert steps.post_body(first, "reset-command", body).status_code == 200
    reused = steps.post_body(second, "reset-command", body)
    assert reused.status_code in (400, 409, 422) and "apdu" not in reused.json()
    assert steps.status(second)["state"] == "awaiting_reset_request"


def test_an_idempotent_replay_on_another_transaction_path_is_refused(
    steps: Steps, driver: CardDriver
) -> None:
    first = ready_for_command(steps, driver)
    second = ready_for_command(steps, driver)
    driver.select_jpki()
    body = steps.reset_command_body(first, "FIRSTPIN3", driver.get_challenge())
    assert steps.post_body(first, "reset-command", body).status_code == 200
    driver.select_jpki()
    assert steps.reset_command(second, "SECONDP33", driver.get_challenge()).status_code == 200
    replayed = steps.post_body(second, "reset-command", body)  # A's body and key, B's path
    assert replayed.status_code >= 400, replayed.json()


# --- replayed requests ------------------------------------------------------------------------


def test_the_reset_command_cannot_be_fetched_again_after_the_transaction_closed(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    """A retry of the reset-command request (same key, same body) replays the command only
    while its transaction is open; afterwards the server no longer holds it."""
    tx = ready_for_command(steps, driver)
    driver.select_jpki()
    body = steps.reset_command_body(tx, "ONCEONLY1", driver.get_challenge())
    apdu = base64.b64decode(steps.post_body(tx, "reset-command", body).json()["apdu"])
    assert steps.card_answer(tx, virtual_card.process(apdu)).json()["outcome"] == "pin_reset"
    again = steps.post_body(tx, "reset-command", body)
    assert "apdu" not in again.json()
    assert (again.status_code, error_code(again)) == (409, "command_no_longer_available")


def test_nonces_and_transaction_ids_are_never_reused(make_backend: BackendFactory) -> None:
    kiosk = Steps(make_backend(Policy(kiosk_max_transactions=1000)))
    seen_nonces: set[bytes] = set()
    seen_ids: set[str] = set()
    for _ in range(150):
        tx, nonce = kiosk.begin_ok()
        assert len(nonce) == 32
        assert nonce not in seen_nonces and tx not in seen_ids
        seen_nonces.add(nonce)
        seen_ids.add(tx)
    kiosk.close()


def test_a_card_proof_for_the_right_transaction_but_the_wrong_nonce_is_refused(
    steps: Steps, driver: CardDriver
) -> None:
    """The nonce of an earlier transaction, signed with the current transaction id."""
    from kiosk_protocol.signing import card_proof_digest_info

    _old_tx, old_nonce = steps.begin_ok()
    tx, _nonce = steps.begin_ok()
    driver.select_jpki()
    driver.verify_auth_pin(TEST_PINS["auth_pin"])
    certificate = driver.read_auth_certificate()
    signature = driver.sign_with_auth_key(card_proof_digest_info(tx, old_nonce, "kiosk-1"))
    response = steps.card_proof(tx, certificate, signature)
    assert (response.status_code, error_code(response)) == (422, "bad_card_signature")
    assert steps.status(tx)["outcome"] == "card_proof_invalid"


def test_nonces_and_chip_nonces_are_distinct_and_never_reused(
    make_backend: BackendFactory,
) -> None:
    kiosk = Steps(make_backend(Policy(kiosk_max_transactions=1000)))
    seen: set[bytes] = set()
    for _ in range(50):
        tx, nonce = kiosk.begin_ok()
        chip_nonce = kiosk.chip_nonces[tx]
        assert len(chip_nonce) == 32 and chip_nonce != nonce
        assert nonce not in seen and chip_nonce not in seen
        seen.update((nonce, chip_nonce))
    kiosk.close()
