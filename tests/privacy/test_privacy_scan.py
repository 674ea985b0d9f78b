"""Privacy scan: complete transactions with known personal values, then every byte the kiosk
and the backend wrote is searched for those values (see ``scanner``) and for images.

Scanned: the kiosk's journal and log (root logger at every level, APDU traffic included),
the backend's data folder (SQLite database, PKI) and its JSON log, stdout and stderr, files
created or changed under /tmp meanwhile, and for ``kiosk demo`` its whole data folder and
the HOME, XDG config/cache and TMPDIR folders it was given. Not scanned: the virtual card's
own file and the test authority (they are the card and the issuer, which hold these values
by design).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kiosk.card_reader.card_info import TrustAnchors
from kiosk.card_reader.text_ap import parse_basic_info
from kiosk.journal import Journal
from kiosk_testbed.authority import TestAuthority
from kiosk_testbed.vpcd import READER_PORTS
from tests.backend.harness import RunningBackend, database_for, running_backend
from tests.faults.stack import kiosk_config, resident_camera, run_flow
from tests.helpers.virtual_card import DEFAULT_PHOTO, OTHER_PERSON_PHOTO, InsertedCard, TestCard
from tests.privacy.scanner import (
    Finding,
    Needle,
    birth_date_forms,
    files_under,
    image_needles,
    needles_for,
    scan_files,
)

pytestmark = [
    pytest.mark.pcsc,
]
REPO = Path(__file__).resolve().parents[2]
PINS = {"auth_pin": "7392", "text_pin": "8461", "sign_pin": "SIGNQ7X2K"}
NEW_PIN = "NEWP4Z9K8"


def personal_needles(values: dict[str, str]) -> list[Needle]:
    """Needles for every personal value of a card (PINs, number, name, address, birth)."""
    named = {
        "auth PIN": values["auth_pin"], "text PIN": values["text_pin"],
        "sign PIN": values["sign_pin"], "My Number": values["my_number"],
        "照合番号B": values["collation_b"], "name": values["name"],
        "address": values["address"],
    }
    for part in values["name"].split("\u3000"):
        if len(part) >= 2:
            named[f"name part {part[:1]}…"] = part
    named.update(birth_date_forms(dt.date.fromisoformat(values["birth_date"])))
    needles = [n for what, value in named.items() for n in needles_for(what, value)]
    return needles + image_needles()


def report(findings: list[Finding]) -> str:
    return "personal data or images found:\n" + "\n".join(str(f) for f in findings[:50])


@pytest.fixture
def resident(issue_test_card: Callable[..., TestCard]) -> TestCard:
    return issue_test_card(**PINS)



@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, testbed_authority: TestAuthority
) -> Iterator[RunningBackend]:
    with (
        database_for(str(request.param), tmp_path) as url,
        running_backend(tmp_path / "backend-root", testbed_authority.dir, url) as running,
    ):
        yield running


def dump_database(backend: RunningBackend, into: Path) -> None:
    """Every row of every table the backend has, as text (for PostgreSQL, whose files are
    not ours to read; a SQLite database is scanned as its file, free pages included)."""
    tables = backend.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    )
    with into.open("w", encoding="utf-8") as out:
        for (table,) in tables:
            for row in backend.rows(f'SELECT * FROM "{table}"'):  # noqa: S608 (the schema's tables)
                out.write(f"{table}: {row!r}\n")


@pytest.fixture
def kiosk_log(tmp_path: Path) -> Iterator[Path]:
    """Everything the kiosk logs, at every level, into one file."""
    path = tmp_path / "kiosk" / "kiosk.log"
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(1)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(1)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()


def other_person_photo() -> Path:
    return OTHER_PERSON_PHOTO


def test_transactions_leave_no_personal_data(
    *, resident: TestCard, insert_test_card: Callable[..., InsertedCard],
    issue_test_card: Callable[..., TestCard], anchors: TrustAnchors, backend: RunningBackend,
    kiosk_log: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    temporary = tmp_path / "kiosk" / "tmp"  # where the kiosk's Python temp files go
    temporary.mkdir(parents=True)
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    journal = Journal(tmp_path / "kiosk" / "journal.jsonl")
    values = {k: str(v) for k, v in resident.values.items()}
    camera = resident_camera(DEFAULT_PHOTO)

    slot = insert_test_card(resident)
    config = kiosk_config(backend)
    wrong = run_flow(anchors, config, camera, journal, auth_pin="0815",
                     text_pin=values["text_pin"], new_pin=NEW_PIN)
    assert wrong.result.code == "K01", wrong.result  # wrong PIN; autoplay does not retry
    success = run_flow(anchors, config, camera, journal, auth_pin=values["auth_pin"],
                       text_pin=values["text_pin"], new_pin=NEW_PIN)
    assert success.result.success, success.result
    slot.remove()
    slot.link.remove()

    persona = {key: getattr(resident.issued.persona, key) for key in
               ("name", "address", "birth_date", "sex", "my_number", "expiry",
                "security_code", "auth_pin", "sign_pin", "text_pin")}
    stranger = issue_test_card(photo=other_person_photo(), **persona)
    insert_test_card(stranger, reader="Virtual PCD 00 01")
    other_face = run_flow(anchors, config, camera, journal, auth_pin=values["auth_pin"],
                          text_pin=values["text_pin"], new_pin=NEW_PIN,
                          reader="Virtual PCD 00 01")
    assert other_face.result.code in ("F01", "F02"), other_face.result

    on_postgresql = backend.server.database.dialect == "postgresql"
    if on_postgresql:
        dump_database(backend, tmp_path / "kiosk" / "postgresql-rows.txt")
    backend.server.stop()
    down = run_flow(anchors, config, camera, journal, auth_pin=values["auth_pin"],
                    text_pin=values["text_pin"], new_pin=NEW_PIN, reader="Virtual PCD 00 01")
    assert down.result.code == "B01", down.result

    # The audit record: the reset names the type of identity check that authorised it
    # (the backend records it when the face evidence is accepted; refused ones carry none).
    rows = backend.rows("SELECT outcome, identity_check FROM transactions")
    checks = {outcome: check for outcome, check in rows}
    assert checks["pin_reset"] == "card+pin+face", rows
    assert {outcome for outcome, _ in rows} >= {"pin_reset", "face_check_failed"}, rows

    out, err = capfd.readouterr()
    streams = tmp_path / "streams"
    streams.mkdir()
    (streams / "stdout").write_text(out)
    (streams / "stderr").write_text(err)
    (streams / "backend.jsonl").write_text(backend.log.getvalue())
    scanned = files_under([tmp_path / "kiosk", tmp_path / "backend-root", streams])
    assert journal.path in scanned and kiosk_log in scanned
    if on_postgresql:
        assert (tmp_path / "kiosk" / "postgresql-rows.txt").stat().st_size > 200
    else:
        assert any(path.name.endswith(".sqlite3") for path in scanned), scanned
    assert kiosk_log.stat().st_size > 0
    findings = scan_files(scanned, personal_needles({**values, **PINS, "new": NEW_PIN}))
    findings += scan_files(scanned, needles_for("new sign PIN", NEW_PIN))
    assert not findings, report(findings)


def demo_card_values(card_file: Path) -> dict[str, str]:
    card = json.loads(card_file.read_text())
    pins = card["pins"]
    info = parse_basic_info(base64.b64decode(card["files"]["text/0002"]))
    birth = info.birth_date
    return {
        "auth_pin": pins["jpki/0018"]["value"], "sign_pin": pins["jpki/001B"]["value"],
        "text_pin": pins["text/0011"]["value"], "my_number": pins["info/0013"]["value"],
        "collation_b": pins["info/0012"]["value"], "name": info.name, "address": info.address,
        "birth_date": f"{birth[:4]}-{birth[4:6]}-{birth[6:]}",
    }


BANNER = "Demo card PINs: user authentication"  # the demo tells its user the demo card's PINs


PRIVATE_TMP = """
set -u
mkdir -p "$REAL"
mount --bind /tmp "$REAL"
mount -t tmpfs kiosk-private-tmp /tmp
for lock in $LOCKS; do
    touch "$REAL/$lock" /tmp/$lock && mount --bind "$REAL/$lock" /tmp/$lock
