"""A PostgreSQL standby (streaming replication, synchronous) promoted while kiosks keep
working: two instances behind HAProxy connect with a two-host URL and
`target_session_attrs=read-write`; the primary crashes, the standby is promoted, and the
kiosks carry on after retrying the calls that met the gap. Every transaction ends in a defined
state and the audit on the promoted database agrees with the cards (docs/backend.md,
"Promoting the standby")."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk_backend.cluster import LocalCluster
from kiosk_backend.database import Database
from kiosk_testbed.authority import TestAuthority
from tests.scaleout.fleet import Fleet, audit, enroll, issue_cards, sweep_later, write_open_policy
from tests.scaleout.pg_pair import PgPair, available

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

KIOSKS = 4
SECONDS = 22.0
CRASH_AT = 7.0


@pytest.fixture
def pair() -> Iterator[PgPair]:
    if not available():
        pytest.fail("PostgreSQL's binaries are missing: scripts/setup installs them from Debian")
    created = PgPair.create()
    try:
        yield created
    finally:
        created.destroy()


def test_standby_promoted_while_kiosks_keep_working(
    tmp_path: Path, testbed_authority: TestAuthority, pair: PgPair, haproxy: str
) -> None:
    del haproxy, testbed_authority
    cards = issue_cards(tmp_path / "testbed", KIOSKS)
    authority_dir = tmp_path / "testbed" / "authority"
    cluster = LocalCluster(
        tmp_path / "cluster",
        authority_dir,
        pair.url,
        count=2,
        policy_file=write_open_policy(tmp_path / "policy.toml"),
        software_kiosks=True,  # simulated kiosks hold file keys
    )
    cluster.folder.mkdir()
    pki = cluster.prepare()
    database = Database(pair.url, pool_size=2)
    try:
        kiosks = enroll(pki, database, tmp_path / "kiosks", KIOSKS)
        cluster.start()
        fleet = Fleet(cluster.url, kiosks, cards).start(SECONDS)
        time.sleep(CRASH_AT)
        before = fleet.completed_since(0)
        pair.crash_primary()
        crashed_at = time.monotonic()
        pair.promote_standby()
        promoted_in = time.monotonic() - crashed_at
        fleet.join()
        after = fleet.completed_since(crashed_at)
        cluster.stop()
        assert pair.standby_is_primary()
        database.close()
        database = Database(pair.url, pool_size=2)  # reconnects: the promoted standby
        swept = sweep_later(database, authority_dir, pki)
        result = audit(database, fleet)
    finally:
        cluster.stop()
        database.close()

    summary = (
        f"outcomes {dict(result.outcomes)}, {before} resets before the crash, {after} after, "
        f"promotion took {promoted_in:.1f} s, kiosk retries {fleet.retries}, swept later "
        f"{len(swept)}, unconfirmed applied/not {result.unconfirmed_applied}/"
        f"{result.unconfirmed_not_applied}, errors "
        f"{sorted({r.error for r in fleet.records if r.error})}"
    )
    print(summary)
    assert not result.problems, (result.problems[:10], summary)
    assert before >= KIOSKS, summary
    assert after >= KIOSKS, summary  # the kiosks kept working on the promoted standby
    assert fleet.retries > 0, summary  # and met the gap
