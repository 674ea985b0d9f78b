"""`kiosk card-ocr-bench`: how well the camera reads 照合番号B from card faces.

Renders card faces of test persons drawn from the seed with the testbed
(``kiosk_testbed.card_face``), shows each to the camera under blur, tilt, glare, low light (and
clean, for reference) and prints, per condition and overall, the share read correctly within
the time limit, two ways:

- ``frame``: one camera frame, one strict reading (``read_card_face``);
- ``held``: the card held to the camera as the kiosk uses it: the kiosk's own
  ``CardFaceScanner`` reads a ``HeldCardStream`` (the same card, pose, light and blur held
  for a while; tremor, motion and noise new on each frame) through a camera that gives 30
  frames a second. The scanner's clock runs only while the kiosk's code works: drawing a
  frame is the camera's job and its time is left out, while waiting for the next frame is
  counted. A reading counts as correct when it is right and came within the limit; a wrong
  reading (the scanner's agreed answer, not the truth) counts as wrong.

Persons, frames and readings stay in memory.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
import time
from collections.abc import Callable

import click
import numpy as np

from kiosk.card_ocr.reader import read_card_face
from kiosk.card_ocr.scanner import CardFaceScanner
from kiosk.face_match.sources import Frame
from kiosk_testbed.card_camera import CARD_WIDTH, CONDITIONS, FPS, HeldCardStream, card_in_frame
from kiosk_testbed.card_face import render_card_face
from kiosk_testbed.persona import Persona, make_persona


class VirtualCamera:
    """A camera giving ``stream``'s frames at ``FPS`` on a clock that leaves out the time
    spent drawing them (see the module's text). ``clock`` is the scanner's clock."""

    def __init__(self, stream: HeldCardStream) -> None:
        self._stream = stream
        self._origin = time.monotonic()
        self._left_out = 0.0
        self._waited = 0.0

    def clock(self) -> float:
        return time.monotonic() - self._origin - self._left_out + self._waited

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def latest(self) -> Frame | None:
        return None

    def wait_frame(self, after: int = -1, timeout: float = 1.0) -> Frame | None:
        now = self.clock()
        newest = math.floor(now * FPS)
        if newest <= after:  # the next frame is not there yet: wait for it
            newest = after + 1
            self._waited += max(0.0, newest / FPS - now)
        begin = time.monotonic()
        image = self._stream.next_frame(newest)
        self._left_out += time.monotonic() - begin
        return Frame(image, newest / FPS, newest)


def bench_persona(rng: np.random.Generator, today: dt.date) -> Persona:
    """A test person drawn from ``rng``: born from 1926 (大正 15) to 16 years ago, so every
    era a signature-certificate holder can have, 元年 included, turns up."""
    first = dt.date(1926, 1, 1).toordinal()
    last = (today - dt.timedelta(days=round(365.25 * 16))).toordinal()
    birth = dt.date.fromordinal(int(rng.integers(first, last + 1)))
    code = "".join(str(int(d)) for d in rng.integers(0, 10, size=4))
    return make_persona(birth_date=birth, security_code=code,
                        sex=str(int(rng.integers(1, 3))), today=today)


def _held(card: object, condition: str, rng: np.random.Generator, limit: float,
          width: tuple[float, float]) -> tuple[bytes | None, float]:
    """What the kiosk's scanner read from the card held to the camera, and when."""
    camera = VirtualCamera(HeldCardStream(card, condition, rng, width))  # type: ignore[arg-type]
    scanner = CardFaceScanner(lambda: camera, timeout=limit, clock=camera.clock)
    reading = scanner.scan(lambda: False)
    return (None if reading is None else bytes(reading.number_b())), camera.clock()


def _frame(card: object, condition: str, rng: np.random.Generator, limit: float,
           width: tuple[float, float]) -> tuple[bytes | None, float]:
    frame = card_in_frame(card, condition, rng, width)  # type: ignore[arg-type]
    begin = time.monotonic()
    reading = read_card_face(frame)
    return (None if reading is None else bytes(reading.number_b())), time.monotonic() - begin


def _percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share * 100)) if values else 0.0


