"""Presentation-attack evaluation (``kiosk face-eval pad``), reported as ISO/IEC 30107-3 asks.

Bona fide presentations: synthetic residents animated from many different frontal photos, each
obeying the prompts and lit by the screen, in five populations (``POPULATIONS``): typical
adults; elderly and slow (late reactions, slow and small movements, a tremor); wearing glasses;
one eye that hardly closes; in a wheelchair (lower in the picture, seen from above).

Attack presentations, per species (see ``attacks``): ``printed_photo`` and ``screen_photo``
(the holder's photo held up, tilted on prompts), ``card_photo`` (the card's own 160 px portrait
enlarged and printed), ``still_injection`` (one frame fed as the camera), ``paper_mask`` (the
holder's face printed, eyes cut out, worn over another person's moving head), ``replayed_clip``
(a prepared clip of the holder doing every action in a fixed order, replayed on a screen),
``replay_video`` (a real video file, with ``--video``), and ``realtime_puppet`` (a deepfake-class
re-enactment that answers everything: the out-of-scope reference, see docs/face-match.md).

Each case is one whole ``FaceCheck`` on simulated time (frames analysed at ``fps``) driven by
``simulate``, the same harness a test lab uses with its own media. APCER per species = attacks
whose liveness passed / attacks; BPCER = bona fide cases whose liveness failed / bona fide
cases; both with counts and two-sided 90 % Clopper-Pearson intervals.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.attacks import (
    HandheldPhoto,
    Medium,
    PaperMask,
    PreparedClip,
    RealTimePuppet,
    ReplayedVideo,
    StillInjection,
)
from kiosk.face_match.card_photo import decode_card_photo, make_card_photo
from kiosk.face_match.check import FaceCheck, FaceCheckResult, tell_presenter
from kiosk.face_match.config import DEFAULT_ENGINE, FaceConfig, QualityConfig
from kiosk.face_match.detection import detect_faces
from kiosk.face_match.encoding import landmarks_68
from kiosk.face_match.engine import load_engine
from kiosk.face_match.geometry import roll_degrees, yaw
from kiosk.face_match.matching import enroll_card_photo
from kiosk.face_match.resident import (
    ELDERLY,
    FACE_SHARE,
    TYPICAL,
    ResidentTraits,
    SyntheticResident,
)
from kiosk.face_match.sources import Renderer

BONA_FIDE = "bona_fide"
POPULATIONS: dict[str, ResidentTraits] = {
    "typical": TYPICAL,
    "elderly": ELDERLY,
    "glasses": ResidentTraits(glasses=True),
    "weak_eye": TYPICAL,  # one eye closes only partly (drawn per case)
    "wheelchair": ResidentTraits(seat_pitch_degrees=-12.0, face_height=0.58),
}
SPECIES = (
    "printed_photo",
    "screen_photo",
    "card_photo",
    "still_injection",
    "paper_mask",
    "replayed_clip",
    "replay_video",
    "realtime_puppet",
)
OUT_OF_SCOPE = ("realtime_puppet",)
MAX_SIMULATED_S = 40.0
FRONTAL_YAW = 0.15
INTERVAL = 0.90


@dataclass(frozen=True, slots=True)
class PadCase:
    species: str  # an attack species, or "bona_fide"
    portrait: str  # image path (the video path for replay_video)
    card_source: str  # image the card photo is made from
    seed: int
    population: str = ""  # bona fide only
    other: str = ""  # the mask wearer's photo


@dataclass(frozen=True, slots=True)
class PadOutcome:
    species: str
    population: str
    liveness_passed: bool
    check_passed: bool
    failure: str | None
    seconds: float
    match_seconds: float | None
    cues: dict[str, float] = field(default_factory=dict)
    score: float | None = None
    retries: int = 0
    actions: tuple[str, ...] = ()
    completed: int = 0

    def as_dict(self) -> dict[str, object]:
        """Numbers and codes only (no file names: they may name a person)."""
        return {
            "species": self.species,
            "population": self.population,
            "liveness_passed": self.liveness_passed,
            "check_passed": self.check_passed,
            "failure": self.failure,
            "seconds": round(self.seconds, 2),
            "score": None if self.score is None else round(self.score, 3),
            "cues": {k: round(v, 4) for k, v in self.cues.items()},
            "retries": self.retries,
            "actions": list(self.actions),
            "completed": self.completed,
        }


def _binomial_tail(successes: int, trials: int, p: float) -> float:
    """P(X >= successes) for X ~ Binomial(trials, p)."""
    if successes <= 0:
        return 1.0
    if p <= 0.0:
        return 0.0
    if p >= 1.0:
        return 1.0
    log_p, log_q = math.log(p), math.log1p(-p)
    total = 0.0
    for k in range(successes, trials + 1):
        log_term = (
            math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
            + k * log_p + (trials - k) * log_q
        )
        total += math.exp(log_term)
    return min(1.0, total)


def _solve(function: Callable[[float], float], target: float) -> float:
    """The p in [0, 1] where the increasing ``function`` reaches ``target`` (bisection)."""
    low, high = 0.0, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if function(middle) < target:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def clopper_pearson(successes: int, trials: int, level: float = INTERVAL) -> tuple[float, float]:
    """Two-sided exact binomial (Clopper-Pearson) interval for ``successes`` in ``trials``."""
    if trials <= 0:
        return 0.0, 1.0
    tail = (1 - level) / 2
    low = 0.0 if successes == 0 else _solve(
        lambda p: _binomial_tail(successes, trials, p), tail
    )
    high = 1.0 if successes == trials else _solve(
        lambda p: _binomial_tail(successes + 1, trials, p), 1 - tail
    )
    return low, high


@dataclass(frozen=True, slots=True)
class Rate:
    """``count`` of ``cases`` with its two-sided 90 % interval."""

    count: int
    cases: int

    @property
    def rate(self) -> float:
        return self.count / self.cases if self.cases else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        return clopper_pearson(self.count, self.cases)

    def as_dict(self) -> dict[str, object]:
        low, high = self.interval
        return {
            "rate": round(self.rate, 5),
            "count": self.count,
            "cases": self.cases,
            "interval_90": [round(low, 5), round(high, 5)],
        }

    def text(self) -> str:
        low, high = self.interval
        return (
            f"{100 * self.rate:6.2f} %  ({self.count}/{self.cases}, "
            f"90 % CI {100 * low:.2f}-{100 * high:.2f} %)"
        )


@dataclass(slots=True)
class PadReport:
    outcomes: list[PadOutcome] = field(default_factory=list)
    seed: int = 0
    fps: float = 15.0
    depth: bool = False

    def _by(self, species: str) -> list[PadOutcome]:
        return [o for o in self.outcomes if o.species == species]

    def apcer(self) -> dict[str, Rate]:
        """Attacks whose liveness passed, per species."""
        return {
            species: Rate(sum(o.liveness_passed for o in cases), len(cases))
            for species in SPECIES
            if (cases := self._by(species))
        }

    def bpcer(self) -> Rate:
        """Bona fide presentations whose liveness failed."""
        bona = self._by(BONA_FIDE)
        return Rate(sum(not o.liveness_passed for o in bona), len(bona))

    def bpcer_per_population(self) -> dict[str, Rate]:
        bona = self._by(BONA_FIDE)
        return {
            name: Rate(sum(not o.liveness_passed for o in group), len(group))
            for name in POPULATIONS
            if (group := [o for o in bona if o.population == name])
        }

    def whole_check_passed(self, species: str) -> int:
        """Cases whose whole check passed (liveness and match to the card)."""
        return sum(o.check_passed for o in self._by(species))

    def timing(self) -> dict[str, float]:
        """Seconds from the first frame to the decision of the bona fide cases whose liveness
        passed, per population (typical: a cooperative resident)."""
        summary: dict[str, float] = {}
        for name in POPULATIONS:
            values = sorted(o.seconds for o in self._by(BONA_FIDE)
                            if o.population == name and o.liveness_passed)
            if values:
                summary[f"{name}_median_s"] = round(statistics.median(values), 2)
                summary[f"{name}_p90_s"] = round(
                    values[min(len(values) - 1, int(0.9 * len(values)))], 2)
                summary[f"{name}_max_s"] = round(values[-1], 2)
        match = [o.match_seconds for o in self._by(BONA_FIDE) if o.match_seconds is not None]
        if match:
            summary["match_median_s"] = round(statistics.median(match), 2)
        return summary

    def failures(self) -> dict[str, dict[str, int]]:
        reasons: dict[str, Counter[str]] = defaultdict(Counter)
        for outcome in self.outcomes:
            if not outcome.liveness_passed:
                key = outcome.species
                if key == BONA_FIDE:
                    key = f"{BONA_FIDE}/{outcome.population}"
                reasons[key][outcome.failure or "none"] += 1
        return {key: dict(counter) for key, counter in sorted(reasons.items())}

    def cue_medians(self) -> dict[str, dict[str, float]]:
        """Median of each cue's value per species, over the cases that reached the score."""
        table: dict[str, dict[str, float]] = {}
        for species in (BONA_FIDE, *SPECIES):
            values: dict[str, list[float]] = defaultdict(list)
            for outcome in self._by(species):
                for name, value in outcome.cues.items():
                    values[name].append(value)
            if values:
                table[species] = {k: round(statistics.median(v), 3) for k, v in values.items()}
        return table

    def as_dict(self, cases: bool = False) -> dict[str, object]:
        apcer: dict[str, object] = {}
        for species, rate in self.apcer().items():
            entry = rate.as_dict()
            entry["whole_check_passed"] = self.whole_check_passed(species)
            entry["out_of_scope"] = species in OUT_OF_SCOPE
            apcer[species] = entry
        bpcer = self.bpcer().as_dict()
        bpcer["per_population"] = {
            name: rate.as_dict() for name, rate in self.bpcer_per_population().items()
        }
        bpcer["whole_check_passed"] = self.whole_check_passed(BONA_FIDE)
        return {
            "standard": "ISO/IEC 30107-3: APCER per species, BPCER; 90 % Clopper-Pearson",
            "seed": self.seed,
            "fps": self.fps,
            "depth_camera": self.depth,
            "apcer": apcer,
            "bpcer": bpcer,
            "timing": self.timing(),
            "failure_reasons": self.failures(),
            "cue_medians": self.cue_medians(),
        } | ({"cases": [o.as_dict() for o in self.outcomes]} if cases else {})


