"""The kiosk's client for the backend (protocol v1): mutual TLS, idempotent retried calls,
typed errors. See docs/protocol.md."""

from kiosk.backend_client.client import BackendClient, FaceReport, Transaction
from kiosk.backend_client.config import BackendClientConfig
from kiosk.backend_client.errors import (
    BackendError,
    BackendUnreachableError,
    BackendUntrustedError,
    CardRejectedError,
    ProtocolError,
    RefusedByPolicyError,
    ServerError,
)

__all__ = [
    "BackendClient",
    "BackendClientConfig",
    "BackendError",
    "BackendUnreachableError",
    "BackendUntrustedError",
    "CardRejectedError",
    "FaceReport",
    "ProtocolError",
    "RefusedByPolicyError",
    "ServerError",
    "Transaction",
]
