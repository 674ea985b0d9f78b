"""Verification benchmark over a pairs file (``kiosk face-eval``), reported as a test lab would.

Pairs file: CSV with at least ``label`` (genuine/impostor), ``enroll`` and ``probe`` (paths
relative to the root folder, one identity per folder); other columns are ignored. Each enroll
image is made into a card photo exactly as the card holds it (``make_card_photo``: 160 px
greyscale JPEG 2000, cut around the face nearest the image centre) and decoded again; each
probe image plays the live frame (its face nearest the image centre). In LFW-style data the
labelled person is the central face, a bystander may be larger. Encodings are computed once
per image, in worker processes, by the configured engine.

One live image per decision by default. With ``frames=K`` the live side is the probe and K-1
near-identical copies of it (sensor noise and a sub-pixel shift, as consecutive frames of one
steady session differ), never other photos of the person.

Genuine scores: the listed genuine pairs. Impostor scores: the listed impostor pairs, or with
``extended`` every card photo against every live image of every other identity.

Figures: EER; FRR at FAR 0.1 % and 0.01 % (threshold swept); FAR and FRR at the engine's
operating threshold with 90 % intervals. Scores of one identity are not independent (one card
photo meets hundreds of live images), so each interval is the wider of the exact binomial
(Clopper-Pearson) interval and a bootstrap over identities (identities resampled with
replacement, all their comparisons with them). ``calibrate_threshold`` picks the largest
threshold whose FAR upper 90 % bound stays at or below the target; ``--holdout`` calibrates on
one half of the identities and measures on the other (both ways round).
"""

from __future__ import annotations

import csv
import hashlib
import math
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.card_photo import make_card_photo
from kiosk.face_match.config import EngineConfig, FaceConfig
from kiosk.face_match.engine import Embedding, FaceEngine, Image, load_engine
from kiosk.face_match.matching import central_face, encode_live, enroll_card_photo, fuse

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
FAR_TARGETS = (0.001, 0.0001)
OPERATING_FAR_TARGET = 0.0001
CONFIDENCE = 0.90
BOOTSTRAP_ROUNDS = 400
BOOTSTRAP_SEED = 20261203

Scores = npt.NDArray[np.float64]


class EvaluationError(ValueError):
    """The pairs file or an image cannot be used."""


@dataclass(frozen=True, slots=True)
class Pair:
    genuine: bool
    enroll: str
    probe: str


def load_pairs(path: Path) -> list[Pair]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise EvaluationError(f"cannot read pairs file: {error}") from error
    pairs: list[Pair] = []
    for number, row in enumerate(rows, start=2):
        label = (row.get("label") or "").strip().lower()
        enroll, probe = (row.get("enroll") or "").strip(), (row.get("probe") or "").strip()
        if label not in ("genuine", "impostor") or not enroll or not probe:
            raise EvaluationError(f"pairs file line {number}: needs label, enroll and probe")
        if Path(enroll).is_absolute() or Path(probe).is_absolute() or ".." in (enroll + probe):
            raise EvaluationError(f"pairs file line {number}: paths must be inside the root")
        pairs.append(Pair(label == "genuine", enroll, probe))
    if not pairs:
        raise EvaluationError("pairs file has no pairs")
    return pairs


