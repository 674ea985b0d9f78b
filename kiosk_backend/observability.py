"""Structured JSON logs and Prometheus-style metrics. Neither ever holds personal data.

Log records carry only: time, level, event, and fields from a fixed allow-list
(ids, operation, status, error code, outcome, durations). Anything else is dropped.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import defaultdict
from typing import TextIO

_ALLOWED_FIELDS = frozenset(
    {
        "kiosk_id",
        "transaction_id",
        "operation",
        "method",
        "route",
        "status",
        "code",
        "outcome",
        "duration_ms",
        "replayed",
        "host",
        "port",
        "database",
        "schema_version",
        "closed",
        "error",
        "peer",
    }
)


class JsonLog:
    """One JSON object per line on a stream (stderr by default)."""

    def __init__(self, stream: TextIO | None = None, enabled: bool = True) -> None:
        self._stream = stream
        self._enabled = enabled
        self._lock = threading.Lock()

    def emit(self, level: str, event: str, **fields: object) -> None:
        if not self._enabled:
            return
        record: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z",
            "level": level,
            "event": event,
        }
        record.update({name: value for name, value in fields.items() if name in _ALLOWED_FIELDS})
        line = json.dumps(record, ensure_ascii=False, default=str)
        stream = self._stream or sys.stderr
        with self._lock:
            stream.write(line + "\n")
            stream.flush()

    def info(self, event: str, **fields: object) -> None:
        self.emit("info", event, **fields)

    def warning(self, event: str, **fields: object) -> None:
        self.emit("warning", event, **fields)

    def error(self, event: str, **fields: object) -> None:
        self.emit("error", event, **fields)


_BUCKETS_MS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000)


class Metrics:
    """Counters and request-latency histograms, rendered in the Prometheus text format."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, int], int] = defaultdict(int)
        self._outcomes: dict[str, int] = defaultdict(int)
        self._latency: dict[str, list[int]] = {}
        self._latency_sum: dict[str, float] = defaultdict(float)
        self._tls_failures = 0
        self._started = time.time()

    def request(self, operation: str, status: int, duration_ms: float) -> None:
        with self._lock:
            self._requests[(operation, status)] += 1
            buckets = self._latency.setdefault(operation, [0] * (len(_BUCKETS_MS) + 1))
            for index, bound in enumerate(_BUCKETS_MS):
                if duration_ms <= bound:
                    buckets[index] += 1
            buckets[-1] += 1
            self._latency_sum[operation] += duration_ms

    def outcome(self, outcome: str) -> None:
        with self._lock:
            self._outcomes[outcome] += 1

    def tls_failure(self) -> None:
        with self._lock:
            self._tls_failures += 1

    def render(self) -> str:
        lines = [
            "# TYPE kiosk_backend_uptime_seconds gauge",
            f"kiosk_backend_uptime_seconds {time.time() - self._started:.0f}",
            "# TYPE kiosk_backend_requests_total counter",
        ]
        with self._lock:
            for (operation, status), count in sorted(self._requests.items()):
                lines.append(
                    f'kiosk_backend_requests_total{{operation="{operation}",status="{status}"}}'
                    f" {count}"
                )
            lines.append("# TYPE kiosk_backend_transactions_closed_total counter")
            for outcome, count in sorted(self._outcomes.items()):
                lines.append(
                    f'kiosk_backend_transactions_closed_total{{outcome="{outcome}"}} {count}'
                )
            lines.append("# TYPE kiosk_backend_tls_handshake_failures_total counter")
            lines.append(f"kiosk_backend_tls_handshake_failures_total {self._tls_failures}")
            lines.append("# TYPE kiosk_backend_request_duration_ms histogram")
            for operation, buckets in sorted(self._latency.items()):
                for bound, count in zip((*_BUCKETS_MS, "+Inf"), buckets, strict=True):
                    lines.append(
                        f'kiosk_backend_request_duration_ms_bucket{{operation="{operation}",'
                        f'le="{bound}"}} {count}'
                    )
                lines.append(
                    f'kiosk_backend_request_duration_ms_sum{{operation="{operation}"}}'
                    f" {self._latency_sum[operation]:.1f}"
                )
                lines.append(
                    f'kiosk_backend_request_duration_ms_count{{operation="{operation}"}}'
                    f" {buckets[-1]}"
                )
        return "\n".join(lines) + "\n"
