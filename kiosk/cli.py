"""The `kiosk` command line: the composition root that wires real or testbed parts together."""

from __future__ import annotations

import click

from kiosk import __version__
from kiosk.demo.app import demo
from kiosk.demo.card_bench import card_bench
from kiosk.diagnostics.cli import diag
from kiosk.face_match.cli import face_eval_command
from kiosk.flow.adapters.face_bench import face_bench_command
from kiosk.maintenance.cli import set_credential
from kiosk.run.app import run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
def main() -> None:
    """Self-service kiosk: reset the signature PIN of a My Number card."""


main.add_command(set_credential)
main.add_command(diag)
main.add_command(card_bench)
main.add_command(demo)
main.add_command(run)
main.add_command(face_eval_command)
face_eval_command.add_command(face_bench_command)
