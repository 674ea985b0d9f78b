"""Simulated kiosks with in-process virtual cards driving complete resets against a backend
URL (one instance or HAProxy in front of several), and the audit afterwards: what the kiosks
saw, what the database recorded, and what the cards hold must agree.

A kiosk behaves like the product's: each call is retried with the same body on transport
failures and 502/503/504 (with back-off); when a transaction fails anyway it asks for the
status and aborts it if still open, so it ends in a defined state. Loops are bounded in time.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kiosk_backend.authority import Authority
from kiosk_backend.database import Database
from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.operator_pki import OperatorPki
from kiosk_backend.policy import Policy
from kiosk_backend.service import AuthorityService
from kiosk_backend.simulated_kiosk import KioskCredentials, SimulatedKiosk
from kiosk_protocol.messages import Outcome, TransactionState

AUTH_PIN = "1234"
OPEN_LIMITS = {
    "card_max_transactions": 10**9,
    "card_max_failures": 10**9,
    "kiosk_max_transactions": 10**9,
}
_PHOTO = bytes.fromhex("0000000c6a5020200d0a870a")  # never looked at: the face is simulated


def write_open_policy(path: Path) -> Path:
    path.write_text("[policy]\n" + "".join(f"{k} = {v}\n" for k, v in OPEN_LIMITS.items()))
    return path


@dataclass
class FleetCard:
    card: Any
    certificate: bytes
    lock: threading.Lock = field(default_factory=threading.Lock)
    relayed: list[tuple[str, str]] = field(default_factory=list)  # (transaction, new PIN)


@dataclass
class Record:
    """One transaction as its kiosk saw it."""

    transaction_id: str | None
    card: int
    new_pin: str | None
    relayed: bool
    outcome: str | None  # the outcome the kiosk learnt, or None
    error: str | None = None
    finished_at: float = 0.0


def issue_cards(testbed_dir: Path, count: int) -> list[FleetCard]:
    from kiosk_backend.simulated_kiosk import CardDriver
    from kiosk_testbed.authority import TestAuthority
    from kiosk_testbed.card.virtual_card import VirtualCard
    from kiosk_testbed.persona import make_persona

    authority = TestAuthority(testbed_dir).ensure()
    cards = []
    for _ in range(count):
        issued = authority.issue_card(make_persona(auth_pin=AUTH_PIN), _PHOTO)
        card = VirtualCard(issued.card_file)
        driver = CardDriver(card)
        driver.select_jpki()
        cards.append(FleetCard(card=card, certificate=driver.read_auth_certificate()))
    return cards


def enroll(
    pki: OperatorPki, database: Database, folder: Path, count: int
) -> list[KioskCredentials]:
    credentials = []
    for index in range(count):
        kiosk_id = f"fleet-kiosk-{index:02d}"
        paths = enroll_kiosk(pki, database, kiosk_id, folder / kiosk_id)
        credentials.append(
            KioskCredentials(kiosk_id, paths["certificate"], paths["key"], paths["ca"])
        )
    return credentials


class Fleet:
    def __init__(
        self, url: str, kiosks: list[KioskCredentials], cards: list[FleetCard]
    ) -> None:
        self.url = url
        self.kiosks = kiosks
        self.cards = cards
        self.records: list[Record] = []
        self.retries = 0
        self._driving: list[SimulatedKiosk] = []  # the kiosks now running, for live_retries
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, seconds: float) -> Fleet:
        deadline = time.monotonic() + seconds
        for index in range(len(self.kiosks)):
            thread = threading.Thread(target=self._drive, args=(index, deadline), daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def join(self) -> None:
        for thread in self._threads:
            thread.join(timeout=120)
        assert not any(thread.is_alive() for thread in self._threads), "a kiosk hung"

    def stop(self) -> None:
        self._stop.set()
        self.join()

    def completed_since(self, moment: float) -> int:
        with self._lock:
            return sum(
                1
                for record in self.records
                if record.outcome == Outcome.PIN_RESET.value and record.finished_at > moment
            )

    def live_retries(self) -> int:
        """Retries so far, by the kiosks still driving and those done."""
        with self._lock:
            return self.retries + sum(kiosk.retries for kiosk in self._driving)

    def _drive(self, index: int, deadline: float) -> None:
        kiosk = SimulatedKiosk(self.url, self.kiosks[index], attempts=6, backoff=0.1, timeout=20)
        with self._lock:
            self._driving.append(kiosk)
        turn = index
        try:
            while time.monotonic() < deadline and not self._stop.is_set():
                card_index = turn % len(self.cards)
                turn += 1
                card = self.cards[card_index]
                with card.lock:
                    record = self._one(kiosk, card, card_index)
                with self._lock:
                    self.records.append(record)
        finally:
            with self._lock:
                self._driving.remove(kiosk)
                self.retries += kiosk.retries
            kiosk.close()

    def _one(self, kiosk: SimulatedKiosk, card: FleetCard, card_index: int) -> Record:
        try:
            done = kiosk.run_reset(card.card, AUTH_PIN, certificate=card.certificate)
        except Exception as error:  # the kiosk reconciles, as the product does
            progress = kiosk.progress
            if progress.command_relayed:
                assert progress.transaction_id is not None and progress.new_pin is not None
                card.relayed.append((progress.transaction_id, progress.new_pin))
            return Record(
                progress.transaction_id,
                card_index,
                progress.new_pin,
                progress.command_relayed,
                _settle(kiosk, progress.transaction_id),
                error=type(error).__name__,
                finished_at=time.monotonic(),
            )
        card.relayed.append((done.transaction_id, done.new_pin))
        outcome = None if done.status.outcome is None else done.status.outcome.value
        return Record(
            done.transaction_id, card_index, done.new_pin, True, outcome,
            finished_at=time.monotonic(),
        )  # fmt: skip


def _settle(kiosk: SimulatedKiosk, transaction_id: str | None) -> str | None:
    """Ask what became of a failed transaction; abort it if it is still open."""
    if transaction_id is None:
        return None
    try:
        status = kiosk.status(transaction_id)
        if status.state != TransactionState.CLOSED:
            status = kiosk.abort(transaction_id)
    except Exception:  # left open: the later sweep reconciles it
        return None
    return None if status.outcome is None else status.outcome.value


def sweep_later(database: Database, authority_dir: Path, pki: OperatorPki) -> list[str]:
    """What an instance's sweeper does once every deadline has passed: close what is open."""
    service = AuthorityService(
        Authority(authority_dir, pki.card_ref_key()),
        pki.pin_key(),
        Policy(),
        clock=lambda: time.time() + 24 * 3600,
    )
    with database.transaction() as connection:
        return service.sweep(connection)


