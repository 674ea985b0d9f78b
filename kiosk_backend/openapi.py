"""The OpenAPI 3.1 document, generated from the application: paths, methods, bodies and
documented refusals from the routing table (`routes.py`); enums, patterns and lengths from the
protocol's own types and constants. `kiosk-backend openapi` writes it; CI checks that the
committed kiosk_backend/openapi.json is exactly this.
"""

from __future__ import annotations

import json
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from kiosk_backend.routes import PATH_PARAMETERS, ROUTES, Route
from kiosk_protocol import IDENTITY_CHECK_TYPE
from kiosk_protocol.fields import IDEMPOTENCY_KEY, KIOSK_ID, SHA256_HEX, TRANSACTION_ID
from kiosk_protocol.messages import (
    CARD_CHALLENGE_LENGTH,
    NONCE_LENGTH,
    AbortReason,
    ErrorKind,
    Liveness,
    Outcome,
    TransactionState,
)
from kiosk_protocol.pin_envelope import PIN_ALGORITHM

Schema = dict[str, Any]
_TIME = {"type": "integer", "description": "Milliseconds since the Unix epoch (UTC)."}


def _pattern(regex: str) -> str:
    return f"^{regex}$"


def _text(pattern: str | None = None, description: str = "", max_length: int = 0) -> Schema:
    schema: Schema = {"type": "string"}
    if pattern:
        schema["pattern"] = _pattern(pattern)
    if max_length:
        schema["maxLength"] = max_length
    if description:
        schema["description"] = description
    return schema


def _base64(description: str) -> Schema:
    return {"type": "string", "contentEncoding": "base64", "description": description}


def _enum(kind: type[StrEnum], nullable: bool = False) -> Schema:
    values: list[str | None] = [member.value for member in kind]
    if nullable:
        return {"type": ["string", "null"], "enum": [*values, None]}
    return {"type": "string", "enum": values}


def _integer(low: int, high: int) -> Schema:
    return {"type": "integer", "minimum": low, "maximum": high}


def _object(properties: Schema, optional: tuple[str, ...] = ()) -> Schema:
    required = [name for name in properties if name not in optional]
    return {"type": "object", "required": required, "properties": properties}


_IDEMPOTENCY_KEY = _text(
    IDEMPOTENCY_KEY.pattern, "Client-chosen; one per logical call, reused unchanged on retries."
)
_TRANSACTION_ID = _text(TRANSACTION_ID.pattern)


