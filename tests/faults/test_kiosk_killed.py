"""The kiosk process is killed (SIGKILL) mid-transaction and started again: the restarted
kiosk settles the unfinished transaction from its journal. Killed between "card reset done"
and "backend confirmed": the backend learns the card's answer, the transaction is recorded as
reset exactly once, the card's new PIN works. Killed earlier: the transaction is aborted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk.journal import Journal, JournalStep
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend
from tests.faults.proxy import Action, FaultProxy, Rule
from tests.faults.stack import (
    NEW_PIN,
    OLD_SIGN_PIN,
    backend_transactions,
    card_state,
    proxy_for,
)
from tests.helpers.virtual_card import DEFAULT_PHOTO, InsertedCard

pytestmark = [
    pytest.mark.pcsc,
]
REPO = Path(__file__).resolve().parents[2]


def kiosk(mode: str, journal: Journal, url: str, backend: RunningBackend,
          authority: TestAuthority) -> subprocess.Popen[str]:
    bundle = backend.kiosks["kiosk-1"].certificate.parent
    command = [
        sys.executable, "-m", "tests.faults.kiosk_process", mode,
        "--journal", str(journal.path), "--url", url, "--bundle", str(bundle),
        "--anchor-pem", str(authority.card_face_ca_pub_path),
        "--anchor-keyid", str(authority.card_face_ca_keyid_path),
        "--photo", str(DEFAULT_PHOTO),
    ]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONPATH": str(REPO)})


def wait_for(condition: Callable[[], bool], process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if process.poll() is not None:
            raise AssertionError(f"the kiosk ended early: {process.communicate()}")
        if time.monotonic() > deadline:
            raise AssertionError("the kiosk never got there")
        time.sleep(0.02)


def restart_and_reconcile(journal: Journal, proxy: FaultProxy, backend: RunningBackend,
                          authority: TestAuthority) -> list[dict[str, object]]:
    restarted = kiosk("reconcile", journal, backend.url, backend, authority)
    out, err = restarted.communicate(timeout=60)
    assert restarted.returncode == 0, err
    return [json.loads(line) for line in out.splitlines()]


def reached(journal: Journal, step: JournalStep) -> Callable[[], bool]:
    return lambda: any(entry.step == step for entry in journal.entries().values())


def test_killed_after_the_card_reset_before_the_backend_confirmed(
    card_in_reader: InsertedCard, backend: RunningBackend, testbed_authority: TestAuthority,
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "kiosk" / "journal.jsonl")
    proxy = proxy_for(backend)
    proxy.rules["card_answer"] = Rule(Action.DELAY, seconds=30)  # the confirmation hangs
    try:
        running = kiosk("run", journal, proxy.url, backend, testbed_authority)
        wait_for(reached(journal, JournalStep.CARD_ANSWERED), running, timeout=90)
        running.send_signal(signal.SIGKILL)
        running.wait(10)
    finally:
        proxy.stop()
    [(transaction_id, state, outcome, _)] = backend_transactions(backend)
    assert (state, outcome) == ("awaiting_card_answer", None)  # the backend does not know yet

    lines = restart_and_reconcile(journal, proxy, backend, testbed_authority)
    assert lines[0] == {"transaction": transaction_id, "outcome": "pin_reset",
                        "answer_delivered": True}
    assert backend_transactions(backend)[0][1:3] == ("closed", "pin_reset")
    assert journal.entries()[transaction_id].outcome == "pin_reset"
    assert card_state(candidates=(NEW_PIN,)).sign_pin == NEW_PIN
    # A second restart has nothing to do: nothing is applied twice.
    assert restart_and_reconcile(journal, proxy, backend, testbed_authority) == [
        {"reconciled": True}
    ]
    closed = backend.rows("SELECT COUNT(*) FROM transactions WHERE outcome = 'pin_reset'")
    assert closed[0][0] == 1


def test_killed_before_the_reset_is_aborted_on_restart(
    card_in_reader: InsertedCard, backend: RunningBackend, testbed_authority: TestAuthority,
    tmp_path: Path,
) -> None:
    journal = Journal(tmp_path / "kiosk" / "journal.jsonl")
    proxy = proxy_for(backend)
    try:
        running = kiosk("run", journal, proxy.url, backend, testbed_authority)
        wait_for(reached(journal, JournalStep.BEGUN), running, timeout=60)
        running.send_signal(signal.SIGKILL)
        running.wait(10)
    finally:
        proxy.stop()
    [(transaction_id, state, _, _)] = backend_transactions(backend)
    assert state != "closed"
    lines = restart_and_reconcile(journal, proxy, backend, testbed_authority)
    assert lines[0]["outcome"] == "aborted" and lines[0]["transaction"] == transaction_id
    assert backend_transactions(backend)[0][1:3] == ("closed", "aborted")
    assert journal.unfinished() == []
    assert card_state().sign_pin == OLD_SIGN_PIN
