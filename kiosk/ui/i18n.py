"""Languages through Qt's translation system.

English is the source language in the code (``tr("...")``); Japanese comes from
``assets/i18n/kiosk_ja.ts`` (edit it with Qt Linguist or by hand), compiled by
``pyside6-lrelease`` into ``kiosk/ui/translations/kiosk_ja.qm``, which is committed so a fresh
clone runs without a build step. ``python -m kiosk.ui.i18n update`` adds new source strings to
the .ts (as unfinished) and recompiles; ``check`` fails when a string lacks a translation or
the .qm is stale (a test runs it).
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

from kiosk.ui.qt import QCoreApplication, QTranslator

CONTEXT = "kiosk"
UI_DIR = Path(__file__).resolve().parent
ROOT = UI_DIR.parents[1]
TS_FILE = ROOT / "assets" / "i18n" / "kiosk_ja.ts"
QM_FILE = UI_DIR / "translations" / "kiosk_ja.qm"
LANGUAGES = ("ja", "en")


def tr(text: str) -> str:
    """Translate an English source string into the current language."""
    return QCoreApplication.translate(CONTEXT, text)


class Translations:
    """Installs the translator for the chosen language (English needs none).

    Qt's translators are global to the application, so there is one installed translator for
    the whole process, whichever ``Translations`` object switched last.
    """

    _installed: QTranslator | None = None

    def __init__(self, language: str = "ja") -> None:
        self.language = "en"
        self.switch(language)

    def switch(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        if Translations._installed is not None:
            QCoreApplication.removeTranslator(Translations._installed)
            Translations._installed = None
        if language == "ja":
            translator = QTranslator()
            if not translator.load(str(QM_FILE)):
                raise FileNotFoundError(f"cannot load {QM_FILE.name}")
            QCoreApplication.installTranslator(translator)
            Translations._installed = translator
        self.language = language


# --- maintenance of the .ts / .qm files -------------------------------------------------------


def source_strings() -> list[str]:
    """Every literal passed to ``tr(...)`` in kiosk/ui, in first-seen order."""
    found: dict[str, None] = {}
    for path in sorted(UI_DIR.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "tr"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.setdefault(node.args[0].value, None)
    return list(found)


def read_ts(path: Path = TS_FILE) -> dict[str, str | None]:
    """source -> translation (None when unfinished)."""
    if not path.exists():
        return {}
    root = ET.parse(path).getroot()  # noqa: S314 (our own translation file, not outside input)
    messages: dict[str, str | None] = {}
    for message in root.iter("message"):
        source = message.findtext("source") or ""
        node = message.find("translation")
        done = node is not None and node.get("type") not in ("unfinished", "obsolete")
        messages[source] = (node.text or "") if done and node is not None else None
    return messages


def write_ts(messages: dict[str, str | None], path: Path = TS_FILE) -> None:
    root = ET.Element("TS", version="2.1", language="ja_JP", sourcelanguage="en")
    context = ET.SubElement(root, "context")
    ET.SubElement(context, "name").text = CONTEXT
    for source, translation in messages.items():
        message = ET.SubElement(context, "message")
        ET.SubElement(message, "source").text = source
        node = ET.SubElement(message, "translation")
        if translation is None:
            node.set("type", "unfinished")
        else:
            node.text = translation
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8"
    )


def lrelease() -> str:
    for name in ("pyside6-lrelease", "lrelease"):
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found:
            return found
    raise FileNotFoundError("pyside6-lrelease not found (it comes with PySide6)")


def compile_qm(ts: Path, qm: Path) -> None:
    qm.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(  # noqa: S603 (Qt's lrelease on our own files)
        [lrelease(), "-silent", str(ts), "-qm", str(qm)], check=True, capture_output=True
    )


def problems() -> list[str]:
    """What is wrong with the translations (empty when all is well)."""
    found: list[str] = []
    messages = read_ts()
    for source in source_strings():
        if messages.get(source) is None:
            found.append(f"no Japanese for {source!r}")
    with tempfile.TemporaryDirectory() as tmp:
        fresh = Path(tmp) / "fresh.qm"
        compile_qm(TS_FILE, fresh)
        if not QM_FILE.exists() or QM_FILE.read_bytes() != fresh.read_bytes():
            stale = QM_FILE.relative_to(ROOT)
            found.append(f"{stale} is stale: run python -m kiosk.ui.i18n update")
    return found


def update() -> None:
    messages = read_ts()
    merged: dict[str, str | None] = {s: messages.get(s) for s in source_strings()}
    write_ts(merged)
    compile_qm(TS_FILE, QM_FILE)


def main(argv: list[str]) -> int:
    if argv[:1] == ["update"]:
        update()
        missing = [p for p in problems() if p.startswith("no Japanese")]
        print(f"{len(source_strings())} strings, {len(missing)} without Japanese")
        return 0
    if argv[:1] == ["check"]:
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    print("usage: python -m kiosk.ui.i18n update|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
