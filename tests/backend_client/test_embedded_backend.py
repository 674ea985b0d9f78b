"""The embedded backend (for the demo and whole-stack tests) with the product's client."""

from __future__ import annotations

from pathlib import Path

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk_backend.embedded import start_embedded_backend
from kiosk_backend.observability import JsonLog
from kiosk_testbed.authority import TestAuthority


def test_embedded_backend_serves_the_enrolled_kiosk(
    tmp_path: Path, testbed_authority: TestAuthority
) -> None:
    backend = start_embedded_backend(
        tmp_path / "backend", testbed_authority.dir, log=JsonLog(enabled=False)
    )
    try:
        config = BackendClientConfig.from_bundle(backend.url, backend.bundle_dir)
        with BackendClient(config) as client:
            assert client.kiosk_id == "demo-kiosk"
            transaction = client.begin()
            assert client.status(transaction.transaction_id).state == "awaiting_card_proof"
    finally:
        backend.stop()
    # A second start on the same data folder re-enrolls and works again.
    again = start_embedded_backend(
        tmp_path / "backend", testbed_authority.dir, log=JsonLog(enabled=False)
    )
    try:
        config = BackendClientConfig.from_bundle(again.url, again.bundle_dir)
        with BackendClient(config) as client:
            client.begin()
    finally:
        again.stop()
