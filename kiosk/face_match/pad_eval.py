"""Presentation-attack evaluation (``kiosk face-eval pad``).

Bona fide: synthetic residents animated from many different frontal photos, each obeying the
prompts. Attacks, per species (see ``attacks``): ``still_injection``, ``printed_photo`` and
``screen_photo`` (the resident's photo held up, tilted on prompts), ``card_photo`` (the card's own
160 px greyscale portrait, enlarged and printed), ``replay_video`` (the real video clip from a
random point, looping, not following prompts). Each case is one whole ``FaceCheck`` on
simulated time (frames analysed at ``fps``), so the timing limits apply as on the kiosk.
APCER per species = attacks whose liveness passed; BPCER = bona fide cases whose liveness failed.
"""

from __future__ import annotations

import multiprocessing
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.attacks import HandheldPhoto, Medium, ReplayedVideo, StillInjection
from kiosk.face_match.card_photo import decode_card_photo, make_card_photo
from kiosk.face_match.check import FaceCheck, FaceCheckResult
from kiosk.face_match.config import FaceConfig, QualityConfig
from kiosk.face_match.detection import detect_faces
from kiosk.face_match.encoding import landmarks_68
from kiosk.face_match.engine import load_engine
from kiosk.face_match.geometry import roll_degrees, yaw
from kiosk.face_match.matching import enroll_card_photo
from kiosk.face_match.resident import SyntheticResident
from kiosk.face_match.sources import Renderer

BONA_FIDE = "bona_fide"
SPECIES = ("still_injection", "printed_photo", "screen_photo", "card_photo", "replay_video")
MAX_SIMULATED_S = 40.0
FRONTAL_YAW = 0.15


@dataclass(frozen=True, slots=True)
class PadCase:
    species: str
    portrait: str  # image path (the video path for replay_video)
    card_source: str  # image the card photo is made from
    seed: int


@dataclass(frozen=True, slots=True)
class PadOutcome:
    species: str
    liveness_passed: bool
    check_passed: bool
    failure: str | None
    seconds: float
    match_seconds: float | None


@dataclass(slots=True)
class PadReport:
    cases: dict[str, int] = field(default_factory=dict)
    accepted: dict[str, int] = field(default_factory=dict)  # liveness passed
    failures: dict[str, dict[str, int]] = field(default_factory=dict)
    bona_fide_check_passed: int = 0
    median_bona_fide_seconds: float = 0.0
    median_match_seconds: float = 0.0

    def apcer(self) -> dict[str, float]:
        return {
            s: self.accepted.get(s, 0) / n for s, n in self.cases.items() if s != BONA_FIDE and n
        }

    def bpcer(self) -> float:
        total = self.cases.get(BONA_FIDE, 0)
        return (total - self.accepted.get(BONA_FIDE, 0)) / total if total else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "apcer": self.apcer(),
            "bpcer": self.bpcer(),
            "cases": self.cases,
            "liveness_passed": self.accepted,
            "failure_reasons": self.failures,
            "bona_fide_whole_check_passed": self.bona_fide_check_passed,
            "median_bona_fide_seconds": self.median_bona_fide_seconds,
            "median_match_seconds": self.median_match_seconds,
        }


def _read_rgb(path: str) -> npt.NDArray[np.uint8]:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("cannot read image")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def is_frontal(path: str) -> bool:
    """A photo of one person looking straight into the camera, head upright: what a resident
    at the kiosk does when asked. (An animated photo cannot step a bystander out of the picture
    or straighten a tilted head, so such photos would measure the animation, not the check.)"""
    image = _read_rgb(path)
    faces = detect_faces(image, upsample=1)
    if len(faces) != 1:
        return False
    points = landmarks_68(image, faces[0])
    upright = abs(roll_degrees(points)) <= QualityConfig().max_roll_degrees
    return upright and abs(yaw(points)) <= FRONTAL_YAW


def build_cases(
    root: Path, video: Path | None, per_species: int, bona_fide: int, seed: int
) -> list[PadCase]:
    """Cases drawn from the face folders under ``root`` (one identity per sub-folder)."""
    rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable evaluation)
    folders = sorted(p for p in root.rglob("*") if p.is_dir())
    identities = []
    for folder in folders:
        images = sorted(
            str(p) for p in folder.iterdir() if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
        )
        if images:
            identities.append(images)
    rng.shuffle(identities)
    cases: list[PadCase] = []

    def portraits(count: int) -> Iterable[tuple[str, str]]:
        produced = 0
        for images in identities:
            if produced >= count:
                return
            frontal = [p for p in images if is_frontal(p)]
            if not frontal:
                continue
            portrait = rng.choice(frontal)
            others = [p for p in images if p != portrait]
            yield portrait, (rng.choice(others) if others else portrait)
            produced += 1

    frontal_pool = list(portraits(max(bona_fide, per_species)))
    for index in range(bona_fide):
        portrait, card = frontal_pool[index % len(frontal_pool)]
        cases.append(PadCase(BONA_FIDE, portrait, card, seed + index))
    for species in SPECIES:
        if species == "replay_video" and video is None:
            continue
        for index in range(per_species):
            portrait, card = frontal_pool[(index * 7 + len(cases)) % len(frontal_pool)]
            if species == "replay_video" and video is not None:
                portrait = str(video)
            cases.append(PadCase(species, portrait, card, seed + 1000 + index))
    return cases


