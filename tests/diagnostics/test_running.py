"""Running as an installed kiosk: sd_notify and watchdog, the loopback metrics endpoint."""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config import KioskConfig, parse_config
from kiosk.diagnostics.metrics import HealthBoard, HealthMonitor, KioskMetrics, MetricsServer
from kiosk.diagnostics.model import fail, ok, warn
from kiosk.diagnostics.systemd import Watchdog, notify_ready, notify_status, sd_notify
from kiosk.maintenance import TransactionCounters
from kiosk.maintenance.service_state import ServiceState


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(str(path))
        listener.settimeout(2)
        yield listener, str(path)


def test_sd_notify_sends_datagrams(notify_socket: tuple[socket.socket, str]) -> None:
    listener, path = notify_socket
    env = {"NOTIFY_SOCKET": path}
    assert notify_ready(env)
    assert listener.recv(100) == b"READY=1"
    assert notify_status("reader\nready", env)
    assert listener.recv(100) == b"STATUS=reader ready"


def test_sd_notify_abstract_namespace() -> None:
    name = f"kiosk-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind("\0" + name)
        listener.settimeout(2)
        assert sd_notify("READY=1", {"NOTIFY_SOCKET": "@" + name})
        assert listener.recv(100) == b"READY=1"


def test_without_systemd_nothing_happens(tmp_path: Path) -> None:
    assert not sd_notify("READY=1", {})
    assert not sd_notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")})
    assert not Watchdog.from_environment({}).enabled
    assert not Watchdog.from_environment({"WATCHDOG_USEC": "30000000",
                                          "WATCHDOG_PID": "1"}).enabled  # someone else's