def run_ocr_benchmark(per_condition: int, seed: int, limit: float, *,
                      conditions: tuple[str, ...] = CONDITIONS,
                      modes: tuple[str, ...] = ("frame", "held"),
                      width: tuple[float, float] = CARD_WIDTH) -> dict[str, object]:
    today = dt.date.today()
    result: dict[str, object] = {"limit_s": limit, "seed": seed, "card_width": list(width)}
    readers: dict[str, Callable[..., tuple[bytes | None, float]]] = {"frame": _frame,
                                                                     "held": _held}
    for mode in modes:
        rng = np.random.default_rng([seed, len(mode)])
        rows: dict[str, dict[str, object]] = {}
        correct_all = wrong_all = total_all = 0
        read_times: list[float] = []
        for condition in conditions:
            correct = wrong = unread = late = 0
            times: list[float] = []
            for _ in range(per_condition):
                persona = bench_persona(rng, today)
                card = render_card_face(persona)
                expected = persona.collation_b.encode("ascii")
                digits, seconds = readers[mode](card, condition, rng, limit, width)
                if digits is None:
                    unread += 1
                    continue
                times.append(seconds)
                if digits != expected:
                    wrong += 1
                elif seconds > limit:
                    late += 1
                else:
                    correct += 1
            rows[condition] = {
                "cases": per_condition, "correct_in_time": correct, "wrong": wrong,
                "not_read": unread, "too_slow": late,
                "rate": round(correct / per_condition, 4),
                "median_s": round(statistics.median(times), 3) if times else None,
                "p95_s": round(_percentile(times, 0.95), 3) if times else None,
            }
            correct_all += correct
            wrong_all += wrong
            total_all += per_condition
            read_times += times
        result[mode] = {"per_condition": rows, "cases": total_all,
                        "correct_in_time": correct_all, "wrong": wrong_all,
                        "rate": round(correct_all / total_all, 4) if total_all else 0.0,
                        "median_s": round(statistics.median(read_times), 3)
                        if read_times else None,
                        "p95_s": round(_percentile(read_times, 0.95), 3)
                        if read_times else None}
    return result


def _seconds(value: object) -> str:
    return f"{value:.2f}" if isinstance(value, float) else "-"


@click.command("card-ocr-bench")
@click.option("--per-condition", default=40, show_default=True, type=click.IntRange(1, 2000))
@click.option("--seed", default=2026, show_default=True, type=int)
@click.option("--limit", default=3.0, show_default=True, type=float,
              help="seconds a reading may take to count as correct")
@click.option("--mode", "modes", multiple=True, type=click.Choice(["frame", "held"]),
              help="only these ways of reading (default: both)")
@click.option("--condition", "conditions", multiple=True, type=click.Choice(CONDITIONS),
              help="only these conditions (default: all)")
@click.option("--card-width", default=f"{CARD_WIDTH[0]}-{CARD_WIDTH[1]}", show_default=True,
              help="the card's width in the frame, a range of shares of the frame's width "
                   "(0.58-0.74: filling the screen's guide; 0.2-0.47: 20-30 cm from a 720p "
                   "webcam)")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def card_ocr_bench(per_condition: int, seed: int, limit: float, *, modes: tuple[str, ...],
                   conditions: tuple[str, ...], card_width: str, as_json: bool) -> None:
    """Read 照合番号B from rendered card faces under blur, tilt, glare and low light."""
    chosen = modes or ("frame", "held")
    try:
        low, high = (float(part) for part in card_width.split("-"))
    except ValueError:
        raise click.BadParameter("give two shares, e.g. 0.3-0.45",
                                 param_hint="--card-width") from None
    if not 0.1 <= low <= high <= 0.95:
        raise click.BadParameter("shares from 0.1 to 0.95, the smaller first",
                                 param_hint="--card-width")
    result = run_ocr_benchmark(per_condition, seed, limit, conditions=conditions or CONDITIONS,
                               modes=chosen, width=(low, high))
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    titles = {"frame": "one frame", "held": "card held to the camera (the kiosk's scanner)"}
    for mode in chosen:
        part = result[mode]
        if not isinstance(part, dict):
            raise TypeError(f"no {mode} figures")
        click.echo(f"{titles[mode]}:")
        click.echo(f"  {'condition':<10} {'cases':>5} {'correct':>7} {'wrong':>5} "
                   f"{'unread':>6} {'slow':>4} {'rate':>7} {'median s':>8} {'p95 s':>6}")
        for name, row in part["per_condition"].items():
            click.echo(f"  {name:<10} {row['cases']:>5} {row['correct_in_time']:>7} "
                       f"{row['wrong']:>5} {row['not_read']:>6} {row['too_slow']:>4} "
                       f"{row['rate']:>7.1%} {_seconds(row['median_s']):>8} "
                       f"{_seconds(row['p95_s']):>6}")
        click.echo(f"  overall: {part['correct_in_time']}/{part['cases']} read correctly "
                   f"within {limit:g} s = {part['rate']:.1%}, {part['wrong']} wrong; time to "
                   f"a reading: median {_seconds(part['median_s'])} s, 95th percentile "
                   f"{_seconds(part['p95_s'])} s")
    click.echo(f"(seed {seed}, card {low:g}-{high:g} of the frame's width)")