@dataclass
class Audit:
    outcomes: Counter[str]
    problems: list[str]
    unconfirmed_applied: int
    unconfirmed_not_applied: int


def audit(database: Database, fleet: Fleet) -> Audit:
    """Kiosks, database and cards must tell the same story."""
    from kiosk_testbed.card import layout
    from kiosk_testbed.card.layout import Ap

    problems: list[str] = []
    with database.transaction() as connection:
        rows = connection.execute("SELECT transaction_id, state, outcome FROM transactions").rows
        begins = connection.execute(
            "SELECT COUNT(*) FROM idempotency WHERE operation = 'begin'"
        ).rows[0][0]
    recorded = {row[0]: (row[1], row[2]) for row in rows}
    outcomes = Counter(str(row[2] or row[1]) for row in rows)
    if int(begins) != len(rows):
        problems.append(f"{len(rows)} transactions for {begins} begin calls (counted twice?)")
    for transaction_id, (state, outcome) in recorded.items():
        if state != TransactionState.CLOSED.value or outcome not in {o.value for o in Outcome}:
            problems.append(f"{transaction_id} ended undefined: {state} {outcome}")
    relayed = {tx for card in fleet.cards for tx, _pin in card.relayed}
    for record in fleet.records:
        if record.transaction_id is None:
            continue
        if record.transaction_id not in recorded:
            problems.append(f"{record.transaction_id} seen by a kiosk is not recorded (lost)")
            continue
        in_database = recorded[record.transaction_id][1]
        if record.outcome is not None and record.outcome != in_database:
            problems.append(
                f"{record.transaction_id}: kiosk saw {record.outcome}, database has {in_database}"
            )
    for transaction_id, (_state, outcome) in recorded.items():
        if outcome == Outcome.PIN_RESET.value and transaction_id not in relayed:
            problems.append(f"{transaction_id} counted as reset but never reached a card")
    applied = not_applied = 0
    for index, card in enumerate(fleet.cards):
        state = card.card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
        if not card.relayed:
            continue
        last_tx, last_pin = card.relayed[-1]
        if (state.value, state.tries_left) != (last_pin, 5):
            problems.append(f"card {index} does not hold the PIN its last command set")
        if recorded.get(last_tx, ("", ""))[1] not in {"pin_reset", "unconfirmed"}:
            problems.append(f"card {index}: its last reset is recorded as {recorded.get(last_tx)}")
        for transaction_id, _pin in card.relayed:
            if recorded.get(transaction_id, ("", ""))[1] == Outcome.UNCONFIRMED.value:
                applied += 1  # reconciled: the command reached the card and set the PIN
    for transaction_id, (_state, outcome) in recorded.items():
        if outcome == Outcome.UNCONFIRMED.value and transaction_id not in relayed:
            not_applied += 1  # reconciled: the command never reached the card
    return Audit(outcomes, problems, applied, not_applied)
