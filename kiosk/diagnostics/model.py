"""The diagnosis model: check results, and a report made of them.

A :class:`CheckResult` has an ``id`` (``"pcsc.service"``), a ``title`` for people, a
:class:`Status`, a one-line ``summary`` and ``details`` (JSON values). Nothing in a result may
be personal data: checks put in only technical facts (reader names, ATRs, retry counters,
certificate subjects of the kiosk and the backend, timings, versions).

A :class:`Report` is healthy when no result failed; ``WARN`` means "works, but look at it"
(no card on the reader, a certificate expiring soon, a check that is not available here).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from enum import Enum
from typing import TypeAlias

JsonValue: TypeAlias = "str | int | float | bool | list[JsonValue] | dict[str, JsonValue] | None"


class Status(Enum):
    OK = "ok"
    WARN = "warn"
    FAIL = "fail"

    @property
    def rank(self) -> int:
        return {"ok": 0, "warn": 1, "fail": 2}[self.value]


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    status: Status
    summary: str
    details: dict[str, JsonValue] = field(default_factory=dict)

    def to_json(self) -> dict[str, JsonValue]:
        return {"id": self.id, "title": self.title, "status": self.status.value,
                "summary": self.summary, "details": self.details}


def ok(id: str, title: str, summary: str, **details: JsonValue) -> CheckResult:
    return CheckResult(id, title, Status.OK, summary, dict(details))


def warn(id: str, title: str, summary: str, **details: JsonValue) -> CheckResult:
    return CheckResult(id, title, Status.WARN, summary, dict(details))


def fail(id: str, title: str, summary: str, **details: JsonValue) -> CheckResult:
    return CheckResult(id, title, Status.FAIL, summary, dict(details))


@dataclass(frozen=True)
class Report:
    kiosk_id: str
    created: str  # UTC ISO 8601
    version: str
    results: list[CheckResult]
    durations_ms: dict[str, float] = field(default_factory=dict)  # per area

    @property
    def status(self) -> Status:
        worst = max((r.status for r in self.results), key=lambda s: s.rank, default=Status.OK)
        return worst

    @property
    def healthy(self) -> bool:
        return all(r.status is not Status.FAIL for r in self.results)

    def result(self, check_id: str) -> CheckResult | None:
        return next((r for r in self.results if r.id == check_id), None)

    def to_json(self) -> dict[str, JsonValue]:
        return {"kiosk_id": self.kiosk_id, "created": self.created, "version": self.version,
                "healthy": self.healthy, "status": self.status.value,
                "results": [r.to_json() for r in self.results],
                "durations_ms": {k: round(v, 1) for k, v in self.durations_ms.items()}}

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n"

    def to_text(self) -> str:
        """The report for people: one line per check, then its details, indented."""
        verdict = "HEALTHY" if self.healthy else "NOT HEALTHY"
        lines = [f"Kiosk diagnostics — {self.kiosk_id} — {self.created} — kiosk {self.version}",
                 f"Overall: {verdict} ({self.status.value})", ""]
        for result in self.results:
            lines.append(f"[{result.status.value.upper():4}] {result.title}: {result.summary}")
            for key, value in result.details.items():
                lines.extend(_detail_lines(key, value, "         "))
        return "\n".join(lines) + "\n"


def _detail_lines(key: str, value: JsonValue, indent: str) -> list[str]:
    if isinstance(value, dict):
        out = [f"{indent}{key}:"]
        for sub_key, sub_value in value.items():
            out.extend(_detail_lines(sub_key, sub_value, indent + "  "))
        return out
    if isinstance(value, list):
        if all(not isinstance(v, dict | list) for v in value):
            return [f"{indent}{key}: {', '.join(_scalar(v) for v in value) or '(none)'}"]
        out = [f"{indent}{key}:"]
        for index, item in enumerate(value):
            out.extend(_detail_lines(f"- {index + 1}", item, indent + "  "))
        return out
    return [f"{indent}{key}: {_scalar(value)}"]


def _scalar(value: JsonValue) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def utc_now_text(now: dt.datetime | None = None) -> str:
    return (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
