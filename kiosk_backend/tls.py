"""The server's TLS context: the one place where kiosk client certificates are verified.

Whatever else decides whether a peer may complete the handshake (a CRL, a live allow-list)
belongs here, so that every listener and every route gets it.
"""

from __future__ import annotations

import ssl
from pathlib import Path


def server_tls_context(
    certificate: Path, key: Path, client_ca: Path, crl: Path | None = None
) -> ssl.SSLContext:
    """TLS 1.2+; a client certificate chaining to the operator CA is required, and with `crl`
    one the operator CA revoked is refused in the handshake."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile=str(certificate), keyfile=str(key))
    context.load_verify_locations(cafile=str(client_ca))
    if crl is not None:
        context.load_verify_locations(cafile=str(crl))
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["http/1.1"])
    return context
