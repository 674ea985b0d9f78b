"""``kiosk diag``: the engineer's checks without a display; exit status 0 only when healthy.

Exit status: 0 healthy (no check failed), 1 not healthy, 2 the configuration cannot be used
(the message names each bad setting).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kiosk.config import ConfigError, config_path, load_config
from kiosk.diagnostics.model import CheckResult
from kiosk.diagnostics.runner import AREAS, export_report, run_checks

EXIT_UNHEALTHY = 1
EXIT_BAD_CONFIG = 2


@click.command("diag")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Configuration file (default: $KIOSK_CONFIG, else /etc/kiosk/kiosk.toml if "
                   "present, else built-in defaults).")
@click.option("--only", "only", multiple=True, type=click.Choice(AREAS),
              help="Run only this area (repeatable).")
@click.option("-v", "--verbose", is_flag=True, help="Print every detail of every check.")
@click.option("--export", "export_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write the report (JSON and text) into this folder, e.g. a USB stick.")
def diag(as_json: bool, config_file: Path | None, only: tuple[str, ...], verbose: bool,
         export_dir: Path | None) -> None:
    """Check card reader, camera, face pipeline, backend and the kiosk itself."""
    source = config_path(config_file)
    try:
        config = load_config(source)
    except ConfigError as error:
        click.echo(f"configuration error:\n{error}", err=True)
        sys.exit(EXIT_BAD_CONFIG)

    def progress(result: CheckResult) -> None:
        if not as_json and not verbose:
            click.echo(f"[{result.status.value.upper():4}] {result.title}: {result.summary}")

    report = run_checks(config, config_source=source, areas=only or AREAS, on_result=progress)
    if as_json:
        click.echo(report.to_json_text(), nl=False)
    elif verbose:
        click.echo(report.to_text(), nl=False)
    else:
        click.echo(f"\n{'HEALTHY' if report.healthy else 'NOT HEALTHY'}")
    if export_dir is not None:
        try:
            json_path, text_path = export_report(report, export_dir)
        except OSError as error:
            click.echo(f"cannot export to {export_dir}: {error.strerror}", err=True)
            sys.exit(EXIT_UNHEALTHY)
        click.echo(f"report written: {json_path} and {text_path}", err=True)
    sys.exit(0 if report.healthy else EXIT_UNHEALTHY)