def test_watchdog_pings_from_the_main_loop_rate_limited(
        notify_socket: tuple[socket.socket, str]) -> None:
    listener, path = notify_socket
    now = [100.0]
    env = {"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "20000000", "WATCHDOG_PID": str(os.getpid())}
    watchdog = Watchdog.from_environment(env)
    watchdog._clock = lambda: now[0]
    assert watchdog.enabled and watchdog.ping_interval == 10.0
    assert watchdog.alive()
    assert listener.recv(100) == b"WATCHDOG=1"
    now[0] += 1
    assert not watchdog.alive()  # too soon
    now[0] += 5
    assert watchdog.alive()
    assert listener.recv(100) == b"WATCHDOG=1"


@pytest.fixture
def config(tmp_path: Path) -> KioskConfig:
    return parse_config({"kiosk": {"id": "store-0042", "data_dir": str(tmp_path / "state")},
                         "backend": {"url": "https://backend.invalid"}}, base_dir=tmp_path)


@pytest.fixture
def served(config: KioskConfig) -> Iterator[tuple[MetricsServer, HealthBoard]]:
    board = HealthBoard()
    server = MetricsServer(KioskMetrics(config, board), port=0).start()
    try:
        yield server, board
    finally:
        server.stop()


def get(server: MetricsServer, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_metrics_endpoint(served: tuple[MetricsServer, HealthBoard], config: KioskConfig) -> None:
    server, board = served
    counters = TransactionCounters(config.kiosk.data_dir / "counters.json")
    counters.record("completed")
    counters.record("completed")
    counters.record("face_failed")
    board.publish(ok("pcsc.service", "PC/SC service", "pcscd answers"))
    board.publish(warn("pcsc.card", "Card probe", "no card"))
    status, text = get(server, "/metrics")
    assert status == 200
    lines = set(text.splitlines())
    assert 'kiosk_info{kiosk_id="store-0042",version="0.1.0"} 1' in lines
    assert "kiosk_healthy 1" in lines and "kiosk_in_service 1" in lines
    assert 'kiosk_check_status{check="pcsc.card"} 1' in lines
    assert 'kiosk_transactions_total{outcome="completed"} 2' in lines
    assert 'kiosk_transactions_today{outcome="face_failed"} 1' in lines
    assert "# TYPE kiosk_transactions_total counter" in lines
    status, body = get(server, "/health")
    assert status == 200 and json.loads(body)["healthy"] is True

    board.publish(fail("backend.tcp", "Backend TCP connection", "cannot connect"))
    status, body = get(server, "/health")
    assert status == 503 and json.loads(body)["failing"] == ["backend.tcp"]
    board.publish(ok("backend.tcp", "Backend TCP connection", "connected"))
    ServiceState(config.kiosk.data_dir / "service.json").set_out_of_service("cleaning")
    status, body = get(server, "/health")
    assert status == 503 and json.loads(body)["in_service"] is False
    assert "cleaning" not in get(server, "/metrics")[1]
    assert get(server, "/other")[0] == 404


def test_metrics_listen_on_loopback_only(served: tuple[MetricsServer, HealthBoard]) -> None:
    server, _board = served
    assert server._http.server_address[0] == "127.0.0.1"


def test_health_monitor_publishes_non_invasive_checks(config: KioskConfig) -> None:
    board = HealthBoard()
    report = HealthMonitor(config, board).run_once()
    published = board.snapshot()
    assert {r.id for r in report.results} == set(published)
    assert not any(check.startswith(("pcsc.", "camera.")) for check in published)
    assert published["backend.dns"].status.value == "fail"


def test_runtime_notifies_systemd_and_serves_metrics(
        notify_socket: tuple[socket.socket, str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.diagnostics.runtime import start_runtime

    listener, path = notify_socket
    monkeypatch.setenv("NOTIFY_SOCKET", path)
    monkeypatch.setenv("WATCHDOG_USEC", "8000000")
    monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = parse_config({"kiosk": {"id": "store-0042", "data_dir": str(tmp_path / "state")},
                           "metrics": {"port": port}}, base_dir=tmp_path)
    runtime = start_runtime(config, logging=False, monitor_interval=None)
    try:
        assert runtime.tick_interval == 2.0
        runtime.ready()
        assert listener.recv(100) == b"READY=1"
        assert listener.recv(100) == b"STATUS=serving residents"
        runtime.tick()
        assert listener.recv(100) == b"WATCHDOG=1"
        runtime.maintenance.counters.record("completed")
        assert runtime.health.server is not None and runtime.health.server.port == port
        status, text = get(runtime.health.server, "/metrics")
        assert status == 200 and 'kiosk_transactions_total{outcome="completed"} 1' in text
    finally:
        runtime.stop()
    assert listener.recv(100) == b"STOPPING=1"


def test_reader_events_feed_the_board() -> None:
    from kiosk.card_reader import events
    from kiosk.diagnostics.live import ReaderHealth
    from kiosk.diagnostics.model import Status

    board = HealthBoard()
    live = ReaderHealth(board, configured_reader="Virtual PCD 00 00")

    def status(check: str) -> Status:
        return board.snapshot()[check].status

    live.on_event(events.ReaderAdded("Virtual PCD 00 01"))
    assert status("pcsc.readers") is Status.FAIL  # not the configured one
    live.on_event(events.ReaderAdded("Virtual PCD 00 00"))
    assert status("pcsc.readers") is Status.OK and status("pcsc.service") is Status.OK
    live.on_event(events.CardMute("Virtual PCD 00 00"))
    assert status("pcsc.card") is Status.WARN
    live.on_event(events.CardRemoved("Virtual PCD 00 00"))
    live.on_event(events.CardInserted("Virtual PCD 00 00", b"\x3b\x00"))
    assert status("pcsc.card") is Status.OK
    assert board.snapshot()["pcsc.card"].result.summary == "a card is on the reader"
    live.on_event(events.ServiceUnavailable("SCardEstablishContext: 0x8010001D"))
    assert status("pcsc.service") is Status.FAIL and status("pcsc.readers") is Status.FAIL
    live.on_event(events.ServiceBack())
    assert status("pcsc.service") is Status.OK
