"""Assembles the reference backend: data folder, operator PKI, database, authority, API, and
the ASGI application served by uvicorn behind the connection gate (mutual TLS).

`BackendServer(settings).start()` serves on an event loop in a background thread (tests, the
demo, the load benchmark); `serve_forever()` is what `kiosk-backend serve` runs (SIGINT and
SIGTERM stop it gracefully). An instance holds nothing another instance needs, so any number
of them may share one PostgreSQL database (docs/backend.md, "Scaling out").
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
import resource
import socket
import ssl
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import uvicorn

from kiosk_backend import store
from kiosk_backend.api import Api
from kiosk_backend.asgi import create_app
from kiosk_backend.authority import Authority
from kiosk_backend.database import Database
from kiosk_backend.gate import ConnectionGate, GateLimits, KioskHttpProtocol
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
from kiosk_backend.tls import server_tls_context

DEFAULT_PORT = 8443
SQLITE_FILE = "backend.sqlite3"
MAX_CONNECTIONS = 4096  # authenticated connections; beyond, requests get 503


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
    limits: GateLimits = field(default_factory=GateLimits)
    # Testbeds only: accept kiosks enrolled without a TPM (a key file that can be copied).
    software_kiosks: bool = False
    # How often the TLS context's CRL is rebuilt from the kiosk registry when it changed.
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


def fit_to_descriptors(limits: GateLimits) -> tuple[GateLimits, int]:
    """Caps that fit the process's file descriptors: raise the soft limit to the hard one,
    then give at most half of what is left to pending handshakes and half to kiosks'
    connections, so a flood evicts its own connections instead of exhausting descriptors
    (then nothing, not even a kiosk, could be accepted)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    budget = max(16, (soft - 64) // 2)  # 64 for the database pool, logs and the like
    fitted = dataclasses.replace(limits, max_pending=min(limits.max_pending, budget))
    return fitted, min(MAX_CONNECTIONS, budget)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(2048)
    listener.setblocking(False)
    return listener


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, accepting through the connection gate instead of its own listener."""

    def __init__(self, config: uvicorn.Config, gate: ConnectionGate) -> None:
        super().__init__(config)
        self._gate = gate
        self._accepting: asyncio.Task[None] | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if sockets is None or len(sockets) != 1:
            raise RuntimeError("the gate serves exactly one listening socket")
        await self.lifespan.startup()
        config = self.config

        def http_protocol() -> asyncio.Protocol:
            return KioskHttpProtocol(
                limits=self._gate.limits,
                config=config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
            )

        self._accepting = asyncio.get_running_loop().create_task(
            self._gate.serve(sockets[0], http_protocol)
        )
        self.servers = []
        self.started = True

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
        self._gate.close_all()  # handshakes still pending are nobody's yet
        await super().shutdown(sockets)


class _UvicornLog(logging.Handler):
    """uvicorn's own warnings (e.g. an unparsable request) as JSON log lines, without data."""

    def __init__(self, log: JsonLog) -> None:
        super().__init__(logging.WARNING)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        level = "error" if record.levelno >= logging.ERROR else "warning"
        self._log.emit(level, "http_server", error=record.getMessage().split("\n")[0][:80])


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
        self.tls_context = self._tls_context()
        sender: Sender = (
            SmtpSender(self.database, settings.smtp_host, settings.smtp_port,
                       settings.smtp_sender)
            if settings.smtp_host else PortalInboxSender(self.database, clock)
        )
        self.notifier = HolderNotifier(self.database, sender, clock)
        limits, self._max_connections = fit_to_descriptors(settings.limits)
        self.gate = ConnectionGate(self.tls_context, limits, self.metrics, self.log)
        self._listener = _listen(settings.host, settings.port)
        self._port = int(self._listener.getsockname()[1])  # still known after stop()
        self._uvicorn = _Uvicorn(self._uvicorn_config(), self.gate)
        self._threads: list[threading.Thread] = []
        self._stopping = threading.Event()

    def _uvicorn_config(self) -> uvicorn.Config:
        limits = self.gate.limits
        # uvicorn.Config names log level 5 "TRACE"; in a process that embeds the server (the
        # demo) that level is the kiosk's APDU trace, "TRAFFIC": keep whatever name it had.
        level_5 = logging.getLevelName(5)
        config = uvicorn.Config(
            create_app(self.api, workers=self.settings.pool_size),
            http="httptools",
            lifespan="off",
            log_config=None,
            access_log=False,
            server_header=False,
            timeout_keep_alive=int(max(1, limits.idle_timeout)),
            timeout_graceful_shutdown=5,
            limit_concurrency=self._max_connections,
            backlog=2048,
        )
        if level_5 != "Level 5":
            logging.addLevelName(5, level_5)
        uvicorn_log = logging.getLogger("uvicorn.error")
        uvicorn_log.propagate = False
        if not any(isinstance(handler, _UvicornLog) for handler in uvicorn_log.handlers):
            uvicorn_log.addHandler(_UvicornLog(self.log))
        return config

    @property
    def port(self) -> int:
        return self._port

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
        """Rebuild the TLS context when the revoked set changed; True if it did. The gate
        takes its context per new connection, so the new CRL applies at once."""
        with self.database.transaction() as connection:
            revoked = store.revoked_serials(connection, int(time.time() * 1000))
        if revoked == self._revoked:
            return False
        self.tls_context = self._tls_context()
        self.gate.context = self.tls_context
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

    def _serve(self) -> None:
        self._uvicorn.run(sockets=[self._listener])

    def start(self) -> BackendServer:
        self._log_start()
        for target in (self._serve, self._sweep_loop):
            thread = threading.Thread(target=target, name=f"backend-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)
        self._threads += self._background()
        deadline = time.monotonic() + 10
        while not self._uvicorn.started and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self._uvicorn.started:
            raise RuntimeError("the HTTP server did not start")
        return self

    def serve_forever(self) -> None:
        self._log_start()
        sweeper = threading.Thread(target=self._sweep_loop, name="backend-sweep", daemon=True)
        sweeper.start()
        self._threads += self._background()
        try:
            self._serve()
        finally:
            self._stopping.set()
            self._listener.close()
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
        self._uvicorn.should_exit = True
        for thread in self._threads:
            thread.join(timeout=10)
        self._listener.close()
        self.database.close()


def _write_public(path: Path, data: bytes) -> None:
    """Replace `path` atomically (the TLS context may be reading the old one)."""
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)
