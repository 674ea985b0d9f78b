"""The OpenAPI description matches what the server serves and the messages it exchanges."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk_backend.api import openapi_document
from kiosk_protocol.messages import (
    BeginRequest,
    BeginResponse,
    CardAnswerRequest,
    CardProofRequest,
    ResetCommandRequest,
    ResetCommandResponse,
    ServerKey,
    TransactionState,
    TransactionStatus,
)
from tests.backend.harness import RunningBackend
from tests.protocol.test_messages import MESSAGES


def test_every_served_path_is_described(backend: RunningBackend) -> None:
    document = openapi_document()
    assert document["openapi"].startswith("3.1")
    paths = set(document["paths"])
    assert {
        "/v1/server-key",
        "/v1/transactions",
        "/v1/transactions/{transaction_id}",
        "/health",
        "/metrics",
        "/openapi.json",
    } <= paths
    for step in ("card-proof", "face-evidence", "reset-command", "card-answer", "abort"):
        assert f"/v1/transactions/{{transaction_id}}/{step}" in paths
    with backend.http() as client:
        assert client.get("/openapi.json").json() == document


@pytest.mark.parametrize(
    "message",
    [
        m
        for m in MESSAGES
        if isinstance(
            m,
            BeginRequest
            | BeginResponse
            | CardProofRequest
            | ResetCommandRequest
            | ResetCommandResponse
            | CardAnswerRequest
            | ServerKey
            | TransactionStatus,
        )
    ],
    ids=lambda m: type(m).__name__,
)
def test_schemas_name_exactly_the_fields_on_the_wire(message: Any) -> None:
    schema = openapi_document()["components"]["schemas"][type(message).__name__]
    assert set(schema["properties"]) == set(message.to_json())
    assert set(schema["required"]) <= set(message.to_json())


def test_states_match() -> None:
    schema = openapi_document()["components"]["schemas"]["TransactionStatus"]
    assert schema["properties"]["state"]["enum"] == [state.value for state in TransactionState]


def test_the_committed_description_is_the_generated_one() -> None:
    """CI's check: kiosk_backend/openapi.json is what the routing table generates
    (regenerate with `kiosk-backend openapi --out kiosk_backend/openapi.json`)."""
    from click.testing import CliRunner

    from kiosk_backend.cli import main
    from kiosk_backend.openapi import committed_document_path, document_text

    assert committed_document_path().read_text("utf-8") == document_text()
    assert CliRunner().invoke(main, ["openapi", "--check"]).exit_code == 0


def test_every_route_is_served_and_documented(backend: RunningBackend) -> None:
    """Each route of the table answers something other than 404/405 over mutual TLS, and
    a path outside the table is a 404."""
    from kiosk_backend.routes import ROUTES

    with backend.http() as client:
        for route in ROUTES:
            path = route.path.replace("{transaction_id}", "tx_" + "0" * 32)
            reply = client.request(route.method, path, content=b"{}")
            assert reply.status_code not in (404, 405) or path.startswith("/v1/transactions/"), (
                route.path,
                reply.status_code,
            )
            if reply.status_code == 404:
                assert reply.json()["error"]["code"] == "unknown_transaction"
        assert client.get("/v2/anything").json()["error"]["code"] == "not_found"
        assert client.delete("/health").json()["error"]["code"] == "method_not_allowed"
