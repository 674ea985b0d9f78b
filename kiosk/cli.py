"""The `kiosk` command line.

A subcommand's module is imported only when that subcommand runs: `kiosk --help` loads click
and this file, not Qt, OpenCV, dlib, the demo or its testbed (scripts/bench-startup times it).
So that the help lists the commands without importing them, each command's one-line summary
is written here too; tests/cli checks it against the command's own docstring.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import click

from kiosk import __version__


@dataclass(frozen=True)
class LazyCommand:
    """Where a subcommand lives, its help summary, and the optional extra it needs."""

    target: str  # "package.module:attribute"
    summary: str
    extra: str | None = None


COMMANDS: dict[str, LazyCommand] = {
    "card-bench": LazyCommand(
        "kiosk.demo.card_bench:card_bench",
        "Issue a virtual card, put it in a vpcd reader and measure a transaction's card work.",
        extra="demo",
    ),
    "card-ocr-bench": LazyCommand(
        "kiosk.demo.card_ocr_bench:card_ocr_bench",
        "Read 照合番号B from rendered card faces under blur, tilt, glare and low light.",
        extra="demo",
    ),
    "demo": LazyCommand(
        "kiosk.demo.app:demo",
        "Run the whole kiosk on embedded defaults (virtual card, synthetic camera, local "
        "backend).",
        extra="demo",
    ),
    "diag": LazyCommand(
        "kiosk.diagnostics.cli:diag",
        "Check card reader, camera, face pipeline, backend and the kiosk itself.",
    ),
    "face-eval": LazyCommand(
        # with `bench`, which measures the product path through the flow's adapter
        "kiosk.flow.adapters.face_bench:face_eval_command",
        "Verification benchmark: card-photo enrollment vs live images over a pairs CSV.",
    ),
    "run": LazyCommand(
        "kiosk.run.app:run",
        "Run the installed kiosk (resident screens, maintenance, health endpoint).",
    ),
    "reset-lockout": LazyCommand(
        "kiosk.maintenance.cli:reset_lockout",
        "Unlock staff and engineer sign-in after a lock-out.",
    ),
    "tpm-enroll": LazyCommand(
        "kiosk.tpm.cli:tpm_enroll",
        "Create this kiosk's keys in its TPM and write the enrolment request.",
    ),
    "set-credential": LazyCommand(
        "kiosk.maintenance.cli:set_credential",
        "Set the staff PIN or the engineer passphrase (stored only as a slow salted hash).",
    ),
}


def load_command(name: str) -> click.Command:
    """Import the module of subcommand ``name`` and return its click command."""
    entry = COMMANDS[name]
    module_name, attribute = entry.target.split(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        missing = (error.name or "").split(".")[0]
        if entry.extra is None or missing in {"kiosk", "kiosk_protocol"}:
            raise
        raise click.ClickException(
            f"`kiosk {name}` needs the optional '{entry.extra}' dependencies "
            f"({missing} is not installed): pip install 'kiosk[{entry.extra}]'"
        ) from error
    command = getattr(module, attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{entry.target} is not a click command")
    return command


class LazyGroup(click.Group):
    """A group whose subcommands are the ``COMMANDS`` table, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            self.add_command(load_command(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own version calls get_command for every row: that would import them all.
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        rows = [(name, self._row_command(ctx, name).get_short_help_str(limit)) for name in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def _row_command(self, ctx: click.Context, name: str) -> click.Command:
        loaded = super().get_command(ctx, name)
        return loaded or click.Command(name, help=COMMANDS[name].summary)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
def main() -> None:
    """Self-service kiosk: reset the signature PIN of a My Number card."""
