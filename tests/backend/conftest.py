"""Fixtures: a real backend per test on SQLite and on PostgreSQL, and fresh virtual cards."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, database_for, running_backend


def pytest_configure(config: pytest.Config) -> None:
    # no-op when the root conftest or another area already registered the shared plugin
    config.pluginmanager.import_plugin("tests.helpers.virtual_card")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


BackendFactory = Callable[..., RunningBackend]


@pytest.fixture
def make_backend(
    db_kind: str, tmp_path: Path, testbed_authority: TestAuthority
) -> Iterator[BackendFactory]:
    runs = itertools.count()
    with ExitStack() as stack:

        def make(policy: Policy | None = None) -> RunningBackend:
            folder = tmp_path / f"run{next(runs)}"
            url = stack.enter_context(database_for(db_kind, folder))
            return stack.enter_context(running_backend(folder, testbed_authority.dir, url, policy))

        yield make


@pytest.fixture
def backend(make_backend: BackendFactory) -> RunningBackend:
    return make_backend()


@pytest.fixture
def steps(backend: RunningBackend) -> Iterator[Steps]:
    kiosk = Steps(backend)
    yield kiosk
    kiosk.close()


@pytest.fixture
def driver(virtual_card: VirtualCard) -> CardDriver:
    return CardDriver(virtual_card)
