"""The backend down, slow, answering 503 or dropping the connection at each protocol step,
through ``FaultProxy`` between the kiosk's client and the real backend (mutual TLS both ways).

- A lost reply (the backend ran the call, the answer never came back) is retried with the same
  idempotency key: the transaction still succeeds, once.
- A fault that persists ends the transaction with B01 (unreachable) or B04 (backend error),
  or R02 once the card has answered (the new PIN may be on it);
  the backend closes it as aborted, or "unconfirmed" once the reset command had gone out;
  the card keeps its old sign PIN.
- After the card answered, a backend that cannot be reached leaves the answer in the kiosk's
  journal; when the backend is back, reconciliation delivers it and all three agree: reset.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk.backend_client import BackendClient
from kiosk.card_reader.card_info import TrustAnchors
from kiosk.journal import Journal, JournalStep, reconcile
from tests.backend.harness import RunningBackend
from tests.faults.proxy import Action, FaultProxy, Rule
from tests.faults.stack import (
    NEW_PIN,
    OLD_SIGN_PIN,
    backend_transactions,
    card_state,
    kiosk_config,
    proxy_for,
    resident_camera,
    run_flow,
    settled_backend,
)
from tests.helpers.virtual_card import DEFAULT_PHOTO, InsertedCard

pytestmark = [
    pytest.mark.pcsc,
]

STEPS = ("begin", "card_proof", "face_evidence", "server_key", "reset_command", "card_answer")
CAMERA = resident_camera(DEFAULT_PHOTO)


@pytest.fixture
def proxy(backend: RunningBackend) -> Iterator[FaultProxy]:
    running = proxy_for(backend)
    try:
        yield running
    finally:
        running.stop()


def _sole_transaction(backend: RunningBackend) -> tuple[str, str, str | None, str | None]:
    rows = settled_backend(backend)
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.slow
@pytest.mark.parametrize("step", ["begin", "face_evidence", "reset_command", "card_answer"])
def test_a_lost_reply_is_retried_and_applied_once(
    *, step: str, card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    proxy: FaultProxy, journal: Journal,
) -> None:
    proxy.rules[step] = Rule(Action.CUT_AFTER, times=1)
    run = run_flow(anchors, kiosk_config(backend, proxy.url), CAMERA, journal)
    assert run.result.success, run.result
    assert (step, "cut_after") in proxy.seen
    transaction_id, state, outcome, check = _sole_transaction(backend)
    assert (state, outcome) == ("closed", "pin_reset")
    assert check  # the type of identity check is on record
    assert journal.entries()[transaction_id].outcome == "pin_reset"
    assert card_state(candidates=(NEW_PIN,)).sign_pin == NEW_PIN


DOWN, BUSY = (Action.CUT_BEFORE, "B01"), (Action.BUSY, "B04")
PERSISTENT = [(step, *DOWN) for step in STEPS[:-1]] + [
    (step, *BUSY) for step in ("begin", "card_proof", "reset_command")
]


@pytest.mark.slow
@pytest.mark.parametrize(("step", "action", "code"), PERSISTENT)
def test_a_persistent_fault_before_the_card_is_written_changes_nothing(
    *, step: str, action: Action, code: str, card_in_reader: InsertedCard, anchors: TrustAnchors,
    backend: RunningBackend, proxy: FaultProxy, journal: Journal,
) -> None:
    proxy.rules[step] = Rule(action)
    run = run_flow(anchors, kiosk_config(backend, proxy.url), CAMERA, journal)
    assert run.result.code == code, run.result
    rows = settled_backend(backend)
    if step == "begin":
        assert rows == [] and journal.entries() == {}
    else:
        [(transaction_id, state, outcome, _)] = rows
        assert (state, outcome) == ("closed", "aborted"), (proxy.seen, journal.entries())
        assert journal.entries()[transaction_id].outcome == "aborted"
    assert journal.unfinished() == []
    card = card_state()
    assert card.sign_pin == OLD_SIGN_PIN
    assert card.auth_tries == 3


def test_slow_backend_times_out_safely(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    proxy: FaultProxy, journal: Journal,
) -> None:
    proxy.rules["card_proof"] = Rule(Action.DELAY, seconds=1.5)
    config = kiosk_config(backend, proxy.url, read_timeout=0.5, retries=1)
    run = run_flow(anchors, config, CAMERA, journal)
    assert run.result.code == "B01", run.result
    [(transaction_id, state, outcome, _)] = settled_backend(backend, timeout=10)
    # The delayed calls still reach the backend later; the abort wins or comes after: either
    # way the transaction ends closed without a reset and the kiosk knows it.
    assert state == "closed" and outcome in ("aborted",), outcome
    assert journal.entries()[transaction_id].finished
    assert card_state().sign_pin == OLD_SIGN_PIN


def test_reset_command_reply_lost_for_good_is_unconfirmed_not_reset(
    card_in_reader: InsertedCard, anchors: TrustAnchors, backend: RunningBackend,
    proxy: FaultProxy, journal: Journal,
) -> None:
    proxy.rules["reset_command"] = Rule(Action.CUT_AFTER)
    run = run_flow(anchors, kiosk_config(backend, proxy.url), CAMERA, journal)
    assert run.result.code == "B01", run.result
    [(transaction_id, state, outcome, _)] = settled_backend(backend)
    # The backend issued a command the card never saw: it cannot know that, so "unconfirmed".
    assert (state, outcome) == ("closed", "unconfirmed")
    assert journal.entries()[transaction_id].outcome == "unconfirmed"
    assert card_state().sign_pin == OLD_SIGN_PIN


@pytest.mark.parametrize("action", [Action.CUT_BEFORE, Action.CUT_AFTER, Action.BUSY])
def test_backend_gone_after_the_card_answered_is_reconciled(
    *, action: Action, card_in_reader: InsertedCard, anchors: TrustAnchors,
    backend: RunningBackend, proxy: FaultProxy, journal: Journal,
) -> None:
    proxy.rules["card_answer"] = Rule(action)
    config = kiosk_config(backend, proxy.url)
    run = run_flow(anchors, config, CAMERA, journal)
    # The card answered: the resident is told the new PIN may already be on the card (R02),
    # never "nothing was changed" (B01/B04).
    assert not run.result.success and run.result.code == "R02", run.result
    assert card_state(candidates=(NEW_PIN,)).sign_pin == NEW_PIN  # the card did it
    [(transaction_id, state, outcome, _)] = backend_transactions(backend)
    entry = journal.entries()[transaction_id]
    if action == Action.CUT_AFTER:
        # The backend got the answer (its reply was lost): it already knows.
        assert (state, outcome) == ("closed", "pin_reset")
    else:
        assert (state, outcome) == ("awaiting_card_answer", None)
    assert entry.step == JournalStep.CARD_ANSWERED and entry.card_answer

    proxy.rules.clear()  # the backend is reachable again; the kiosk settles its journal
    with BackendClient(config) as client:
        [settled] = reconcile(journal, client)
    assert settled.outcome == "pin_reset"
    assert backend_transactions(backend)[0][1:3] == ("closed", "pin_reset")
    assert journal.unfinished() == []
    with BackendClient(config) as client:
        assert reconcile(journal, client) == []  # nothing left, nothing applied twice
