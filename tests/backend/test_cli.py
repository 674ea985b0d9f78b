"""`kiosk-backend` as an operator runs it: enroll, serve (a real subprocess), disable, load-test."""

from __future__ import annotations

import json
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from kiosk_backend.cli import main
from kiosk_backend.migrator import available_migrations
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import REPO, RunningBackend, postgres_url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_enroll_serve_health_metrics_disable(
    tmp_path: Path, testbed_authority: TestAuthority
) -> None:
    data = tmp_path / "backend"
    runner = CliRunner()
    enrolled = runner.invoke(
        main,
        [
            "enroll-kiosk",
            "--data-dir",
            str(data),
            "--kiosk-id",
            "store-0042",
            "--out",
            str(tmp_path / "kiosk"),
            "--software-key",
            "--store",
            "Test store",
        ],
    )
    assert enrolled.exit_code == 0, enrolled.output
    bundle = {name: Path(path) for name, path in json.loads(enrolled.output).items()}
    assert stat.S_IMODE(bundle["key"].stat().st_mode) == 0o600
    assert stat.S_IMODE((data / "pki" / "operator-ca.key.pem").stat().st_mode) == 0o600

    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "kiosk_backend", "serve", "--data-dir", str(data),
         "--testbed-dir", str(testbed_authority.data_dir), "--port", str(port),
         "--allow-software-kiosks"],
        cwd=REPO, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        context = ssl.create_default_context(cafile=str(bundle["ca"]))
        context.load_cert_chain(str(bundle["certificate"]), str(bundle["key"]))
        with httpx.Client(
            base_url=f"https://127.0.0.1:{port}", verify=context, timeout=5
        ) as client:
            deadline = time.monotonic() + 20
            while True:
                try:
                    health = client.get("/health")
                    break
                except httpx.TransportError:
                    assert server.poll() is None, "the server exited"
                    assert time.monotonic() < deadline, "the server did not come up"
                    time.sleep(0.1)
            latest = available_migrations()[-1].version
            assert health.json() == {"status": "ok", "database": "ok", "schema_version": latest}
            assert (
                client.post("/v1/transactions", json={"idempotency_key": "a" * 20}).status_code
                == 201
            )
            metrics = client.get("/metrics").text
            assert 'kiosk_backend_requests_total{operation="begin",status="201"} 1.0' in metrics
            assert client.get("/v1/server-key").json()["algorithm"].startswith("ECDH-ES")

            disabled = runner.invoke(
                main, ["disable-kiosk", "--data-dir", str(data), "--kiosk-id", "store-0042"]
            )
            assert disabled.exit_code == 0, disabled.output
            refused = client.post("/v1/transactions", json={"idempotency_key": "b" * 20})
            assert refused.json()["error"]["code"] == "kiosk_disabled"
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)
    records = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    events = [record["event"] for record in records]
    assert "server_started" in events and "request" in events
    listed = runner.invoke(main, ["list-kiosks", "--data-dir", str(data)])
    assert json.loads(listed.output) == {
        "kiosk_id": "store-0042", "enabled": False, "attestation": "software",
        "store": "Test store", "flagged_at": None}
    assert (
        runner.invoke(
            main, ["disable-kiosk", "--data-dir", str(data), "--kiosk-id", "nobody"]
        ).exit_code
        != 0
    )
    migrated = runner.invoke(main, ["migrate", "--data-dir", str(data)]).output
    assert f"schema version {available_migrations()[-1].version}" in migrated


def test_bad_kiosk_id_and_missing_authority_are_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(
        main,
        [
            "enroll-kiosk",
            "--data-dir",
            str(tmp_path),
            "--kiosk-id",
            "../x",
            "--out",
            str(tmp_path / "k"),
            "--software-key",
        ],
    )
    assert bad.exit_code != 0 and "kiosk id" in bad.output
    missing = runner.invoke(
        main,
        [
            "serve",
            "--data-dir",
            str(tmp_path),
            "--authority-dir",
            str(tmp_path / "none"),
            "--port",
            "0",
        ],
    )
    assert missing.exit_code != 0 and "authority folder" in missing.output


def test_health_reports_the_database(backend: RunningBackend) -> None:
    with backend.http() as client:
        assert client.get("/health").json()["database"] == "ok"
        assert "process_start_time_seconds" in client.get("/metrics").text


@pytest.mark.slow
@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_load_benchmark_counts_no_lost_or_duplicated_transactions(database: str) -> None:
    from kiosk_backend.loadtest import run_loadtest

    url = None
    if database == "postgresql":
        url = postgres_url()
        if url is None:
            pytest.skip("no PostgreSQL")
    # SQLite: the server in its own process, as the command runs it. PostgreSQL: in a thread,
    # with 5 % of the replies lost on purpose so the kiosks retry with the same keys.
    lose = 0.0 if url is None else 0.05
    report = run_loadtest(
        kiosks=3, seconds=2.0, cards=2, database_url=url, separate_process=url is None,
        lose_replies=lose,
    )  # fmt: skip
    assert report.consistent, report.text()
    assert report.completed >= 3
    assert report.db_outcomes.get("pin_reset") == report.completed
    if lose:
        assert report.retries > 0
    else:
        assert report.failed == 0 and report.db_outcomes == {"pin_reset": report.completed}
    assert report.percentile(0.5) <= report.percentile(0.99)


def test_haproxy_config_is_valid_for_haproxy(tmp_path: Path) -> None:
    from kiosk_backend.cluster import haproxy_binary

    result = CliRunner().invoke(
        main, ["haproxy-config", "--listen", "127.0.0.1:8440", "--instance", "127.0.0.1:8443",
               "--instance", "127.0.0.1:8444"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "server instance1 127.0.0.1:8444" in result.output
    assert "req.ssl_hello_type 1" in result.output  # no bytes reach an instance before a hello
    binary = haproxy_binary()
    if binary is None:
        pytest.fail("haproxy is missing: scripts/setup installs it from Debian")
    config = tmp_path / "haproxy.cfg"
    config.write_text(result.output.replace("maxconn 20000", "maxconn 1000"))
    checked = subprocess.run(
        [binary, "-c", "-f", str(config)], check=False, capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_an_embedded_server_keeps_the_kiosks_log_level_names(
    tmp_path: Path, testbed_authority: TestAuthority
) -> None:
    """The demo runs the kiosk and the server in one process: the server must not rename
    the kiosk's APDU trace level (5, "TRAFFIC")."""
    import logging

    from kiosk.card_reader.traffic import TRAFFIC
    from kiosk_backend.server import BackendServer, BackendSettings

    server = BackendServer(
        BackendSettings(data_dir=tmp_path / "b", authority_dir=testbed_authority.dir, port=0)
    )
    try:
        assert logging.getLevelName(TRAFFIC) == "TRAFFIC"
    finally:
        server.stop()
