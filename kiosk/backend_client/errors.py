"""Typed errors the kiosk's UI can explain. Texts carry codes, never personal data."""

from __future__ import annotations


class BackendError(Exception):
    """Base of every backend client error."""


class BackendOfflineError(BackendError):
    """The backend cannot be reached: network down, timeout, TLS failure, retries used up."""


class BackendUntrustedError(BackendOfflineError):
    """The server's certificate does not chain to the configured operator CA (never retried)."""


class RefusedByPolicyError(BackendError):
    """The backend refused by policy: rate limit, attempts, hours, kiosk disabled, expiry, face."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"refused by policy: {reason}" + (f" ({message})" if message else ""))
        self.reason = reason


class CardRejectedError(BackendError):
    """The backend did not accept the card: certificate untrusted/expired/revoked, bad signature,
    or the card's answer to the reset command (``reason`` is the code or the outcome)."""

    def __init__(self, reason: str, message: str = "") -> None:
        super().__init__(f"card rejected: {reason}" + (f" ({message})" if message else ""))
        self.reason = reason


class ServerError(BackendError):
    """The backend failed (5xx) and retrying did not help."""

    def __init__(self, code: str, status: int | None = None) -> None:
        super().__init__(f"server error: {code}" + (f" (HTTP {status})" if status else ""))
        self.code = code
        self.status = status


class ProtocolError(BackendError):
    """Kiosk and backend disagree: malformed message, out-of-order or replayed call."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(f"protocol error: {code}" + (f" ({message})" if message else ""))
        self.code = code


class KioskIntegrityError(BackendError):
    """The kiosk's TPM refused to sign: it is not in the measured state it was enrolled in
    (or its keys are not in this TPM). Nothing it could send would be accepted."""
