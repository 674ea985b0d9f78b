"""Verification benchmark over a pairs file (``kiosk face-eval``).

Pairs file: CSV with at least ``label`` (genuine/impostor), ``enroll`` and ``probe`` (paths
relative to the root folder); other columns are ignored. Each enroll image is first made into a
card photo exactly as the card holds it (``make_card_photo``) and decoded again; each probe image
plays a live frame. Encodings are computed once per image, in worker processes.

"Several good frames": with ``frames=K`` the live side of a pair is the probe image plus up to
K-1 other images of the probe's identity (same folder; never the enroll image), fused and decided
exactly as the kiosk does (mean encoding, threshold from the frames' spread: ``matching.decide``).
Different photos are the most varied frames a session could give; the report also gives the
"session" figures for near-identical frames (the probe alone, spread 0), the other end. With
``extended`` the impostor scores are all cross-identity (card photo, live set) combinations
instead of only the listed impostor pairs, for a tighter FAR estimate.

EER and "FRR at FAR 0.1 %" sweep one threshold over the fused distance; FAR and FRR are those of
the operating rule.
"""

from __future__ import annotations

import csv
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from kiosk.face_match.card_photo import make_card_photo
from kiosk.face_match.config import MatchingConfig
from kiosk.face_match.detection import FaceBox, detect_faces
from kiosk.face_match.encoding import Encoding
from kiosk.face_match.matching import (
    decision_threshold,
    encode_live,
    enroll_card_photo,
    frame_spread,
    fuse,
)

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp"}
FAR_TARGET = 0.001


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
        pairs.append(Pair(label == "genuine", enroll, probe))
    if not pairs:
        raise EvaluationError("pairs file has no pairs")
    return pairs


def _read_rgb(path: Path) -> npt.NDArray[np.uint8]:
    data = np.fromfile(path, dtype=np.uint8) if path.is_file() else None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
    if image is None:
        raise EvaluationError(f"cannot read image {path.name}")
    return np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)


def _central_face(image: npt.NDArray[np.uint8]) -> FaceBox | None:
    """The face nearest the image centre (LFW's labelled face is the central one)."""
    faces = detect_faces(image, upsample=1)
    if not faces:
        return None
    height, width = image.shape[:2]
    return min(
        faces,
        key=lambda b: (b.centre[0] - width / 2) ** 2 + (b.centre[1] - height / 2) ** 2,
    )


@dataclass(frozen=True, slots=True)
class _ImageJob:
    path: str
    card: bool
    live: bool


@dataclass(slots=True)
class _ImageResult:
    path: str
    card: Encoding | None
    live: Encoding | None
    seconds: float
    encodings: int
    card_face_detected: bool


_WORKER_STATE: dict[str, MatchingConfig] = {}


def _init_worker(config: MatchingConfig) -> None:
    _WORKER_STATE["config"] = config
    cv2.setNumThreads(1)


def _encode_image(job: _ImageJob) -> _ImageResult:
    config = _WORKER_STATE.get("config", MatchingConfig())
    image = _read_rgb(Path(job.path))
    started = time.perf_counter()
    card: Encoding | None = None
    live: Encoding | None = None
    detected = False
    count = 0
    if job.card:
        enrollment = enroll_card_photo(make_card_photo(image), config)
        card, detected = enrollment.encoding, enrollment.face_detected
        count += 1
    if job.live:
        box = _central_face(image)
        if box is not None:
            live = encode_live(image, box, config)
            count += 1
    return _ImageResult(job.path, card, live, time.perf_counter() - started, count, detected)


@dataclass(frozen=True, slots=True)
class VerificationReport:
    threshold: float
    varied_threshold: float
    spread_reference: float
    far: float
    frr: float
    eer: float
    eer_threshold: float
    frr_at_far_0_1pct: float
    threshold_at_far_0_1pct: float
    pairs: int
    genuine_pairs: int
    impostor_comparisons: int
    images: int
    frames_per_decision: int
    genuine_spread_p10: float
    session_far: float
    session_frr: float
    session_frr_at_far_0_1pct: float
    session_threshold_at_far_0_1pct: float
    ms_per_encoding: float
    failures_to_encode: int
    card_faces_missed: int
    extended: bool

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def error_rates(
    genuine: npt.NDArray[np.float64],
    impostor: npt.NDArray[np.float64],
    threshold: float | npt.NDArray[np.float64],
    impostor_threshold: float | npt.NDArray[np.float64] | None = None,
) -> tuple[float, float]:
    """(FAR, FRR) when scores below the threshold are accepted (one threshold, or one per
    score: ``threshold`` for the genuine scores, ``impostor_threshold`` for the impostors)."""
    impostor_threshold = threshold if impostor_threshold is None else impostor_threshold
    far = float(np.mean(impostor < impostor_threshold)) if impostor.size else 0.0
    frr = float(np.mean(genuine >= threshold)) if genuine.size else 0.0
    return far, frr