def _renderer(case: PadCase, card_photo: bytes) -> Renderer:
    if case.species == BONA_FIDE:
        return SyntheticResident(_read_rgb(case.portrait), seed=case.seed)
    if case.species == "still_injection":
        return StillInjection(_read_rgb(case.portrait), seed=case.seed)
    if case.species in ("printed_photo", "screen_photo"):
        medium: Medium = "print" if case.species == "printed_photo" else "screen"
        return HandheldPhoto(_read_rgb(case.portrait), medium=medium, seed=case.seed)
    if case.species == "card_photo":
        grey = decode_card_photo(card_photo)
        enlarged = cv2.resize(grey, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        return HandheldPhoto(np.repeat(enlarged[:, :, None], 3, axis=2), seed=case.seed)
    if case.species == "replay_video":
        start = random.Random(case.seed).uniform(0, 9.0)  # noqa: S311 (seeded)
        return ReplayedVideo(Path(case.portrait), start_s=start, seed=case.seed)
    raise ValueError(f"unknown species {case.species}")


def simulate(
    check: FaceCheck, renderer: Renderer, fps: float = 15.0, limit_s: float = MAX_SIMULATED_S
) -> FaceCheckResult | None:
    """Drive ``check`` with ``renderer`` on simulated time; None if it never decided."""
    observe = getattr(renderer, "observe_prompt", None)
    steps = int(limit_s * fps)
    for step in range(steps):
        t = step / fps
        progress = check.feed(renderer.render(t), t)
        if callable(observe):
            observe(progress.prompt, t)
        if progress.result is not None:
            return progress.result
    return None


_STATE: dict[str, object] = {}


def _init(config: FaceConfig, fps: float) -> None:
    _STATE["config"], _STATE["fps"] = config, fps
    cv2.setNumThreads(1)


def run_case(case: PadCase) -> PadOutcome:
    config = _STATE.get("config")
    fps = _STATE.get("fps", 15.0)
    if not (isinstance(config, FaceConfig) and isinstance(fps, float)):
        raise RuntimeError("run_case before the worker was initialised")
    card_photo = make_card_photo(_read_rgb(case.card_source))
    enrollment = enroll_card_photo(card_photo, load_engine(config.engine))
    try:
        renderer = _renderer(case, card_photo)
    except ValueError:
        # No usable face to animate: a bona fide case that cannot even start counts as an error.
        return PadOutcome(case.species, False, False, "no_face_in_source", 0.0, None)
    check = FaceCheck(enrollment=enrollment, config=config,
                      rng=random.Random(case.seed))  # noqa: S311 (a seeded, repeatable case)
    result = simulate(check, renderer, fps)
    if result is None:
        return PadOutcome(case.species, False, False, "undecided", MAX_SIMULATED_S, None)
    failure = result.liveness.failure
    return PadOutcome(
        case.species,
        result.liveness.passed,
        result.passed,
        None if failure is None else str(failure),
        result.seconds,
        result.match_seconds,
    )


def evaluate_pad(
    cases: list[PadCase], config: FaceConfig, *, fps: float = 15.0, workers: int | None = None
) -> PadReport:
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1:
        _init(config, fps)
        outcomes = [run_case(case) for case in cases]
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            count, mp_context=context, initializer=_init, initargs=(config, fps)
        ) as pool:
            outcomes = list(pool.map(run_case, cases))
    report = PadReport()
    reasons: dict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        report.cases[outcome.species] = report.cases.get(outcome.species, 0) + 1
        if outcome.liveness_passed:
            report.accepted[outcome.species] = report.accepted.get(outcome.species, 0) + 1
        else:
            reasons[outcome.species][outcome.failure or "none"] += 1
    report.failures = {species: dict(counter) for species, counter in reasons.items()}
    bona = [o for o in outcomes if o.species == BONA_FIDE]
    report.bona_fide_check_passed = sum(o.check_passed for o in bona)
    passed = [o for o in bona if o.liveness_passed]
    if passed:
        report.median_bona_fide_seconds = float(np.median([o.seconds for o in passed]))
    match_times = [o.match_seconds for o in bona if o.match_seconds is not None]
    if match_times:
        report.median_match_seconds = float(np.median(match_times))
    return report


def format_pad_report(report: PadReport) -> Iterable[str]:
    for species, rate in report.apcer().items():
        accepted = report.accepted.get(species, 0)
        yield f"APCER {species:16s} {100 * rate:6.2f} %  ({accepted}/{report.cases[species]})"
    total = report.cases.get(BONA_FIDE, 0)
    rejected = total - report.accepted.get(BONA_FIDE, 0)
    yield f"BPCER {BONA_FIDE:16s} {100 * report.bpcer():6.2f} %  ({rejected}/{total})"
    passed = report.bona_fide_check_passed
    yield f"bona fide whole check passed (liveness + match): {passed}/{total}"
    yield f"median bona fide check duration: {report.median_bona_fide_seconds:.2f} s (simulated)"
    yield f"median first good frame -> match decision: {report.median_match_seconds:.2f} s"
    for species, reasons in sorted(report.failures.items()):
        yield f"rejections {species}: {reasons}"
