"""Fixtures: a real reference backend over mutual TLS (SQLite, one per test) and a fresh
virtual card per test. The PostgreSQL variants of the same refusals run in tests/backend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from kiosk_backend.policy import Policy
from kiosk_backend.simulated_kiosk import CardDriver
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.card.virtual_card import VirtualCard
from tests.backend.harness import RunningBackend, Steps, running_backend

BackendFactory = Callable[..., RunningBackend]


@pytest.fixture
def make_backend(tmp_path: Path, testbed_authority: TestAuthority) -> Iterator[BackendFactory]:
    with ExitStack() as stack:
        runs = iter(range(100))

        def make(policy: Policy | None = None) -> RunningBackend:
            folder = tmp_path / f"backend{next(runs)}"
            return stack.enter_context(running_backend(folder, testbed_authority.dir, None, policy))

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
