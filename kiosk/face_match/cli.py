"""Click commands of the face step: ``face-eval`` (with ``pad``).

``face-eval bench`` measures the product path through the flow's adapter, so it lives above
this layer (``kiosk/flow/adapters/face_bench.py``), which attaches it to this group; the
``kiosk`` command table imports that module only when ``kiosk face-eval`` runs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import click

# Kept here (not imported from pad_eval) so that the help text needs no OpenCV import;
# tests check they are the same.
SPECIES_NAMES = (
    "printed_photo",
    "screen_photo",
    "card_photo",
    "still_injection",
    "paper_mask",
    "replayed_clip",
    "replay_video",
    "realtime_puppet",
)
POPULATION_NAMES = ("typical", "elderly", "glasses", "weak_eye", "wheelchair")


@click.group(
    "face-eval",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.option("--pairs", "pairs_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--root", type=click.Path(path_type=Path, file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--frames",
    type=click.IntRange(1, 10),
    default=None,
    help="Live images fused per decision (default: the configured number).",
)
@click.option(
    "--extended",
    is_flag=True,
    help="FAR over all cross-identity combinations, not only the listed impostors.",
)
@click.option(
    "--engine",
    type=click.Choice(["sface", "dlib"]),
    default="sface",
    show_default=True,
    help="Face engine (as the kiosk configuration's [face] engine).",
)
@click.option(
    "--holdout",
    is_flag=True,
    help="Also calibrate on half the identities and measure on the other half (both ways).",
)
@click.option(
    "--conditions",
    default="",
    help="Comma-separated probe changes to report FRR under: low_light, side_light, blur, "
    "noise, small_face, greyscale (or 'all').",
)
@click.option("--workers", type=click.IntRange(1, 16), default=None)
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def face_eval_command(  # noqa: PLR0917 (click passes options positionally)
    context: click.Context,
    pairs_path: Path | None,
    root: Path | None,
    as_json: bool,
    frames: int | None,
    extended: bool,
    engine: str,
    holdout: bool,
    conditions: str,
    workers: int | None,
    config_path: Path | None,
) -> None:
    """Verification benchmark: card-photo enrollment vs live images over a pairs CSV.

    Without a subcommand, --pairs and --root are required. `face-eval pad` runs the
    presentation-attack evaluation.
    """
    if context.invoked_subcommand is not None:
        return
    if pairs_path is None or root is None:
        raise click.UsageError("--pairs and --root are required")
    # Heavy imports (OpenCV, dlib) only when a command actually runs.
    from kiosk.face_match.config import FaceConfigError, load_config
    from kiosk.face_match.engine import FaceEngineError
    from kiosk.face_match.evaluation import (
        CONDITIONS,
        EvaluationError,
        evaluate_pairs,
        format_report,
        load_pairs,
    )

    names = [c.strip() for c in conditions.split(",") if c.strip()]
    if names == ["all"]:
        names = list(CONDITIONS)
    try:
        config = load_config(config_path, engine)
        report = evaluate_pairs(
            load_pairs(pairs_path),
            root,
            config,
            frames=frames,
            extended=extended,
            workers=workers,
            conditions=names,
            holdout=holdout,
        )
    except (EvaluationError, FaceConfigError, FaceEngineError, OSError) as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(report.as_dict(), sort_keys=True))
    else:
        for line in format_report(report):
            click.echo(line)


@face_eval_command.command("pad")
@click.option(
    "--root",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Face folders, one identity per sub-folder.",
)
@click.option(
    "--video",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Video of a person for the replay_video species.",
)
@click.option("--per-species", type=click.IntRange(1, 10_000), default=40, show_default=True)
@click.option(
    "--bona-fide",
    type=click.IntRange(1, 10_000),
    default=40,
    show_default=True,
    help="Bona fide cases per population.",
)
@click.option(
    "--species",
    default=",".join(SPECIES_NAMES),
    show_default=True,
    help="Comma-separated attack species to run.",
)
@click.option(
    "--populations",
    default=",".join(POPULATION_NAMES),
    show_default=True,
    help="Comma-separated bona fide populations to run.",
)
@click.option(
    "--seed",
    type=int,
    default=None,
    help="Random seed of the cases (default: a fresh one, printed in the report).",
)
@click.option(
    "--fps",
    type=click.FloatRange(1, 60),
    default=15.0,
    show_default=True,
    help="Simulated analysis rate.",
)
@click.option("--depth", is_flag=True, help="Simulate a depth camera beside the colour one.")
@click.option("--json", "as_json", is_flag=True)
@click.option("--cases", "with_cases", is_flag=True, help="With --json: every case's outcome.")
@click.option("--workers", type=click.IntRange(1, 16), default=None)
def pad_command(  # noqa: PLR0917 (click passes options positionally)
    root: Path,
    video: Path | None,
    per_species: int,
    bona_fide: int,
    species: str,
    populations: str,
    seed: int | None,
    fps: float,
    depth: bool,
    as_json: bool,
    with_cases: bool,
    workers: int | None,
) -> None:
    """Presentation-attack evaluation: APCER per attack species and BPCER (ISO/IEC 30107-3),
    with counts and 90 % intervals."""
    import secrets

    from kiosk.face_match.config import load_config
    from kiosk.face_match.pad_eval import build_cases, evaluate_pad, format_pad_report

    chosen_species = [name.strip() for name in species.split(",") if name.strip()]
    chosen_populations = [name.strip() for name in populations.split(",") if name.strip()]
    unknown = sorted(set(chosen_species) - set(SPECIES_NAMES)) + sorted(
        set(chosen_populations) - set(POPULATION_NAMES)
    )
    if unknown:
        raise click.UsageError(f"unknown species or population: {', '.join(unknown)}")
    if seed is None:
        seed = secrets.randbelow(2**31)
    config = load_config()
    try:
        cases = build_cases(
            root,
            video,
            per_species,
            bona_fide,
            seed,
            species=chosen_species,
            populations=chosen_populations,
            engine=config.engine,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    report = evaluate_pad(
        cases,
        config,
        fps=fps,
        workers=workers,
        depth=depth,
        seed=seed,
        progress=_progress_on_stderr(time.monotonic()),
    )
    if as_json:
        click.echo(json.dumps(report.as_dict(cases=with_cases), sort_keys=True))
    else:
        for line in format_pad_report(report):
            click.echo(line)


PROGRESS_EVERY_S = 30.0


def _progress_on_stderr(
    started: float, clock: Callable[[], float] = time.monotonic
) -> Callable[[int, int], None]:
    """A line on stderr at most every ``PROGRESS_EVERY_S`` and at the end: a long evaluation
    shows it is moving and how long is left, without touching the report on stdout."""
    last = started

    def report(done: int, total: int) -> None:
        nonlocal last
        now = clock()
        if done < total and now - last < PROGRESS_EVERY_S:
            return
        last = now
        elapsed = now - started
        left = elapsed / done * (total - done)
        click.echo(f"{done}/{total} cases, {elapsed:.0f} s, about {left:.0f} s left", err=True)

    return report