def read_rgb(path: Path) -> Image:
    data = np.fromfile(path, dtype=np.uint8) if path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise EvaluationError(f"cannot read image {path.name}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


# --- probe conditions: photometric changes one can generate honestly -------------------------


def _low_light(image: Image, rng: np.random.Generator) -> Image:
    """A quarter of the light, then the camera's gain: dark, noisy, quantised."""
    dark = np.floor(image.astype(np.float64) * 0.25)
    noisy = dark + rng.normal(0, 1.5, image.shape)
    return np.asarray(np.clip(noisy * 3.0, 0, 255), dtype=np.uint8)


def _side_light(image: Image, rng: np.random.Generator) -> Image:
    """Strong light from one side: brightness falls from 1.3x to 0.3x across the image."""
    width = image.shape[1]
    ramp = np.linspace(1.3, 0.3, width)[None, :, None]
    if rng.random() < 0.5:
        ramp = ramp[:, ::-1]
    return np.asarray(np.clip(image.astype(np.float64) * ramp, 0, 255), dtype=np.uint8)


def _blur(image: Image, rng: np.random.Generator) -> Image:
    """Slight defocus or motion (Gaussian, sigma 1.5 px on a 250 px image)."""
    return np.asarray(cv2.GaussianBlur(image, (0, 0), 1.5), dtype=np.uint8)


def _noise(image: Image, rng: np.random.Generator) -> Image:
    """A cheap sensor: Gaussian noise, sigma 8 grey levels."""
    return np.asarray(
        np.clip(image.astype(np.float64) + rng.normal(0, 8, image.shape), 0, 255), dtype=np.uint8
    )


def _small_face(image: Image, rng: np.random.Generator) -> Image:
    """Half the resolution (a resident further away), scaled back up."""
    height, width = image.shape[:2]
    small = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    return np.asarray(cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR), np.uint8)


def _grey(image: Image, rng: np.random.Generator) -> Image:
    """A greyscale (or infrared-like, colourless) live image."""
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB), dtype=np.uint8)


CONDITIONS: dict[str, Callable[[Image, np.random.Generator], Image]] = {
    "low_light": _low_light,
    "side_light": _side_light,
    "blur": _blur,
    "noise": _noise,
    "small_face": _small_face,
    "greyscale": _grey,
}


def session_frame(image: Image, rng: np.random.Generator) -> Image:
    """Another frame of the same steady session: sensor noise and a sub-pixel shift."""
    shift = rng.uniform(-0.7, 0.7, 2)
    matrix = np.array([[1.0, 0.0, shift[0]], [0.0, 1.0, shift[1]]])
    moved = cv2.warpAffine(image, matrix, (image.shape[1], image.shape[0]),
                           borderMode=cv2.BORDER_REPLICATE)
    noisy = moved.astype(np.float64) + rng.normal(0, 2.0, image.shape)
    return np.asarray(np.clip(noisy, 0, 255), dtype=np.uint8)


# --- encoding the images (worker processes) ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Job:
    path: str
    card: bool
    live: bool


@dataclass(slots=True)
class _Result:
    path: str
    card: Embedding | None = None
    card_face_detected: bool = False
    live: Embedding | None = None  # mean of ``frames`` session frames
    conditions: dict[str, Embedding | None] = field(default_factory=dict)
    detect_seconds: list[float] = field(default_factory=list)
    encode_seconds: list[float] = field(default_factory=list)
    encode_wall_seconds: list[float] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Setup:
    engine: str
    settings: EngineConfig
    frames: int
    conditions: tuple[str, ...]


_WORKER: dict[str, object] = {}


def _init_worker(setup: _Setup) -> None:
    cv2.setNumThreads(1)
    _WORKER["setup"] = setup
    _WORKER["engine"] = load_engine(setup.engine)


def _seed(path: str) -> int:
    return int.from_bytes(hashlib.sha256(path.encode()).digest()[:8], "big")


def _live_encoding(
    engine: FaceEngine, settings: EngineConfig, image: Image, result: _Result
) -> Embedding | None:
    # CPU time of this thread (OpenCV runs single-threaded in the workers): steady on a
    # machine shared with other work, where wall-clock time measures the neighbours.
    started, wall = time.thread_time(), time.perf_counter()
    face = central_face(engine.detect(image), image.shape[1], image.shape[0])
    result.detect_seconds.append(time.thread_time() - started)
    if face is None:
        return None
    started, wall = time.thread_time(), time.perf_counter()
    encoding = encode_live(image, face, engine, settings)
    result.encode_seconds.append(time.thread_time() - started)
    result.encode_wall_seconds.append(time.perf_counter() - wall)
    return encoding


