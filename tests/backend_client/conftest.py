"""Fixtures: the real reference backend (SQLite and PostgreSQL) and the product's client for it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, database_for, running_backend

_root = sys.modules.get("conftest")
if "tests.helpers.virtual_card" not in getattr(_root, "pytest_plugins", ()):
    from tests.helpers.virtual_card import (  # noqa: F401 - fixtures
        card_in_reader,
        card_path,
        issue_test_card,
        test_card,
        testbed_authority,
        virtual_card,
    )


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    with (
        database_for(str(request.param), tmp_path) as url,
        running_backend(tmp_path, testbed_authority.dir, url) as running,
    ):
        yield running


def client_config(
    backend: RunningBackend, kiosk_id: str = "kiosk-1", **options: float
) -> BackendClientConfig:
    credentials = backend.kiosks.get(kiosk_id) or backend.enroll(kiosk_id)
    return BackendClientConfig.from_bundle(
        backend.url, credentials.certificate.parent, **{"retry_backoff": 0.01, **options}
    )


@pytest.fixture
def client(backend: RunningBackend) -> Iterator[BackendClient]:
    with BackendClient(client_config(backend)) as kiosk_client:
        yield kiosk_client
