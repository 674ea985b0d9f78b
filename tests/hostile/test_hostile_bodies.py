"""Hostile request bodies through the ASGI application, as an enrolled kiosk: huge numbers, deep
nesting, wrong types, oversized payloads, invalid UTF-8, non-JSON constants. Property: a 4xx
with a JSON error body and a documented code, never a 5xx (issue 17: a 5,000-digit integer
gave 500). The application is called in process (its ASGI interface, with the kiosk's
certificate in the TLS extension) so hypothesis can afford many cases; a few of the same
bodies also go over the real mutual-TLS socket."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk_backend.api import MAX_BODY
from kiosk_backend.asgi import create_app
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, running_backend
from tests.hostile.backend_kit import STEPS, path_for
from tests.hostile.budget import bounded, hostile

BODY_CODES = {"malformed", "body_too_large", "idempotency_key_reused", "unknown_transaction"}
TX = "tx_" + "0" * 32


@pytest.fixture(scope="module")
def backend(
    tmp_path_factory: pytest.TempPathFactory, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    folder = tmp_path_factory.mktemp("hostile-bodies")
    with running_backend(Path(folder), testbed_authority.dir, None) as running:
        yield running


def call_app(
    backend: RunningBackend, method: str, path: str, body: bytes, chunk: int = 0
) -> tuple[int, dict[str, str], bytes]:
    """One request through the ASGI application, as kiosk-1 (body sent in chunks if asked)."""
    app = create_app(backend.server.api, workers=2)
    pem = backend.kiosks["kiosk-1"].certificate.read_text()
    pieces = [body[i : i + chunk] for i in range(0, len(body), chunk)] if chunk else [body]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "https",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-type", b"application/json")]
        + ([] if chunk else [(b"content-length", str(len(body)).encode())]),
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8443),
        "extensions": {"tls": {"client_cert_chain": [pem]}},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if pieces:
            piece = pieces.pop(0)
            return {"type": "http.request", "body": piece, "more_body": bool(pieces)}
        await asyncio.sleep(3600)  # no disconnect while the app still answers
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(asyncio.wait_for(app(scope, receive, send), 30))
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    payload = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], headers, payload


def assert_refused_cleanly(status: int, headers: dict[str, str], payload: bytes) -> str:
    assert 400 <= status < 500, (status, payload[:300])
    assert headers["content-type"].startswith("application/json"), headers
    error = json.loads(payload)["error"]
    assert error["kind"] == "protocol" and error["code"] in BODY_CODES, error
    return str(error["code"])


def _nested(depth: int, leaf: str = "1") -> str:
    return "[" * depth + leaf + "]" * depth


huge_numbers = st.one_of(
    st.integers(25, 6000).map(lambda digits: "9" * digits),
    st.integers(25, 6000).map(lambda digits: "-1" + "0" * digits),
    st.integers(50, 6000).map(lambda digits: "1." + "5" * digits),
    st.sampled_from(["1e999", "-1e999", "1e-999", "NaN", "Infinity", "-Infinity"]),
)


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["number", "nesting", "types", "utf8", "size", "junk"]))
    field = draw(st.sampled_from(["idempotency_key", "evidence", "answer", "reason", "x"]))
    if kind == "number":
        number = draw(huge_numbers)
        return f'{{"idempotency_key": "{"k" * 20}", "{field}": {number}}}'.encode()
    if kind == "nesting":
        depth = draw(st.integers(100, 30000))
        return f'{{"{field}": {_nested(depth)}}}'.encode()
    if kind == "types":
        value = draw(
            st.sampled_from(["[]", "{}", "null", "true", "0", '""', '"x"', "[[[]]]", "-0.0"])
        )
        return draw(
            st.sampled_from(
                [
                    value.encode(),
                    f'{{"idempotency_key": {value}}}'.encode(),
                    f'{{"idempotency_key": "{"k" * 20}", "{field}": {value}}}'.encode(),
                ]
            )
        )
    if kind == "utf8":
        bad = draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80"]))
        return b'{"idempotency_key": "' + bad + b'kkkkkkkkkkkkkkkkkkkk"}'
    if kind == "size":
        extra = draw(st.integers(1, 4 * MAX_BODY))
        return b'{"idempotency_key": "' + b"k" * (MAX_BODY + extra) + b'"}'
    return draw(st.binary(min_size=1, max_size=200).filter(lambda raw: raw.strip() != b""))


@pytest.mark.parametrize("step", STEPS)
@hostile(40)
@given(body=hostile_bodies(), chunked=st.booleans())
def test_hostile_bodies_get_a_clear_4xx(
    backend: RunningBackend, step: str, body: bytes, chunked: bool
) -> None:
    with bounded(f"asgi: {step} (hostile body)"):
        status, headers, payload = call_app(
            backend, "POST", path_for(step, TX), body, chunk=4096 if chunked else 0
        )
    code = assert_refused_cleanly(status, headers, payload)
    if len(body) > MAX_BODY:
        assert (status, code) == (413, "body_too_large")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"idempotency_key": ' + b"7" * 5000 + b"}", "out of range"),
        (b'{"idempotency_key": "' + b"k" * 20 + b'", "x": ' + b"7" * 5000 + b"}", "out of range"),
        (b'{"idempotency_key": NaN}', "not JSON"),
        (_nested(20000).encode(), "nested too deeply"),
        (b'{"idempotency_key": "\xff"}', "not UTF-8"),
    ],
)
def test_each_kind_names_itself(backend: RunningBackend, body: bytes, expected: str) -> None:
    status, headers, payload = call_app(backend, "POST", "/v1/transactions", body)
    assert assert_refused_cleanly(status, headers, payload) == "malformed"
    assert expected in json.loads(payload)["error"]["message"]


@hostile(40)
@given(path=st.text(min_size=1, max_size=40).map(lambda text: "/" + text))
def test_any_path_gets_a_json_answer(backend: RunningBackend, path: str) -> None:
    """Even paths no route pattern could match (newlines, surrogates) reach the API."""
    with bounded("asgi: arbitrary path"):
        status, headers, payload = call_app(backend, "GET", path, b"")
    assert status < 500, (path, payload)
    assert headers["content-type"].startswith("application/json"), (path, headers)


def _over_tls(backend: RunningBackend, request: bytes) -> bytes:
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(backend.url)
    assert address.hostname is not None and address.port is not None
    context: ssl.SSLContext = backend.kiosks["kiosk-1"].ssl_context()
    with (
        socket.create_connection((address.hostname, address.port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=address.hostname) as tls,
    ):
        tls.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = tls.recv(65536)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.mark.parametrize(
    "body",
    [
        b'{"idempotency_key": ' + b"7" * 5000 + b"}",  # the 5,000-digit integer
        _nested(50000).encode()[:MAX_BODY],
        b"\xff\xfe" * 100,
    ],
    ids=["5000-digit-integer", "deep-nesting", "invalid-utf8"],
)
def test_over_the_real_socket(backend: RunningBackend, body: bytes) -> None:
    head = (
        f"POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    answer = _over_tls(backend, head + body)
    status = int(answer.split(b" ", 2)[1])
    assert status == 400, answer[:300]
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "malformed"


def test_an_oversized_body_is_refused_before_it_is_read(backend: RunningBackend) -> None:
    head = (
        "POST /v1/transactions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {100 * MAX_BODY}\r\n\r\n"
    ).encode()
    answer = _over_tls(backend, head + b"{")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"body_too_large"' in answer
