"""The reference server's request parsing and handling on hostile bodies: arbitrary bytes,
arbitrary JSON and nearly genuine requests (one field replaced, dropped or added), each sent
to a transaction waiting for exactly that step. Never a 5xx, always a documented status
with a well-formed body, and a refused request leaves the transaction where it was."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_protocol.messages import (
    BeginResponse,
    ErrorBody,
    ResetCommandResponse,
    TransactionStatus,
)
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import running_backend
from tests.helpers.virtual_card import TEST_PINS, TestCard
from tests.hostile.backend_kit import DOCUMENTED_STATUSES, STEPS, ApiKiosk, path_for
from tests.hostile.budget import bounded, hostile
from tests.hostile.mutations import damaged

OPEN_POLICY = Policy(
    kiosk_max_transactions=10**9, card_max_transactions=10**9, card_max_failures=10**9
)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.sampled_from(["", "A" * 70, "tx_" + "0" * 32, "AAAA", "%%%"]),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def kiosk(
    tmp_path_factory: pytest.TempPathFactory,
    testbed_authority: TestAuthority,
    test_card: TestCard,
) -> Iterator[ApiKiosk]:
    folder = tmp_path_factory.mktemp("hostile-backend")
    card = VirtualCard.from_path(test_card.copy_to(Path(folder, "card.json")))
    with running_backend(folder, testbed_authority.dir, None, OPEN_POLICY) as backend:
        yield ApiKiosk(backend, "kiosk-1", CardDriver(card), TEST_PINS["auth_pin"])


def assert_well_formed(step: str, status: int, body: object) -> None:
    assert status in DOCUMENTED_STATUSES, (status, body)
    assert isinstance(body, dict)
    if status >= 400:
        ErrorBody.from_json(body)
    elif step == "begin":
        BeginResponse.from_json(body)
    elif step == "reset-command":
        ResetCommandResponse.from_json(body)
    else:
        TransactionStatus.from_json(body)


@st.composite
def nearly_genuine(draw: st.DrawFn, genuine: dict[str, Any]) -> bytes:
    document: Any = json.loads(json.dumps(genuine))
    target = document
    if "evidence" in document and draw(st.booleans()):
        target = document["evidence"]
    if "encrypted_pin" in document and draw(st.booleans()):
        target = document["encrypted_pin"]
    name = draw(st.sampled_from(sorted(target)))
    how = draw(st.integers(0, 4))
    if how == 0:
        target[name] = draw(json_values)
    elif how == 1:
        del target[name]
    elif how == 2:
        target[draw(st.text(max_size=10))] = draw(json_values)
    elif how == 3 and isinstance(target[name], str):
        try:  # damage the bytes behind a base64 field, keep it valid base64
            raw = base64.b64decode(target[name], validate=True)
        except ValueError:
            raw = target[name].encode()
        target[name] = base64.b64encode(draw(damaged(raw))).decode()
    else:
        encoded = json.dumps(document).encode()
        return draw(damaged(encoded, max_edits=2))
    return json.dumps(document).encode()


def send(kiosk: ApiKiosk, step: str, tx: str, body: bytes) -> tuple[int, object]:
    reply = kiosk.call("POST", path_for(step, tx), body)
    return reply.status, reply.body


@pytest.mark.parametrize("step", STEPS)
@hostile(40)
@given(data=st.data())
def test_arbitrary_bodies(kiosk: ApiKiosk, step: str, data: st.DataObject) -> None:
    tx, _nonce = kiosk.transaction_at(step)
    body = data.draw(
        st.one_of(
            st.binary(max_size=300), json_values.map(lambda value: json.dumps(value).encode())
        )
    )
    with bounded(f"server: {step} (arbitrary body)"):
        status, reply = send(kiosk, step, tx, body)
    assert_well_formed(step, status, reply)


@pytest.mark.parametrize("step", STEPS)
@hostile(60)
@given(data=st.data())
def test_nearly_genuine_requests(kiosk: ApiKiosk, step: str, data: st.DataObject) -> None:
    tx, nonce = kiosk.transaction_at(step)
    before = kiosk.call("GET", f"/v1/transactions/{tx}").body
    body = data.draw(nearly_genuine(kiosk.genuine_body(step, tx, nonce)))
    with bounded(f"server: {step} (nearly genuine request)"):
        status, reply = send(kiosk, step, tx, body)
    assert_well_formed(step, status, reply)
    if status == 400 and step != "begin":
        # a malformed request changes nothing
        assert kiosk.call("GET", f"/v1/transactions/{tx}").body == before


@hostile(150)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "X"]),
    path=st.one_of(
        st.text(max_size=60).map(lambda text: "/" + text),
        st.sampled_from(
            [
                "/v1/transactions/",
                "/v1/transactions/tx_" + "a" * 32 + "/x",
                "/v1/transactions/tx_" + "A" * 32,
                "/v1//transactions",
                "/v1/server-key?x=1",
                "/openapi.json/..",
                "/v1/transactions/tx_" + "a" * 32 + "/abort/",
            ]
        ),
    ),
    body=st.binary(max_size=64),
)
def test_arbitrary_methods_and_paths(kiosk: ApiKiosk, method: str, path: str, body: bytes) -> None:
    with bounded("server: arbitrary method and path"):
        reply = kiosk.call(method, path, body)
    assert reply.status < 500, (method, path, reply.body)


@pytest.mark.parametrize("step", STEPS)
def test_genuine_requests_are_accepted(kiosk: ApiKiosk, step: str) -> None:
    """So the nearly genuine requests above are one edit away from a request that works."""
    tx, nonce = kiosk.transaction_at(step)
    status, reply = send(kiosk, step, tx, json.dumps(kiosk.genuine_body(step, tx, nonce)).encode())
    assert status in (200, 201), reply
    assert_well_formed(step, status, reply)


@pytest.mark.parametrize("body", [b"[" * 5000, b'{"a":' * 5000])
def test_deeply_nested_body_is_a_400(kiosk: ApiKiosk, body: bytes) -> None:
    reply = kiosk.call("POST", "/v1/transactions", body)
    assert reply.status == 400, reply.body


def test_card_certificate_with_a_bad_version_is_refused_as_malformed(kiosk: ApiKiosk) -> None:
    tx, nonce = kiosk.transaction_at("card-proof")
    body = kiosk.card_proof_body(tx, nonce)
    certificate = base64.b64decode(body["auth_certificate"])
    at = certificate.index(b"\xa0\x03\x02\x01")
    body["auth_certificate"] = base64.b64encode(
        certificate[: at + 4] + b"\x3d" + certificate[at + 5 :]
    ).decode()
    status, reply = send(kiosk, "card-proof", tx, json.dumps(body).encode())
    assert (status, reply) == (422, reply) and "certificate_malformed" in json.dumps(reply)
