"""Fixtures for the fault tests: the real backend (SQLite), the card-face trust anchors, the
kiosk's journal in the test's folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.journal import Journal
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, running_backend


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")



@pytest.fixture
def backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[RunningBackend]:
    with running_backend(tmp_path, testbed_authority.dir, None) as running:
        yield running


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal(tmp_path / "kiosk" / "journal.jsonl")


@pytest.fixture
def private_pcscd(tmp_path: Path) -> Iterator[object]:
    """A pcscd of the test's own (see tests/card_reader/test_pcscd_restart.py)."""
    from tests.card_reader.test_pcscd_restart import PrivatePcscd, namespaces_allowed

    if not namespaces_allowed():
        pytest.skip("needs unshare --mount (root) to run a private pcscd")
    (tmp_path / "pcscd").mkdir()
    daemon = PrivatePcscd(tmp_path / "pcscd")
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()
