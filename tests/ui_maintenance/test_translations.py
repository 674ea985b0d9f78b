"""Every text of the maintenance and engineer screens in both languages: the diagnostics'
English summaries all have a Japanese row, and the Japanese screens show no English."""

from __future__ import annotations

import ast
import itertools
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from kiosk.ui.app import create_application
from kiosk.ui.gallery import render_maintenance, untranslated_texts
from kiosk.ui.i18n import Translations
from kiosk.ui.maintenance.texts import has_translation, summary_text
from kiosk.ui.qt import QLabel

ROOT = Path(__file__).resolve().parents[2]


def _samples(node: ast.expr) -> list[str]:
    """The strings an f-string (or a constant, or an if-else of them) can produce, with 42
    for every value that varies."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _samples(node.body) + _samples(node.orelse)
    if isinstance(node, ast.JoinedStr):
        choices: list[list[str]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                choices.append([str(part.value)])
            elif isinstance(part, ast.FormattedValue):
                inner = part.value
                if isinstance(inner, ast.IfExp):
                    options = _samples(inner)
                    choices.append(options or ["42"])
                else:
                    choices.append(["'42'" if part.conversion == ord("r") else "42"])
        return ["".join(combo) for combo in itertools.product(*choices)]
    return []  # a name or a call: an error's own words, shown as they are


def summaries_in_source() -> list[str]:
    found = []
    for path in sorted((ROOT / "kiosk" / "diagnostics").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], ast.Name) and node.targets[0].id == "summary":
                assigned.setdefault("summary", []).append(node.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                    node.func.id in ("ok", "warn", "fail") and len(node.args) >= 3:
                text = node.args[2]
                if isinstance(text, ast.Name) and text.id == "summary":
                    for value in assigned.get("summary", []):
                        found += _samples(value)
                else:
                    found += _samples(text)
    return found


def test_every_diagnostics_summary_has_a_japanese_row() -> None:
    summaries = summaries_in_source()
    assert len(summaries) > 50
    missing = [s for s in summaries if not has_translation(s)]
    assert missing == []
    create_application()
    Translations("ja")
    try:
        for summary in summaries:
            translated = summary_text(summary)
            assert translated != summary or summary in ("42 s",), summary
    finally:
        Translations("en")


def test_a_summary_without_a_row_is_caught() -> None:
    assert not has_translation("the flux capacitor is warm")


def test_the_japanese_maintenance_screens_have_no_english(qtbot: QtBot, tmp_path: Path) -> None:
    from kiosk.ui.driver import StillFlow
    from kiosk.ui.gallery import scenes
    from kiosk.ui.window import KioskWindow, UiOptions

    create_application()
    flow = StillFlow(scenes()[0].view)
    window = KioskWindow(flow, UiOptions(language="ja", kiosk_mode=False, sound=False))
    qtbot.addWidget(window)
    window.resize(1920, 1080)
    window.show()
    try:
        results = render_maintenance(window, flow, tmp_path, "landscape-ja", 0)
    finally:
        window.shut_down()
    problems = [f"{r.path.name}: {p}" for r in results for p in r.problems
                if p.startswith("untranslated")]
    assert problems == []
    assert len(results) >= 10


def test_the_detector_sees_english(qtbot: QtBot) -> None:
    create_application()
    holder = QLabel("pcscd is not reachable")
    qtbot.addWidget(holder)
    holder.show()
    from kiosk.ui.qt import QWidget

    window = QWidget()
    qtbot.addWidget(window)
    holder.setParent(window)
    window.show()
    assert untranslated_texts(window) == ["untranslated: 'pcscd is not reachable'"]
    holder.setText("pcscd は応答しています")
    assert untranslated_texts(window) == []


@pytest.mark.parametrize("summary", ["3 reader(s)", "no reader is connected"])
def test_summaries_read_in_japanese(summary: str) -> None:
    create_application()
    Translations("ja")
    try:
        assert summary_text(summary) in ("リーダー 3 台", "カードリーダーが接続されていません")
    finally:
        Translations("en")
