"""The HTTP API without the transport: route, authenticate the kiosk, apply idempotency.

`Api.handle(method, path, body, peer_certificate_der)` returns a `Reply`; it routes by the
table in `routes.py`. Every POST carries an idempotency key: the first call runs and its
reply is stored in the same database transaction as its effects; a repeat with the same key
and the same body gets the stored reply; the same key with another body is refused.

An instance keeps nothing between calls that another instance would need: everything lives
in the database. The protected reset command is never stored (it carries the new PIN,
encrypted for the card): a retry of the call that issued it, on whichever instance, has it
rebuilt from the retried request and the open transaction (`reissue_reset_command`).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk_backend import store
from kiosk_backend.database import Connection, Database, DatabaseError, IntegrityViolationError
from kiosk_backend.migrator import current_version
from kiosk_backend.observability import METRICS_CONTENT_TYPE, JsonLog, Metrics
from kiosk_backend.routes import ROUTES, Route
from kiosk_backend.service import AuthorityService, KioskCaller, RefusalError
from kiosk_protocol.errors import MessageError
from kiosk_protocol.messages import (
    AbortRequest,
    BeginRequest,
    CardAnswerRequest,
    CardProofRequest,
    ErrorBody,
    ErrorKind,
    FaceEvidenceRequest,
    Outcome,
    ResetCommandRequest,
    ServerKey,
)
from kiosk_protocol.pin_envelope import PIN_ALGORITHM, key_id

MAX_BODY = 64 * 1024
_MAX_NUMBER_DIGITS = 24  # no field holds more (times in ms have 16); longer is an attack


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, str):
            return self.body.encode("utf-8"), METRICS_CONTENT_TYPE
        return json.dumps(self.body, ensure_ascii=False).encode("utf-8"), "application/json"


def error_reply(status: int, kind: ErrorKind, code: str, message: str) -> Reply:
    return Reply(status, ErrorBody(kind, code, message).to_json())


_error = error_reply


class _BodyError(Exception):
    """The body is not a JSON document we read: the text says why (never its content)."""


def _number(text: str) -> int:
    if len(text) > _MAX_NUMBER_DIGITS:
        raise _BodyError("a number in the body is out of range")
    return int(text)


def _real(text: str) -> float:
    if len(text) > _MAX_NUMBER_DIGITS * 2:
        raise _BodyError("a number in the body is out of range")
    return float(text)


def _constant(text: str) -> object:
    raise _BodyError(f"{text} is not JSON")


def parse_body(body: bytes) -> object:
    """The body as JSON, strictly: UTF-8, no NaN/Infinity, bounded numbers and nesting."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _BodyError("the body is not UTF-8") from None
    try:
        return json.loads(text, parse_int=_number, parse_float=_real, parse_constant=_constant)
    except RecursionError:
        raise _BodyError("the body is nested too deeply") from None
    except ValueError:
        raise _BodyError("the body is not JSON") from None


def _refusal_reply(refusal: RefusalError) -> Reply:
    return Reply(refusal.status, refusal.body.to_json())


class _RollbackError(Exception):
    """Carries a server-error reply out of a database transaction so it rolls back."""

    def __init__(self, reply: Reply) -> None:
        super().__init__("rollback")
        self.reply = reply


