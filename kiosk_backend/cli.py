"""The `kiosk-backend` command: serve, enroll and manage kiosks, migrate, load-test."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from pathlib import Path

import click

from kiosk_backend.authority import AuthorityError
from kiosk_backend.database import DatabaseError
from kiosk_backend.enrollment import enroll_kiosk, enroll_tpm_kiosk, set_kiosk_enabled
from kiosk_backend.gate import GateLimits
from kiosk_backend.migrator import current_version
from kiosk_backend.operator_pki import OperatorPki, PkiError
from kiosk_backend.policy import Policy, PolicyError
from kiosk_backend.server import DEFAULT_PORT, BackendServer, BackendSettings, open_database
from kiosk_backend.store import list_kiosks
from kiosk_backend.tpm_enrollment import TpmEnrollmentError, load_vendor_cas
from kiosk_protocol.errors import MessageError
from kiosk_protocol.tpm_enrollment import TpmEnrollmentRequest


def default_data_dir() -> Path:
    env = os.environ.get("KIOSK_BACKEND_DIR")
    return Path(env) if env else Path.home() / ".local" / "share" / "kiosk-backend"


def default_testbed_dir() -> Path:
    """The test authority's data folder, as kiosk-testbed chooses it."""
    env = os.environ.get("KIOSK_TESTBED_DIR")
    return Path(env) if env else Path.home() / ".local" / "share" / "kiosk-testbed"


_PATH = click.Path(file_okay=False, path_type=Path)


def _settings(
    data_dir: Path | None,
    database_url: str | None,
    testbed_dir: Path | None = None,
    authority_dir: Path | None = None,
    **extra: object,
) -> BackendSettings:
    authority = authority_dir or (testbed_dir or default_testbed_dir()) / "authority"
    return BackendSettings(
        data_dir=data_dir or default_data_dir(),
        authority_dir=authority,
        database_url=database_url or os.environ.get("KIOSK_BACKEND_DATABASE_URL"),
        **extra,  # type: ignore[arg-type]
    )


