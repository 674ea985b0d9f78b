"""The product's backend client with the product's card layer, against the real server."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest

from kiosk.backend_client import (
    BackendClient,
    BackendClientConfig,
    BackendOfflineError,
    BackendUntrustedError,
    CardRejectedError,
    FaceReport,
    ProtocolError,
    RefusedByPolicyError,
    Transaction,
)
from kiosk.card_reader.card import MyNumberCard
from kiosk.card_reader.jpki import JpkiPin
from kiosk_backend.enrollment import set_kiosk_enabled
from kiosk_backend.operator_pki import OperatorPki
from kiosk_protocol.messages import AbortReason
from kiosk_testbed.card import layout
from kiosk_testbed.card.in_process import InProcessTransport
from kiosk_testbed.card.layout import Ap
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend
from tests.backend_client.conftest import client_config
from tests.helpers.virtual_card import TEST_PINS, TestCard


def good_face(card: TestCard, matched: bool = True, score: float = 0.41) -> FaceReport:
    """A face check against the card face the authority registered for ``card``."""
    return FaceReport(
        matched=matched,
        live=True,
        score=score,
        threshold=0.55,
        frames=6,
        model_version="dlib/test",
        card_face_sha256=card.values["card_face_sha256"],
        chip_key_sha256=card.values["chip_key_sha256"],
    )


def sign_pin(card: VirtualCard) -> tuple[str, int]:
    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


def prove(client: BackendClient, card: MyNumberCard) -> Transaction:
    transaction = client.begin()
    card.jpki.verify_pin(JpkiPin.AUTH, bytearray(TEST_PINS["auth_pin"].encode()))
    signature = card.jpki.sign_with_auth_key(transaction.to_sign)
    chip = card.card_info.sign_with_chip_key(transaction.chip_to_sign)
    client.prove_card(transaction, card.jpki.read_auth_certificate(), signature, chip.signature)
    return transaction


def complete_reset(
    client: BackendClient, card: MyNumberCard, new_pin: bytearray, test_card: TestCard
) -> str:
    transaction = prove(client, card)
    client.report_face(transaction, good_face(test_card))
    apdu = client.request_reset_command(transaction, new_pin, card.jpki.get_challenge(16))
    status = client.confirm(transaction, card.jpki.relay(apdu))
    assert status.outcome == "pin_reset"
    return transaction.transaction_id


def test_complete_reset_with_the_product_client(
    client: BackendClient, virtual_card: VirtualCard, test_card: TestCard
) -> None:
    virtual_card.process(b"\x00\xa4\x04\x0c\x0a" + bytes.fromhex("D392F000260100000001"))
    virtual_card.process(b"\x00\xa4\x02\x0c\x02\x00\x1b")
    for _ in range(5):  # the resident had blocked the signature PIN
        virtual_card.process(b"\x00\x20\x00\x80\x06WRONG1")
    assert sign_pin(virtual_card)[1] == 0
    card = MyNumberCard.recognize(InProcessTransport(virtual_card))
    new_pin = bytearray(b"CLIENT77")
    transaction_id = complete_reset(client, card, new_pin, test_card)
    assert new_pin == bytearray(8), "the client must wipe the new PIN"
    assert sign_pin(virtual_card) == ("CLIENT77", 5)
    assert client.status(transaction_id).outcome == "pin_reset"


@pytest.mark.pcsc
def test_complete_reset_through_pcscd(
    backend: RunningBackend, card_in_reader: object, test_card: TestCard
) -> None:
    from kiosk.card_reader.pcsc import PcscTransport

    slot = card_in_reader
    virtual: VirtualCard = slot.card  # type: ignore[attr-defined]
    with BackendClient(client_config(backend)) as client, PcscTransport(slot.reader) as transport:  # type: ignore[attr-defined]
        card = MyNumberCard.recognize(transport)
        complete_reset(client, card, bytearray(b"THRUPCSC9"), test_card)
        # The new PIN works through the reader too, and its counter is full.
        card.jpki.verify_pin(JpkiPin.SIGN, bytearray(b"THRUPCSC9"))
    assert sign_pin(virtual) == ("THRUPCSC9", 5)


def test_wrong_server_certificate(backend: RunningBackend, tmp_path: Path) -> None:
    impostor = OperatorPki(tmp_path / "impostor")
    impostor.ensure()
    config = client_config(backend)
    trusting_other = BackendClientConfig(
        base_url=config.base_url,
        client_certificate=config.client_certificate,
        client_key=config.client_key,
        ca_certificate=impostor.ca_certificate_path,
    )
    slept: list[float] = []
    with (
        BackendClient(trusting_other, sleep=slept.append) as client,
        pytest.raises(BackendUntrustedError),
    ):
        client.begin()
    assert slept == [], "an untrusted server is not retried"


def test_offline_after_bounded_retries(backend: RunningBackend) -> None:
    config = client_config(backend, retries=2)
    dead = BackendClientConfig(
        base_url="https://127.0.0.1:9",  # discard port: nothing listens
        client_certificate=config.client_certificate,
        client_key=config.client_key,
        ca_certificate=config.ca_certificate,
        retries=2,
        retry_backoff=0.25,
    )
    slept: list[float] = []
    with BackendClient(dead, sleep=slept.append) as client, pytest.raises(BackendOfflineError):
        client.begin()
    assert slept == [0.25, 0.5]


class LoseFirstReply(httpx.HTTPTransport):
    """Delivers the request, lets the server act, then drops the reply once (like a cut cable)."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(verify=context)
        self.lost = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        response.read()
        if self.lost == 0:
            self.lost += 1
            raise httpx.ReadError("connection lost", request=request)
        return response


