"""The server's policy: limits, expiry, what face evidence is good enough, service hours.

Defaults suit a real deployment; a TOML file (`[policy]` table) may override any of them.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path


class PolicyError(ValueError):
    """A policy file or value is invalid."""


@dataclass(frozen=True)
class Policy:
    # A transaction must reach the reset command within this time.
    transaction_ttl_seconds: int = 300
    # After the command was issued, the card's answer is still accepted this much longer.
    answer_grace_seconds: int = 120
    # Per card (keyed by card_ref), over a rolling window.
    card_window_seconds: int = 86_400
    card_max_transactions: int = 5
    card_max_failures: int = 3
    # Per kiosk, over a rolling window.
    kiosk_window_seconds: int = 60
    kiosk_max_transactions: int = 30
    # Card proofs that do not verify for their certificate count against the kiosk (never the
    # card): this many in the window flag the kiosk for staff and refuse its new transactions
    # until the window has passed.
    kiosk_invalid_proof_window_seconds: int = 3600
    kiosk_max_invalid_proofs: int = 5
    # Face evidence the server accepts. Scores and thresholds are the engine's distance × 10⁶:
    # SFace's cosine distance (calibrated threshold about 0.59) or dlib's Euclidean distance
    # (0.50); 0.60 admits both calibrated thresholds and nothing looser than SFace's.
    max_face_threshold_ppm: int = 600_000
    # The kiosk decides on one live image (a steady session's frames are near-identical).
    min_face_frames: int = 1
    require_liveness: bool = True
    # Stored idempotent replies are kept this long (their transactions are closed by then).
    idempotency_retention_seconds: int = 7 * 86_400
    # Service hours in server local time as "HH:MM-HH:MM"; empty means always open.
    service_hours: str = ""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, int) and not isinstance(value, bool) and value < 0:
                raise PolicyError(f"policy.{field.name} must not be negative")
        if self.service_hours:
            _parse_hours(self.service_hours)

    def is_open(self, now: dt.datetime) -> bool:
        if not self.service_hours:
            return True
        start, end = _parse_hours(self.service_hours)
        current = now.time().replace(tzinfo=None)
        if start <= end:
            return start <= current < end
        return current >= start or current < end

    @classmethod
    def load(cls, path: Path) -> Policy:
        try:
            document = tomllib.loads(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as error:
            raise PolicyError(f"cannot read policy file: {type(error).__name__}") from None
        table = document.get("policy", {})
        if not isinstance(table, dict):
            raise PolicyError("policy file: [policy] must be a table")
        return cls().with_overrides(table)

    def with_overrides(self, values: dict[str, object]) -> Policy:
        known = {field.name: field.type for field in fields(self)}
        for name, value in values.items():
            if name not in known:
                raise PolicyError(f"policy.{name}: unknown setting")
            expected = type(getattr(self, name))
            if type(value) is not expected:
                raise PolicyError(f"policy.{name}: expected {expected.__name__}")
        return replace(self, **values)  # type: ignore[arg-type]


def _parse_hours(text: str) -> tuple[dt.time, dt.time]:
    try:
        start_text, end_text = text.split("-")
        return dt.time.fromisoformat(start_text.strip()), dt.time.fromisoformat(end_text.strip())
    except ValueError:
        raise PolicyError("policy.service_hours: expected HH:MM-HH:MM") from None
