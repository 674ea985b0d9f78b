"""The client's retry and error mapping on scripted replies (httpx.MockTransport, no server)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from kiosk.backend_client import (
    BackendClient,
    BackendClientConfig,
    BackendError,
    CardRejectedError,
    ProtocolError,
    RefusedByPolicyError,
    ServerError,
)
from kiosk_backend.operator_pki import OperatorPki


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> BackendClientConfig:
    folder = tmp_path_factory.mktemp("pki")
    pki = OperatorPki(folder)
    pki.ensure()
    pki.write_kiosk_bundle(pki.issue_kiosk("unit-kiosk"), folder / "bundle")
    return BackendClientConfig.from_bundle("https://127.0.0.1:1", folder / "bundle", retries=2)


def scripted(
    config: BackendClientConfig, reply: Callable[[httpx.Request], httpx.Response]
) -> tuple[BackendClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return reply(request)

    return BackendClient(
        config, transport=httpx.MockTransport(handler), sleep=lambda _s: None
    ), seen


def error(status: int, kind: str, code: str) -> Callable[[httpx.Request], httpx.Response]:
    return lambda _r: httpx.Response(
        status, json={"error": {"kind": kind, "code": code, "message": code}}
    )


def test_kiosk_id_comes_from_the_certificate(config: BackendClientConfig) -> None:
    client, _ = scripted(config, error(500, "server", "internal"))
    assert client.kiosk_id == "unit-kiosk"


def test_server_errors_are_retried_with_the_same_body_then_raised(
    config: BackendClientConfig,
) -> None:
    client, seen = scripted(config, error(503, "server", "unavailable"))
    with pytest.raises(ServerError) as raised:
        client.begin()
    assert raised.value.code == "unavailable" and raised.value.status == 503
    assert len(seen) == 3
    assert len({request.content for request in seen}) == 1, "retries re-send the very same bytes"
    key = json.loads(seen[0].content)["idempotency_key"]
    assert 16 <= len(key) <= 64


@pytest.mark.parametrize(
    ("reply", "expected", "attribute", "value"),
    [
        (
            error(429, "policy", "kiosk_rate_limited"),
            RefusedByPolicyError,
            "reason",
            "kiosk_rate_limited",
        ),
        (
            error(422, "card", "certificate_revoked"),
            CardRejectedError,
            "reason",
            "certificate_revoked",
        ),
        (error(409, "protocol", "out_of_order"), ProtocolError, "code", "out_of_order"),
        (
            lambda _r: httpx.Response(201, content=b"<html>"),
            ProtocolError,
            "code",
            "malformed_reply",
        ),
        (
            lambda _r: httpx.Response(201, json={"transaction_id": "x"}),
            ProtocolError,
            "code",
            "malformed_reply",
        ),
        (
            lambda _r: httpx.Response(418, content=b"teapot"),
            ServerError,
            "code",
            "unexpected_reply",
        ),
    ],
)
def test_replies_map_to_typed_errors(
    config: BackendClientConfig,
    reply: Callable[[httpx.Request], httpx.Response],
    expected: type[BackendError],
    attribute: str,
    value: str,
) -> None:
    client, seen = scripted(config, reply)
    with pytest.raises(expected) as raised:
        client.begin()
    assert getattr(raised.value, attribute) == value
    assert len(seen) == 1, "refusals are final, never retried"


def test_unusable_identity_files_are_a_clear_error(tmp_path: Path) -> None:
    missing = BackendClientConfig.from_bundle("https://127.0.0.1:1", tmp_path)
    with pytest.raises(BackendError):
        BackendClient(missing)
