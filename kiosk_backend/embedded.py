"""The reference backend inside another program (the kiosk's demo, whole-stack tests).

`start_embedded_backend(data_dir, authority_dir)` starts the real HTTPS server on a free
loopback port in background threads, enrolls one kiosk, and returns what the kiosk's
client needs: the URL and the kiosk's certificate bundle.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.observability import JsonLog
from kiosk_backend.policy import Policy
from kiosk_backend.server import BackendServer, BackendSettings


@dataclass
class EmbeddedBackend:
    server: BackendServer
    url: str
    kiosk_id: str
    bundle_dir: Path  # kiosk.crt.pem, kiosk.key.pem, operator-ca.crt.pem

    def stop(self) -> None:
        self.server.stop()


def start_embedded_backend(
    data_dir: Path,
    authority_dir: Path,
    *,
    kiosk_id: str = "demo-kiosk",
    database_url: str | None = None,
    policy: Policy | None = None,
    log: JsonLog | None = None,
) -> EmbeddedBackend:
    settings = BackendSettings(
        data_dir=data_dir,
        authority_dir=authority_dir,
        database_url=database_url,
        port=0,
        policy=policy or Policy(),
        software_kiosks=True,  # the testbed's kiosks hold file keys
    )
    server = BackendServer(settings, log=log)
    bundle_dir = data_dir / "kiosks" / kiosk_id
    enroll_kiosk(server.pki, server.database, kiosk_id, bundle_dir)
    server.start()
    return EmbeddedBackend(server=server, url=server.url, kiosk_id=kiosk_id, bundle_dir=bundle_dir)
