"""Assembles the reference backend: data folder, operator PKI, database, authority, API, HTTPS.

`BackendServer(settings).start()` serves in background threads (tests, load benchmark);
`serve_forever()` is what `kiosk-backend serve` runs.
"""

from __future__ import annotations

import os
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk_backend import store
from kiosk_backend.api import Api
from kiosk_backend.authority import Authority
from kiosk_backend.database import Database
from kiosk_backend.http_server import TlsHttpServer, server_tls_context
from kiosk_backend.migrator import current_version, migrate
from kiosk_backend.notifications import (
    HolderNotifier,
    PortalInboxSender,
    Sender,
    SmtpSender,
)
from kiosk_backend.observability import JsonLog, Metrics
from kiosk_backend.operator_pki import OperatorPki
from kiosk_backend.policy import Policy
from kiosk_backend.service import AuthorityService, Clock

DEFAULT_PORT = 8443
SQLITE_FILE = "backend.sqlite3"


@dataclass
class BackendSettings:
    data_dir: Path
    authority_dir: Path
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    policy: Policy = field(default_factory=Policy)
    pool_size: int = 16
    sweep_interval_seconds: float = 30.0
    # Testbeds only: accept kiosks enrolled without a TPM (a key file that can be copied).
    software_kiosks: bool = False
    # How often the TLS server's CRL is rebuilt from the kiosk registry when it changed.
    revocation_interval_seconds: float = 1.0
    # Holder notifications: delivered by e-mail when smtp_host is set, else to the portal inbox.
    notify_interval_seconds: float = 2.0
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "jpki-notice@kiosk-backend.invalid"

    def resolved_database_url(self) -> str:
        return self.database_url or Database.sqlite_url(self.data_dir / SQLITE_FILE)


def open_database(settings: BackendSettings) -> Database:
    """The database with its schema brought up to date."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.resolved_database_url(), pool_size=settings.pool_size)
    migrate(database)
    return database


class BackendServer:
    def __init__(
        self,
        settings: BackendSettings,
        clock: Clock = time.time,
        log: JsonLog | None = None,
    ) -> None:
        self.settings = settings
        self.log = log or JsonLog()
        self.metrics = Metrics()
        self.pki = OperatorPki(settings.data_dir)
        self.pki.ensure()
        self.database = open_database(settings)
        authority = Authority(settings.authority_dir, self.pki.card_ref_key())
        pin_key = self.pki.pin_key()
        self.service = AuthorityService(authority, pin_key, settings.policy, clock)
        self.service.allow_software_kiosks = settings.software_kiosks
        self.api = Api(self.database, self.service, pin_key.public_key(), self.log, self.metrics)
        self._revoked: list[int] | None = None
        self._http = TlsHttpServer(
            (settings.host, settings.port), self.api, self._tls_context(), self.log, self.metrics
        )
        sender: Sender = (
            SmtpSender(self.database, settings.smtp_host, settings.smtp_port,
                       settings.smtp_sender)
            if settings.smtp_host else PortalInboxSender(self.database, clock)
        )
        self.notifier = HolderNotifier(self.database, sender, clock)
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        host = self.settings.host
        return f"https://{'[' + host + ']' if ':' in host else host}:{self.port}"

    def _tls_context(self) -> ssl.SSLContext:
        """The server's TLS context with a CRL of every revoked kiosk certificate (superseded
        by re-enrolment, or of a disabled kiosk): refused in the handshake itself."""
        with self.database.transaction() as connection:
            revoked = store.revoked_serials(connection, int(time.time() * 1000))
        self._revoked = revoked
        crl = self.pki.directory / "kiosks.crl.pem"
        _write_public(crl, self.pki.kiosk_crl(revoked))
        return server_tls_context(
            self.pki.server_certificate_path,
            self.pki.server_key_path,
            self.pki.ca_certificate_path,
            crl,
        )

    def refresh_revocation(self) -> bool:
        """Rebuild the TLS context when the revoked set changed; True if it did."""
        with self.database.transaction() as connection:
            revoked = store.revoked_serials(connection, int(time.time() * 1000))
        if revoked == self._revoked:
            return False
        self._http.set_tls_context(self._tls_context())
        self.log.info("kiosk_crl_updated", revoked=len(revoked))
        return True

    def _every(self, interval: float, work: Callable[[], object], name: str) -> None:
        while not self._stopping.wait(interval):
            try:
                work()
            except Exception as error:  # keep going; the next round may succeed
                self.log.error(f"{name}_failed", error=type(error).__name__)

    def _background(self) -> list[threading.Thread]:
        settings = self.settings
        jobs = [
            (settings.revocation_interval_seconds, self.refresh_revocation, "revocation"),
            (settings.notify_interval_seconds, self.notifier.deliver_due, "notify"),
        ]
        threads = []
        for interval, work, name in jobs:
            thread = threading.Thread(target=self._every, args=(interval, work, name),
                                      name=f"backend-{name}", daemon=True)
            thread.start()
            threads.append(thread)
        return threads

    def _sweep_loop(self) -> None:
        while not self._stopping.wait(self.settings.sweep_interval_seconds):
            try:
                self.api.sweep()
            except Exception as error:  # keep sweeping; the next round may succeed
                self.log.error("sweep_failed", error=type(error).__name__)

    def start(self) -> BackendServer:
        self._log_start()
        for target in (self._http.serve_forever, self._sweep_loop):
            thread = threading.Thread(target=target, name=f"backend-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._threads += self._background()
        return self

    def serve_forever(self) -> None:
        self._log_start()
        sweeper = threading.Thread(target=self._sweep_loop, name="backend-sweep", daemon=True)
        sweeper.start()
        self._threads += self._background()
        try:
            self._http.serve_forever()
        finally:
            self._stopping.set()
            self._http.server_close()
            self.database.close()

    def _log_start(self) -> None:
        self.log.info(
            "server_started",
            host=self.settings.host,
            port=self.port,
            database=self.database.dialect,
            schema_version=current_version(self.database),
        )

    def stop(self) -> None:
        self._stopping.set()
        self._http.shutdown()
        self._http.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self.database.close()


def _write_public(path: Path, data: bytes) -> None:
    """Replace `path` atomically (the TLS context may be reading the old one)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
