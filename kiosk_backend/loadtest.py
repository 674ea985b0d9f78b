"""The load benchmark: many simulated kiosks drive complete resets, at once, for a bounded time,
against a real server on loopback (mutual TLS, real database), with in-process virtual cards.

It reports transactions per second and p50/p99 latency of a complete transaction, then counts
in the database: every reset a kiosk saw must be there exactly once (none lost, none
duplicated), and every card must hold the PIN its last reset set, with a full retry counter.
Uses the testbed (virtual cards, test authority): a development tool, not server code.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

from kiosk_backend.database import Database
from kiosk_backend.enrollment import enroll_kiosk
from kiosk_backend.observability import JsonLog
from kiosk_backend.operator_pki import OperatorPki
from kiosk_backend.policy import Policy
from kiosk_backend.server import BackendServer, BackendSettings, open_database
from kiosk_backend.simulated_kiosk import CardBinding, KioskCredentials, SimulatedKiosk
from kiosk_protocol.messages import Outcome

AUTH_PIN = "1234"
HEALTH_KINDS = {
    "bare": "new mTLS connection each",
    "kept-alive": "one mTLS connection",
}
# The photo is never looked at in the benchmark (the face check is simulated); a JP2
# signature box stands in for it.
_PLACEHOLDER_PHOTO = bytes.fromhex("0000000c6a5020200d0a870a")


class _ServerHandle(Protocol):
    url: str
    pki: OperatorPki
    database: Database

    def start(self, wait_with: KioskCredentials) -> None: ...
    def stop(self) -> None: ...
    def cpu_seconds(self) -> float | None: ...


class _InThreadServer:
    def __init__(self, settings: BackendSettings) -> None:
        self._server = BackendServer(settings, log=JsonLog(enabled=False))
        self.pki = self._server.pki
        self.database = self._server.database
        self.url = self._server.url

    def start(self, wait_with: KioskCredentials) -> None:
        del wait_with
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def cpu_seconds(self) -> float | None:
        return None  # shares this process with the kiosks


class _SubprocessServer:
    def __init__(self, settings: BackendSettings, limits: dict[str, object]) -> None:
        self.pki = OperatorPki(settings.data_dir)
        self.pki.ensure()
        self.database = open_database(settings)
        self._settings = settings
        policy_file = settings.data_dir / "policy.toml"
        policy_file.write_text(
            "[policy]\n" + "".join(f"{name} = {value}\n" for name, value in limits.items())
        )
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self._port = int(probe.getsockname()[1])
        self.url = f"https://127.0.0.1:{self._port}"
        self._command = [
            sys.executable, "-m", "kiosk_backend", "serve",
            "--data-dir", str(settings.data_dir),
            "--authority-dir", str(settings.authority_dir),
            "--port", str(self._port),
            "--policy", str(policy_file),
            "--allow-software-kiosks",
        ]  # fmt: skip
        if settings.database_url:
            self._command += ["--database-url", settings.database_url]
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, wait_with: KioskCredentials) -> None:
        self._process = subprocess.Popen(  # noqa: S603 (our own kiosk-backend command)
            self._command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=self.url, verify=wait_with.ssl_context(), timeout=2) as http:
            while True:
                try:
                    if http.get("/health").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the backend subprocess did not start")
                time.sleep(0.1)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=15)

    def cpu_seconds(self) -> float | None:
        """CPU time the server process has used so far (Linux /proc), or None."""
        if self._process is None:
            return None
        try:
            fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class _Card:
    card: Any
    certificate: bytes
    binding: CardBinding
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_pin: str | None = None


@dataclass
class HealthRate:
    """GET /health as fast as the same kiosks can: the stack's floor for one request."""

    label: str
    requests: int
    failed: int
    seconds: float
    latencies_ms: list[float]
    server_cpu_seconds: float | None = None

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def server_cpu_ms_each(self) -> float | None:
        if self.server_cpu_seconds is None or not self.requests:
            return None
        return self.server_cpu_seconds * 1000 / self.requests

    def percentile(self, fraction: float) -> float:
        return _percentile(self.latencies_ms, fraction)


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


