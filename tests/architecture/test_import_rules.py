"""The arrows of docs' architecture, checked on the source: who may import what."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "kiosk_protocol", "kiosk_testbed", "kiosk_backend")


def _modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).with_suffix("")
            parts = list(relative.parts)
            if parts[-1] == "__init__":
                parts.pop()
            yield ".".join(parts), path


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


MODULES = list(_modules())


def test_there_is_source_to_check() -> None:
    names = {name for name, _ in MODULES}
    assert "kiosk.cli" in names
    assert len(names) > 3


@pytest.mark.parametrize(("module", "path"), MODULES, ids=[m for m, _ in MODULES])
def test_import_arrows(module: str, path: Path) -> None:
    imports = _imports(path)

    def forbid(prefixes: tuple[str, ...], why: str) -> None:
        bad = sorted(i for i in imports for p in prefixes if _within(i, p))
        assert not bad, f"{module} imports {bad}: {why}"

    if not _within(module, "kiosk.ui"):
        forbid(("PySide6", "shiboken6", "pytestqt"), "only kiosk/ui may use Qt")
    if module != "kiosk.card_reader.pcsc":
        forbid(("smartcard",), "only kiosk/card_reader/pcsc.py talks to pyscard")
    if _within(module, "kiosk") and not _within(module, "kiosk.demo"):
        forbid(("kiosk_testbed", "kiosk_backend"), "the product never imports testbed or server")
        forbid(("kiosk.demo",), "the demo is loaded only by name, from kiosk/cli.py's table")
    if _within(module, "kiosk_backend"):
        forbid(("kiosk",), "the reference server never imports the kiosk")
    if _within(module, "kiosk_testbed"):
        forbid(("kiosk.ui", "kiosk.flow", "kiosk.backend_client", "kiosk_backend"),
               "the testbed stands apart from the product's upper layers and the server")
    if _within(module, "kiosk_protocol"):
        forbid(("kiosk", "kiosk_backend", "kiosk_testbed"), "the protocol depends on nothing else")
    lower = ("kiosk.card_reader", "kiosk.face_match", "kiosk.backend_client", "kiosk_protocol")
    if any(_within(module, p) for p in lower):
        forbid(("kiosk.flow", "kiosk.ui", "kiosk.cli"), "lower layers never point back up")
