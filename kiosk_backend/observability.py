"""Structured JSON logs and Prometheus metrics (prometheus_client). Neither ever holds personal
data: metric labels are operations, statuses, outcomes and reasons from fixed sets.

Log records carry only: time, level, event, and fields from a fixed allow-list
(ids, operation, status, error code, outcome, durations). Anything else is dropped.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import TextIO

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)

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


_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
METRICS_CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """One server's metrics in a registry of its own (several servers may share a process)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        prefix = "kiosk_backend_"
        self._requests = Counter(
            prefix + "requests",
            "API requests by operation and HTTP status",
            ["operation", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            prefix + "request_duration_seconds",
            "Time the API took to answer, by operation",
            ["operation"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self._outcomes = Counter(
            prefix + "transactions_closed",
            "Transactions this instance closed, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._tls_failures = Counter(
            prefix + "tls_handshake_failures",
            "TLS handshakes that did not complete, by reason",
            ["reason"],
            registry=self.registry,
        )
        self._evicted = Counter(
            prefix + "connections_evicted",
            "Pending handshakes closed to make room for newer ones, by cap reached",
            ["cap"],
            registry=self.registry,
        )
        self._pending = Gauge(
            prefix + "pending_handshakes",
            "Connections accepted whose TLS handshake has not completed",
            registry=self.registry,
        )

    def request(self, operation: str, status: int, duration_ms: float) -> None:
        self._requests.labels(operation, str(status)).inc()
        self._latency.labels(operation).observe(duration_ms / 1000)

    def outcome(self, outcome: str) -> None:
        self._outcomes.labels(outcome).inc()

    def tls_failure(self, reason: str = "other") -> None:
        self._tls_failures.labels(reason).inc()

    def connection_evicted(self, cap: str) -> None:
        self._evicted.labels(cap).inc()

    def pending_handshakes(self, count: int) -> None:
        self._pending.set(count)

    def tls_failures_total(self) -> float:
        """All failed handshakes so far (for tests and the load report)."""
        total = 0.0
        for metric in self._tls_failures.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    total += sample.value
        return total

    def render(self) -> str:
        return generate_latest(self.registry).decode("utf-8")