done
# A checkout under /tmp (a CI clone) stays visible at its own path; it is not a temp file.
case "$REPO" in /tmp/*)
    mkdir -p "$REPO" && mount --bind "$REAL/${REPO#/tmp/}" "$REPO" ;;
esac
cd "$REPO"
"$PYTHON" -m kiosk demo --autoplay --data-dir "$DATA" > "$STREAMS/stdout" 2> "$STREAMS/stderr"
status=$?
cd /
case "$REPO" in /tmp/*)
    umount "$REPO"; rmdir -p "$REPO" 2>/dev/null ;;
esac
for lock in $LOCKS; do
    umount /tmp/$lock; rm -f /tmp/$lock
done
cp -a /tmp/. "$SNAPSHOT/"
exit $status
"""


@pytest.mark.slow
def test_kiosk_demo_leaves_no_personal_data(tmp_path: Path) -> None:
    """``kiosk demo --autoplay`` as its own process (Qt offscreen, virtual card in the shared
    pcscd) in a mount namespace with a private /tmp, so every temp file it made is seen
    (and nobody else's); the reader lock files stay shared."""
    if subprocess.run(["unshare", "--mount", "true"], capture_output=True,
                      check=False).returncode != 0:
        pytest.skip("needs unshare --mount for a private /tmp")
    outside = Path(tempfile.mkdtemp(prefix="kiosk-privacy-", dir="/dev/shm"))
    try:
        _demo_scan(tmp_path, outside)
    finally:
        shutil.rmtree(outside, ignore_errors=True)


def _demo_scan(tmp_path: Path, outside: Path) -> None:
    data, streams, snapshot = outside / "demo", outside / "streams", outside / "tmp-snapshot"
    home, tmpdir = outside / "home", outside / "tmpdir"
    for folder in (streams, snapshot, home, tmpdir):
        folder.mkdir()
    env = {
        **os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"), "TMPDIR": str(tmpdir),
        "QT_QPA_PLATFORM": "offscreen", "REAL": str(outside / "real-tmp"),
        "PYTHON": sys.executable, "DATA": str(data), "STREAMS": str(streams), "REPO": str(REPO),
        "SNAPSHOT": str(snapshot),
        "LOCKS": " ".join(f"kiosk-testbed-vpcd-{port}.lock" for port in READER_PORTS),
    }
    demo = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                           PRIVATE_TMP], cwd=REPO, env=env, capture_output=True, timeout=280,
                          check=False)
    stdout = (streams / "stdout").read_bytes()
    assert demo.returncode == 0 and b"RESULT: success" in stdout, (
        demo.stderr[-2000:], (streams / "stderr").read_bytes()[-3000:]
    )
    values = demo_card_values(data / "card.json")
    stderr = (streams / "stderr").read_bytes()
    (streams / "stderr").write_bytes(b"\n".join(
        line for line in stderr.splitlines() if not line.startswith(BANNER.encode())
    ))
    with sqlite3.connect(data / "backend" / "backend.sqlite3") as database:
        rows = database.execute("SELECT outcome, identity_check FROM transactions").fetchall()
    assert rows == [("pin_reset", "card+pin+face")], rows
    scanned = files_under(
        [data, home, tmpdir, streams, snapshot],
        skip=[data / "card.json", data / "testbed"],
    )
    assert any(path.name == "backend.sqlite3" for path in scanned)
    assert any(path.name == "backend.jsonl" for path in scanned)
    findings = scan_files(scanned, personal_needles(values))
    assert not findings, report(findings)
