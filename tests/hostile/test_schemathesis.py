"""schemathesis against the reference server's OpenAPI description, served at /openapi.json
by a real server on loopback over mutual TLS (client certificate from enrolment).

Every operation gets schema-driven requests (valid and invalid, including invalid bodies,
path parameters and methods the description allows), half of the transaction operations
against a live open transaction. Checks: no 5xx, status codes, content types, headers and
bodies conform to the description, invalid requests are refused. Bounded by
``max_examples`` per operation.

Left out: ``positive_data_acceptance`` (every schema-valid request must be accepted). The
description states fewer constraints than the server checks (byte lengths of base64 fields,
the kiosk-id pattern, an idempotency key reused with another body gives 422), so schema-valid
requests get a 400/422; listed in docs/hostile-input.md as gaps of the description."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable

schemathesis = pytest.importorskip("schemathesis")

from kiosk_testbed.authority import TestAuthority  # noqa: E402
from tests.backend.harness import RunningBackend, new_key, running_backend  # noqa: E402
from tests.hostile.budget import SCALE, bounded  # noqa: E402


@pytest.fixture(scope="module")
def live_backend(
    tmp_path_factory: pytest.TempPathFactory, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    folder = tmp_path_factory.mktemp("schemathesis")
    with running_backend(Path(folder), testbed_authority.dir, None) as backend:
        yield backend


@pytest.fixture(scope="module")
def api_schema(live_backend: RunningBackend) -> Any:
    with live_backend.http() as client:  # the description the server serves, over mTLS
        document = client.get("/openapi.json").json()
    return schemathesis.openapi.from_dict(document)


@pytest.fixture(scope="module")
def sessions(live_backend: RunningBackend) -> Iterator[tuple[httpx.Client, Any]]:
    """Kept-alive mutual-TLS connections: httpx for setting up transactions, a requests
    session for schemathesis' calls."""
    import requests

    credentials = live_backend.kiosks["kiosk-1"]
    session = requests.Session()
    session.verify = str(credentials.ca)
    session.cert = (str(credentials.certificate), str(credentials.key))
    with live_backend.http() as client, session:
        yield client, session


def _operations() -> list[str]:
    from kiosk_backend.api import openapi_document

    loaded = schemathesis.openapi.from_dict(openapi_document())
    return [result.ok().label for result in loaded.get_all_operations()]


_alternate = itertools.count()


@pytest.mark.parametrize("mode", ["positive", "negative"])
@pytest.mark.parametrize("label", _operations())
def test_api_conforms_to_its_description(
    api_schema: Any,
    live_backend: RunningBackend,
    sessions: tuple[httpx.Client, Any],
    label: str,
    mode: str,
) -> None:
    operation = next(
        result.ok() for result in api_schema.get_all_operations() if result.ok().label == label
    )
    strategy = operation.as_strategy(generation_mode=schemathesis.GenerationMode(mode))
    kiosk, session = sessions

    @settings(
        max_examples=25 * SCALE,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        if "transaction_id" in (case.path_parameters or {}) and next(_alternate) % 2 == 0:
            begun = kiosk.post("/v1/transactions", json={"idempotency_key": new_key()})
            if begun.status_code == 201:
                case.path_parameters["transaction_id"] = begun.json()["transaction_id"]
        with bounded(f"schemathesis: {label} ({mode})", seconds=10.0):
            case.call_and_validate(
                excluded_checks=[schemathesis.checks.positive_data_acceptance],
                base_url=live_backend.url,
                session=session,
                verify=session.verify,
                cert=session.cert,
                timeout=10,
            )

    try:
        run()
    except Unsatisfiable:
        # e.g. GET /health: there is no parameter or body to make invalid
        pytest.skip(f"schemathesis cannot generate a {mode} request for {label}")


def test_the_served_description_is_the_packaged_one(live_backend: RunningBackend) -> None:
    from kiosk_backend.api import openapi_document

    with live_backend.http() as client:
        assert client.get("/openapi.json").json() == openapi_document()