def _common(function: click.decorators.FC) -> click.decorators.FC:
    function = click.option(
        "--database-url",
        help="postgresql://user:pass@host:port/db (default: SQLite file in the data folder; "
        "env KIOSK_BACKEND_DATABASE_URL).",
    )(function)
    return click.option(
        "--data-dir",
        type=_PATH,
        help="Server data folder (default: $KIOSK_BACKEND_DIR or ~/.local/share/kiosk-backend).",
    )(function)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Reference backend playing the issuing authority for the PIN-reset kiosk."""


@main.command()
@_common
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int)
@click.option("--testbed-dir", type=_PATH, help="Test authority data folder (uses its authority/).")
@click.option(
    "--authority-dir", type=_PATH, help="Authority folder itself (overrides --testbed-dir)."
)
@click.option(
    "--policy",
    "policy_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="TOML file with a [policy] table.",
)
@click.option("--pool-size", default=16, show_default=True, help="Database connections.")
@click.option(
    "--allow-software-kiosks",
    is_flag=True,
    help="Testbeds only: accept kiosks enrolled with --software-key (their key is a file).",
)
@click.option("--smtp", "smtp", metavar="HOST:PORT",
              help="Tell holders of resets by e-mail through this SMTP server "
              "(default: the holder's portal inbox).")
@click.option(
    "--max-pending-per-source",
    default=GateLimits.max_pending_per_source,
    show_default=True,
    help="TLS handshakes in progress from one address (raise it behind a load balancer, "
    "where every connection comes from the balancer's address).",
)
def serve(
    *,
    data_dir: Path | None,
    database_url: str | None,
    host: str,
    port: int,
    testbed_dir: Path | None,
    authority_dir: Path | None,
    policy_file: Path | None,
    pool_size: int,
    allow_software_kiosks: bool,
    smtp: str | None,
    max_pending_per_source: int,
) -> None:
    """Serve the API over HTTPS with mutual TLS (loopback by default)."""
    smtp_host, _, smtp_port = (smtp or "").rpartition(":")
    if smtp and (not smtp_host or not smtp_port.isdigit()):
        raise click.BadParameter("HOST:PORT", param_hint="--smtp")
    try:
        policy = Policy.load(policy_file) if policy_file else Policy()
        settings = _settings(
            data_dir,
            database_url,
            testbed_dir,
            authority_dir,
            host=host,
            port=port,
            policy=policy,
            pool_size=pool_size,
            software_kiosks=allow_software_kiosks,
            smtp_host=smtp_host if smtp else "",
            smtp_port=int(smtp_port) if smtp else 25,
            limits=GateLimits(max_pending_per_source=max(1, max_pending_per_source)),
        )
        server = BackendServer(settings)
    except (PolicyError, PkiError, AuthorityError, DatabaseError, OSError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(
        f"kiosk-backend listening on {server.url} (operator CA: {server.pki.ca_certificate_path})",
        err=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


@main.command("enroll-kiosk")
@_common
@click.option("--kiosk-id", required=True, help="The kiosk's id (becomes the certificate CN).")
@click.option("--out", "out_dir", required=True, type=_PATH, help="Folder for the kiosk's bundle.")
@click.option(
    "--tpm-request",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The request `kiosk tpm-enroll` wrote on the kiosk (its keys stay in its TPM).",
)
@click.option(
    "--tpm-vendor-ca",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="PEM file of TPM manufacturer CAs the TPM's endorsement certificate must chain to.",
)
@click.option("--store", "store_name", default="", help="Where the kiosk stands (told to holders).")
@click.option(
    "--software-key",
    is_flag=True,
    help="Testbeds only: issue a key file instead (accepted only by --allow-software-kiosks).",
)
def enroll_kiosk_cmd(
    *,
    data_dir: Path | None,
    database_url: str | None,
    kiosk_id: str,
    out_dir: Path,
    tpm_request: Path | None,
    tpm_vendor_ca: Path | None,
    store_name: str,
    software_key: bool,
) -> None:
    """Certify a kiosk's TPM-held key and register the kiosk (enabled)."""
    if (tpm_request is None) == (not software_key):
        raise click.UsageError("give --tpm-request FILE (a real kiosk) or --software-key (testbed)")
    settings = _settings(data_dir, database_url)
    try:
        database = open_database(settings)
        pki = OperatorPki(settings.data_dir)
        if tpm_request is None:
            paths = enroll_kiosk(pki, database, kiosk_id, out_dir, store_name)
        else:
            request = TpmEnrollmentRequest.from_json(json.loads(tpm_request.read_text("utf-8")))
            if request.kiosk_id != kiosk_id:
                raise click.ClickException(f"the request is for kiosk {request.kiosk_id!r}")
            vendor = load_vendor_cas(tpm_vendor_ca.read_bytes()) if tpm_vendor_ca else None
            paths = enroll_tpm_kiosk(pki, database, request, out_dir, store_name=store_name,
                                     vendor_cas=vendor)
    except (PkiError, DatabaseError, OSError, TpmEnrollmentError, MessageError,
            ValueError) as error:
        raise click.ClickException(str(error)) from None
    click.echo(json.dumps({name: str(path) for name, path in paths.items()}, indent=2))


def _set_enabled(data_dir: Path | None, database_url: str | None, kiosk_id: str, on: bool) -> None:
    try:
        database = open_database(_settings(data_dir, database_url))
        found = set_kiosk_enabled(database, kiosk_id, on)
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    if not found:
        raise click.ClickException(f"no kiosk {kiosk_id!r}")
    click.echo(f"kiosk {kiosk_id} {'enabled' if on else 'disabled'}")


@main.command("disable-kiosk")
@_common
@click.option("--kiosk-id", required=True)
def disable_kiosk_cmd(data_dir: Path | None, database_url: str | None, kiosk_id: str) -> None:
    """Refuse every call from this kiosk until it is enabled again."""
    _set_enabled(data_dir, database_url, kiosk_id, False)


