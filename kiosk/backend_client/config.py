"""Where the backend is and how to reach it: URL, the kiosk's TLS identity, timeouts, retries."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.backend_client.errors import BackendError


@dataclass(frozen=True)
class BackendClientConfig:
    base_url: str
    client_certificate: Path
    client_key: Path
    ca_certificate: Path
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    retries: int = 2
    retry_backoff: float = 0.5

    @classmethod
    def from_bundle(cls, base_url: str, bundle_dir: Path, **options: float) -> BackendClientConfig:
        """The files `kiosk-backend enroll-kiosk --out DIR` writes."""
        return cls(
            base_url=base_url,
            client_certificate=bundle_dir / "kiosk.crt.pem",
            client_key=bundle_dir / "kiosk.key.pem",
            ca_certificate=bundle_dir / "operator-ca.crt.pem",
            **options,  # type: ignore[arg-type]
        )

    def ssl_context(self) -> ssl.SSLContext:
        """Trust only the operator CA; present the kiosk certificate."""
        try:
            context = ssl.create_default_context(
                ssl.Purpose.SERVER_AUTH, cafile=str(self.ca_certificate)
            )
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_cert_chain(str(self.client_certificate), str(self.client_key))
        except (OSError, ssl.SSLError) as error:
            raise BackendError(f"kiosk TLS files unusable: {type(error).__name__}") from None
        return context

    def kiosk_identity(self) -> tuple[str, ec.EllipticCurvePrivateKey]:
        """The kiosk id (certificate CN) and the key that signs face evidence."""
        try:
            certificate = x509.load_pem_x509_certificate(self.client_certificate.read_bytes())
            key = serialization.load_pem_private_key(self.client_key.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise BackendError(f"kiosk identity unusable: {type(error).__name__}") from None
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names or not isinstance(key, ec.EllipticCurvePrivateKey):
            raise BackendError("kiosk certificate has no CN or the key is not an EC key")
        return str(names[0].value), key
