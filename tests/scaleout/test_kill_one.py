"""Three instances behind HAProxy share PostgreSQL; simulated kiosks run complete resets
through HAProxy; one instance is SIGKILLed in the middle, after being frozen for a moment so
that calls routed to it are in flight when it dies (restarted and killed again until a kill has
cost a kiosk a retry). No transaction is lost or counted
twice: each ends pin_reset, a defined failure, or unconfirmed (reconciled against the card),
and the audit agrees with the cards."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from kiosk_backend.cluster import LocalCluster
from kiosk_backend.database import Database
from kiosk_testbed.authority import TestAuthority
from tests.scaleout.fleet import Fleet, audit, enroll, issue_cards, sweep_later, write_open_policy

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KIOSKS = 6
SECONDS = 28.0
KILL_AT = 8.0
# A kill that lands between two calls (the victim's connections all idle) tests nothing, and on
# a loaded machine the kiosks spend most of their time signing: a bare kill missed every call
# four times in a row in one CI run. So the victim is first frozen (SIGSTOP, as a hung process)
# for FREEZE seconds, shorter than HAProxy's health checks take to drop it, so that the calls
# routed to it meanwhile are in flight when SIGKILL lands. If none were, it is restarted, as its
# supervisor would, and frozen and killed again (at most KILLS times).
KILLS = 4
FREEZE = 0.6
SETTLE = 1.5  # seconds after a kill for the kiosks to notice it


def freeze_and_kill(cluster: LocalCluster, index: int) -> None:
    process = cluster.instances[index].process
    assert process is not None
    os.kill(process.pid, signal.SIGSTOP)
    time.sleep(FREEZE)
    cluster.kill(index)


def test_one_instance_killed_mid_run(
    tmp_path: Path, testbed_authority: TestAuthority, schema_url: str, haproxy: str
) -> None:
    del haproxy
    cards = issue_cards(tmp_path / "testbed", KIOSKS)
    cluster = LocalCluster(
        tmp_path / "cluster",
        tmp_path / "testbed" / "authority",
        schema_url,
        count=3,
        policy_file=write_open_policy(tmp_path / "policy.toml"),
        software_kiosks=True,  # simulated kiosks hold file keys
    )
    cluster.folder.mkdir()
    pki = cluster.prepare()
    database = Database(schema_url, pool_size=2)
    try:
        kiosks = enroll(pki, database, tmp_path / "kiosks", KIOSKS)
        cluster.start()
        fleet = Fleet(cluster.url, kiosks, cards).start(SECONDS)
        time.sleep(KILL_AT)
        victim = 1
        freeze_and_kill(cluster, victim)
        killed_at = time.monotonic()
        for _ in range(KILLS - 1):
            time.sleep(SETTLE)
            if fleet.live_retries() > 0:
                break
            cluster.start_instance(victim)
            time.sleep(2 * SETTLE)  # back in HAProxy's rotation (checked every second)
            freeze_and_kill(cluster, victim)
        fleet.join()
        cluster.stop()

        served_by_victim = cluster.instances[victim].log.read_text().count('"event": "request"')
        after_kill = fleet.completed_since(killed_at)
        swept = sweep_later(database, tmp_path / "testbed" / "authority", pki)
        result = audit(database, fleet)
    finally:
        cluster.stop()
        database.close()

    summary = (
        f"outcomes {dict(result.outcomes)}, kiosk retries {fleet.retries}, "
        f"victim served {served_by_victim} requests, {after_kill} resets after the kill, "
        f"swept later {len(swept)}, unconfirmed applied/not {result.unconfirmed_applied}/"
        f"{result.unconfirmed_not_applied}, errors "
        f"{sorted({r.error for r in fleet.records if r.error})}"
    )
    print(summary)
    assert not result.problems, (result.problems[:10], summary)
    assert served_by_victim > 0, summary  # the killed instance was carrying load
    assert fleet.retries > 0, summary  # and a kill hit calls in flight or kept-alive
    assert after_kill >= KIOSKS, summary  # the survivors carried on
    assert result.outcomes["pin_reset"] >= 3 * KIOSKS, summary
