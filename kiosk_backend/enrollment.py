"""Kiosk enrollment: certificate and key from the operator CA, and the kiosk's registry row."""

from __future__ import annotations

import time
from pathlib import Path

from kiosk_backend import store
from kiosk_backend.database import Database
from kiosk_backend.operator_pki import OperatorPki, certificate_sha256


def enroll_kiosk(
    pki: OperatorPki, database: Database, kiosk_id: str, out_dir: Path
) -> dict[str, Path]:
    """Issue a certificate for `kiosk_id`, write the kiosk's bundle, register it enabled.

    Enrolling an existing kiosk again replaces its certificate: the old one stops working.
    """
    pki.ensure()
    issued = pki.issue_kiosk(kiosk_id)
    paths = pki.write_kiosk_bundle(issued, out_dir)
    with database.transaction() as connection:
        store.upsert_kiosk(
            connection, kiosk_id, certificate_sha256(issued.certificate), int(time.time() * 1000)
        )
    return paths


def set_kiosk_enabled(database: Database, kiosk_id: str, enabled: bool) -> bool:
    """Enable or disable a kiosk; False if no such kiosk."""
    with database.transaction() as connection:
        return store.set_kiosk_enabled(connection, kiosk_id, enabled, int(time.time() * 1000))
