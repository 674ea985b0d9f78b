"""Assembles the reference backend: data folder, operator PKI, database, authority, API, HTTPS.

`BackendServer(settings).start()` serves in background threads (tests, load benchmark);
`serve_forever()` is what `kiosk-backend serve` runs.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk_backend.api import Api
from kiosk_backend.authority import Authority
from kiosk_backend.database import Database
from kiosk_backend.http_server import TlsHttpServer, server_tls_context
from kiosk_backend.migrator import current_version, migrate
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
        self.api = Api(self.database, self.service, pin_key.public_key(), self.log, self.metrics)
        tls = server_tls_context(
            self.pki.server_certificate_path,
            self.pki.server_key_path,
            self.pki.ca_certificate_path,
        )
        self._http = TlsHttpServer(
            (settings.host, settings.port), self.api, tls, self.log, self.metrics
        )
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        host = self.settings.host
        return f"https://{'[' + host + ']' if ':' in host else host}:{self.port}"

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
        return self

    def serve_forever(self) -> None:
        self._log_start()
        sweeper = threading.Thread(target=self._sweep_loop, name="backend-sweep", daemon=True)
        sweeper.start()
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