def _encode_image(job: _Job) -> _Result:
    setup = _WORKER["setup"]
    engine = _WORKER["engine"]
    if not isinstance(setup, _Setup):
        raise TypeError("the evaluation worker was not set up")
    image = read_rgb(Path(job.path))
    result = _Result(job.path)
    if job.card:
        # The card shows the labelled person: the face nearest the centre, as on the live side.
        card_photo = make_card_photo(image, central=True)
        enrollment = enroll_card_photo(card_photo, engine)  # type: ignore[arg-type]
        result.card, result.card_face_detected = enrollment.encoding, enrollment.face_detected
    if job.live:
        rng = np.random.default_rng(_seed(Path(job.path).name))
        frames = [image] + [session_frame(image, rng) for _ in range(setup.frames - 1)]
        encodings = [_live_encoding(engine, setup.settings, f, result) for f in frames]  # type: ignore[arg-type]
        found = [e for e in encodings if e is not None]
        result.live = fuse(found) if found else None
        for name in setup.conditions:
            changed = CONDITIONS[name](image, rng)
            result.conditions[name] = _live_encoding(engine, setup.settings, changed, result)  # type: ignore[arg-type]
    return result


def _run_jobs(jobs: list[_Job], setup: _Setup, workers: int | None) -> list[_Result]:
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1 or len(jobs) < 8:
        _init_worker(setup)
        return [_encode_image(job) for job in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_init_worker, initargs=(setup,)
    ) as pool:
        return list(pool.map(_encode_image, jobs, chunksize=4))


# --- error rates, intervals, calibration ------------------------------------------------------


def error_rates(genuine: Scores, impostor: Scores, threshold: float) -> tuple[float, float]:
    """(FAR, FRR) when distances below ``threshold`` are accepted."""
    far = float(np.mean(impostor < threshold)) if impostor.size else 0.0
    frr = float(np.mean(genuine >= threshold)) if genuine.size else 0.0
    return far, frr


def equal_error_rate(genuine: Scores, impostor: Scores) -> tuple[float, float]:
    """(EER, threshold) where FAR and FRR cross (sorted sweep, O(n log n))."""
    candidates = np.unique(np.concatenate([genuine, impostor]))
    candidates = candidates[np.isfinite(candidates)]
    if candidates.size == 0 or genuine.size == 0 or impostor.size == 0:
        return 1.0, 0.0
    sorted_genuine, sorted_impostor = np.sort(genuine), np.sort(impostor)
    far = np.searchsorted(sorted_impostor, candidates, side="left") / impostor.size
    frr = 1 - np.searchsorted(sorted_genuine, candidates, side="left") / genuine.size
    best = int(np.argmin(np.abs(far - frr)))
    return float((far[best] + frr[best]) / 2), float(candidates[best])


def frr_at_far(genuine: Scores, impostor: Scores, target: float) -> tuple[float, float]:
    """(FRR, threshold) at the largest threshold whose FAR does not exceed ``target``."""
    ordered = np.sort(impostor[np.isfinite(impostor)])
    allowed = int(np.floor(target * impostor.size))  # impostors that may be accepted
    threshold = float(ordered[allowed]) if allowed < ordered.size else float("inf")
    _, frr = error_rates(genuine, impostor, threshold)
    return frr, threshold