def _read_rgb(path: str) -> npt.NDArray[np.uint8]:
    image = cv2.imread(path, cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError("cannot read image")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def is_frontal(path: str, engine: str = DEFAULT_ENGINE) -> bool:
    """A photo of one person looking straight into the camera, head upright: what a resident
    at the kiosk does when asked. (An animated photo cannot step a bystander out of the picture
    or straighten a tilted head, so such photos would measure the animation, not the check.)
    "One person" is judged by dlib's detector and by the check's own ``engine`` with the
    quality gate's rule (no second face of about ``second_face_fraction`` of the first's size):
    a bystander only one of them sees would keep the check on "one person only" forever."""
    image = _read_rgb(path)
    faces = detect_faces(image, upsample=1)
    if len(faces) != 1:
        return False
    quality = QualityConfig()
    points = landmarks_68(image, faces[0])
    if abs(roll_degrees(points)) > quality.max_roll_degrees or abs(yaw(points)) > FRONTAL_YAW:
        return False
    # Half the gate's fraction: the animation re-frames the photo, which changes the ratio.
    limit = 0.5 * quality.second_face_fraction
    detector = load_engine(engine)
    # Seen as the gate sees the animated photo: the face at the sizes the animation gives it
    # (after the gate's scaling to ``detect_width``), the photo on a plain backdrop (a face cut
    # by the photo's edge is found there and not at the edge itself).
    for share in (FACE_SHARE[0], sum(FACE_SHARE) / 2, FACE_SHARE[1]):
        scale = share * quality.detect_width / faces[0].width
        sized = cv2.resize(image, None, fx=scale, fy=scale,
                           interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
        margin = sized.shape[1] // 4
        framed = cv2.copyMakeBorder(
            sized, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=(128, 128, 128)
        )
        seen = detector.detect(np.asarray(framed, dtype=np.uint8))
        if len(seen) > 1 and seen[1].box.area >= limit * seen[0].box.area:
            return False
    return True


def build_cases(
    root: Path,
    video: Path | None,
    per_species: int,
    bona_fide: int,
    seed: int,
    *,
    species: Iterable[str] = SPECIES,
    populations: Iterable[str] = tuple(POPULATIONS),
    engine: str = DEFAULT_ENGINE,
) -> list[PadCase]:
    """Cases drawn from the face folders under ``root`` (one identity per sub-folder);
    ``bona_fide`` cases per population, ``per_species`` per attack species."""
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

    def portraits() -> Iterator[tuple[str, str]]:
        for images in identities:
            frontal = [p for p in images if is_frontal(p, engine)]
            if not frontal:
                continue
            portrait = rng.choice(frontal)
            others = [p for p in images if p != portrait]
            yield portrait, (rng.choice(others) if others else portrait)

    population_names = [p for p in populations if p in POPULATIONS]
    wanted = [s for s in species if s in SPECIES and (s != "replay_video" or video is not None)]
    needed = max(bona_fide * max(1, len(population_names)), per_species, 2)
    pool: list[tuple[str, str]] = []
    for pair in portraits():
        pool.append(pair)
        if len(pool) >= needed:
            break
    if len(pool) < 2:
        raise ValueError("fewer than two usable frontal photos under the root")
    cases: list[PadCase] = []
    index = 0
    for population in population_names:
        for _ in range(bona_fide):
            portrait, card = pool[index % len(pool)]
            cases.append(PadCase(BONA_FIDE, portrait, card, rng.randrange(2**31), population))
            index += 1
    for name in wanted:
        for number in range(per_species):
            portrait, card = pool[(number * 7 + index) % len(pool)]
            other = pool[(number * 7 + index + 1 + len(pool) // 2) % len(pool)][0]
            if name == "replay_video" and video is not None:
                portrait = str(video)
            cases.append(PadCase(name, portrait, card, rng.randrange(2**31), other=other))
        index += 1
    return cases


def _renderer(case: PadCase, card_photo: bytes) -> Renderer:
    rng = random.Random(case.seed)  # noqa: S311 (a seeded, repeatable case)
    if case.species == BONA_FIDE:
        traits = POPULATIONS[case.population]
        if case.population == "weak_eye":
            weak = (rng.uniform(0.15, 0.45), 1.0)
            traits = ResidentTraits(blink_closure=weak if rng.random() < 0.5 else weak[::-1])
        return SyntheticResident(_read_rgb(case.portrait), seed=case.seed, traits=traits)
    if case.species == "still_injection":
        return StillInjection(_read_rgb(case.portrait), seed=case.seed)
    if case.species in ("printed_photo", "screen_photo"):
        medium: Medium = "print" if case.species == "printed_photo" else "screen"
        return HandheldPhoto(_read_rgb(case.portrait), medium=medium, seed=case.seed)
    if case.species == "card_photo":
        grey = decode_card_photo(card_photo)
        enlarged = cv2.resize(grey, None, fx=3, fy=3, interpolation=cv2.INTER_CUBIC)
        return HandheldPhoto(np.repeat(enlarged[:, :, None], 3, axis=2), seed=case.seed)
    if case.species == "paper_mask":
        return PaperMask(_read_rgb(case.portrait), _read_rgb(case.other), seed=case.seed)
    if case.species == "replayed_clip":
        return PreparedClip(_read_rgb(case.portrait), seed=case.seed)
    if case.species == "replay_video":
        start = random.Random(case.seed).uniform(0, 9.0)  # noqa: S311 (seeded)
        return ReplayedVideo(Path(case.portrait), start_s=start, seed=case.seed)
    if case.species == "realtime_puppet":
        return RealTimePuppet(_read_rgb(case.portrait), seed=case.seed)
    raise ValueError(f"unknown species {case.species}")


def simulate(
    check: FaceCheck,
    renderer: Renderer,
    fps: float = 15.0,
    limit_s: float = MAX_SIMULATED_S,
    *,
    depth: bool = False,
) -> FaceCheckResult | None:
    """Drive ``check`` with a presenter on simulated time; None if it never decided.

    The presenter interface (stable; a lab's own media implement it):

    - ``render(t) -> RGB uint8 frame`` (required): what the camera sees at ``t`` seconds;
    - ``observe_prompt(action, t)`` (optional): the prompt on screen from ``t`` on (an
      ``Action``, whose string values are "blink", "turn_left", ... , or None);
    - ``observe_illumination(colour, t)`` (optional): the screen's colour from ``t`` on, sRGB
      0..1, or None for the ordinary screen. A presenter without it is not lit by the screen,
      as a recording or an injected stream is not;
    - ``render_depth(t) -> float32 millimetres`` (optional, used with ``depth=True``): a depth
      camera's frame aligned with ``render(t)``.

    Frames are taken every ``1 / fps`` seconds; what the check asks after the frame at ``t``
    reaches the presenter at ``t``, so it can show from the next frame on.
    """
    render_depth = getattr(renderer, "render_depth", None) if depth else None
    steps = int(limit_s * fps)
    for step in range(steps):
        t = step / fps
        frame = renderer.render(t)
        depth_frame = render_depth(t) if callable(render_depth) else None
        progress = check.feed(frame, t, depth=depth_frame)
        tell_presenter(renderer, progress, t)
        if progress.result is not None:
            return progress.result
    return None


_STATE: dict[str, object] = {}


def _init(config: FaceConfig, fps: float, depth: bool) -> None:
    _STATE["config"], _STATE["fps"], _STATE["depth"] = config, fps, depth
    cv2.setNumThreads(1)


def run_case(case: PadCase) -> PadOutcome:
    config = _STATE.get("config")
    fps = _STATE.get("fps", 15.0)
    depth = bool(_STATE.get("depth", False))
    if not (isinstance(config, FaceConfig) and isinstance(fps, float)):
        raise RuntimeError("run_case before the worker was initialised")
    card_photo = make_card_photo(_read_rgb(case.card_source))
    enrollment = enroll_card_photo(card_photo, load_engine(config.engine))
    try:
        renderer = _renderer(case, card_photo)
    except ValueError:
        # No usable face to animate: a bona fide case that cannot even start counts as an error.
        return PadOutcome(case.species, case.population, False, False, "no_face_in_source",
                          0.0, None)
    check = FaceCheck(enrollment=enrollment, config=config,
                      rng=random.Random(case.seed))  # noqa: S311 (a seeded, repeatable case)
    result = simulate(check, renderer, fps, depth=depth)
    if result is None:
        return PadOutcome(case.species, case.population, False, False, "undecided",
                          MAX_SIMULATED_S, None)
    failure = result.liveness.failure
    return PadOutcome(
        case.species,
        case.population,
        result.liveness.passed,
        result.passed,
        None if failure is None else str(failure),
        result.seconds,
        result.match_seconds,
        dict(result.liveness.cues),
        result.liveness.score,
        result.liveness.retries,
        tuple(str(a) for a in result.liveness.actions),
        result.liveness.completed,
    )


def evaluate_pad(
    cases: list[PadCase],
    config: FaceConfig,
    *,
    fps: float = 15.0,
    workers: int | None = None,
    depth: bool = False,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> PadReport:
    """Run every case; ``progress(done, total)`` is told after each one, in case order."""
    count = workers or min(2, os.cpu_count() or 1)
    outcomes: list[PadOutcome] = []

    def collect(results: Iterable[PadOutcome]) -> None:
        for outcome in results:
            outcomes.append(outcome)
            if progress is not None:
                progress(len(outcomes), len(cases))

    if count <= 1:
        _init(config, fps, depth)
        collect(run_case(case) for case in cases)
    else:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            count, mp_context=context, initializer=_init, initargs=(config, fps, depth)
        ) as pool:
            collect(pool.map(run_case, cases))
    return PadReport(outcomes, seed=seed, fps=fps, depth=depth)


def format_pad_report(report: PadReport) -> Iterable[str]:
    yield f"seed {report.seed}, {report.fps:g} analysed frames/s, depth camera: {report.depth}"
    for species, rate in report.apcer().items():
        note = "  (out of scope: reference)" if species in OUT_OF_SCOPE else ""
        yield f"APCER {species:16s} {rate.text()}{note}"
    yield f"BPCER {BONA_FIDE:16s} {report.bpcer().text()}"
    for name, rate in report.bpcer_per_population().items():
        yield f"  BPCER {name:14s} {rate.text()}"
    passed = report.whole_check_passed(BONA_FIDE)
    yield f"bona fide whole check passed (liveness + match): {passed}"
    for key, value in report.timing().items():
        yield f"timing {key}: {value}"
    for species, reasons in report.failures().items():
        yield f"rejections {species}: {reasons}"
    for species, cues in report.cue_medians().items():
        yield f"cue medians {species}: {cues}"
