"""The systemd unit and the documentation stay in step with the code."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from kiosk.maintenance import Action

REPO = Path(__file__).resolve().parents[2]


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string((REPO / "deploy" / "kiosk.service").read_text())
    return parser


def test_unit_restarts_and_has_a_watchdog() -> None:
    service = unit()["Service"]
    assert service["Type"] == "notify"
    assert service["NotifyAccess"] == "all"  # the kiosk is cage's child
    assert service["Restart"] == "always"
    assert int(service["WatchdogSec"]) >= 10
    assert service["User"] == "kiosk"
    assert "kiosk run --config /etc/kiosk/kiosk.toml" in service["ExecStart"]
    assert "-u WATCHDOG_PID" in service["ExecStart"]
    assert service["NoNewPrivileges"] == "yes"
    assert unit()["Install"]["WantedBy"] == "graphical.target"


def test_every_check_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (REPO / "kiosk" / "diagnostics").glob("*.py"))
    ids = set(re.findall(r'(?:ok|warn|fail)\(\s*"([a-z_]+\.[a-z_]+)"', source))
    assert len(ids) >= 17
    doc = (REPO / "docs" / "diagnostics.md").read_text()
    for check in ids:
        assert f"`{check}`" in doc, f"{check} is missing from docs/diagnostics.md"


def test_every_action_is_documented() -> None:
    doc = (REPO / "docs" / "diagnostics.md").read_text()
    for action in Action:
        assert f"`{action.value}`" in doc, f"{action.value} is missing from docs/diagnostics.md"


def test_installation_guide_uses_the_real_file_names() -> None:
    guide = (REPO / "docs" / "installation.md").read_text()
    for needed in ("deploy/kiosk.service", "deploy/kiosk.example.toml",
                   "kiosk-backend enroll-kiosk", "kiosk set-credential staff", "kiosk diag",
                   "operator-ca.crt.pem",
                   "kiosk.crt.pem", "kiosk tpm-enroll", "kiosk.tls.key", "/dev/tpmrm0",
                   "kiosk reset-lockout", "cage", "pcscd"):
        assert needed in guide
    example = (REPO / "deploy" / "kiosk.example.toml").read_text()
    for name in ("operator-ca.crt.pem", "kiosk.crt.pem"):
        assert f"/etc/kiosk/tls/{name}" in example
    assert "/etc/kiosk/tpm/kiosk.tls.key" in example
