"""The kiosk's TPM 2.0: its keys never leave it (see :mod:`kiosk.tpm.keys`)."""

from kiosk.tpm.keys import (
    DEFAULT_PCRS,
    DEFAULT_TCTI,
    KioskTpm,
    TpmError,
    is_tpm_key_file,
    write_private_file,
)

__all__ = [
    "DEFAULT_PCRS",
    "DEFAULT_TCTI",
    "KioskTpm",
    "TpmError",
    "is_tpm_key_file",
    "write_private_file",
]
