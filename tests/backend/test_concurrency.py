"""Limits and idempotency hold when calls race (threads against the real server)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from kiosk_backend.database import Database
from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, error_code, new_key
from tests.helpers.virtual_card import TestCard

BackendFactory = Callable[..., RunningBackend]


def _race(count: int, work: Callable[[int], object]) -> list[object]:
    results: list[object] = [None] * count
    barrier = threading.Barrier(count)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = work(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_idempotency_key_opens_one_transaction(backend: RunningBackend) -> None:
    key = new_key()
    clients = [backend.http() for _ in range(6)]
    try:
        replies = _race(
            6, lambda i: clients[i].post("/v1/transactions", json={"idempotency_key": key})
        )
    finally:
        for client in clients:
            client.close()
    ids = {reply.json().get("transaction_id") for reply in replies}  # type: ignore[attr-defined]
    assert len(ids) == 1 and None not in ids
    assert backend.rows("SELECT COUNT(*) FROM transactions") == [(1,)]


def test_card_limit_holds_when_two_kiosks_race_with_the_same_card(
    make_backend: BackendFactory, test_card: TestCard, tmp_path: Path
) -> None:
    backend = make_backend(Policy(card_max_transactions=1))
    kiosks = [Steps(backend, "kiosk-1"), Steps(backend, "kiosk-2")]
    cards = [VirtualCard.from_path(test_card.copy_to(tmp_path / f"copy{i}.json")) for i in range(2)]
    try:
        begun = [kiosk.begin_ok() for kiosk in kiosks]
        replies = _race(
            2, lambda i: kiosks[i].prove_with(begun[i][0], begun[i][1], CardDriver(cards[i]))
        )
    finally:
        for kiosk in kiosks:
            kiosk.close()
    statuses = sorted(reply.status_code for reply in replies)  # type: ignore[attr-defined]
    assert statuses == [200, 429]
    refused = next(reply for reply in replies if reply.status_code == 429)  # type: ignore[attr-defined]
    assert error_code(refused) == "card_rate_limited"  # type: ignore[arg-type]


def test_database_outage_is_a_server_error_and_nothing_half_done(backend: RunningBackend) -> None:
    api = backend.server.api
    working = api.database
    api.database = Database("postgresql://kiosk:kiosk@127.0.0.1:9/none", acquire_timeout=1)
    try:
        with backend.http() as client:
            health = client.get("/health")
            begin = client.post("/v1/transactions", json={"idempotency_key": new_key()})
    finally:
        api.database = working
    assert health.status_code == 503
    assert (begin.status_code, begin.json()["error"]["kind"]) == (503, "server")
    assert backend.rows("SELECT COUNT(*) FROM transactions") == [(0,)]