@dataclass
class LoadReport:
    database: str
    kiosks: int
    cards: int
    seconds: float
    completed: int
    failed: int
    errors: dict[str, int]
    latencies_ms: list[float]
    db_outcomes: dict[str, int]
    db_transactions: int
    db_begin_replies: int
    lost: int
    duplicated: int
    unknown_in_db: int
    cards_wrong_pin: int
    separate_process: bool = False
    retries: int = 0
    health: dict[str, HealthRate] = field(default_factory=dict)  # filled with --ratio
    server_cpu_seconds: float | None = None  # the server process, during the resets

    @property
    def server_cpu_ms_each(self) -> float | None:
        if self.server_cpu_seconds is None or not self.completed:
            return None
        return self.server_cpu_seconds * 1000 / self.completed

    @property
    def tx_per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    def percentile(self, fraction: float) -> float:
        return _percentile(self.latencies_ms, fraction)

    def ratio(self, label: str = "bare") -> float:
        """Complete transactions per second over health requests per second."""
        health = self.health.get(label)
        return self.tx_per_second / health.per_second if health and health.per_second else 0.0

    @property
    def consistent(self) -> bool:
        return (
            self.lost == 0
            and self.duplicated == 0
            and self.unknown_in_db == 0
            and self.cards_wrong_pin == 0
            and self.completed > 0
        )

    def to_json(self) -> dict[str, object]:
        return {
            "database": self.database,
            "server_process": "separate" if self.separate_process else "in-process",
            "kiosks": self.kiosks,
            "cards": self.cards,
            "seconds": round(self.seconds, 2),
            "completed": self.completed,
            "failed": self.failed,
            "errors": self.errors,
            "tx_per_second": round(self.tx_per_second, 2),
            "latency_ms": {
                "p50": round(self.percentile(0.50), 1),
                "p99": round(self.percentile(0.99), 1),
                "mean": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else 0,
            },
            "server_cpu_ms_per_reset": self.server_cpu_ms_each,
            "db_outcomes": self.db_outcomes,
            "db_transactions": self.db_transactions,
            "db_begin_replies": self.db_begin_replies,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "unknown_in_db": self.unknown_in_db,
            "cards_wrong_pin": self.cards_wrong_pin,
            "retries_after_lost_replies": self.retries,
            "consistent": self.consistent,
            "health": {
                label: {
                    "requests": rate.requests,
                    "failed": rate.failed,
                    "per_second": round(rate.per_second, 1),
                    "latency_ms": {
                        "p50": round(rate.percentile(0.5), 1),
                        "p99": round(rate.percentile(0.99), 1),
                    },
                    "complete_to_health_ratio": round(self.ratio(label), 3),
                    "server_cpu_ms_each": rate.server_cpu_ms_each,
                }
                for label, rate in self.health.items()
            },
        }

    def text(self) -> str:
        lines = [
            f"database            {self.database}"
            f" (server in {'its own process' if self.separate_process else 'this process'})",
            f"kiosks / cards      {self.kiosks} / {self.cards}",
            f"duration            {self.seconds:.1f} s",
            f"completed resets    {self.completed}  ({self.tx_per_second:.1f} tx/s)",
            f"latency p50 / p99   {self.percentile(0.5):.0f} ms / {self.percentile(0.99):.0f} ms",
            f"failed              {self.failed}  {self.errors or ''}",
            f"retries             {self.retries} (after replies lost on purpose)",
            f"in the database     {self.db_transactions} transactions {self.db_outcomes}",
            f"lost / duplicated   {self.lost} / {self.duplicated}"
            f"  (unknown to kiosks: {self.unknown_in_db})",
            f"cards with wrong PIN {self.cards_wrong_pin}",
            f"consistent          {'yes' if self.consistent else 'NO'}",
        ]
        if self.health:
            lines += ["", self.ratio_table()]
        return "\n".join(lines)

    def ratio_table(self) -> str:
        """Side by side: the health floor and complete transactions on the same stack."""
        rows = [
            "                                   per second      p50      p99   failed"
            "   server CPU each",
        ]

        def cpu(value: float | None) -> str:
            return f"{value:9.2f} ms" if value is not None else "        n/a"

        for label, rate in self.health.items():
            rows.append(
                f"health, {HEALTH_KINDS[label]:<26} {rate.per_second:10.1f} "
                f"{rate.percentile(0.5):6.1f} ms {rate.percentile(0.99):6.1f} ms {rate.failed:6d}"
                f" {cpu(rate.server_cpu_ms_each)}"
            )
        rows.append(
            f"complete reset (6 calls, 1 conn.)  {self.tx_per_second:10.1f} "
            f"{self.percentile(0.5):6.1f} ms {self.percentile(0.99):6.1f} ms {self.failed:6d}"
            f" {cpu(self.server_cpu_ms_each)}"
        )
        for label in self.health:
            rows.append(
                f"ratio complete / health ({label}):   {self.ratio(label):.3f}"
                + ("   (aim: >= 0.25)" if label == "bare" else "")
            )
        return "\n".join(rows)


