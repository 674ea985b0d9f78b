"""Fixtures: the real reference backend (SQLite and PostgreSQL) and the product's client for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.backend_client import BackendClient, BackendClientConfig
from kiosk_testbed.authority import TestAuthority
from tests.backend.harness import RunningBackend, database_for, running_backend


def pytest_configure(config: pytest.Config) -> None:
    # no-op when the root conftest or another area already registered the shared plugin
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")


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
