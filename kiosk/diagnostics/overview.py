"""Health at a glance for store staff: reader, card, camera, backend, kiosk certificate.

``at_a_glance(results)`` folds check results (from a :class:`Report` or the running kiosk's
:class:`HealthBoard`) into five items, each with the worst status of its checks and the
summary of that check. The kiosk certificate's item also carries ``days_left``.
Items without any result are ``None`` status ("not checked yet").
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kiosk.diagnostics.model import CheckResult, Status

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("reader", "Card reader", ("pcsc.service", "pcsc.readers")),
    ("card", "Card", ("pcsc.card",)),
    ("camera", "Camera", ("camera.open", "camera.image", "face.self_test")),
    ("backend", "Backend", ("backend.dns", "backend.tcp", "backend.tls", "backend.mtls",
                            "backend.clock")),
    ("certificate", "Kiosk certificate", ("backend.client_certificate",)),
)


@dataclass(frozen=True)
class GlanceItem:
    key: str
    title: str
    status: Status | None  # None: not checked yet
    summary: str
    days_left: int | None = None  # kiosk certificate only


def at_a_glance(results: Iterable[CheckResult]) -> list[GlanceItem]:
    by_id = {result.id: result for result in results}
    items = []
    for key, title, ids in GROUPS:
        present = [by_id[i] for i in ids if i in by_id]
        if not present:
            items.append(GlanceItem(key, title, None, "not checked yet"))
            continue
        worst = max(present, key=lambda r: r.status.rank)
        days = worst.details.get("days_left") if key == "certificate" else None
        items.append(GlanceItem(key, title, worst.status, worst.summary,
                                days if isinstance(days, int) else None))
    return items
