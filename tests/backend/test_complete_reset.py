"""A complete reset over real mutual TLS, real database, virtual card in the loop (in process)."""

from __future__ import annotations

import json

from kiosk_backend.simulated_kiosk import CardBinding, CardDriver, SimulatedKiosk
from kiosk_testbed.card import layout
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps
from tests.helpers.virtual_card import TEST_PINS, TestCard


def binding(card: TestCard) -> CardBinding:
    return CardBinding(card.values["card_face_sha256"], card.values["chip_key_sha256"])


def sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


def test_complete_reset_changes_the_pin_and_refills_the_counter(
    backend: RunningBackend, virtual_card: VirtualCard, test_card: TestCard
) -> None:
    # The resident blocked the signature PIN first.
    driver = CardDriver(virtual_card)
    driver.select_jpki()
    driver.expect(b"\x00\xa4\x02\x0c\x02\x00\x1b", "SELECT sign PIN")
    for _ in range(5):
        virtual_card.process(b"\x00\x20\x00\x80\x06WRONG9")
    assert sign_pin(virtual_card) == (TEST_PINS["sign_pin"], 0)

    kiosk = SimulatedKiosk(backend.url, backend.kiosks["kiosk-1"])
    try:
        done = kiosk.run_reset(
            virtual_card, TEST_PINS["auth_pin"], binding(test_card), new_pin="NEWPIN42"
        )
    finally:
        kiosk.close()

    assert done.status.outcome == "pin_reset"
    assert done.status.identity_check == "card+pin+face"
    assert sign_pin(virtual_card) == ("NEWPIN42", 5)
    # The new PIN works on the card.
    driver.select_jpki()
    driver.expect(b"\x00\xa4\x02\x0c\x02\x00\x1b", "SELECT sign PIN")
    assert virtual_card.process(b"\x00\x20\x00\x80\x08NEWPIN42")[-2:] == b"\x90\x00"

    # The record: id, kiosk, time, outcome, type of identity check; the open-only columns cleared.
    rows = backend.rows(
        "SELECT kiosk_id, state, outcome, identity_check, card_serial, card_challenge,"
        " created_at, closed_at FROM transactions WHERE transaction_id = ?",
        (done.transaction_id,),
    )
    kiosk_id, state, outcome, identity, serial, challenge, created, closed = rows[0]
    assert (kiosk_id, state, outcome, identity) == (
        "kiosk-1",
        "closed",
        "pin_reset",
        "card+pin+face",
    )
    assert serial is None and challenge is None
    assert created <= closed


def test_nothing_personal_is_stored_or_logged(
    backend: RunningBackend, virtual_card: VirtualCard, test_card: TestCard
) -> None:
    kiosk = SimulatedKiosk(backend.url, backend.kiosks["kiosk-1"])
    try:
        kiosk.run_reset(
            virtual_card, TEST_PINS["auth_pin"], binding(test_card), new_pin="SECRETPIN77"
        )
    finally:
        kiosk.close()
    values = test_card.values
    secrets = [
        "SECRETPIN77",
        b"SECRETPIN77".hex(),
        str(values["my_number"]),
        str(values["name"]),
        str(values["address"]),
        str(values["birth_date"]).replace("-", ""),
        str(values["auth_pin"]) + '"',
        str(values["auth_serial"]),
        str(values["card_face_sha256"]),  # digests of the card face are not kept either
        str(values["chip_key_sha256"]),
    ]
    dump = json.dumps(
        [
            backend.rows(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
            for table in ("transactions", "idempotency", "kiosks")
        ],
        default=str,
    )
    logs = backend.log.getvalue()
    assert logs.strip(), "the server logged nothing"
    for line in logs.splitlines():
        json.loads(line)  # structured: one JSON object per line
    for secret in secrets:
        assert secret not in dump
        assert secret not in logs
    files = b"".join(path.read_bytes() for path in backend.folder.rglob("*") if path.is_file())
    assert b"SECRETPIN77" not in files


def test_status_tells_a_crashed_kiosk_what_happened(
    steps: Steps, driver: CardDriver, virtual_card: VirtualCard
) -> None:
    tx, nonce = steps.begin_ok()
    assert steps.status(tx)["state"] == "awaiting_card_proof"
    assert steps.prove_with(tx, nonce, driver).status_code == 200
    assert steps.face(tx).status_code == 200
    challenge = driver.get_challenge()
    command = steps.reset_command(tx, "AFTERCRASH1", challenge)
    assert command.status_code == 200
    # The kiosk relays the command, then crashes before reporting the answer.
    import base64

    answer = virtual_card.process(base64.b64decode(command.json()["apdu"]))
    status = steps.status(tx)
    assert status["state"] == "awaiting_card_answer" and status["outcome"] is None
    # After restarting it reports the answer it had kept, and asks again.
    assert steps.card_answer(tx, answer).json()["outcome"] == "pin_reset"
    assert steps.status(tx)["outcome"] == "pin_reset"