def _beta_quantile(q: float, a: float, b: float) -> float:
    """Quantile of the Beta(a, b) distribution (bisection on the regularised incomplete beta,
    by continued fraction; enough for interval bounds)."""
    if q <= 0:
        return 0.0
    if q >= 1:
        return 1.0
    low, high = 0.0, 1.0
    for _ in range(80):
        middle = (low + high) / 2
        if _beta_cdf(middle, a, b) < q:
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _beta_cdf(x: float, a: float, b: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = (
        math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    )
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    tiny = 1e-300
    c, d = 1.0, 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    result = d
    for m in range(1, 300):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + numerator / c
            c = c if abs(c) > tiny else tiny
            result *= d * c
        if abs(d * c - 1.0) < 1e-12:
            break
    return result


def clopper_pearson(
    errors: int, trials: int, confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Exact binomial interval for ``errors`` out of ``trials``."""
    if trials <= 0:
        return 0.0, 1.0
    alpha = 1 - confidence
    low = 0.0 if errors == 0 else _beta_quantile(alpha / 2, errors, trials - errors + 1)
    high = 1.0 if errors == trials else _beta_quantile(1 - alpha / 2, errors + 1, trials - errors)
    return low, high


@dataclass(frozen=True, slots=True)
class ScoreSet:
    """Genuine and impostor distances with the identities behind each (for the bootstrap)."""

    genuine: Scores
    genuine_identity: npt.NDArray[np.int64]
    impostor: Scores
    impostor_card_identity: npt.NDArray[np.int64]
    impostor_live_identity: npt.NDArray[np.int64]
    identities: int

    def subset(self, keep: npt.NDArray[np.bool_]) -> ScoreSet:
        """Only the scores whose identities are all in ``keep`` (indexed by identity)."""
        genuine = keep[self.genuine_identity]
        impostor = keep[self.impostor_card_identity] & keep[self.impostor_live_identity]
        return ScoreSet(
            self.genuine[genuine],
            self.genuine_identity[genuine],
            self.impostor[impostor],
            self.impostor_card_identity[impostor],
            self.impostor_live_identity[impostor],
            self.identities,
        )


@cache
def _bootstrap_weights(identities: int, rounds: int) -> npt.NDArray[np.float64]:
    """How often each identity is drawn in each bootstrap round (fixed seed: reproducible)."""
    rng = np.random.default_rng(BOOTSTRAP_SEED)
    draws = rng.integers(0, identities, size=(rounds, identities))
    offsets = (np.arange(rounds) * identities)[:, None]
    counts = np.bincount((draws + offsets).ravel(), minlength=rounds * identities)
    return counts.reshape(rounds, identities).astype(np.float64)


def rate_intervals(
    scores: ScoreSet, threshold: float, rounds: int = BOOTSTRAP_ROUNDS
) -> tuple[tuple[float, float], tuple[float, float]]:
    """90 % intervals of (FAR, FRR) at ``threshold`` (see the module docstring)."""
    n = scores.identities
    weights = _bootstrap_weights(n, rounds)
    low_q, high_q = 100 * (1 - CONFIDENCE) / 2, 100 * (1 + CONFIDENCE) / 2
    accepted = scores.impostor < threshold
    pair_index = scores.impostor_card_identity * n + scores.impostor_live_identity
    comparisons = np.bincount(pair_index, minlength=n * n).reshape(n, n).astype(np.float64)
    accepted_matrix = (
        np.bincount(pair_index[accepted], minlength=n * n).reshape(n, n).astype(np.float64)
    )
    far_num = np.einsum("bi,ij,bj->b", weights, accepted_matrix, weights)
    far_den = np.einsum("bi,ij,bj->b", weights, comparisons, weights)
    far_boot = far_num / np.maximum(far_den, 1.0)
    rejected = scores.genuine >= threshold
    genuine_count = np.bincount(scores.genuine_identity, minlength=n).astype(np.float64)
    rejected_count = np.bincount(
        scores.genuine_identity[rejected], minlength=n
    ).astype(np.float64)
    frr_boot = (weights @ rejected_count) / np.maximum(weights @ genuine_count, 1.0)
    far_exact = clopper_pearson(int(accepted.sum()), int(scores.impostor.size))
    frr_exact = clopper_pearson(int(rejected.sum()), int(scores.genuine.size))
    far = (
        min(far_exact[0], float(np.percentile(far_boot, low_q))),
        max(far_exact[1], float(np.percentile(far_boot, high_q))),
    )
    frr = (
        min(frr_exact[0], float(np.percentile(frr_boot, low_q))),
        max(frr_exact[1], float(np.percentile(frr_boot, high_q))),
    )
    return far, frr


def can_calibrate(impostors: int, target: float = OPERATING_FAR_TARGET) -> bool:
    """Whether this many impostor pairs can show FAR <= ``target`` at all (the upper bound
    with no impostor accepted is below it: about 30,000 pairs for 0.01 %)."""
    return impostors > 0 and clopper_pearson(0, impostors)[1] <= target


def calibrate_threshold(
    scores: ScoreSet, target: float = OPERATING_FAR_TARGET, decimals: int = 3
) -> float:
    """The largest threshold (rounded down to ``decimals``) whose FAR upper 90 % bound is at
    most ``target``."""
    ordered = np.sort(scores.impostor[np.isfinite(scores.impostor)])
    if ordered.size == 0:
        raise EvaluationError("no impostor scores to calibrate on")
    step = 10.0**-decimals
    best = math.floor(float(ordered[0]) / step) * step
    # Candidates: just below each of the lowest impostor scores, up to a few times the target.
    for k in range(1, min(ordered.size, int(4 * target * ordered.size) + 8)):
        candidate = math.floor(float(ordered[k]) / step) * step
        if candidate <= best:
            continue
        (_, far_high), _ = rate_intervals(scores, candidate)
        if far_high > target:
            break
        best = candidate
    return round(best, decimals)


# --- the evaluation ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holdout:
    """Threshold calibrated on one half of the identities, figures on the other half."""

    calibration_identities: int
    test_identities: int
    threshold: float
    far: float
    far_interval_90: tuple[float, float]
    frr: float
    frr_interval_90: tuple[float, float]
    genuine_pairs: int
    impostor_pairs: int
    frr_at_far_0_1pct: float
    frr_at_far_0_01pct: float


@dataclass(frozen=True, slots=True)
class VerificationReport:
    engine: str
    model_version: str
    threshold: float
    far: float
    far_interval_90: tuple[float, float]
    frr: float
    frr_interval_90: tuple[float, float]
    eer: float
    eer_threshold: float
    frr_at_far_0_1pct: float
    threshold_at_far_0_1pct: float
    frr_at_far_0_01pct: float
    threshold_at_far_0_01pct: float
    calibrated_threshold: float | None  # this data's threshold by the shipped rule
    genuine_pairs: int
    impostor_pairs: int
    identities: int
    images: int
    frames_per_decision: int
    ms_per_encoding: float  # CPU time of one live encoding (alignment + SFace, mirror included)
    ms_per_encoding_wall: float  # wall-clock time of the same (includes other work's load)
    ms_per_detection: float  # CPU time of one detection on the whole image
    failures_to_acquire: int
    card_faces_missed: int
    extended: bool
    conditions_frr: dict[str, float]
    holdout: list[Holdout]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _identity(relative: str) -> str:
    return str(Path(relative).parent)


def _half(identity: str) -> bool:
    """A fixed, data-independent split of identities into two halves (by name hash)."""
    return hashlib.sha256(identity.encode()).digest()[0] % 2 == 0


def evaluate_pairs(
    pairs: list[Pair],
    root: Path,
    config: FaceConfig,
    *,
    frames: int | None = None,
    extended: bool = False,
    workers: int | None = None,
    conditions: Iterable[str] = (),
    holdout: bool = False,
) -> VerificationReport:
    frames = config.matching.frames if frames is None else frames
    if frames < 1:
        raise EvaluationError("frames must be at least 1")
    conditions = tuple(conditions)
    unknown = [c for c in conditions if c not in CONDITIONS]
    if unknown:
        raise EvaluationError(f"unknown conditions {unknown} (known: {sorted(CONDITIONS)})")
    root = root.resolve()
    wanted: dict[str, tuple[bool, bool]] = {}

    def want(relative: str, card: bool, live: bool) -> None:
        old = wanted.get(relative, (False, False))
        wanted[relative] = (old[0] or card, old[1] or live)

    for pair in pairs:
        want(pair.enroll, True, extended)
        want(pair.probe, extended, True)
    for relative in wanted:
        if not (root / relative).is_file():
            raise EvaluationError(f"missing image {relative}")
    engine = load_engine(config.engine)
    setup = _Setup(config.engine, config.engine_settings, frames, conditions)
    jobs = [_Job(str(root / rel), card, live) for rel, (card, live) in wanted.items()]
    results = _run_jobs(jobs, setup, workers)
    by_path = {Path(r.path).relative_to(root).as_posix(): r for r in results}
    names = sorted({_identity(p) for p in by_path})
    index = {name: number for number, name in enumerate(names)}

    def pair_score(card: Embedding | None, live: Embedding | None) -> float:
        if card is None or live is None:
            return float("inf")  # a missing face is never accepted
        return engine.distance(card, live)

    genuine_pairs = [p for p in pairs if p.genuine]
    genuine = np.array(
        [pair_score(by_path[p.enroll].card, by_path[p.probe].live) for p in genuine_pairs]
    )
    genuine_identity = np.array([index[_identity(p.probe)] for p in genuine_pairs], np.int64)
    if extended:
        impostor, card_id, live_id = _all_cross_identity(engine, by_path, index)
    else:
        listed = [p for p in pairs if not p.genuine]
        impostor = np.array(
            [pair_score(by_path[p.enroll].card, by_path[p.probe].live) for p in listed]
        )
        card_id = np.array([index[_identity(p.enroll)] for p in listed], np.int64)
        live_id = np.array([index[_identity(p.probe)] for p in listed], np.int64)
    scores = ScoreSet(genuine, genuine_identity, impostor, card_id, live_id, len(names))

    threshold = config.engine_settings.threshold
    far, frr = error_rates(genuine, impostor, threshold)
    far_interval, frr_interval = rate_intervals(scores, threshold)
    eer, eer_threshold = equal_error_rate(genuine, impostor)
    frr_1, threshold_1 = frr_at_far(genuine, impostor, FAR_TARGETS[0])
    frr_01, threshold_01 = frr_at_far(genuine, impostor, FAR_TARGETS[1])
    conditions_frr = {}
    for name in conditions:
        changed = np.array(
            [pair_score(by_path[p.enroll].card, by_path[p.probe].conditions.get(name))
             for p in genuine_pairs]
        )
        conditions_frr[name] = error_rates(changed, np.zeros(0), threshold)[1]
    halves = []
    if holdout:
        in_first = np.array([_half(name) for name in names])
        for calibration_half in (in_first, ~in_first):
            calibration = scores.subset(calibration_half)
            test = scores.subset(~calibration_half)
            if not can_calibrate(calibration.impostor.size) or test.genuine.size == 0:
                continue  # too few comparisons in a half to calibrate on
            chosen = calibrate_threshold(calibration)
            test_far, test_frr = error_rates(test.genuine, test.impostor, chosen)
            test_far_interval, test_frr_interval = rate_intervals(test, chosen)
            halves.append(
                Holdout(
                    calibration_identities=int(calibration_half.sum()),
                    test_identities=int((~calibration_half).sum()),
                    threshold=chosen,
                    far=test_far,
                    far_interval_90=test_far_interval,
                    frr=test_frr,
                    frr_interval_90=test_frr_interval,
                    genuine_pairs=int(test.genuine.size),
                    impostor_pairs=int(test.impostor.size),
                    frr_at_far_0_1pct=frr_at_far(test.genuine, test.impostor, FAR_TARGETS[0])[0],
                    frr_at_far_0_01pct=frr_at_far(test.genuine, test.impostor, FAR_TARGETS[1])[0],
                )
            )
    encode_times = [s for r in results for s in r.encode_seconds]
    wall_times = [s for r in results for s in r.encode_wall_seconds]
    detect_times = [s for r in results for s in r.detect_seconds]
    return VerificationReport(
        engine=config.engine,
        model_version=engine.model_version,
        threshold=threshold,
        far=far,
        far_interval_90=far_interval,
        frr=frr,
        frr_interval_90=frr_interval,
        eer=eer,
        eer_threshold=eer_threshold,
        frr_at_far_0_1pct=frr_1,
        threshold_at_far_0_1pct=threshold_1,
        frr_at_far_0_01pct=frr_01,
        threshold_at_far_0_01pct=threshold_01,
        calibrated_threshold=(
            calibrate_threshold(scores) if can_calibrate(impostor.size) else None
        ),
        genuine_pairs=int(genuine.size),
        impostor_pairs=int(impostor.size),
        identities=len(names),
        images=len(results),
        frames_per_decision=frames,
        ms_per_encoding=1000 * float(np.mean(encode_times)) if encode_times else 0.0,
        ms_per_encoding_wall=1000 * float(np.mean(wall_times)) if wall_times else 0.0,
        ms_per_detection=1000 * float(np.mean(detect_times)) if detect_times else 0.0,
        failures_to_acquire=sum(
            1 for rel, r in by_path.items() if wanted[rel][1] and r.live is None
        ),
        card_faces_missed=sum(
            1 for r in results if r.card is not None and not r.card_face_detected
        ),
        extended=extended,
        conditions_frr=conditions_frr,
        holdout=halves,
    )


def _all_cross_identity(
    engine: FaceEngine, by_path: dict[str, _Result], index: dict[str, int]
) -> tuple[Scores, npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every card encoding against every live image of every other identity."""
    ordered = sorted(by_path.items())
    cards = [(index[_identity(p)], r.card) for p, r in ordered if r.card is not None]
    lives = [(index[_identity(p)], r.live) for p, r in ordered if r.live is not None]
    if not cards or not lives:
        empty = np.zeros(0, np.int64)
        return np.zeros(0), empty, empty
    card_id = np.array([c for c, _ in cards], np.int64)
    live_id = np.array([i for i, _ in lives], np.int64)
    matrix = engine.distance_matrix(
        np.stack([np.asarray(e, np.float64) for _, e in cards]),
        np.stack([np.asarray(e, np.float64) for _, e in lives]),
    )
    cross = card_id[:, None] != live_id[None, :]
    rows, cols = np.nonzero(cross)
    # Live images with no face (failures to acquire) are left out of the impostor count, which
    # can only raise the FAR estimate.
    return matrix[rows, cols], card_id[rows], live_id[cols]


def _percent(value: float) -> str:
    return f"{100 * value:.3f} %"


def _interval(pair: tuple[float, float]) -> str:
    return f"[{100 * pair[0]:.4f}, {100 * pair[1]:.4f}] %"


def format_report(report: VerificationReport) -> Iterable[str]:
    yield f"engine {report.engine} ({report.model_version})"
    yield (
        f"identities {report.identities}, images {report.images}, genuine pairs "
        f"{report.genuine_pairs}, impostor pairs {report.impostor_pairs} "
        f"({'all cross-identity' if report.extended else 'listed'}), "
        f"{report.frames_per_decision} live image(s) per decision"
    )
    yield f"EER {_percent(report.eer)} (threshold {report.eer_threshold:.4f})"
    yield (
        f"FRR at FAR 0.1 %: {_percent(report.frr_at_far_0_1pct)} (threshold "
        f"{report.threshold_at_far_0_1pct:.4f})"
    )
    yield (
        f"FRR at FAR 0.01 %: {_percent(report.frr_at_far_0_01pct)} (threshold "
        f"{report.threshold_at_far_0_01pct:.4f})"
    )
    yield (
        f"operating point {report.threshold:.4f}: FAR {_percent(report.far)} "
        f"(90 % {_interval(report.far_interval_90)}), FRR {_percent(report.frr)} "
        f"(90 % {_interval(report.frr_interval_90)})"
    )
    if report.calibrated_threshold is not None:
        yield (
            f"threshold this data calibrates (FAR upper 90 % bound <= 0.01 %): "
            f"{report.calibrated_threshold:.4f}"
        )
    for half in report.holdout:
        yield (
            f"held out: calibrated on {half.calibration_identities} identities -> "
            f"{half.threshold:.4f}; on the other {half.test_identities}: FAR {_percent(half.far)}"
            f" (90 % {_interval(half.far_interval_90)}), FRR {_percent(half.frr)} (90 % "
            f"{_interval(half.frr_interval_90)}); FRR at FAR 0.1 % "
            f"{_percent(half.frr_at_far_0_1pct)}, at 0.01 % {_percent(half.frr_at_far_0_01pct)}"
        )
    for name, value in report.conditions_frr.items():
        yield f"FRR at the operating point, probes with {name}: {_percent(value)}"
    yield (
        f"ms per encoding {report.ms_per_encoding:.1f} CPU ({report.ms_per_encoding_wall:.1f} "
        f"wall-clock), per detection {report.ms_per_detection:.1f} CPU"
    )
    yield f"live images with no face found: {report.failures_to_acquire}"
    yield f"card photos with no face found (centred face assumed): {report.card_faces_missed}"