class Api:
    def __init__(
        self,
        database: Database,
        service: AuthorityService,
        pin_public_key: ec.EllipticCurvePublicKey,
        log: JsonLog,
        metrics: Metrics,
    ) -> None:
        self.database = database
        self.service = service
        self.log = log
        self.metrics = metrics
        self._server_key = ServerKey(
            key_id=key_id(pin_public_key),
            algorithm=PIN_ALGORITHM,
            public_key_pem=_public_pem(pin_public_key),
        )
        self._closures = threading.local()
        service.set_closed_hook(self._note_closed)

    def _note_closed(self, transaction_id: str, outcome: Outcome) -> None:
        """Called by the service inside a database transaction; acted on after it commits."""
        pending: list[tuple[str, Outcome]] = getattr(self._closures, "pending", [])
        pending.append((transaction_id, outcome))
        self._closures.pending = pending

    def _settle_closures(self, committed: bool) -> None:
        pending: list[tuple[str, Outcome]] = getattr(self._closures, "pending", [])
        self._closures.pending = []
        if not committed:
            return
        for _transaction_id, outcome in pending:
            self.metrics.outcome(outcome.value)

    # --- entry point ---------------------------------------------------------------

    def handle(self, method: str, path: str, body: bytes, peer_der: bytes | None) -> Reply:
        started = time.perf_counter()
        operation = "unknown"
        fields: dict[str, object] = {}
        try:
            try:
                self.admit(peer_der, fields)
            except RefusalError as refusal:
                reply = _refusal_reply(refusal)
            else:
                operation, reply = self._route(
                    method, path.split("?", 1)[0], body, peer_der, fields
                )
        except DatabaseError as error:
            self.log.error("database_error", error=type(error).__name__, operation=operation)
            reply = _error(503, ErrorKind.SERVER, "unavailable", "the database is unavailable")
        except Exception as error:  # a bug: answer 500, keep serving, log no data
            self.log.error("internal_error", error=type(error).__name__, operation=operation)
            reply = _error(500, ErrorKind.SERVER, "internal", "internal error")
        duration_ms = (time.perf_counter() - started) * 1000
        self.metrics.request(operation, reply.status, duration_ms)
        code = None
        if isinstance(reply.body, dict) and "error" in reply.body:
            code = reply.body["error"].get("code")
        if operation not in {"health", "metrics", "openapi"}:
            self.log.info(
                "request",
                operation=operation,
                method=method,
                status=reply.status,
                code=code,
                duration_ms=round(duration_ms, 1),
                **fields,
            )
        return reply

    def _route(
        self,
        method: str,
        path: str,
        body: bytes,
        peer_der: bytes | None,
        fields: dict[str, object],
    ) -> tuple[str, Reply]:
        known_path = False
        for route in ROUTES:
            parameters = route.match(path)
            if parameters is None:
                continue
            known_path = True
            if route.method == method:
                return route.operation, self._dispatch(route, parameters, body, peer_der, fields)
        if known_path:
            return "unknown", _error(405, ErrorKind.PROTOCOL, "method_not_allowed", "not allowed")
        return "unknown", _error(404, ErrorKind.PROTOCOL, "not_found", "no such resource")

    def _dispatch(
        self,
        route: Route,
        parameters: dict[str, str],
        body: bytes,
        peer_der: bytes | None,
        fields: dict[str, object],
    ) -> Reply:
        operation = route.operation
        transaction_id = parameters.get("transaction_id")
        if transaction_id is not None:
            fields["transaction_id"] = transaction_id
        if operation == "health":
            return self._health()
        if operation == "metrics":
            return Reply(200, self.metrics.render())
        if operation == "openapi":
            return Reply(200, openapi_document())
        if operation == "server_key":
            return Reply(200, self._server_key.to_json())
        if operation == "status":
            if transaction_id is None:
                raise TypeError("the status route names a transaction")
            return self._get_status(transaction_id, peer_der, fields)
        return self._post(operation, transaction_id, body, peer_der, fields)

    # --- kiosk identity --------------------------------------------------------------

    def _caller(
        self, connection: Connection, peer_der: bytes | None, fields: dict[str, object]
    ) -> KioskCaller:
        if peer_der is None:
            raise RefusalError(401, ErrorKind.POLICY, "no_client_certificate", "no certificate")
        try:
            certificate = x509.load_der_x509_certificate(peer_der)
        except ValueError:
            raise RefusalError(
                403, ErrorKind.POLICY, "unknown_kiosk", "unreadable certificate"
            ) from None
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        kiosk_id = str(names[0].value) if names else ""
        fields["kiosk_id"] = kiosk_id
        kiosk = store.get_kiosk(connection, kiosk_id)
        fingerprint = hashlib.sha256(peer_der).hexdigest()
        if kiosk is None or kiosk.certificate_sha256 != fingerprint:
            raise RefusalError(403, ErrorKind.POLICY, "unknown_kiosk", "this kiosk is not enrolled")
        if not kiosk.enabled:
            raise RefusalError(403, ErrorKind.POLICY, "kiosk_disabled", "this kiosk is disabled")
        public_key = certificate.public_key()
        if not isinstance(public_key, ec.EllipticCurvePublicKey):
            raise RefusalError(403, ErrorKind.POLICY, "unknown_kiosk", "unexpected kiosk key")
        tpm = store.get_kiosk_tpm(connection, kiosk_id) if kiosk.attestation == "tpm" else None
        if kiosk.attestation == "tpm" and tpm is None:
            raise RefusalError(403, ErrorKind.POLICY, "unknown_kiosk", "TPM identity missing")
        return KioskCaller(
            kiosk_id=kiosk_id,
            public_key=public_key,
            attestation=kiosk.attestation,
            tpm=tpm,
            store_name=kiosk.store_name,
        )

    def admit(self, peer_der: bytes | None, fields: dict[str, object]) -> KioskCaller:
        """Every route, whatever the transport: only an enrolled, enabled kiosk presenting its
        current certificate gets an answer (revoked, re-enrolled or disabled: 401/403)."""
        with self.database.transaction() as connection:
            return self._caller(connection, peer_der, fields)

    # --- operations --------------------------------------------------------------------

    def _post(
        self,
        operation: str,
        transaction_id: str | None,
        body: bytes,
        peer_der: bytes | None,
        fields: dict[str, object],
    ) -> Reply:
        try:
            request = _PARSERS[operation](parse_body(body))
        except _BodyError as error:
            return _error(400, ErrorKind.PROTOCOL, "malformed", str(error))
        except MessageError as error:
            return _error(400, ErrorKind.PROTOCOL, "malformed", str(error))
        key: str = request.idempotency_key
        # The path's transaction is part of the request: a key replayed on another path is reuse.
        request_hash = hashlib.sha256(f"{transaction_id or ''}\n".encode() + body).hexdigest()
        self._settle_closures(committed=False)
        committed = False
        try:
            with self.database.transaction() as connection:
                try:
                    caller = self._caller(connection, peer_der, fields)
                except RefusalError as refusal:
                    return _refusal_reply(refusal)
                store.lock_key(connection, f"idem:{caller.kiosk_id}:{key}")
                stored = store.get_reply(connection, caller.kiosk_id, key)
                if stored is not None:
                    fields["replayed"] = True
                    return self._replay(
                        stored, operation, request_hash, connection, caller=caller, request=request
                    )
                reply = self._run(operation, connection, caller, transaction_id, request)
                if reply.status >= 500:
                    raise _RollbackError(reply)  # nothing kept: the kiosk may retry
                stored_body = dict(reply.body) if isinstance(reply.body, dict) else {}
                stored_body.pop("apdu", None)  # never stored: it carries the new PIN
                store.put_reply(
                    connection,
                    kiosk_id=caller.kiosk_id,
                    key=key,
                    transaction_id=transaction_id or stored_body.get("transaction_id"),
                    reply=store.StoredReply(
                        operation, request_hash, reply.status, json.dumps(stored_body)
                    ),
                    now=self.service.now_ms(),
                )
            committed = True
        except _RollbackError as rollback:
            return rollback.reply
        except IntegrityViolationError:
            return _error(409, ErrorKind.PROTOCOL, "conflict", "a concurrent call conflicted")
        finally:
            self._settle_closures(committed)
        return reply

    def _run(
        self,
        operation: str,
        connection: Connection,
        caller: KioskCaller,
        transaction_id: str | None,
        request: Any,
    ) -> Reply:
        service = self.service
        try:
            if operation == "begin":
                return Reply(201, service.begin(connection, caller).to_json())
            if transaction_id is None:
                raise RuntimeError(f"{operation} routed without a transaction id")
            step: Callable[..., Any] = getattr(service, operation)
            return Reply(200, step(connection, caller, transaction_id, request).to_json())
        except RefusalError as refusal:
            return _refusal_reply(refusal)

    def _replay(
        self,
        stored: store.StoredReply,
        operation: str,
        request_hash: str,
        connection: Connection,
        *,
        caller: KioskCaller,
        request: Any,
    ) -> Reply:
        if stored.operation != operation or stored.request_sha256 != request_hash:
            return _error(
                422,
                ErrorKind.PROTOCOL,
                "idempotency_key_reused",
                "this idempotency key was used for another request",
            )
        body = json.loads(stored.response)
        headers = {"Idempotent-Replayed": "true"}
        if operation == "reset_command" and stored.status == 200:
            try:
                command = self.service.reissue_reset_command(
                    connection, caller, body["transaction_id"], request
                )
            except RefusalError as refusal:
                return _refusal_reply(refusal)
            return Reply(200, command.to_json(), headers)
        return Reply(stored.status, body, headers)

    def _get_status(
        self, transaction_id: str, peer_der: bytes | None, fields: dict[str, object]
    ) -> Reply:
        self._settle_closures(committed=False)
        committed = False
        try:
            with self.database.transaction() as connection:
                try:
                    caller = self._caller(connection, peer_der, fields)
                    status = self.service.status(connection, caller, transaction_id)
                except RefusalError as refusal:
                    return _refusal_reply(refusal)
            committed = True
        finally:
            self._settle_closures(committed)
        return Reply(200, status.to_json())

    def sweep(self) -> list[str]:
        """Close overdue transactions (run periodically by the server)."""
        self._settle_closures(committed=False)
        with self.database.transaction() as connection:
            closed = self.service.sweep(connection)
        self._settle_closures(committed=True)
        if closed:
            self.log.info("expired_transactions_closed", closed=len(closed))
        return closed

    def _health(self) -> Reply:
        try:
            version = current_version(self.database)
        except DatabaseError:
            return Reply(503, {"status": "unavailable", "database": "unreachable"})
        return Reply(200, {"status": "ok", "database": "ok", "schema_version": version})


def openapi_document() -> dict[str, Any]:
    """The OpenAPI description, generated from the routing table (kiosk_backend/openapi.py)."""
    from kiosk_backend.openapi import build_document

    return build_document()


def _public_pem(key: ec.EllipticCurvePublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


_PARSERS: dict[str, Callable[[object], Any]] = {
    "begin": BeginRequest.from_json,
    "card_proof": CardProofRequest.from_json,
    "face_evidence": FaceEvidenceRequest.from_json,
    "reset_command": ResetCommandRequest.from_json,
    "card_answer": CardAnswerRequest.from_json,
    "abort": AbortRequest.from_json,
}