def test_retry_after_a_lost_reply_runs_the_call_once(backend: RunningBackend) -> None:
    config = client_config(backend)
    transport = LoseFirstReply(config.ssl_context())
    with BackendClient(config, transport=transport, sleep=lambda _s: None) as client:
        transaction = client.begin()
    assert transport.lost == 1
    rows = backend.rows("SELECT transaction_id FROM transactions")
    assert rows == [(transaction.transaction_id,)], "the retry must not open a second transaction"


def test_typed_refusals(
    backend: RunningBackend, client: BackendClient, virtual_card: VirtualCard,
    test_card: TestCard,
) -> None:
    card = MyNumberCard.recognize(InProcessTransport(virtual_card))
    transaction = client.begin()
    with pytest.raises(ProtocolError) as out_of_order:
        client.report_face(transaction, good_face(test_card))
    assert out_of_order.value.code == "out_of_order"
    card.jpki.verify_pin(JpkiPin.AUTH, bytearray(TEST_PINS["auth_pin"].encode()))
    wrong = card.jpki.sign_with_auth_key(client.begin().to_sign)  # signed for another transaction
    with pytest.raises(CardRejectedError) as rejected:
        client.prove_card(transaction, card.jpki.read_auth_certificate(), wrong, bytes(256))
    assert rejected.value.reason == "bad_card_signature"
    # the chip of the right card, but its signature made for another transaction
    other = client.begin()
    card.jpki.verify_pin(JpkiPin.AUTH, bytearray(TEST_PINS["auth_pin"].encode()))
    signature = card.jpki.sign_with_auth_key(other.to_sign)
    stale_chip = card.card_info.sign_with_chip_key(transaction.chip_to_sign).signature
    with pytest.raises(CardRejectedError) as mismatch:
        client.prove_card(other, card.jpki.read_auth_certificate(), signature, stale_chip)
    assert mismatch.value.reason == "card_binding_mismatch"
    set_kiosk_enabled(backend.server.database, "kiosk-1", False)
    with pytest.raises(RefusedByPolicyError) as refused:
        client.begin()
    assert refused.value.reason == "kiosk_disabled"


def test_face_mismatch_is_a_policy_refusal(
    client: BackendClient, virtual_card: VirtualCard, test_card: TestCard
) -> None:
    card = MyNumberCard.recognize(InProcessTransport(virtual_card))
    transaction = prove(client, card)
    mismatch = good_face(test_card, matched=False, score=0.71)
    with pytest.raises(RefusedByPolicyError) as refused:
        client.report_face(transaction, mismatch)
    assert refused.value.reason == "face_check_failed"


def test_bad_new_pin_is_wiped_and_refused_before_sending(
    client: BackendClient, virtual_card: VirtualCard, test_card: TestCard
) -> None:
    card = MyNumberCard.recognize(InProcessTransport(virtual_card))
    transaction = prove(client, card)
    client.report_face(transaction, good_face(test_card))
    new_pin = bytearray(b"short")
    with pytest.raises(ProtocolError) as error:
        client.request_reset_command(transaction, new_pin, bytes(16))
    assert new_pin == bytearray(5)
    assert "short" not in str(error.value)
    assert client.status(transaction.transaction_id).state == "awaiting_reset_request"


def test_abort_and_unknown_kiosk(
    backend: RunningBackend, client: BackendClient, tmp_path: Path
) -> None:
    transaction = client.begin()
    assert client.abort(transaction.transaction_id, AbortReason.CARD_REMOVED).outcome == "aborted"
    pki = backend.server.pki
    paths = pki.write_kiosk_bundle(pki.issue_kiosk("never-enrolled"), tmp_path / "ghost")
    ghost = BackendClientConfig(backend.url, paths["certificate"], paths["key"], paths["ca"])
    with BackendClient(ghost) as stranger, pytest.raises(RefusedByPolicyError) as refused:
        stranger.begin()
    assert refused.value.reason == "unknown_kiosk"