def component_schemas() -> dict[str, Schema]:
    return {
        "Error": _object(
            {
                "error": _object(
                    {
                        "kind": _enum(ErrorKind),
                        "code": _text(description="Machine-readable reason, see docs/protocol.md."),
                        "message": {"type": "string"},
                        "transaction_id": _TRANSACTION_ID,
                    },
                    optional=("transaction_id",),
                )
            }
        ),
        "Health": _object(
            {
                "status": {"const": "ok"},
                "database": {"const": "ok"},
                "schema_version": {"type": "integer", "minimum": 1},
            }
        ),
        "BeginRequest": _object({"idempotency_key": _IDEMPOTENCY_KEY}),
        "BeginResponse": _object(
            {
                "transaction_id": _TRANSACTION_ID,
                "nonce": _base64(
                    f"{NONCE_LENGTH} random bytes, single use: the card proof signs them."
                ),
                "chip_nonce": _base64(
                    f"{NONCE_LENGTH} other random bytes, single use: the chip proof signs them "
                    "(docs/protocol.md §4.2)."
                ),
                "expires_at_ms": _TIME,
                "state": {"const": TransactionState.AWAITING_CARD_PROOF.value},
            }
        ),
        "CardProofRequest": _object(
            {
                "idempotency_key": _IDEMPOTENCY_KEY,
                "auth_certificate": _base64("The card's auth certificate (DER, EF 000A)."),
                "signature": _base64(
                    "RSASSA-PKCS1-v1_5-SHA256 by the card's auth key over the card-proof payload."
                ),
                "chip_signature": _base64(
                    "RSASSA-PKCS1-v1_5-SHA256 by the card-info AP's chip key (80 2A 00 00) over "
                    "the chip-proof payload; checked against the chip key the authority "
                    "registered for this certificate."
                ),
            }
        ),
        "FaceEvidence": _object(
            {
                "transaction_id": _TRANSACTION_ID,
                "kiosk_id": _text(KIOSK_ID.pattern),
                "matched": {"type": "boolean"},
                "score_ppm": _integer(0, 10_000_000),
                "threshold_ppm": _integer(0, 10_000_000),
                "frames_used": _integer(0, 10_000),
                "liveness": _enum(Liveness),
                "model_version": _text(max_length=128),
                "card_face_sha256": _text(
                    SHA256_HEX.pattern,
                    "SHA-256 of the message the card face's DF28 signs: the card face the photo "
                    "came from. Must be the one the authority registered for the card's "
                    "certificate.",
                ),
                "chip_key_sha256": _text(
                    SHA256_HEX.pattern,
                    "SHA-256 of the SubjectPublicKeyInfo DER of the card face's chip key (DF24). "
                    "Must be the registered one.",
                ),
            }
        ),
        "FaceEvidenceRequest": _object(
            {
                "idempotency_key": _IDEMPOTENCY_KEY,
                "evidence": {"$ref": "#/components/schemas/FaceEvidence"},
                "signature": _base64(
                    "ECDSA P-256 SHA-256 (DER) over the canonical face-evidence payload: by "
                    "the kiosk's PCR-bound evidence key inside its TPM (TPM-enrolled kiosks), "
                    "or by its key file (testbed kiosks)."
                ),
                "tpm_quote": {
                    "$ref": "#/components/schemas/TpmQuote",
                    "description": "Required from a TPM-enrolled kiosk.",
                },
            },
            optional=("tpm_quote",),
        ),
        "TpmQuote": {
            **_object(
                {
                    "attest": _base64("TPMS_ATTEST (marshalled)."),
                    "signature": _base64("TPMT_SIGNATURE (marshalled)."),
                }
            ),
            "description": (
                "A TPM2_Quote by the kiosk's attestation key: TPMS_ATTEST (extraData = "
                "SHA-256('kiosk-pin-reset/tpm-quote\\0' || transaction_id || '\\0' || nonce || "
                "SHA-256(canonical face-evidence payload))) and its TPMT_SIGNATURE (ECDSA "
                "P-256, SHA-256). See docs/protocol.md."
            ),
        },
        "EncryptedPin": _object(
            {
                "key_id": _text(max_length=64),
                "algorithm": {"const": PIN_ALGORITHM},
                "ciphertext": _base64(
                    "ephemeral point (65) ‖ nonce (12) ‖ AES-GCM ciphertext and tag."
                ),
            }
        ),
        "ResetCommandRequest": _object(
            {
                "idempotency_key": _IDEMPOTENCY_KEY,
                "encrypted_pin": {"$ref": "#/components/schemas/EncryptedPin"},
                "card_challenge": _base64(f"{CARD_CHALLENGE_LENGTH} bytes from GET CHALLENGE."),
            }
        ),
        "ResetCommandResponse": _object(
            {
                "transaction_id": _TRANSACTION_ID,
                "state": {"const": TransactionState.AWAITING_CARD_ANSWER.value},
                "apdu": _base64("0C 2C 02 9B Lc DO87 DO8E 00, to relay verbatim."),
                "expires_at_ms": _TIME,
            }
        ),
        "CardAnswerRequest": _object(
            {
                "idempotency_key": _IDEMPOTENCY_KEY,
                "answer": _base64("The card's complete answer: data ‖ SW1 SW2."),
            }
        ),
        "AbortRequest": _object(
            {"idempotency_key": _IDEMPOTENCY_KEY, "reason": _enum(AbortReason)}
        ),
        "TransactionStatus": _object(
            {
                "transaction_id": _TRANSACTION_ID,
                "state": _enum(TransactionState),
                "outcome": {
                    **_enum(Outcome, nullable=True),
                    "description": "unconfirmed: the command went out and no answer with a "
                    "valid MAC came back (a plain status word or a malformed answer included): "
                    "the card may or may not hold the new PIN. command_refused_by_card and "
                    "answer_not_authentic are no longer given. card_proof_invalid: the card "
                    "proof did not verify for the certificate (counts against the kiosk). "
                    "card_binding_mismatch: the chip or the card face is not the one issued "
                    "with the certificate.",
                },
                "identity_check": {
                    "type": ["string", "null"],
                    "description": f'"{IDENTITY_CHECK_TYPE}" once the face evidence was accepted.',
                },
                "expires_at_ms": _TIME,
                "closed_at_ms": {"type": ["integer", "null"]},
            }
        ),
        "ServerKey": _object(
            {
                "key_id": _text(max_length=64),
                "algorithm": {"const": PIN_ALGORITHM},
                "public_key_pem": _text(description="P-256 SubjectPublicKeyInfo, PEM."),
            }
        ),
    }