def equal_error_rate(
    genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64]
) -> tuple[float, float]:
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


def frr_at_far(
    genuine: npt.NDArray[np.float64], impostor: npt.NDArray[np.float64], target: float
) -> tuple[float, float]:
    """(FRR, threshold) at the largest threshold whose FAR does not exceed ``target``."""
    ordered = np.sort(impostor[np.isfinite(impostor)])
    allowed = int(np.floor(target * impostor.size))  # impostors that may be accepted
    threshold = float(ordered[allowed]) if allowed < ordered.size else float("inf")
    _, frr = error_rates(genuine, impostor, threshold)
    return frr, threshold


def _identity_folder(relative: str) -> str:
    return str(Path(relative).parent)


def evaluate_pairs(
    pairs: list[Pair],
    root: Path,
    config: MatchingConfig,
    *,
    frames: int | None = None,
    extended: bool = False,
    workers: int | None = None,
) -> VerificationReport:
    frames = config.frames if frames is None else frames
    if frames < 1:
        raise EvaluationError("frames must be at least 1")
    root = root.resolve()
    folders: dict[str, list[str]] = defaultdict(list)
    wanted: dict[str, tuple[bool, bool]] = {}

    def want(relative: str, card: bool, live: bool) -> None:
        old = wanted.get(relative, (False, False))
        wanted[relative] = (old[0] or card, old[1] or live)

    for pair in pairs:
        want(pair.enroll, True, extended)
        want(pair.probe, extended, True)
    if frames > 1 or extended:
        for relative in list(wanted):
            folder = _identity_folder(relative)
            if folder in folders:
                continue
            directory = root / folder
            if not directory.is_dir():
                raise EvaluationError(f"missing folder {folder}")
            siblings = sorted(
                str(p.relative_to(root))
                for p in directory.iterdir()
                if p.suffix.lower() in IMAGE_SUFFIXES
            )
            folders[folder] = siblings
            for sibling in siblings:
                want(sibling, extended, True)
    jobs = [_ImageJob(str(root / rel), card, live) for rel, (card, live) in wanted.items()]
    results = _run_jobs(jobs, config, workers)
    by_path = {Path(r.path).relative_to(root).as_posix(): r for r in results}

    def live_set(probe: str, exclude: str, frame_count: int) -> list[Encoding]:
        chosen = [probe]
        if frame_count > 1:
            others = [s for s in folders[_identity_folder(probe)] if s not in (probe, exclude)]
            chosen += others[: frame_count - 1]
        encodings = [by_path[c].live for c in chosen]
        return [e for e in encodings if e is not None]

    def score(card: Encoding | None, live: list[Encoding]) -> tuple[float, float]:
        """(fused distance, spread of the live encodings); a missing face is never accepted."""
        if card is None or not live:
            return float("inf"), 0.0
        return float(np.linalg.norm(card - fuse(live))), frame_spread(live)

    def scores(frame_count: int) -> tuple[_Scores, _Scores]:
        genuine = _Scores()
        impostor = _Scores()
        for pair in pairs:
            live = live_set(pair.probe, pair.enroll, frame_count)
            (genuine if pair.genuine else impostor).add(*score(by_path[pair.enroll].card, live))
        if extended:
            impostor = _all_cross_identity(by_path, folders, frame_count)
        return genuine, impostor

    genuine, impostor = scores(frames)
    session_genuine, session_impostor = (genuine, impostor) if frames == 1 else scores(1)
    far, frr = genuine.error_rates(impostor, config)
    session_far, session_frr = session_genuine.error_rates(session_impostor, config)
    eer, eer_threshold = equal_error_rate(genuine.distances, impostor.distances)
    frr_target, threshold_target = frr_at_far(genuine.distances, impostor.distances, FAR_TARGET)
    session_frr_target, session_threshold_target = frr_at_far(
        session_genuine.distances, session_impostor.distances, FAR_TARGET
    )
    finite_spreads = genuine.spreads[np.isfinite(genuine.distances)]
    encodings = sum(r.encodings for r in results)
    return VerificationReport(
        threshold=config.threshold,
        varied_threshold=config.varied_threshold,
        spread_reference=config.spread_reference,
        far=far,
        frr=frr,
        eer=eer,
        eer_threshold=eer_threshold,
        frr_at_far_0_1pct=frr_target,
        threshold_at_far_0_1pct=threshold_target,
        pairs=len(pairs),
        genuine_pairs=genuine.distances.size,
        impostor_comparisons=impostor.distances.size,
        images=len(results),
        frames_per_decision=frames,
        genuine_spread_p10=(
            float(np.percentile(finite_spreads, 10)) if finite_spreads.size else 0.0
        ),
        session_far=session_far,
        session_frr=session_frr,
        session_frr_at_far_0_1pct=session_frr_target,
        session_threshold_at_far_0_1pct=session_threshold_target,
        ms_per_encoding=1000 * sum(r.seconds for r in results) / max(1, encodings),
        failures_to_encode=sum(
            1 for rel, r in by_path.items() if wanted[rel][1] and r.live is None
        ),
        card_faces_missed=sum(
            1 for r in results if r.card is not None and not r.card_face_detected
        ),
        extended=extended,
    )


