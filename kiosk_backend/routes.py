"""The API's routing table: every method and path the server answers, the operation behind it,
its messages and the refusals it documents. `Api` routes by it and the OpenAPI document is
generated from it, so neither can name a route the other does not know.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAMETER = re.compile(r"\{([a-z_]+)\}")
PATH_PARAMETERS = {"transaction_id": r"tx_[0-9a-f]{32}"}

# Refusals every route can meet, whatever the operation: only an enrolled, enabled kiosk with
# its current certificate gets an answer.
_IDENTITY = (
    (401, "no_client_certificate (policy)"),
    (403, "unknown_kiosk (revoked or re-enrolled certificate), kiosk_disabled (policy)"),
)
_SERVER = ((500, "internal (server)"), (503, "unavailable: the database (server)"))
_BODY = (
    (400, "malformed (protocol): not UTF-8, not JSON, nested too deeply, a number out of "
          "range, a field missing or of the wrong type"),
    (413, "body_too_large (protocol): more than 64 KiB"),
    (422, "idempotency_key_reused (protocol)"),
)
_STEP = (
    (404, "unknown_transaction (protocol)"),
    (409, "out_of_order, transaction_closed, conflict (protocol)"),
    (410, "transaction_expired (policy); closes the transaction"),
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # OpenAPI path template
    operation: str
    summary: str
    response: str | None  # component schema of the success reply
    success: int = 200
    request: str | None = None  # component schema of the body
    refusals: tuple[tuple[int, str], ...] = ()
    description: str = ""
    kiosk_call: bool = False  # authenticated as an enrolled kiosk, in a database transaction
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pieces, end = [], 0
        for found in _PARAMETER.finditer(self.path):
            pieces.append(re.escape(self.path[end : found.start()]))
            pieces.append(f"(?P<{found[1]}>{PATH_PARAMETERS[found[1]]})")
            end = found.end()
        pieces.append(re.escape(self.path[end:]))
        object.__setattr__(self, "pattern", re.compile("".join(pieces)))

    def match(self, path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(path)
        return None if found is None else found.groupdict()

    def documented_refusals(self) -> dict[int, str]:
        """Status → the error codes it carries (merged per status, in status order)."""
        merged: dict[int, list[str]] = {}
        common = (*_IDENTITY, *_SERVER) if self.kiosk_call else _IDENTITY
        body = _BODY if self.request is not None else ()
        for status, text in (*body, *common, *self.refusals):
            merged.setdefault(status, []).append(text)
        return {status: "; ".join(merged[status]) for status in sorted(merged)}


def _step(name: str, operation: str, summary: str, request: str, **extra: object) -> Route:
    refusals: tuple[tuple[int, str], ...] = (*_STEP, *extra.pop("refusals", ()))  # type: ignore[misc]
    return Route(
        "POST",
        f"/v1/transactions/{{transaction_id}}/{name}",
        operation,
        summary,
        str(extra.pop("response", "TransactionStatus")),
        request=request,
        refusals=refusals,
        kiosk_call=True,
        **extra,  # type: ignore[arg-type]
    )


ROUTES: tuple[Route, ...] = (
    Route("GET", "/health", "health", "Liveness and database reachability", "Health"),
    Route("GET", "/metrics", "metrics", "Prometheus metrics (text exposition format)", None),
    Route("GET", "/openapi.json", "openapi", "This description", None),
    Route("GET", "/v1/server-key", "server_key",
          "The server's public key for the new-PIN envelope", "ServerKey"),
    Route("POST", "/v1/transactions", "begin", "Begin a transaction: fresh nonces, id, expiry",
          "BeginResponse", success=201, request="BeginRequest", kiosk_call=True,
          refusals=((403, "outside_service_hours (policy)"),
                    (429, "kiosk_rate_limited, kiosk_flagged (too many card proofs that failed "
                          "at this kiosk; policy)"))),
    Route("GET", "/v1/transactions/{transaction_id}", "status",
          "What the server knows about a transaction (crash recovery); closes it if overdue",
          "TransactionStatus", kiosk_call=True,
          refusals=((404, "unknown_transaction (protocol)"),)),
    _step("card-proof", "card_proof",
          "The card's signature over the nonce and the chip's over the chip nonce",
          "CardProofRequest",
          description=(
              "bad_card_signature closes the transaction as card_proof_invalid and counts "
              "against the kiosk, never against the certificate's card; card_binding_mismatch "
              "(the chip proof does not verify under the chip key registered for the "
              "certificate) closes it as card_binding_mismatch and counts against the card."
          ),
          refusals=(
              (422, "certificate_malformed, certificate_untrusted, certificate_expired, "
                    "certificate_revoked, revocation_status_unknown, bad_card_signature, "
                    "card_not_registered, card_binding_mismatch (card); closes the "
                    "transaction"),
              (429, "card_rate_limited, card_locked (policy); closes the transaction"),
          )),
    _step("face-evidence", "face_evidence",
          "The kiosk's signed face-check evidence (never an image)", "FaceEvidenceRequest",
          refusals=(
              (400, "evidence_mismatch, bad_kiosk_signature (protocol)"),
              (403, "face_check_failed (policy); closes the transaction"),
              (403, "kiosk_attestation_failed (policy): the evidence is not signed by this "
                    "kiosk's PCR-bound TPM key or not quoted by its attestation key over this "
                    "transaction's nonce in its enrolled measured state; closes the "
                    "transaction as refused_by_policy"),
              (403, "kiosk_attestation_required (policy): a kiosk enrolled without a TPM, on "
                    "a server that does not allow them"),
              (422, "card_binding_mismatch (card): the evidence names another card face or "
                    "chip key than the ones registered for the card's certificate; closes the "
                    "transaction"),
          )),
    _step("reset-command", "reset_command",
          "New PIN (encrypted) and card challenge; returns the protected reset APDU",
          "ResetCommandRequest", response="ResetCommandResponse",
          description=(
              "A retry with the same idempotency key and body, on any server instance, gets "
              "the same APDU again while the transaction awaits the card's answer; once it "
              "has closed, 409 command_no_longer_available (then ask for the status)."
          ),
          refusals=(
              (400, "pin_envelope_invalid, new_pin_format (protocol)"),
              (409, "command_no_longer_available (protocol)"),
          )),
    _step("card-answer", "card_answer",
          "The card's protected answer; closes the transaction with its outcome",
          "CardAnswerRequest",
          description=(
              "Only an answer whose MAC verifies closes the transaction as pin_reset or "
              "pin_rejected_by_card; anything else (a plain status word, a malformed answer, a "
              "wrong MAC) closes it as unconfirmed."
          )),
    _step("abort", "abort", "The kiosk ends the transaction without a reset", "AbortRequest"),
)
