"""The kiosk's backend client against a hostile server: arbitrary status codes, headers and
bodies (arbitrary bytes, arbitrary JSON, genuine replies with one field damaged). Only the
client's typed errors (``BackendError`` and its subclasses) escape, and a refusal is never
retried while a 5xx is retried a bounded number of times."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from kiosk.backend_client import BackendClient, BackendClientConfig, BackendError, FaceReport
from kiosk.backend_client.client import Transaction
from kiosk_backend.operator_pki import OperatorPki
from kiosk_protocol.messages import AbortReason
from kiosk_protocol.pin_envelope import PIN_ALGORITHM
from tests.hostile.budget import bounded, hostile
from tests.hostile.test_backend_server import json_values

TX = "tx_" + "0" * 32
_PIN_KEY = ec.generate_private_key(ec.SECP256R1()).public_key()
SERVER_KEY = {
    "key_id": "k1",
    "algorithm": PIN_ALGORITHM,
    "public_key_pem": _PIN_KEY.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode(),
}
STATUS = {
    "transaction_id": TX,
    "state": "closed",
    "outcome": "pin_reset",
    "identity_check": "card+pin+face",
    "expires_at_ms": 1,
    "closed_at_ms": 2,
}
GENUINE: dict[str, dict[str, Any]] = {
    "begin": {
        "transaction_id": TX,
        "nonce": base64.b64encode(bytes(32)).decode(),
        "chip_nonce": base64.b64encode(bytes(range(32))).decode(),
        "expires_at_ms": 1,
        "state": "awaiting_card_proof",
    },
    "reset": {
        "transaction_id": TX,
        "state": "awaiting_card_answer",
        "apdu": base64.b64encode(bytes(30)).decode(),
        "expires_at_ms": 1,
    },
    "status": STATUS,
    "server_key": SERVER_KEY,
}
TRANSACTION = Transaction(TX, bytes(32), 1, bytes(51))

Call = Callable[[BackendClient], object]
CALLS: dict[str, tuple[Call, str]] = {
    "server_key": (lambda client: client.server_key(), "server_key"),
    "begin": (lambda client: client.begin(), "begin"),
    "prove_card": (
        lambda client: client.prove_card(TRANSACTION, bytes(100), bytes(256), bytes(256)),
        "status",
    ),
    "report_face": (
        lambda client: client.report_face(
            TRANSACTION, FaceReport(True, True, 0.3, 0.5, 5, "m/1", "a" * 64, "b" * 64)
        ),
        "status",
    ),
    "request_reset_command": (
        lambda client: client.request_reset_command(TRANSACTION, bytearray(b"NEWPIN77"), bytes(16)),
        "reset",
    ),
    "confirm": (lambda client: client.confirm(TRANSACTION, b"\x90\x00"), "status"),
    "abort": (lambda client: client.abort(TX, AbortReason.TIMEOUT), "status"),
    "status": (lambda client: client.status(TX), "status"),
}


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> BackendClientConfig:
    folder = Path(tmp_path_factory.mktemp("client-pki"))
    pki = OperatorPki(folder)
    pki.ensure()
    pki.write_kiosk_bundle(pki.issue_kiosk("hostile-kiosk"), folder / "bundle")
    return BackendClientConfig.from_bundle("https://127.0.0.1:1", folder / "bundle", retries=2)


@st.composite
def damaged_json(draw: st.DrawFn, genuine: dict[str, Any]) -> Any:
    document = dict(genuine)
    name = draw(st.sampled_from(sorted(document)))
    if draw(st.booleans()):
        document[name] = draw(json_values)
    else:
        del document[name]
    return document


@st.composite
def replies(draw: st.DrawFn, kind: str) -> httpx.Response:
    status = draw(
        st.one_of(
            st.sampled_from(
                [200, 201, 204, 301, 400, 403, 404, 409, 410, 422, 429, 500, 502, 503, 504]
            ),
            st.integers(100, 599),
        )
    )
    headers = draw(
        st.dictionaries(
            # Content-Encoding: see test_undecodable_compressed_reply_is_a_typed_error
            st.sampled_from(["Content-Type", "Retry-After", "Location", "Idempotent-Replayed"]),
            st.sampled_from(
                ["application/json", "text/html", "gzip", "br", "0", "-1", "x", "true"]
            ),
            max_size=3,
        )
    )
    error_body = {
        "error": {
            "kind": draw(st.sampled_from(["policy", "card", "protocol", "server", "other", ""])),
            "code": draw(st.text(max_size=70)),
            "message": draw(st.text(max_size=20)),
        }
    }
    genuine = GENUINE[kind]
    content = draw(
        st.one_of(
            st.binary(max_size=200),
            json_values.map(lambda value: json.dumps(value).encode()),
            st.just(json.dumps(genuine).encode()),
            damaged_json(genuine).map(lambda document: json.dumps(document).encode()),
            st.just(json.dumps(error_body).encode()),
            damaged_json(error_body["error"]).map(
                lambda inner: json.dumps({"error": inner}).encode()
            ),
        )
    )
    # a stream, so the client (not this strategy) decodes the body, as from a real socket
    return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content))


@pytest.mark.parametrize("name", sorted(CALLS))
@hostile(80)
@given(data=st.data())
def test_client_against_a_hostile_server(
    config: BackendClientConfig, name: str, data: st.DataObject
) -> None:
    call, kind = CALLS[name]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path == "/v1/server-key" and name != "server_key":
            if name == "request_reset_command" and data.draw(st.booleans()):
                return data.draw(replies("server_key"))  # a hostile PIN-encryption key
            return httpx.Response(200, json=SERVER_KEY)
        return data.draw(replies(kind))

    client = BackendClient(config, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    with bounded(f"client: {name} (hostile replies)"):
        try:
            call(client)
        except BackendError:
            pass
        finally:
            client.close()
    api_calls = [r for r in seen if r.url.path != "/v1/server-key" or name == "server_key"]
    assert seen and len(api_calls) <= 1 + config.retries  # bounded retries, never a loop


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_undecodable_compressed_reply_is_a_typed_error(
    config: BackendClientConfig, encoding: str
) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            201, headers={"Content-Encoding": encoding}, stream=httpx.ByteStream(b"not compressed")
        )

    client = BackendClient(config, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    try:
        with pytest.raises(BackendError):
            client.begin()
    finally:
        client.close()


def test_deeply_nested_reply_is_a_typed_error(config: BackendClientConfig) -> None:
    def handler(_request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, stream=httpx.ByteStream(b"[" * 5000))

    client = BackendClient(config, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    try:
        with pytest.raises(BackendError):
            client.begin()
    finally:
        client.close()
