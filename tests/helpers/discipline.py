"""Pytest plugin: the suite's discipline (loaded by ``tests/conftest.py``).

- Logged errors fail the test that caused them: a record at ``logging.ERROR`` or worse from
  one of our loggers (``kiosk*``), in any thread, during a test's setup, call or teardown,
  fails that phase, unless the test carries ``@pytest.mark.expect_logged_errors``.
- Qt warnings fail the test that caused them: pytest-qt fails the call for warnings up to the
  end of the call (``qt_log_level_fail``); this adds the teardown (closing widgets, stopping
  threads), with the same ``qt_log_ignore`` patterns and markers.
- Device tests skip with a clear reason when their daemon is not there, instead of hanging:
  ``pcsc`` tests when pcscd does not answer or lacks the vpcd readers, ``postgres`` tests when
  the database does not accept a connection. With ``KIOSK_REQUIRE_SERVICES=1`` (CI) they fail
  instead, so a full run never passes by skipping.
- Tests that use the fixtures of a device are marked with it here, so the fast tier
  (``scripts/test --fast``) cannot pick them up by mistake.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
OUR_LOGGERS = re.compile(r"kiosk(_\w+)?(\.|$)")
# The fixtures that put a card in a vpcd reader (tests/helpers/virtual_card.py).
PCSC_FIXTURES = frozenset({"card_in_reader", "insert_test_card"})
PROBE_TIMEOUT_S = 15.0


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(_DeviceCheck(), "kiosk-device-check")


# ---- tiers ----

# Slow tests, listed here rather than marked in their files: one place to review, measured
# with --durations (over ~1.5 s on a busy 2-core machine). A whole file, or one test with all
# its parameters. `@pytest.mark.slow` in a test file works as well.
SLOW_FILES = frozenset({
    "tests/card_reader/test_parsers_fuzz.py",
    "tests/face_match/test_face_check.py",
    "tests/face_match/test_face_matching.py",
    "tests/hostile/test_backend_client.py",
    "tests/hostile/test_backend_client_socket.py",
    "tests/hostile/test_backend_http.py",
    "tests/hostile/test_fuzz_smoke.py",
    "tests/hostile/test_schemathesis.py",
    "tests/hostile/test_virtual_card.py",
    "tests/run/test_kiosk_run.py",
    "tests/ui/test_parts.py",
    "tests/ui_maintenance/test_engineer_screens.py",
    "tests/ui_maintenance/test_gallery.py",
})
SLOW_TESTS = frozenset({
    "tests/backend/test_complete_reset.py::"
    "test_complete_reset_changes_the_pin_and_refills_the_counter",
    "tests/backend/test_refusals.py::test_expired_card_certificate_is_refused",
    "tests/backend/test_refusals.py::test_revoked_card_certificate_is_refused",
    "tests/diagnostics/test_checks.py::test_synthetic_camera",
    "tests/diagnostics/test_kiosk_diag.py::test_text_output_and_exit_status",
    "tests/face_match/test_face_quality.py::test_turned_head_asks_to_look_straight",
    "tests/face_match/test_frame_sources.py::test_video_file_plays_as_a_camera_and_ends",
    "tests/hostile/test_card_answers_mutated.py::test_damaged_answers_of_a_real_card",
    "tests/hostile/test_card_data.py::test_damaged_basic_info_and_my_number",
    "tests/hostile/test_card_data.py::test_damaged_card_face_is_refused_with_a_card_error",
    "tests/hostile/test_card_data.py::test_damaged_cv_certificate_is_refused_with_a_card_error",
    "tests/hostile/test_card_data.py::test_kiosk_reads_the_expiry_of_any_certificate_bytes",
    "tests/hostile/test_card_data.py::test_tlv_on_arbitrary_bytes",
    "tests/hostile/test_card_photo.py::test_damaged_card_photos",
    "tests/hostile/test_config_files.py::test_face_settings",
    "tests/hostile/test_config_files.py::test_kiosk_configuration",
    "tests/maintenance/test_credentials.py::test_real_cost_is_slow_salted_and_verifies",
    "tests/maintenance/test_set_credential.py::test_replacing_a_credential_overwrites_the_old_hash",
    "tests/maintenance/test_set_credential.py::test_sets_staff_then_engineer_keeping_the_rest",
    "tests/protocol/test_canonical.py::test_canonical_form_is_stable_and_parses_back",
    "tests/security/test_brute_force.py::test_concurrent_wrong_staff_pins_cannot_exceed_the_tries",
    "tests/security/test_stolen_kiosk.py::"
    "test_no_command_without_the_cards_keys_changes_the_sign_pin",
    "tests/testbed/test_admin_command.py::test_card_without_sign_certificate",
    "tests/testbed/test_authority.py::test_card_without_sign_certificate",
    "tests/testbed/test_authority.py::test_revocation_rewrites_the_crls",
    "tests/testbed/test_card_commands.py::test_random_bytes_always_get_a_status_word",
    "tests/testbed/test_cli.py::test_issue_card_prints_the_values_used",
    "tests/ui/test_window.py::test_take_your_card_alarm_flashes_and_stops_when_the_card_is_taken",
    "tests/ui_maintenance/test_maintenance_screens.py::"
    "test_a_long_press_in_the_corner_opens_the_sign_in",
    "tests/ui_maintenance/test_maintenance_screens.py::test_inactivity_signs_out",
    "tests/ui_maintenance/test_maintenance_screens.py::"
    "test_no_entry_while_a_resident_is_in_a_transaction",
    "tests/ui_maintenance/test_maintenance_screens.py::"
    "test_out_of_service_is_shown_to_residents_with_the_message",
})


@pytest.hookimpl(tryfirst=True)  # before -m deselects: every collected test is seen
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    listed = SLOW_FILES | SLOW_TESTS
    seen: set[str] = set()
    for item in items:
        path, _, name = item.nodeid.partition("::")
        test = f"{path}::{name.split('[')[0]}"
        for key in (path, test):
            if key in listed:
                seen.add(key)
                item.add_marker(pytest.mark.slow)
        if PCSC_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.pcsc)
    whole_suite = not config.args or config.args == ["tests"]
    if whole_suite and items and (stale := sorted(listed - seen)):
        raise pytest.UsageError(f"tests/helpers/discipline.py lists tests that are gone: {stale}")


# ---- devices: skip with a reason rather than hang ----


def _services_required() -> bool:
    return os.environ.get("KIOSK_REQUIRE_SERVICES") == "1"


@cache
def _pcscd_problem() -> str | None:
    """Why the vpcd readers cannot be used, or None. Probed in a child: a hung pcscd would
    otherwise hang the whole run."""
    probe = ("from smartcard.System import readers\n"
             "print('\\n'.join(str(reader) for reader in readers()))")
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"pcscd did not answer within {PROBE_TIMEOUT_S:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"pcscd is not reachable ({last}); start it with scripts/services pcscd"
    from tests.helpers.virtual_card import READER_0

    if READER_0 not in done.stdout.splitlines():
        return (f"pcscd has no {READER_0!r} reader (Debian package vsmartcard-vpcd); "
                "start it with scripts/services pcscd")
    return None


@cache
def _postgres_problem() -> str | None:
    """Why PostgreSQL cannot be used, or None. Probed in a child, as pcscd is."""
    from tests.backend.harness import postgres_url

    url = postgres_url()
    if url is None:
        return "no PostgreSQL (set KIOSK_TEST_POSTGRES_URL or run scripts/services postgres)"
    probe = ("import os, sys, psycopg\n"
             "try:\n"
             "    psycopg.connect(os.environ['KIOSK_PROBE_URL'], connect_timeout=10).close()\n"
             "except Exception as error:\n"
             "    sys.exit(f'{type(error).__name__}: {(str(error).splitlines() or [\"\"])[0]}')")
    try:
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              env={**os.environ, "KIOSK_PROBE_URL": url},
                              timeout=PROBE_TIMEOUT_S, check=False)
    except subprocess.TimeoutExpired:
        return f"PostgreSQL did not answer within {PROBE_TIMEOUT_S:.0f} s"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"PostgreSQL does not accept a connection ({last})"
    return None


class _DeviceCheck:
    """Its own plugin object: a plain setup hook, beside the setup wrapper further down."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        problems = []
        if item.get_closest_marker("pcsc"):
            problems.append(_pcscd_problem())
        if item.get_closest_marker("postgres"):
            problems.append(_postgres_problem())
        for problem in problems:
            if problem is not None:
                if _services_required():
                    pytest.fail(f"KIOSK_REQUIRE_SERVICES=1 but {problem}", pytrace=False)
                pytest.skip(problem)


