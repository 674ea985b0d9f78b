"""Fixtures for the scale-out tests: a throw-away PostgreSQL schema, the test authority."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kiosk_backend.cluster import haproxy_binary
from kiosk_backend.pg_schema import fresh_schema
from tests.backend.harness import postgres_url


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")


@pytest.fixture
def schema_url() -> Iterator[str]:
    url = postgres_url()
    if url is None:
        pytest.skip("no PostgreSQL (set KIOSK_TEST_POSTGRES_URL or run scripts/services)")
    scoped, drop = fresh_schema(url, prefix="kiosk_scaleout")
    try:
        yield scoped
    finally:
        drop()


@pytest.fixture
def haproxy() -> str:
    binary = haproxy_binary()
    if binary is None:
        pytest.fail("haproxy is missing: scripts/setup installs it from Debian")
    return binary