def _json(schema_name: str) -> Schema:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}}


def _operation(route: Route) -> Schema:
    operation: Schema = {"operationId": route.operation, "summary": route.summary}
    if route.description:
        operation["description"] = route.description
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": _text(PATH_PARAMETERS[name])}
        for name in route.pattern.groupindex
    ]
    if parameters:
        operation["parameters"] = parameters
    if route.request is not None:
        operation["requestBody"] = {"required": True, "content": _json(route.request)}
    success: Schema = {"description": "done"}
    if route.response is not None:
        success["content"] = _json(route.response)
    elif route.operation == "metrics":
        success["content"] = {"text/plain": {"schema": {"type": "string"}}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: Schema = {str(route.success): success}
    for status, text in route.documented_refusals().items():
        responses[str(status)] = {"description": text, "content": _json("Error")}
    if route.operation == "health":
        responses["503"] = {
            "description": "the database is unreachable",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    operation["responses"] = responses
    return operation


@lru_cache(maxsize=1)
def _document_text() -> str:
    paths: dict[str, Schema] = {}
    for route in ROUTES:
        paths.setdefault(route.path, {})[route.method.lower()] = _operation(route)
    document = {
        "openapi": "3.1.0",
        "info": {
            "title": "Kiosk reference backend (issuing authority role)",
            "version": "v1",
            "description": (
                "Protocol v1 between the PIN-reset kiosk and the backend. Normative text: "
                "docs/protocol.md. Every call needs mutual TLS with a kiosk certificate from "
                "the operator CA; every POST is idempotent by its idempotency_key. Every path, "
                "/health, /metrics and /openapi.json included, answers only an enrolled, "
                "enabled kiosk presenting its current certificate: a revoked (re-enrolled) or "
                "disabled kiosk's certificate is refused in the TLS handshake (the server's "
                "CRL) and, on any route, with 401/403. Generated from the server's routing "
                "table (kiosk-backend openapi)."
            ),
        },
        "servers": [{"url": "https://127.0.0.1:8443"}],
        "security": [{"kioskCertificate": []}],
        "paths": paths,
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "kioskCertificate": {
                    "type": "mutualTLS",
                    "description": (
                        "Kiosk certificate (CN = kiosk id) from the operator CA, issued by "
                        "kiosk-backend enroll-kiosk."
                    ),
                }
            },
        },
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def build_document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(_document_text())
    return document


def document_text() -> str:
    """The document as committed in kiosk_backend/openapi.json."""
    return _document_text()


def committed_document_path() -> Path:
    return Path(__file__).with_name("openapi.json")