@main.command("enable-kiosk")
@_common
@click.option("--kiosk-id", required=True)
def enable_kiosk_cmd(data_dir: Path | None, database_url: str | None, kiosk_id: str) -> None:
    """Accept calls from this kiosk again, and clear its flag (staff have checked it)."""
    _set_enabled(data_dir, database_url, kiosk_id, True)


@main.command("list-kiosks")
@_common
def list_kiosks_cmd(data_dir: Path | None, database_url: str | None) -> None:
    """The enrolled kiosks, as JSON lines; `flagged_at` (ms) marks one that presented too many
    card proofs that failed (see policy kiosk_max_invalid_proofs)."""
    try:
        database = open_database(_settings(data_dir, database_url))
        with database.transaction() as connection:
            kiosks = list_kiosks(connection)
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    for kiosk in kiosks:
        click.echo(json.dumps({"kiosk_id": kiosk.kiosk_id, "enabled": kiosk.enabled,
                               "attestation": kiosk.attestation, "store": kiosk.store_name,
                               "flagged_at": kiosk.flagged_at}))


@main.command()
@_common
def migrate(data_dir: Path | None, database_url: str | None) -> None:
    """Bring the database schema up to date and print its version."""
    try:
        database = open_database(_settings(data_dir, database_url))
    except DatabaseError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"schema version {current_version(database)}")


@main.command("haproxy-config")
@click.option("--listen", default="0.0.0.0:443", show_default=True, help="Where kiosks connect.")
@click.option(
    "--instance",
    "instances",
    multiple=True,
    required=True,
    help="host:port of a `kiosk-backend serve` instance (repeat for each).",
)
def haproxy_config_cmd(listen: str, instances: tuple[str, ...]) -> None:
    """HAProxy's configuration for instances behind one address (TCP, TLS passes through)."""
    from kiosk_backend.cluster import haproxy_config

    click.echo(haproxy_config(listen, list(instances)), nl=False)


@main.command()
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 if kiosk_backend/openapi.json differs from the generated document.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write it to this file (default: print it).",
)
def openapi(check: bool, out: Path | None) -> None:
    """The OpenAPI document, generated from the server's routing table."""
    from kiosk_backend.openapi import committed_document_path, document_text

    text = document_text()
    if check:
        committed = committed_document_path()
        if committed.read_text("utf-8") != text:
            raise click.ClickException(
                f"{committed} is out of date: kiosk-backend openapi --out {committed}"
            )
        click.echo(f"{committed} is up to date")
    elif out is not None:
        out.write_text(text, "utf-8")
    else:
        click.echo(text, nl=False)


@main.command()
@click.option("--kiosks", default=20, show_default=True, help="Simulated kiosks at once.")
@click.option("--seconds", default=20.0, show_default=True, help="How long to drive them.")
@click.option("--cards", default=0, help="Virtual cards to share (default: one per kiosk).")
@click.option("--database-url", help="PostgreSQL URL (default: a fresh SQLite file).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--in-process",
    is_flag=True,
    help="Run the server in this process (default: its own `kiosk-backend serve` process).",
)
@click.option(
    "--lose-replies",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0.0, 0.5),
    help="Fraction of replies dropped after the server acted; kiosks retry with the same key.",
)
@click.option(
    "--ratio",
    is_flag=True,
    help="First GET /health on the same stack (new mTLS connection each, then kept-alive), "
    "then complete resets on a connection each; print both, p50/p99 and the ratio.",
)
def loadtest(
    *,
    kiosks: int,
    seconds: float,
    cards: int,
    database_url: str | None,
    as_json: bool,
    in_process: bool,
    lose_replies: float,
    ratio: bool,
) -> None:
    """Drive simulated kiosks through complete resets against a real server on loopback."""
    from kiosk_backend.loadtest import run_loadtest

    report = run_loadtest(
        kiosks=kiosks,
        seconds=seconds,
        cards=cards or kiosks,
        database_url=database_url,
        progress=lambda text: click.echo(text, err=True),
        separate_process=not in_process,
        lose_replies=lose_replies,
        ratio=ratio,
    )
    click.echo(json.dumps(report.to_json(), indent=2) if as_json else report.text())
    if not report.consistent:
        sys.exit(1)
