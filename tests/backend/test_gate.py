"""The connection gate's bookkeeping: caps per source and in all, oldest evicted first."""

from __future__ import annotations

import socket
import ssl

from kiosk_backend.gate import ConnectionGate, GateLimits, _Pending
from kiosk_backend.observability import JsonLog, Metrics


def _gate(per_source: int, total: int) -> ConnectionGate:
    limits = GateLimits(max_pending=total, max_pending_per_source=per_source)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    return ConnectionGate(context, limits, Metrics(), JsonLog(enabled=False))


def _arrive(gate: ConnectionGate, source: str, keep: list[socket.socket]) -> _Pending:
    ours, theirs = socket.socketpair()
    keep += [ours, theirs]
    pending = _Pending(ours, source)
    gate._admit(pending)
    return pending


def _dropped(pending: _Pending) -> bool:
    try:
        pending.sock.send(b"x")
    except OSError:
        return True
    return False


def test_a_flood_from_one_address_never_evicts_another_address() -> None:
    gate, keep = _gate(per_source=3, total=8), []
    try:
        kiosk = _arrive(gate, "192.0.2.7", keep)
        flood = [_arrive(gate, "198.51.100.1", keep) for _ in range(100)]
        assert not _dropped(kiosk)
        assert gate.pending == 4  # the kiosk and the attacker's three newest
        assert [_dropped(pending) for pending in flood[-3:]] == [False] * 3
        assert all(_dropped(pending) for pending in flood[:-3])
    finally:
        for sock in keep:
            sock.close()


def test_beyond_the_total_cap_the_oldest_goes() -> None:
    gate, keep = _gate(per_source=3, total=4), []
    try:
        first = [_arrive(gate, f"203.0.113.{index}", keep) for index in range(4)]
        newest = _arrive(gate, "203.0.113.99", keep)
        assert _dropped(first[0]) and not any(_dropped(p) for p in first[1:])
        assert not _dropped(newest) and gate.pending == 4
        rendered = gate.metrics.render()
        assert 'kiosk_backend_connections_evicted_total{cap="total_cap"} 1.0' in rendered
    finally:
        for sock in keep:
            sock.close()