def _health_phase(
    url: str, credentials: list[KioskCredentials], seconds: float, fresh: bool
) -> HealthRate:
    """Every kiosk sends GET /health back to back: on a new mutual-TLS connection each time
    (`fresh`, the bare TLS rate) or on one kept-alive connection."""
    from urllib.parse import urlsplit

    address = urlsplit(url)
    host, port = address.hostname or "127.0.0.1", int(address.port or 443)
    latencies: list[float] = []
    failed = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    request = b"GET /health HTTP/1.1\r\nHost: backend\r\n\r\n"

    def one(tls: ssl.SSLSocket) -> None:
        tls.sendall(request)
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.endswith(b"}"):
            chunk = tls.recv(4096)
            if not chunk:
                raise ConnectionError("closed")
            answer += chunk
        if not answer.startswith(b"HTTP/1.1 200"):
            raise ConnectionError("not 200")

    def connect(context: ssl.SSLContext) -> ssl.SSLSocket:
        raw = socket.create_connection((host, port), timeout=10)
        return context.wrap_socket(raw, server_hostname=host)

    def drive(index: int) -> None:
        context = credentials[index].ssl_context()
        tls: ssl.SSLSocket | None = None
        mine: list[float] = []
        errors = 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                if tls is None:
                    tls = connect(context)
                one(tls)
                mine.append((time.perf_counter() - started) * 1000)
            except OSError:
                errors += 1
                with contextlib.suppress(OSError):
                    if tls is not None:
                        tls.close()
                tls = None
                continue
            if fresh:
                tls.close()
                tls = None
        if tls is not None:
            tls.close()
        with lock:
            latencies.extend(mine)
            failed[0] += errors

    started = time.monotonic()
    threads = [threading.Thread(target=drive, args=(i,)) for i in range(len(credentials))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    label = "bare" if fresh else "kept-alive"
    return HealthRate(label, len(latencies), failed[0], time.monotonic() - started, latencies)


def _issue_cards(testbed_dir: Path, count: int) -> list[_Card]:
    from kiosk_backend.simulated_kiosk import CardDriver
    from kiosk_testbed.authority import TestAuthority
    from kiosk_testbed.card.virtual_card import VirtualCard
    from kiosk_testbed.persona import make_persona

    authority = TestAuthority(testbed_dir).ensure()
    cards = []
    for _ in range(count):
        issued = authority.issue_card(make_persona(auth_pin=AUTH_PIN), _PLACEHOLDER_PHOTO)
        card = VirtualCard(issued.card_file)
        driver = CardDriver(card)
        driver.select_jpki()
        binding = CardBinding(issued.card_face_sha256, issued.chip_key_sha256)
        cards.append(_Card(card, driver.read_auth_certificate(), binding))
    return cards


def _sign_pin_state(card: Any) -> tuple[str, int]:
    from kiosk_testbed.card import layout
    from kiosk_testbed.card.layout import Ap

    state = card.card_file.pins[(Ap.JPKI, layout.JPKI_SIGN_PIN)]
    return state.value, state.tries_left


def run_loadtest(
    *,
    kiosks: int,
    seconds: float,
    cards: int,
    database_url: str | None = None,
    progress: Callable[[str], None] = lambda _text: None,
    separate_process: bool = False,
    lose_replies: float = 0.0,
    ratio: bool = False,
) -> LoadReport:
    """`separate_process` runs the server as `kiosk-backend serve` in its own interpreter, so
    the simulated kiosks and cards (in this process) do not share its interpreter lock.
    `ratio`: first measure GET /health on the same stack with the same kiosks (on a new
    connection per request, then on kept-alive ones), and run every complete transaction on
    a connection of its own, so that the ratio compares like with like."""
    drop_schema: Callable[[], None] | None = None
    if database_url:
        from kiosk_backend.pg_schema import fresh_schema

        database_url, drop_schema = fresh_schema(database_url, prefix="kiosk_loadtest")
    try:
        with tempfile.TemporaryDirectory(prefix="kiosk-loadtest-") as folder:
            return _run(
                Path(folder),
                kiosks,
                seconds,
                cards,
                database_url,
                progress,
                separate_process,
                lose_replies,
                ratio,
            )
    finally:
        if drop_schema is not None:
            drop_schema()


def _run(  # noqa: PLR0917 - one internal call site
    folder: Path,
    kiosk_count: int,
    seconds: float,
    card_count: int,
    database_url: str | None,
    progress: Callable[[str], None],
    separate_process: bool,
    lose_replies: float,
    ratio: bool,
) -> LoadReport:
    progress(f"issuing {card_count} virtual cards ...")
    cards = _issue_cards(folder / "testbed", card_count)
    unlimited = 10**9
    limits: dict[str, object] = {
        "card_max_transactions": unlimited,
        "card_max_failures": unlimited,
        "kiosk_max_transactions": unlimited,
    }
    settings = BackendSettings(
        data_dir=folder / "backend",
        authority_dir=folder / "testbed" / "authority",
        database_url=database_url,
        port=0,
        policy=Policy().with_overrides(limits),
        pool_size=min(32, kiosk_count + 4),
        software_kiosks=True,  # simulated kiosks hold file keys
    )
    server: _ServerHandle = (
        _SubprocessServer(settings, limits) if separate_process else _InThreadServer(settings)
    )
    try:
        credentials = []
        for index in range(kiosk_count):
            kiosk_id = f"load-kiosk-{index:03d}"
            paths = enroll_kiosk(
                server.pki, server.database, kiosk_id, folder / "kiosks" / kiosk_id
            )
            credentials.append(
                KioskCredentials(kiosk_id, paths["certificate"], paths["key"], paths["ca"])
            )
        server.start(wait_with=credentials[0])
        health: dict[str, HealthRate] = {}
        if ratio:
            for fresh in (True, False):
                progress(f"GET /health from {kiosk_count} kiosks for {seconds:.0f} s ...")
                used = server.cpu_seconds()
                rate = _health_phase(server.url, credentials, seconds, fresh)
                after = server.cpu_seconds()
                if used is not None and after is not None:
                    rate.server_cpu_seconds = after - used
                health[rate.label] = rate
        cpu_before = server.cpu_seconds()
        progress(f"driving {kiosk_count} kiosks for {seconds:.0f} s against {server.url} ...")
        results: list[tuple[str, float]] = []
        errors: Counter[str] = Counter()
        retried = [0]
        lock = threading.Lock()
        start = time.monotonic()
        deadline = start + seconds

        def drive(index: int) -> None:
            kiosk = SimulatedKiosk(server.url, credentials[index], lose_replies=lose_replies)
            turn = index
            try:
                while time.monotonic() < deadline:
                    card = cards[turn % len(cards)]
                    turn += 1
                    with card.lock:
                        if ratio:
                            kiosk.reconnect()  # a transaction on a connection of its own
                        try:
                            done = kiosk.run_reset(
                                card.card, AUTH_PIN, card.binding, certificate=card.certificate
                            )
                        except Exception as error:
                            with lock:
                                errors[type(error).__name__] += 1
                            continue
                        if done.status.outcome == Outcome.PIN_RESET:
                            card.last_pin = done.new_pin
                    with lock:
                        if done.status.outcome == Outcome.PIN_RESET:
                            results.append((done.transaction_id, done.seconds * 1000))
                        else:
                            errors[f"outcome:{done.status.outcome}"] += 1
            finally:
                with lock:
                    retried[0] += kiosk.retries
                kiosk.close()

        threads = [threading.Thread(target=drive, args=(i,)) for i in range(kiosk_count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
        cpu_after = server.cpu_seconds()

        with server.database.transaction() as connection:
            outcome_rows = connection.execute(
                "SELECT COALESCE(outcome, state), COUNT(*) FROM transactions"
                " GROUP BY COALESCE(outcome, state)"
            ).rows
            reset_ids = [
                row[0]
                for row in connection.execute(
                    "SELECT transaction_id FROM transactions WHERE outcome = ?",
                    (Outcome.PIN_RESET.value,),
                ).rows
            ]
            total = connection.execute("SELECT COUNT(*) FROM transactions").rows[0][0]
            begin_replies = connection.execute(
                "SELECT COUNT(*) FROM idempotency WHERE operation = 'begin'"
            ).rows[0][0]
    finally:
        server.stop()
        server.database.close()

    seen = [transaction_id for transaction_id, _ in results]
    seen_set = set(seen)
    db_set = set(reset_ids)
    wrong_pin = 0
    for card in cards:
        if card.last_pin is not None and _sign_pin_state(card.card) != (card.last_pin, 5):
            wrong_pin += 1
    return LoadReport(
        database=settings.resolved_database_url().split(":", 1)[0],
        kiosks=kiosk_count,
        cards=card_count,
        seconds=elapsed,
        completed=len(results),
        failed=sum(errors.values()),
        errors=dict(errors),
        latencies_ms=[latency for _, latency in results],
        db_outcomes={str(name): int(count) for name, count in outcome_rows},
        db_transactions=int(total),
        db_begin_replies=int(begin_replies),
        lost=len(seen_set - db_set),
        duplicated=(len(seen) - len(seen_set))
        + (len(reset_ids) - len(db_set))
        + abs(int(total) - int(begin_replies)),
        unknown_in_db=len(db_set - seen_set),
        cards_wrong_pin=wrong_pin,
        separate_process=separate_process,
        retries=retried[0],
        health=health,
        server_cpu_seconds=(
            cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        ),
    )
