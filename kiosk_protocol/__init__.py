"""The kiosk ↔ backend protocol, shared by the kiosk's client and the reference server.

Version `v1`; the normative description is docs/protocol.md. Nothing here does I/O.
"""

from kiosk_protocol.canonical import canonical_json
from kiosk_protocol.errors import MessageError

PROTOCOL_VERSION = "v1"
IDENTITY_CHECK_TYPE = "card+pin+face"

__all__ = ["IDENTITY_CHECK_TYPE", "PROTOCOL_VERSION", "MessageError", "canonical_json"]
