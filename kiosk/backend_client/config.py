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
from kiosk.tpm import DEFAULT_TCTI, KioskTpm, is_tpm_key_file


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
    # Where the kiosk's TPM is (when client_key is a TPM key file: its evidence and attestation
    # keys sit beside it, see kiosk.tpm.keys).
    tpm_tcti: str = DEFAULT_TCTI

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

    @property
    def key_in_tpm(self) -> bool:
        return is_tpm_key_file(self.client_key)

    def tpm(self) -> KioskTpm:
        """The kiosk's TPM and key folder (the folder of client_key)."""
        return KioskTpm(self.tpm_tcti, self.client_key.parent)

    def ssl_context(self) -> ssl.SSLContext:
        """Trust only the operator CA; present the kiosk certificate.

        Built by hand, not by ssl.create_default_context: that one would write the session
        secrets to $SSLKEYLOGFILE, which must never happen on a kiosk.
        """
        if self.key_in_tpm:
            raise BackendError(
                "the kiosk's TLS key is in its TPM: this build has no in-process TLS with a "
                "TPM key (see docs/installation.md, TPM)")
        try:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.keylog_filename = None  # type: ignore[assignment]
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.load_verify_locations(cafile=str(self.ca_certificate))
            context.load_cert_chain(str(self.client_certificate), str(self.client_key))
        except (OSError, ssl.SSLError) as error:
            raise BackendError(f"kiosk TLS files unusable: {type(error).__name__}") from None
        return context

    def kiosk_identity(self) -> tuple[str, ec.EllipticCurvePrivateKey | None]:
        """The kiosk id (certificate CN) and the key file that signs face evidence (None when
        the keys are in the TPM)."""
        try:
            certificate = x509.load_pem_x509_certificate(self.client_certificate.read_bytes())
        except (OSError, ValueError) as error:
            raise BackendError(f"kiosk identity unusable: {type(error).__name__}") from None
        names = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        if not names:
            raise BackendError("kiosk certificate has no CN")
        if self.key_in_tpm:
            return str(names[0].value), None
        try:
            key = serialization.load_pem_private_key(self.client_key.read_bytes(), password=None)
        except (OSError, ValueError) as error:
            raise BackendError(f"kiosk identity unusable: {type(error).__name__}") from None
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise BackendError("the kiosk key is not an EC key")
        return str(names[0].value), key
