"""The checks one by one, with fakes where hardware is not the point, real TLS where it is."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kiosk.card_reader.errors import CardLost, ReaderBusy, ReaderUnavailable
from kiosk.card_reader.transport import Transport
from kiosk.config import KioskConfig, load_config, parse_config
from kiosk.diagnostics import CheckResult, Status, export_report, run_checks
from kiosk.diagnostics.backend_checks import (
    _clock_result,
    backend_checks,
    client_certificate_check,
)
from kiosk.diagnostics.camera_checks import Frame, camera_checks, frame_quality
from kiosk.diagnostics.logs import read_log
from kiosk.diagnostics.model import Report, fail, ok, warn
from kiosk.diagnostics.pcsc_checks import pcsc_checks
from kiosk.diagnostics.runner import report_file_stem

from .conftest import KIOSK_ID, Backend

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def config_with(tmp_path: Path, **tables: dict[str, object]) -> KioskConfig:
    data: dict[str, object] = {"kiosk": {"id": KIOSK_ID, "data_dir": str(tmp_path / "state")}}
    data.update(tables)
    return parse_config(data, base_dir=tmp_path)


# --- model and report ---------------------------------------------------------------------

def test_report_is_healthy_unless_something_failed() -> None:
    report = Report("k", "2026-11-25T12:00:00+00:00", "0.1.0",
                    [ok("a", "A", "fine"), warn("b", "B", "look", n=1)])
    assert report.healthy and report.status is Status.WARN
    broken = Report("k", report.created, "0.1.0", [*report.results, fail("c", "C", "bad")])
    assert not broken.healthy and broken.status is Status.FAIL
    text = broken.to_text()
    assert "Overall: NOT HEALTHY (fail)" in text
    assert "[WARN] B: look" in text and "n: 1" in text
    assert json.loads(broken.to_json_text())["results"][2]["status"] == "fail"


def test_a_check_that_raises_becomes_a_failure_and_the_rest_still_run(tmp_path: Path) -> None:
    from kiosk.diagnostics.runner import Hooks

    def broken() -> CheckResult:
        raise RuntimeError("self-test crashed")

    report = run_checks(config_with(tmp_path), areas=("system", "face"),
                        hooks=Hooks(face_self_test=broken))
    assert report.result("face.error") is not None
    assert report.result("face.error").status is Status.FAIL  # type: ignore[union-attr]
    assert report.result("system.versions") is not None
    with pytest.raises(ValueError, match="unknown diagnostic area"):
        run_checks(config_with(tmp_path), areas=("printer",))


def test_export_writes_json_and_text(tmp_path: Path) -> None:
    report = run_checks(config_with(tmp_path), areas=("system",))
    json_path, text_path = export_report(report, tmp_path / "usb" / "reports")
    assert json_path.name.startswith(f"kiosk-diagnostics-{KIOSK_ID}-")
    assert json.loads(json_path.read_text())["kiosk_id"] == KIOSK_ID
    assert "Configuration in effect" in text_path.read_text()


def test_export_never_writes_through_a_name_already_on_the_stick(tmp_path: Path) -> None:
    report = run_checks(config_with(tmp_path), areas=("system",))
    stick = tmp_path / "usb"
    stick.mkdir()
    kiosk_state = tmp_path / "journal.jsonl"
    kiosk_state.write_text("kept\n")
    planted = stick / f"{report_file_stem(report)}.json"
    planted.symlink_to(kiosk_state)  # a stick prepared to make the export overwrite it
    json_path, text_path = export_report(report, stick)
    assert kiosk_state.read_text() == "kept\n"
    assert json_path.name == f"{report_file_stem(report)}-2.json" and not json_path.is_symlink()
    again = export_report(report, stick)  # the same report exported twice: a third name
    assert again[0].name.endswith("-3.json") and again[1].read_text() == text_path.read_text()


# --- PC/SC with fakes ---------------------------------------------------------------------

def test_pcsc_service_down(tmp_path: Path) -> None:
    def readers() -> list[str]:
        raise ReaderUnavailable("SCardEstablishContext: PC/SC error 0x8010001D")

    (result,) = pcsc_checks(config_with(tmp_path), readers_of=readers)
    assert result.id == "pcsc.service" and result.status is Status.FAIL


def test_no_reader_and_missing_configured_reader(tmp_path: Path) -> None:
    results = pcsc_checks(config_with(tmp_path), readers_of=list)
    assert [r.status for r in results] == [Status.OK, Status.FAIL]
    config = config_with(tmp_path, card={"reader": "ACS ACR39U"})
    results = pcsc_checks(config, readers_of=lambda: ["Virtual PCD 00 00"])
    assert results[1].status is Status.FAIL and "ACS ACR39U" in results[1].summary


def test_empty_and_busy_readers_are_warnings(tmp_path: Path) -> None:
    def open_transport(reader: str) -> Transport:
        if reader == "empty":
            raise CardLost("SCardConnect: PC/SC error 0x8010000C")
        raise ReaderBusy("SCardConnect: sharing violation")

    results = pcsc_checks(config_with(tmp_path), readers_of=lambda: ["empty"],
                          open_transport=open_transport)
    assert results[-1].status is Status.WARN and "no card" in results[-1].summary
    results = pcsc_checks(config_with(tmp_path), readers_of=lambda: ["empty", "held"],
                          open_transport=open_transport)
    assert results[-1].status is Status.WARN and "busy" in results[-1].summary


# --- camera -------------------------------------------------------------------------------

def test_frame_quality_measures_brightness_and_sharpness() -> None:
    flat = np.full((120, 160, 3), 128, np.uint8)
    checker = np.indices((120, 160)).sum(axis=0) % 2 * 255
    sharp = np.repeat(checker[..., None], 3, axis=2).astype(np.uint8)
    assert frame_quality(flat).brightness == pytest.approx(128, abs=0.5)
    assert frame_quality(flat).sharpness == 0
    assert frame_quality(sharp).sharpness > 1000
    assert frame_quality(np.zeros((2, 2), np.uint8)).sharpness == 0


class FakeGrabber:
    def __init__(self, frames: list[Frame]) -> None:
        self.frames = frames
        self.closed = False

    def read(self) -> Frame | None:
        return self.frames.pop(0) if self.frames else None

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize(("level", "expected"), [(10, "too dark"), (240, "too bright")])
def test_camera_warns_on_bad_light(tmp_path: Path, level: int, expected: str) -> None:
    grabber = FakeGrabber([np.full((48, 64, 3), level, np.uint8)] * 5)
    results = camera_checks(config_with(tmp_path), open_capture=lambda _c: grabber)
    assert results[0].status is Status.OK and results[0].details["width"] == 64
    assert results[1].status is Status.WARN and expected in results[1].summary
    assert grabber.closed


def test_camera_missing_and_silent(tmp_path: Path) -> None:
    results = camera_checks(config_with(tmp_path, camera={"device": 9}))
    assert results[0].status is Status.FAIL and "/dev/video9" in results[0].summary
    silent = camera_checks(config_with(tmp_path), open_capture=lambda _c: FakeGrabber([]))
    assert silent[0].status is Status.FAIL and "no frame" in silent[0].summary
    synthetic = config_with(tmp_path, camera={"source": "synthetic"})
    missing = camera_checks(synthetic, synthetic_opener=None)
    assert missing[0].status is Status.WARN and "not available" in missing[0].summary


def test_synthetic_camera(tmp_path: Path) -> None:
    results = camera_checks(config_with(tmp_path, camera={"source": "synthetic", "fps": 30}))
    assert [r.status for r in results] == [Status.OK, Status.OK], results
    assert results[0].details["width"] == 640 and results[0].details["height"] == 480
    fps = results[0].details["measured_fps"]
    assert isinstance(fps, float) and 10 < fps < 45


# --- logs ---------------------------------------------------------------------------------

def test_log_filter_by_level_text_and_limit(tmp_path: Path) -> None:
    (tmp_path / "kiosk.log.1").write_text("2026 INFO old start\n2026 ERROR old pcsc failure\n")
    (tmp_path / "kiosk.log").write_text(
        "2026 INFO card inserted\n2026 WARNING pcsc slow\n"
        '{"level": "error", "event": "backend_offline"}\nno level here\n')
    (tmp_path / "notes.txt").write_text("ERROR not a log\n")
    everything = read_log(tmp_path)
    assert [line.text.split()[-1] for line in everything][:2] == ["start", "failure"]
    problems = read_log(tmp_path, min_level="WARNING")
    assert [line.level for line in problems] == ["ERROR", "WARNING", "ERROR"]
    assert [line.text for line in read_log(tmp_path, contains="PCSC")] == [
        "2026 ERROR old pcsc failure", "2026 WARNING pcsc slow"]
    assert len(read_log(tmp_path, limit=2)) == 2
    with pytest.raises(ValueError):
        read_log(tmp_path, min_level="LOUD")


# --- backend ------------------------------------------------------------------------------

def test_clock_skew() -> None:
    sent = NOW
    received = NOW + dt.timedelta(seconds=2)
    assert _clock_result("Wed, 25 Nov 2026 12:00:01 GMT", sent, received, 120).status is Status.OK
    late = _clock_result("Wed, 25 Nov 2026 12:10:01 GMT", sent, received, 120)
    assert late.status is Status.FAIL and "behind" in late.summary
    assert _clock_result(None, sent, received, 120).status is Status.WARN
    assert _clock_result("yesterday", sent, received, 120).status is Status.WARN


def make_certificate(folder: Path, common_name: str, not_after: dt.datetime,
                     key: ec.EllipticCurvePrivateKey | None = None) -> tuple[Path, Path]:
    own = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                   .public_key((key or own).public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(NOW - dt.timedelta(days=400)).not_valid_after(not_after)
                   .sign(own, hashes.SHA256()))
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / "kiosk.crt.pem", folder / "kiosk.key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(own.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.mark.parametrize("case", [
    (KIOSK_ID, 200, False, Status.OK, "valid for 200"),
    (KIOSK_ID, 10, False, Status.WARN, "expires in 10 day"),
    (KIOSK_ID, -3, False, Status.FAIL, "expired 3 day"),
    ("store-9999", 200, False, Status.FAIL, "not to kiosk.id"),
    (KIOSK_ID, 200, True, Status.FAIL, "does not belong"),
])
def test_kiosk_certificate(tmp_path: Path, case: tuple[str, int, bool, Status, str]) -> None:
    name, days, other_key, status, words = case
    other = ec.generate_private_key(ec.SECP256R1()) if other_key else None
    cert, key = make_certificate(tmp_path, name, NOW + dt.timedelta(days=days, hours=1), other)
    config = config_with(tmp_path, backend={"client_cert": str(cert), "client_key": str(key)})
    result = client_certificate_check(config, now=lambda: NOW)
    assert result.status is status, result
    assert words in result.summary


def test_missing_kiosk_certificate(tmp_path: Path) -> None:
    config = config_with(tmp_path, backend={"client_cert": str(tmp_path / "none.pem")})
    result = client_certificate_check(config)
    assert result.status is Status.FAIL and "not readable" in result.summary


def test_unresolvable_backend_host(tmp_path: Path) -> None:
    config = config_with(tmp_path, backend={"url": "https://backend.invalid"})
    results = {r.id: r for r in backend_checks(config)}
    assert results["backend.dns"].status is Status.FAIL


def test_backend_refuses_a_foreign_kiosk_certificate(reference_backend: Backend,
                                                     tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path / "foreign", KIOSK_ID,
                                 dt.datetime.now(dt.UTC) + dt.timedelta(days=300))
    config = config_with(tmp_path, backend={
        "url": reference_backend.url, "ca_file": str(reference_backend.ca_file),
        "client_cert": str(cert), "client_key": str(key)})
    results = {r.id: r for r in backend_checks(config)}
    assert results["backend.client_certificate"].status is Status.OK  # fine on its own...
    # ...but not issued by the operator CA: TLS 1.3 lets the handshake finish, then the
    # server refuses before answering.
    assert results["backend.tls"].status is Status.OK
    assert results["backend.mtls"].status is Status.FAIL
    assert "refused the kiosk certificate" in results["backend.mtls"].summary


def test_untrusted_backend_certificate(reference_backend: Backend, tmp_path: Path) -> None:
    other_ca, _key = make_certificate(tmp_path / "other-ca", "Some Other CA",
                                      dt.datetime.now(dt.UTC) + dt.timedelta(days=300))
    config = config_with(tmp_path, backend={
        "url": reference_backend.url, "ca_file": str(other_ca),
        "client_cert": str(reference_backend.client_cert),
        "client_key": str(reference_backend.client_key)})
    results = {r.id: r for r in backend_checks(config)}
    assert results["backend.tls"].status is Status.FAIL
    assert "not trusted" in results["backend.tls"].summary
    assert "backend.mtls" not in results


def test_reference_backend_is_healthy_in_process(reference_backend: Backend,
                                                 tmp_path: Path) -> None:
    config = config_with(tmp_path, backend={
        "url": reference_backend.url, "ca_file": str(reference_backend.ca_file),
        "client_cert": str(reference_backend.client_cert),
        "client_key": str(reference_backend.client_key)})
    results = {r.id: r for r in backend_checks(config)}
    assert {k: r.status for k, r in results.items()} == {
        "backend.client_certificate": Status.OK, "backend.dns": Status.OK,
        "backend.tcp": Status.OK, "backend.tls": Status.OK, "backend.mtls": Status.OK,
        "backend.clock": Status.OK}
    server = results["backend.tls"].details["server_certificate"]
    assert isinstance(server, dict) and "127.0.0.1" in str(server["alternative_names"])


def test_example_configuration_diagnoses_without_crashing(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from kiosk.config import docgen

    monkeypatch.setenv("HOME", str(tmp_path))
    config = load_config(docgen.EXAMPLE_PATH)
    report = run_checks(config, areas=("system", "backend"))
    assert report.result("backend.client_certificate").status is Status.FAIL  # type: ignore[union-attr]



def test_logging_setup_writes_redacted_rotating_files(tmp_path: Path) -> None:
    import logging

    from kiosk.diagnostics.logging_setup import configure_logging

    config = config_with(tmp_path, logging={"directory": str(tmp_path / "logs"),
                                            "level": "INFO"})
    path = configure_logging(config, stderr=False)
    log = logging.getLogger("kiosk.flow.test")
    log.info("card read in %d ms", 42)
    log.warning("unexpected number %s in a message", "123456789012")
    log.debug("not written at INFO")
    logging.getLogger("kiosk.card_reader.traffic").log(5, "APDU not traced by default")
    (tmp_path / "logs" / "kiosk.log.2026-11-23").write_text("2026 ERROR older day\n")
    for handler in logging.getLogger("kiosk").handlers:
        handler.flush()
    text = path.read_text()
    assert "card read in 42 ms" in text
    assert "123456789012" not in text and "[redacted]" in text
    assert "not written" not in text and "APDU" not in text
    lines = read_log(tmp_path / "logs", min_level="WARNING")
    assert [line.file for line in lines] == ["kiosk.log.2026-11-23", "kiosk.log"]
    again = configure_logging(config, stderr=False)  # idempotent: no doubled handlers
    assert again == path
    kiosk_handlers = [h for h in logging.getLogger("kiosk").handlers
                      if getattr(h, "_kiosk_handler", False)]
    assert len(kiosk_handlers) == 1
    for handler in kiosk_handlers:
        logging.getLogger("kiosk").removeHandler(handler)
        handler.close()
    logging.getLogger("kiosk").setLevel(logging.NOTSET)
    logging.getLogger("kiosk.card_reader.traffic").setLevel(logging.NOTSET)


def test_numbered_rotations_read_oldest_first(tmp_path: Path) -> None:
    for name, word in (("kiosk.log", "newest"), ("kiosk.log.1", "middle"),
                       ("kiosk.log.2", "oldest")):
        (tmp_path / name).write_text(f"ERROR {word}\n")
    assert [line.text for line in read_log(tmp_path)] == [
        "ERROR oldest", "ERROR middle", "ERROR newest"]


def test_health_at_a_glance_for_staff() -> None:
    from kiosk.diagnostics.metrics import HealthBoard
    from kiosk.diagnostics.overview import at_a_glance

    board = HealthBoard()
    for result in (ok("pcsc.service", "PC/SC service", "pcscd answers"),
                   fail("pcsc.readers", "Card readers", "no reader is connected"),
                   warn("backend.client_certificate", "Kiosk certificate", "expires in 9 days",
                        days_left=9),
                   ok("backend.tcp", "Backend TCP connection", "connected"),
                   warn("backend.clock", "Clock", "no Date header")):
        board.publish(result)
    items = {item.key: item for item in at_a_glance(board.results())}
    assert list(items) == ["reader", "card", "camera", "backend", "certificate"]
    assert items["reader"].status is Status.FAIL
    assert items["reader"].summary == "no reader is connected"
    assert items["card"].status is None and items["camera"].status is None
    assert items["backend"].status is Status.WARN
    assert items["certificate"].days_left == 9


def test_face_settings_file(tmp_path: Path) -> None:
    from kiosk.diagnostics.face_checks import face_settings_check

    assert face_settings_check(config_with(tmp_path)).status is Status.OK
    bad = tmp_path / "thresholds.toml"
    bad.write_text("[matching]\nthreshold = 'low'\n")
    result = face_settings_check(config_with(tmp_path, face={"thresholds_file": str(bad)}))
    assert result.status is Status.FAIL and "face.thresholds_file" in result.summary
    missing = config_with(tmp_path, face={"thresholds_file": str(tmp_path / "none.toml")})
    assert face_settings_check(missing).status is Status.FAIL


def test_a_hanging_area_times_out_and_the_rest_still_run(tmp_path: Path) -> None:
    import threading
    import time

    from kiosk.diagnostics.runner import Hooks

    release = threading.Event()

    def hangs() -> CheckResult:
        release.wait(10)
        return ok("face.self_test", "Face pipeline self-test", "late")

    started = time.perf_counter()
    report = run_checks(config_with(tmp_path), areas=("face", "system"),
                        hooks=Hooks(face_self_test=hangs), area_timeout=0.3)
    release.set()
    assert time.perf_counter() - started < 5
    timed_out = report.result("face.timeout")
    assert timed_out is not None and timed_out.status is Status.FAIL
    assert report.result("system.versions") is not None


@pytest.mark.slow
def test_face_self_test_accepts_the_sample_and_refuses_a_still(tmp_path: Path) -> None:
    from kiosk.diagnostics.face_checks import face_self_test

    result = face_self_test(config_with(tmp_path))
    assert result.status is Status.OK, result
    assert result.details["genuine_passed"] is True
    assert result.details["still_photo_refused"] is True
    score = result.details["match_score"]
    from kiosk.face_match.config import load_config

    assert isinstance(score, float) and score < load_config().engine_settings.threshold
