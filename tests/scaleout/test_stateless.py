"""Two instances on one PostgreSQL database, and a kiosk whose retries land on the other one:
it continues its transaction there, or ends it in a defined state. Nothing an instance needs
lives in another instance's memory."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_backend.observability import JsonLog
from kiosk_backend.policy import Policy
from kiosk_backend.server import BackendServer, BackendSettings
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, error_code, new_key, running_backend
from tests.helpers.virtual_card import TEST_PINS

pytestmark = pytest.mark.postgres


@pytest.fixture
def two(
    tmp_path: Path, testbed_authority: TestAuthority, schema_url: str
) -> Iterator[tuple[RunningBackend, RunningBackend]]:
    policy = Policy(kiosk_max_transactions=3)
    with running_backend(tmp_path / "a", testbed_authority.dir, schema_url, policy) as first:
        settings = BackendSettings(
            data_dir=first.server.settings.data_dir,  # the shared PKI and keys
            authority_dir=testbed_authority.dir,
            database_url=schema_url,
            port=0,
            policy=policy,
            pool_size=4,
            sweep_interval_seconds=3600,
        )
        server = BackendServer(settings, log=JsonLog(enabled=False)).start()
        second = RunningBackend(server, first.folder, first.clock, first.log, first.kiosks)
        try:
            yield first, second
        finally:
            server.stop()


def _ready_for_command(steps: Steps, driver: CardDriver) -> str:
    tx, nonce = steps.begin_ok()
    assert steps.prove_with(tx, nonce, driver, TEST_PINS["auth_pin"]).status_code == 200
    assert steps.face(tx).status_code == 200
    return tx


def test_a_reset_command_retried_on_another_instance_continues_the_transaction(
    two: tuple[RunningBackend, RunningBackend], virtual_card: VirtualCard
) -> None:
    first, second = two
    on_first, on_second = Steps(first), Steps(second)
    driver = CardDriver(virtual_card)
    try:
        tx = _ready_for_command(on_first, driver)
        driver.select_jpki()
        body = on_first.reset_command_body(tx, "OTHERINST1", driver.get_challenge())
        issued = on_first.post_body(tx, "reset-command", body)
        assert issued.status_code == 200, issued.text
        # The reply is lost; the kiosk retries the very same call, and lands on the other one.
        again = on_second.post_body(tx, "reset-command", body)
        assert again.status_code == 200, again.text
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json() == issued.json()  # the same command, byte for byte
        answer = virtual_card.process(base64.b64decode(again.json()["apdu"]))
        assert on_second.card_answer(tx, answer).json()["outcome"] == "pin_reset"
        # Once closed, no instance can hand the command out again: a defined refusal.
        for steps in (on_first, on_second):
            late = steps.post_body(tx, "reset-command", body)
            assert (late.status_code, error_code(late)) == (409, "command_no_longer_available")
            assert steps.status(tx)["outcome"] == "pin_reset"
    finally:
        on_first.close()
        on_second.close()


def test_idempotency_and_limits_span_the_instances(
    two: tuple[RunningBackend, RunningBackend],
) -> None:
    first, second = two
    on_first, on_second = Steps(first), Steps(second)
    try:
        key = new_key()
        opened = on_first.http.post("/v1/transactions", json={"idempotency_key": key})
        retried = on_second.http.post("/v1/transactions", json={"idempotency_key": key})
        assert opened.status_code == 201 and retried.json() == opened.json()
        assert on_second.begin().status_code == 201
        assert on_first.begin().status_code == 201
        refused = on_second.begin()  # the fourth in the window, counted across instances
        assert (refused.status_code, error_code(refused)) == (429, "kiosk_rate_limited")
    finally:
        on_first.close()
        on_second.close()
