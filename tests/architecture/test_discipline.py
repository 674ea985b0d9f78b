"""The suite's discipline (tests/helpers/discipline.py), checked on small suites of its own."""

from __future__ import annotations

from collections.abc import Iterator

import PySide6.QtCore  # noqa: F401 (imported before any inner run: see below)
import pytest

from tests.helpers import discipline

# pytester's in-process runs drop the modules first imported inside them, and importing an
# extension module's package a second time breaks it (psycopg did): so Qt is imported above,
# and the plugin probes the daemons in child processes.

INI = """
[pytest]
qt_api = pyside6
qt_log_level_fail = WARNING
markers =
    pcsc: x
    postgres: x
    expect_logged_errors: x
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.makeconftest('pytest_plugins = ["tests.helpers.discipline"]\n')
    return pytester


@pytest.fixture
def fresh_probes() -> Iterator[None]:
    discipline._pcscd_problem.cache_clear()
    discipline._postgres_problem.cache_clear()
    yield
    discipline._pcscd_problem.cache_clear()
    discipline._postgres_problem.cache_clear()


@pytest.mark.expect_logged_errors  # the inner suite's records reach ours
def test_an_error_logged_by_our_code_fails_the_test(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import logging, threading
        import pytest

        def test_logs_error():
            logging.getLogger("kiosk.flow").error("step failed")

        def test_logs_error_in_a_thread():
            worker = threading.Thread(
                target=lambda: logging.getLogger("kiosk_backend.api").critical("down"))
            worker.start()
            worker.join()

        @pytest.mark.expect_logged_errors
        def test_declares_it():
            logging.getLogger("kiosk.flow").error("step failed")

        def test_warning_and_foreign_errors_pass():
            logging.getLogger("kiosk.flow").warning("slow")
            logging.getLogger("httpx").error("not ours")
            logging.getLogger("kiosker").error("not ours either")
    """)
    result = suite.runpytest()
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines(["*errors logged during the test*",
                                 "*ERROR kiosk.flow: step failed*"])
    result.stdout.fnmatch_lines(["*CRITICAL kiosk_backend.api: down*"])


@pytest.mark.expect_logged_errors  # the inner suite's records reach ours
def test_an_error_logged_in_a_fixture_teardown_fails_it(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import logging
        import pytest

        @pytest.fixture
        def part():
            yield
            logging.getLogger("kiosk.run").error("did not stop")

        def test_uses_part(part):
            pass
    """)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*errors logged during teardown*",
                                 "ERROR kiosk.run: did not stop"])


def test_a_qt_warning_in_teardown_fails_the_test(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import pytest
        from PySide6.QtCore import qWarning

        @pytest.fixture
        def widget():
            yield
            qWarning("destroyed while running")

        def test_uses_widget(widget):
            pass

        @pytest.mark.qt_log_ignore("destroyed")
        def test_ignores_it(widget):
            pass
    """)
    result = suite.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["Qt warnings during teardown:",
                                 "QtWarningMsg: destroyed while running"])


def test_a_qt_warning_during_the_test_fails_it(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        from PySide6.QtCore import qWarning

        def test_warns():
            qWarning("bad geometry")
    """)
    suite.runpytest().assert_outcomes(failed=1)


def test_device_tests_skip_with_a_reason_when_the_daemon_is_absent(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fresh_probes: None
) -> None:
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(suite.path / "no-pcscd.comm"))
    monkeypatch.setenv("KIOSK_TEST_POSTGRES_URL", "postgresql://kiosk:kiosk@127.0.0.1:9/none")
    monkeypatch.delenv("KIOSK_REQUIRE_SERVICES", raising=False)
    suite.makepyfile("""
        import pytest

        @pytest.mark.pcsc
        def test_reader():
            raise AssertionError("must not run")

        @pytest.mark.postgres
        def test_database():
            raise AssertionError("must not run")
    """)
    result = suite.runpytest("-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*pcscd is not reachable*Service not available*",
                                 "*PostgreSQL does not accept a connection*"])


def test_with_services_required_an_absent_daemon_fails(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fresh_probes: None
) -> None:
    monkeypatch.setenv("PCSCLITE_CSOCK_NAME", str(suite.path / "no-pcscd.comm"))
    monkeypatch.setenv("KIOSK_REQUIRE_SERVICES", "1")
    suite.makepyfile("""
        import pytest

        @pytest.mark.pcsc
        def test_reader():
            pass
    """)
    result = suite.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*KIOSK_REQUIRE_SERVICES=1 but pcscd is not reachable*"])


def test_tests_using_a_reader_fixture_are_marked_pcsc(suite: pytest.Pytester) -> None:
    suite.makepyfile("""
        import pytest

        @pytest.fixture
        def card_in_reader():
            raise AssertionError("must not be set up")

        def test_reads(card_in_reader):
            pass

        def test_plain():
            pass
    """)
    result = suite.runpytest("-m", "not pcsc")
    result.assert_outcomes(passed=1, deselected=1)


def test_listed_slow_tests_leave_the_fast_tier_and_a_stale_entry_stops_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini(INI + "    slow: x\n    camera: x\ntestpaths = tests\n")
    pytester.makeconftest('pytest_plugins = ["tests.helpers.discipline"]\n')
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_tiers.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', [1, 2])\n"
        "def test_listed(n):\n    pass\n\n"
        "def test_quick():\n    pass\n")
    monkeypatch.setattr(discipline, "SLOW_FILES", frozenset())
    monkeypatch.setattr(discipline, "SLOW_TESTS", frozenset({"tests/test_tiers.py::test_listed"}))
    pytester.runpytest("-m", "not slow").assert_outcomes(passed=1, deselected=2)
    monkeypatch.setattr(discipline, "SLOW_FILES", frozenset({"tests/test_gone.py"}))
    result = pytester.runpytest("-m", "not slow")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*lists tests that are gone:*'tests/test_gone.py'*"])
