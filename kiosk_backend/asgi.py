"""The API as an ASGI application (Starlette): reads the body within its limit, takes the
kiosk's certificate from the connection (ASGI TLS extension) and hands the request to the
transport-independent `Api`, whose blocking database work runs on a bounded thread pool.
"""

from __future__ import annotations

import ssl
from typing import Any

import anyio
import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kiosk_backend.api import MAX_BODY, Api, Reply, error_reply
from kiosk_protocol.messages import ErrorKind


def client_certificate_der(scope: Scope) -> bytes | None:
    """The verified client certificate of the request's connection, or None."""
    tls = scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    return ssl.PEM_cert_to_DER_cert(chain[0]) if chain else None


class _ApiEndpoint:
    """Every method and path goes to `Api.handle`, which owns the routing table."""

    def __init__(self, api: Api, workers: int) -> None:
        self._api = api
        self._limiter = anyio.CapacityLimiter(workers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        body = await _read_body(request)
        if isinstance(body, Reply):
            reply = body
            self._api.metrics.request("transport", reply.status, 0.0)
        else:
            raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
            reply = await anyio.to_thread.run_sync(
                self._api.handle,
                scope["method"],
                raw_path.decode("latin-1"),
                body,
                client_certificate_der(scope),
                limiter=self._limiter,
            )
        payload, content_type = reply.encoded()
        headers = {"cache-control": "no-store", **reply.headers}
        if isinstance(body, Reply):
            headers["connection"] = "close"  # the rest of the body is not read
        response = Response(payload, reply.status, headers, media_type=content_type)
        await response(scope, receive, send)


async def _read_body(request: Request) -> bytes | Reply:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return _too_large()
    received = bytearray()
    try:
        async for chunk in request.stream():
            received += chunk
            if len(received) > MAX_BODY:
                return _too_large()
    except ClientDisconnect:  # gone, or cut off by the request deadline (gate.py)
        return error_reply(408, ErrorKind.PROTOCOL, "request_timeout", "the body did not arrive")
    return bytes(received)


def _too_large() -> Reply:
    return error_reply(
        413, ErrorKind.PROTOCOL, "body_too_large", f"the body exceeds {MAX_BODY} bytes"
    )


def create_app(api: Api, workers: int) -> Starlette:
    """`workers`: requests handled at once (each holds a database connection meanwhile)."""
    app = Starlette()
    # No Starlette routes: every request, whatever its method and path (even one no route
    # pattern could match), goes to the one endpoint, and `Api` routes it by its table.
    endpoint: Any = _ApiEndpoint(api, workers)
    app.router.default = endpoint
    return app
