"""Brute force against the three secrets a thief would guess: card PINs (the card blocks),
the server's attempt limits per card and per kiosk, and the maintenance sign-in (doubling
lockout). Complements, without repeating:
- tests/card_reader/test_sessions_on_virtual_card.py::test_wrong_pins_down_to_blocking and
  tests/card_reader/test_pcsc_integration.py::test_wrong_pins_to_blocking_through_pcsc
  (auth 3 / sign 5 tries, the right PIN refused after blocking, across power cycles);
- tests/testbed/test_card_commands.py::test_collation_numbers_have_ten_tries_and_formats;
- tests/backend/test_refusals.py::test_card_rate_limit, ::test_kiosk_rate_limit,
  ::test_card_locked_after_failed_face_checks (one kiosk);
- tests/maintenance/test_session.py (doubling, restart, cap, clock set back).
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.card_reader.apdu import CardChannel
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.card_info import CardInfoPin
from kiosk.card_reader.errors import PinBlocked, WrongPin
from kiosk.card_reader.jpki import JpkiPin
from kiosk.config import KioskConfig, parse_config
from kiosk.maintenance import (
    LockedOutError,
    Maintenance,
    Role,
    WrongCredentialError,
    hash_credential,
)
from kiosk.maintenance.credentials import ScryptCost
from kiosk.maintenance.session import install_lockout_state
from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_testbed.card.in_process import InProcessTransport
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, error_code
from tests.helpers.virtual_card import InsertedCard, TestCard
from tests.security.conftest import BackendFactory

# --- the card ----------------------------------------------------------------------------------


@pytest.mark.pcsc
def test_pulling_the_card_after_each_wrong_try_saves_no_try(
    card_in_reader: InsertedCard, test_card: TestCard
) -> None:
    """A thief pulls the card right after each wrong VERIFY (hoping the counter is written
    later): every try still counts, and after the third the right PIN is refused."""
    from kiosk.card_reader.pcsc import PcscTransport

    for expected_left in (2, 1, 0):
        with PcscTransport(card_in_reader.reader) as transport:
            card = MyNumberCard.recognize(transport)
            with pytest.raises((WrongPin, PinBlocked)):
                card.jpki.verify_pin(JpkiPin.AUTH, bytearray(b"0000"))
        card_in_reader.remove()
        card_in_reader.insert()
        assert (
            card_in_reader.card.card_file.pins[
                next(key for key in card_in_reader.card.card_file.pins if key[1] == 0x18)
            ].tries_left
            == expected_left
        )
    with PcscTransport(card_in_reader.reader) as transport:
        card = MyNumberCard.recognize(transport)
        with pytest.raises(PinBlocked):
            card.jpki.verify_pin(
                JpkiPin.AUTH, bytearray(str(test_card.values["auth_pin"]), "ascii")
            )


def _in_process(card: VirtualCard) -> MyNumberCard:
    return MyNumberCard.recognize(CardChannel(InProcessTransport(card)))


SECRETS: dict[str, tuple[int, str, Callable[[MyNumberCard, bytearray], None]]] = {
    "text PIN": (3, "text_pin", lambda card, pin: card.text_ap.verify_pin(pin)),
    "check code A (text AP)": (
        10,
        "my_number",
        lambda card, pin: card.text_ap.unlock_with_my_number(pin),
    ),
    "check code A (card-info AP)": (
        10,
        "my_number",
        lambda card, pin: card.card_info.unlock_with_my_number(pin),
    ),
    "check code B (card-info AP)": (
        10,
        "collation_b",
        lambda card, pin: card.card_info.unlock_with_check_code_b(pin),
    ),
}


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_card_blocks_each_secret_for_good(
    virtual_card: VirtualCard, test_card: TestCard, name: str
) -> None:
    """Wrong guesses (with a power cycle between them) until blocked; then the right value
    is refused too, and the counter stays at zero after more power cycles."""
    tries, value_name, verify = SECRETS[name]
    right = str(test_card.values[value_name])
    wrong = ("1" if right[0] != "1" else "2") + right[1:]
    for attempt in range(tries):
        card = _in_process(virtual_card)
        with pytest.raises((WrongPin, PinBlocked)) as refused:
            verify(card, bytearray(wrong, "ascii"))
        if attempt < tries - 1:
            assert isinstance(refused.value, WrongPin)
            assert refused.value.attempts_left == tries - 1 - attempt
        virtual_card.power_off()
    for _ in range(2):
        with pytest.raises(PinBlocked):
            verify(_in_process(virtual_card), bytearray(right, "ascii"))
        virtual_card.power_off()
    status = _in_process(virtual_card).card_info.check_code_status(CardInfoPin.CHECK_CODE_B)
    assert status.tries_left is not None


# --- the server ------------------------------------------------------------------------------


def _prove(steps: Steps, driver: CardDriver) -> tuple[str, int, str]:
    tx, nonce = steps.begin_ok()
    response = steps.prove_with(tx, nonce, driver)
    code = error_code(response) if response.status_code != 200 else ""
    return tx, response.status_code, code


def test_face_failures_with_one_card_add_up_across_kiosks(
    make_backend: BackendFactory, driver: CardDriver
) -> None:
    """A stolen card tried at kiosk after kiosk: the failures are counted per card."""
    backend = make_backend(Policy(card_max_failures=2))
    kiosks = [Steps(backend, f"kiosk-{n}") for n in (1, 2, 3)]
    try:
        for kiosk in kiosks[:2]:
            tx, status, _ = _prove(kiosk, driver)
            assert status == 200
            failed = kiosk.face(tx, kiosk.evidence(tx, matched=False, score_ppm=900_000))
            assert error_code(failed) == "face_check_failed"
        tx, status, code = _prove(kiosks[2], driver)
        assert (status, code) == (429, "card_locked")
        assert kiosks[2].status(tx)["outcome"] == "refused_by_policy"
    finally:
        for kiosk in kiosks:
            kiosk.close()


def test_card_attempt_limit_holds_across_kiosks_and_ends_with_its_window(
    make_backend: BackendFactory, driver: CardDriver
) -> None:
    policy = Policy(card_max_transactions=2, card_window_seconds=3600)
    backend: RunningBackend = make_backend(policy)
    kiosks = [Steps(backend, f"kiosk-{n}") for n in (1, 2, 3)]
    try:
        assert _prove(kiosks[0], driver)[1] == 200
        assert _prove(kiosks[1], driver)[1] == 200
        assert _prove(kiosks[2], driver)[1:] == (429, "card_rate_limited")
        assert _prove(kiosks[0], driver)[1:] == (429, "card_rate_limited")
        backend.clock.advance(3601)  # the window has passed (refusals counted inside it)
        assert _prove(kiosks[2], driver)[1] == 200
    finally:
        for kiosk in kiosks:
            kiosk.close()


def test_one_kiosks_limit_does_not_block_another(make_backend: BackendFactory) -> None:
    backend = make_backend(Policy(kiosk_max_transactions=2, kiosk_window_seconds=60))
    first, second = Steps(backend, "kiosk-1"), Steps(backend, "kiosk-2")
    try:
        for _ in range(2):
            assert first.begin().status_code == 201
        assert error_code(first.begin()) == "kiosk_rate_limited"
        assert second.begin().status_code == 201
    finally:
        first.close()
        second.close()


# --- staff sign-in ---------------------------------------------------------------------------

STAFF_PIN = "482913"


def _maintenance_config(tmp_path: Path) -> KioskConfig:
    kiosk_id = "store-0042"
    credential = hash_credential(
        Role.STAFF, bytearray(STAFF_PIN.encode()), kiosk_id, ScryptCost(log2_n=10)
    )
    config = _parse_maintenance(tmp_path, kiosk_id, credential)
    install_lockout_state(config)
    return config


def _parse_maintenance(tmp_path: Path, kiosk_id: str, credential: str) -> KioskConfig:
    return parse_config(
        {
            "kiosk": {"id": kiosk_id, "data_dir": str(tmp_path / "data")},
            "maintenance": {
                "staff_credential": credential,
                "lockout_after": 3,
                "lockout_base": 30.0,
            },
        },
        base_dir=tmp_path,
    )


def test_a_guessing_run_of_the_staff_pin_gets_three_tries_per_lockout(tmp_path: Path) -> None:
    """Counting what an attacker can check in one hour with the defaults' doubling: 3 tries,
    then 30 s, 3 tries, 60 s, ... — at most a few dozen guesses of a 6-digit PIN."""
    now = [1_780_000_000.0]
    maintenance = Maintenance.from_config(_maintenance_config(tmp_path), clock=lambda: now[0])
    guesses, start = 0, now[0]
    while now[0] - start < 3600:
        try:
            maintenance.sign_in(Role.STAFF, bytearray(b"000000"))
        except WrongCredentialError as wrong:
            guesses += 1
            if wrong.locked_for:
                now[0] += wrong.locked_for
        except LockedOutError as locked:
            now[0] += locked.seconds_left
    assert guesses <= 3 * 8  # 30+60+...+3840 s: at most 8 lockouts fit in an hour


def test_concurrent_wrong_staff_pins_cannot_exceed_the_tries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight sign-in attempts at the same moment: no more wrong credentials may be checked
    than the lockout allows. The verification is held until all eight are inside it (or for
    2 s when the product serialises them), which makes the interleaving deterministic."""
    from kiosk.maintenance import session

    inside = threading.Barrier(8, timeout=2)
    real_verify = session.verify_credential  # type: ignore[attr-defined]

    def held_verify(*args: object, **kwargs: object) -> bool:
        with contextlib.suppress(threading.BrokenBarrierError):  # serialised: nothing held
            inside.wait()
        return real_verify(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(session, "verify_credential", held_verify)
    maintenance = Maintenance.from_config(_maintenance_config(tmp_path), clock=lambda: 1e9)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        try:
            maintenance.sign_in(Role.STAFF, bytearray(b"000000"))
        except WrongCredentialError:
            with lock:
                outcomes.append("checked")
        except LockedOutError:
            with lock:
                outcomes.append("locked")

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("checked") <= 3, outcomes