class _Scores:
    """Fused distances with the spread of the live frames they came from."""

    def __init__(self) -> None:
        self._distances: list[float] = []
        self._spreads: list[float] = []

    def add(self, distance: float, spread: float) -> None:
        self._distances.append(distance)
        self._spreads.append(spread)

    @property
    def distances(self) -> npt.NDArray[np.float64]:
        return np.array(self._distances, dtype=np.float64)

    @property
    def spreads(self) -> npt.NDArray[np.float64]:
        return np.array(self._spreads, dtype=np.float64)

    def thresholds(self, config: MatchingConfig) -> npt.NDArray[np.float64]:
        """The threshold the kiosk would apply to each score (rounded as ``decide`` does)."""
        unique, index = np.unique(self.spreads, return_inverse=True)
        per_spread = [round(decision_threshold(float(s), config), 4) for s in unique]
        return np.array(per_spread, dtype=np.float64)[index] if unique.size else unique

    def error_rates(self, impostor: _Scores, config: MatchingConfig) -> tuple[float, float]:
        """(FAR, FRR) of the operating rule, self being the genuine scores."""
        return error_rates(
            self.distances, impostor.distances, self.thresholds(config), impostor.thresholds(config)
        )


def _all_cross_identity(
    by_path: dict[str, _ImageResult], folders: dict[str, list[str]], frames: int
) -> _Scores:
    """Every card encoding against every other identity's live set(s) of ``frames`` images."""
    cards = [(path, r.card) for path, r in by_path.items() if r.card is not None]
    card_matrix = np.stack([c for _, c in cards]) if cards else np.zeros((0, 128))
    card_folders = np.array([_identity_folder(p) for p, _ in cards])
    scores = _Scores()
    for folder, members in folders.items():
        encodings = [e for e in (by_path[m].live for m in members) if e is not None]
        others = card_folders != folder
        if not encodings or not others.any():
            continue
        for start in range(len(encodings)):
            size = min(frames, len(encodings))
            group = [encodings[(start + k) % len(encodings)] for k in range(size)]
            spread = frame_spread(group)
            for value in np.linalg.norm(card_matrix[others] - fuse(group), axis=1):
                scores.add(float(value), spread)
    return scores


def _run_jobs(
    jobs: list[_ImageJob], config: MatchingConfig, workers: int | None
) -> list[_ImageResult]:
    count = workers or min(2, os.cpu_count() or 1)
    if count <= 1 or len(jobs) < 8:
        _init_worker(config)
        return [_encode_image(job) for job in jobs]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        count, mp_context=context, initializer=_init_worker, initargs=(config,)
    ) as pool:
        return list(pool.map(_encode_image, jobs, chunksize=4))


def format_report(report: VerificationReport) -> Iterable[str]:
    yield f"pairs {report.pairs} ({report.genuine_pairs} genuine), images {report.images}"
    kind = "all cross-identity" if report.extended else "listed"
    yield f"impostor comparisons ({kind}): {report.impostor_comparisons}"
    yield (
        f"operating rule: threshold {report.threshold:.3f} for near-identical frames, "
        f"{report.varied_threshold:.3f} from spread {report.spread_reference:.3f} on"
    )
    yield (
        f"{report.frames_per_decision} frame(s) per decision (different photos; genuine spread"
        f" p10 {report.genuine_spread_p10:.3f}): FAR {100 * report.far:.3f} %"
        f"  FRR {100 * report.frr:.2f} %"
    )
    yield (
        f"near-identical frames (one photo): FAR {100 * report.session_far:.3f} %"
        f"  FRR {100 * report.session_frr:.2f} %  FRR at FAR <= 0.1 %:"
        f" {100 * report.session_frr_at_far_0_1pct:.2f} %"
        f" (threshold {report.session_threshold_at_far_0_1pct:.3f})"
    )
    yield f"EER {100 * report.eer:.2f} % (threshold {report.eer_threshold:.3f})"
    yield (
        f"FRR at FAR <= 0.1 %: {100 * report.frr_at_far_0_1pct:.2f} %"
        f" (threshold {report.threshold_at_far_0_1pct:.3f})"
    )
    yield f"ms per encoding: {report.ms_per_encoding:.1f}"
    yield f"live images with no face found: {report.failures_to_encode}"
    yield f"card photos with no face found (centred box used): {report.card_faces_missed}"
