from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_protocol import MessageError
from kiosk_protocol.messages import (
    AbortReason,
    AbortRequest,
    BeginRequest,
    BeginResponse,
    CardAnswerRequest,
    CardProofRequest,
    EncryptedPin,
    ErrorBody,
    ErrorKind,
    FaceEvidence,
    FaceEvidenceRequest,
    Liveness,
    Outcome,
    ResetCommandRequest,
    ResetCommandResponse,
    ServerKey,
    TpmQuote,
    TransactionState,
    TransactionStatus,
)

TX = "tx_" + "ab" * 16
KEY = "k" * 20
EVIDENCE = FaceEvidence(
    TX, "kiosk-1", True, 410_000, 550_000, 5, Liveness.PASSED, "m/1", "a" * 64, "b" * 64
)

MESSAGES: list[Any] = [
    BeginRequest(KEY),
    BeginResponse(TX, bytes(32), 1_700_000_000_000, bytes(range(32))),
    CardProofRequest(KEY, bytes(100), bytes(256), bytes(range(256))),
    FaceEvidenceRequest(KEY, EVIDENCE, bytes(70)),
    FaceEvidenceRequest(KEY, EVIDENCE, bytes(70), TpmQuote(bytes(120), bytes(72))),
    ResetCommandRequest(KEY, EncryptedPin("id", "alg", bytes(100)), bytes(16)),
    ResetCommandResponse(TX, bytes(40), 5),
    CardAnswerRequest(KEY, b"\x90\x00"),
    AbortRequest(KEY, AbortReason.TIMEOUT),
    TransactionStatus(TX, TransactionState.CLOSED, Outcome.PIN_RESET, "card+pin+face", 5, 6),
    TransactionStatus(TX, TransactionState.AWAITING_CARD_PROOF, None, None, 5, None),
    ServerKey("id", "alg", "PEM"),
    ErrorBody(ErrorKind.POLICY, "kiosk_disabled", "disabled", TX),
]


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_round_trip_through_json(message: Any) -> None:
    wire = json.loads(json.dumps(message.to_json()))
    assert type(message).from_json(wire) == message


@pytest.mark.parametrize(
    ("message_type", "document"),
    [
        (BeginRequest, {}),
        (BeginRequest, {"idempotency_key": "short"}),
        (BeginRequest, {"idempotency_key": "has spaces in it ......"}),
        (BeginRequest, []),
        (BeginResponse, {"transaction_id": TX, "nonce": "AAAA", "expires_at_ms": 1}),
        (BeginResponse, {**MESSAGES[1].to_json(), "chip_nonce": None}),  # no chip nonce
        (BeginResponse, {**MESSAGES[1].to_json(), "chip_nonce": "AAAA"}),
        (CardProofRequest, {**MESSAGES[2].to_json(), "chip_signature": None}),
        (FaceEvidence, {**EVIDENCE.to_json(), "card_face_sha256": "A" * 64}),  # upper case
        (FaceEvidence, {**EVIDENCE.to_json(), "chip_key_sha256": "ab"}),
        (BeginResponse, {"transaction_id": "tx_1", "nonce": "A" * 44, "expires_at_ms": 1}),
        (CardProofRequest, {"idempotency_key": KEY, "auth_certificate": "!!", "signature": "AA=="}),
        (CardAnswerRequest, {"idempotency_key": KEY, "answer": "AA=="}),  # one byte
        (TransactionStatus, {**MESSAGES[8].to_json(), "state": "dancing"}),
        (TransactionStatus, {**MESSAGES[8].to_json(), "expires_at_ms": True}),
        (FaceEvidenceRequest, {"idempotency_key": KEY, "evidence": {"matched": "yes"}}),
        (FaceEvidenceRequest, {"idempotency_key": KEY, "signature": "AAAAAAAAAAA="}),
        (ResetCommandRequest, {**MESSAGES[4].to_json(), "card_challenge": "AAAA"}),
        (AbortRequest, {"idempotency_key": KEY, "reason": "bored"}),
    ],
)
def test_malformed_messages_raise_message_error(message_type: Any, document: object) -> None:
    with pytest.raises(MessageError):
        message_type.from_json(document)


def test_errors_name_the_field_not_the_value() -> None:
    with pytest.raises(MessageError) as error:
        BeginRequest.from_json({"idempotency_key": "SECRET-VALUE!"})
    assert "idempotency_key" in str(error.value)
    assert "SECRET" not in str(error.value)


PARSERS = [type(message).from_json for message in MESSAGES]
any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=20), inner, max_size=5)
    ),
    max_leaves=15,
)


@given(st.sampled_from(PARSERS), any_json)
def test_parsers_never_crash_on_arbitrary_json(parser: Any, document: object) -> None:
    with contextlib.suppress(MessageError):
        parser(document)
