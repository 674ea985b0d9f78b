"""Click commands of the face step: ``face-eval`` (with ``pad``) and ``face-bench``.

Wired into ``kiosk/cli.py`` with ``main.add_command(face_eval_command)`` and
``main.add_command(face_bench_command)``.
"""

from __future__ import annotations

import json
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
    from kiosk.face_match.config import load_config
    from kiosk.face_match.evaluation import (
        EvaluationError,
        evaluate_pairs,
        format_report,
        load_pairs,
    )

    config = load_config(config_path) if config_path else load_config()
    try:
        report = evaluate_pairs(
            load_pairs(pairs_path),
            root,
            config.matching,
            frames=frames,
            extended=extended,
            workers=workers,
        )
    except EvaluationError as error:
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
    try:
        cases = build_cases(
            root,
            video,
            per_species,
            bona_fide,
            seed,
            species=chosen_species,
            populations=chosen_populations,
        )
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    report = evaluate_pad(cases, load_config(), fps=fps, workers=workers, depth=depth, seed=seed)
    if as_json:
        click.echo(json.dumps(report.as_dict(cases=with_cases), sort_keys=True))
    else:
        for line in format_pad_report(report):
            click.echo(line)


@face_eval_command.command("bench")
@click.option(
    "--portrait",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Photo the synthetic resident is animated from.",
)
@click.option(
    "--card-source",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="Photo the card portrait is made from (same person, another photo).",
)
@click.option("--runs", type=click.IntRange(1, 100), default=3, show_default=True)
@click.option(
    "--fps",
    type=click.FloatRange(5, 60),
    default=30.0,
    show_default=True,
    help="Camera frame rate of the simulated 640x480 camera.",
)
@click.option("--json", "as_json", is_flag=True)
def bench_command(portrait: Path, card_source: Path, runs: int, fps: float, as_json: bool) -> None:
    """Real-time benchmark: a 640x480 camera thread, a preview consumer and FaceCheck at once.

    Prints the preview frame rate while the check runs, the time from the first good frame to
    the match decision, the whole check time, and the analysis time per frame.
    """
    from kiosk.face_match.benchmark import format_bench, run_bench

    try:
        report = run_bench(portrait, card_source, runs=runs, fps=fps)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    if as_json:
        click.echo(json.dumps(report, sort_keys=True))
    else:
        for line in format_bench(report):
            click.echo(line)
