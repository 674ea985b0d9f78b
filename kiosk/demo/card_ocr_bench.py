"""`kiosk card-ocr-bench`: how well the camera reads 照合番号B from card faces.

Renders card faces of random test persons with the testbed (``kiosk_testbed.card_face``),
puts each into a camera frame under blur, tilt, glare, low light (and clean, for reference),
reads it with ``kiosk.card_ocr.read_card_face`` and prints, per condition and overall, the share
read correctly within the time limit, two ways:

- ``frame``: one camera frame, one reading;
- ``held``: the card held to the camera as the kiosk uses it: frames keep coming (each with
  its own blur, glare, light and pose, as a hand moves), the reader takes the next frame each
  time it is free, and the card counts as read when two frames in a row give the same reading
  (as ``CardFaceScanner`` asks), that reading is right and it came within the limit. An
  agreed wrong reading counts as wrong.

Persons, frames and readings stay in memory.
"""

from __future__ import annotations

import json
import statistics
import time

import click
import numpy as np

from kiosk.card_ocr.reader import read_card_face
from kiosk_testbed.card_camera import CONDITIONS, card_in_frame
from kiosk_testbed.card_face import render_card_face
from kiosk_testbed.persona import make_persona


def _held(persona_card: object, condition: str, rng: np.random.Generator, *, limit: float,
          expected: bytes, agree: int = 2) -> tuple[str, float]:
    """("correct" | "wrong" | "not_read", seconds) for one card held to the camera, read as
    the kiosk's scanner reads it: the same plausible reading on ``agree`` frames in a row."""
    start = time.monotonic()
    last: bytes | None = None
    seen = 0
    while True:
        frame = card_in_frame(persona_card, condition, rng)  # type: ignore[arg-type]
        reading = read_card_face(frame)
        seconds = time.monotonic() - start
        if reading is not None:
            digits = bytes(reading.number_b())
            seen = seen + 1 if digits == last else 1
            last = digits
            if seen >= agree:
                return ("correct" if digits == expected else "wrong"), seconds
        else:
            seen = 0
        if seconds > limit:
            return "not_read", seconds


def run_ocr_benchmark(per_condition: int, seed: int, limit: float,
                      conditions: tuple[str, ...] = CONDITIONS) -> dict[str, object]:
    rng = np.random.default_rng(seed)
    result: dict[str, object] = {"limit_s": limit, "seed": seed}
    for mode in ("frame", "held"):
        rows: dict[str, dict[str, object]] = {}
        correct_all = total_all = 0
        for condition in conditions:
            correct = wrong = unread = late = 0
            times: list[float] = []
            for _ in range(per_condition):
                persona = make_persona()
                card = render_card_face(persona)
                expected = persona.collation_b.encode("ascii")
                if mode == "held":
                    verdict, seconds = _held(card, condition, rng, limit=limit, expected=expected)
                else:
                    frame = card_in_frame(card, condition, rng)
                    begin = time.monotonic()
                    reading = read_card_face(frame)
                    seconds = time.monotonic() - begin
                    verdict = ("not_read" if reading is None else "correct"
                               if bytes(reading.number_b()) == expected else "wrong")
                times.append(seconds)
                if verdict == "not_read":
                    unread += 1
                elif verdict == "wrong":
                    wrong += 1
                elif seconds > limit:
                    late += 1
                else:
                    correct += 1
            rows[condition] = {
                "cases": per_condition, "correct_in_time": correct, "wrong": wrong,
                "not_read": unread, "too_slow": late,
                "rate": round(correct / per_condition, 4),
                "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
            }
            correct_all += correct
            total_all += per_condition
        result[mode] = {"per_condition": rows, "cases": total_all,
                        "correct_in_time": correct_all,
                        "rate": round(correct_all / total_all, 4) if total_all else 0.0}
    return result


@click.command("card-ocr-bench")
@click.option("--per-condition", default=40, show_default=True, type=click.IntRange(1, 2000))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--limit", default=3.0, show_default=True, type=float,
              help="seconds a reading may take to count as correct")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def card_ocr_bench(per_condition: int, seed: int, limit: float, as_json: bool) -> None:
    """Read 照合番号B from rendered card faces under blur, tilt, glare and low light."""
    result = run_ocr_benchmark(per_condition, seed, limit)
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for mode, title in (("frame", "one frame"), ("held", "card held to the camera")):
        part = result[mode]
        if not isinstance(part, dict):
            raise TypeError(f"no {mode} figures")
        click.echo(f"{title}:")
        click.echo(f"  {'condition':<10} {'cases':>5} {'correct':>7} {'wrong':>5} "
                   f"{'unread':>6} {'slow':>4} {'rate':>7} {'median s':>8} {'max s':>6}")
        for name, row in part["per_condition"].items():
            click.echo(f"  {name:<10} {row['cases']:>5} {row['correct_in_time']:>7} "
                       f"{row['wrong']:>5} {row['not_read']:>6} {row['too_slow']:>4} "
                       f"{row['rate']:>7.1%} {row['median_s']:>8.2f} {row['max_s']:>6.2f}")
        click.echo(f"  overall: {part['correct_in_time']}/{part['cases']} read correctly "
                   f"within {limit:g} s = {part['rate']:.1%}")
    click.echo(f"(seed {seed})")