# ---- logged errors ----


class _ErrorRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if OUR_LOGGERS.match(record.name):
            self.records.append(record)


@contextmanager
def _no_logged_errors(item: pytest.Item, phase: str) -> Iterator[None]:
    recorder = _ErrorRecorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    try:
        yield
    finally:
        root.removeHandler(recorder)
    if recorder.records and not item.get_closest_marker("expect_logged_errors"):
        lines = "\n".join(f"{record.levelname} {record.name}: {record.getMessage()}"
                          for record in recorder.records)
        pytest.fail(f"errors logged during {phase} (mark the test expect_logged_errors if "
                    f"it provokes them on purpose):\n{lines}", pytrace=False)


# ---- Qt warnings after the call ----


def _qt_ignore_patterns(item: pytest.Item) -> list[str]:
    patterns: list[str] = list(item.config.getini("qt_log_ignore"))
    marker = item.get_closest_marker("qt_log_ignore")
    if marker:
        patterns = [*patterns, *marker.args] if marker.kwargs.get("extend", True) else [
            *marker.args]
    return patterns


@contextmanager
def _no_qt_warnings(item: pytest.Item) -> Iterator[None]:
    qt_core = sys.modules.get("PySide6.QtCore")
    if qt_core is None or item.get_closest_marker("no_qt_log"):
        yield
        return
    ignore = [re.compile(pattern) for pattern in _qt_ignore_patterns(item)]
    serious = {qt_core.QtMsgType.QtWarningMsg, qt_core.QtMsgType.QtCriticalMsg,
               qt_core.QtMsgType.QtFatalMsg}
    messages: list[str] = []

    def handler(kind: Any, _context: Any, message: str) -> None:
        if kind in serious and not any(pattern.search(message) for pattern in ignore):
            messages.append(f"{kind.name}: {message}")

    previous = qt_core.qInstallMessageHandler(handler)
    try:
        yield
    finally:
        qt_core.qInstallMessageHandler(previous)
    if messages:
        pytest.fail("Qt warnings during teardown:\n" + "\n".join(messages), pytrace=False)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    with _no_logged_errors(item, "setup"):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    with _no_logged_errors(item, "the test"):
        return (yield)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    # Outermost (tryfirst), so it also sees pytest-qt closing the test's widgets.
    with _no_logged_errors(item, "teardown"), _no_qt_warnings(item):
        return (yield)
