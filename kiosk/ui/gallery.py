"""Render every screen in Japanese and English to PNGs, and check no text is cut off.

``python -m kiosk.ui.gallery OUT_DIR [--xvfb] [--orientation portrait|landscape|both]``
writes ``<orientation>-<lang>-<nn>-<scene>.png`` and prints any layout problem or English text
left in the Japanese screens (exit 1 if one). ``--docs`` writes the small gallery of
docs/gallery instead.
With ``--xvfb`` (or when there is no display) it starts its own ``Xvfb`` and renders through
the real X11 platform with the Noto CJK fonts; otherwise it uses the current Qt platform.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.flow.config import FlowConfig
from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import FaceHint, LivenessPrompt
from kiosk.flow.states import Step
from kiosk.flow.view import EntryProblem, FlowView, NewPinProblem, Stage
from kiosk.ui.driver import StillFlow
from kiosk.ui.qt import (
    QAbstractButton,
    QApplication,
    QFontMetrics,
    QImage,
    QLabel,
    QPoint,
    QRect,
    Qt,
    QWidget,
)
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.new_pin import NewPinScreen
from kiosk.ui.screens.pins import UnlockPhotoScreen
from kiosk.ui.widgets import prop
from kiosk.ui.window import KioskWindow, UiOptions

SIZES = {"portrait": (1080, 1920), "landscape": (1920, 1080)}
_MAX_FACE = FlowConfig().face_attempts


@dataclass(frozen=True)
class Scene:
    name: str
    view: FlowView
    countdown: int | None = None
    setup: Callable[[KioskWindow], None] | None = None
    large_text: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


def synthetic_frame(width: int = 640, height: int = 480) -> np.ndarray:
    """A drawn stand-in for a camera frame (no real face; nothing from the face data set)."""
    y, x = np.mgrid[0:height, 0:width]
    frame = np.zeros((height, width, 3), dtype=np.uint8)
    frame[..., 0] = 70 + (x * 60 // width)
    frame[..., 1] = 80 + (y * 50 // height)
    frame[..., 2] = 95
    head = ((x - width / 2) / (width * 0.16)) ** 2 + ((y - height * 0.47) / (height * 0.3)) ** 2
    frame[head < 1] = (224, 186, 160)
    for ex in (width * 0.44, width * 0.56):
        eye = ((x - ex) / 12) ** 2 + ((y - height * 0.42) / 7) ** 2
        frame[eye < 1] = (40, 30, 30)
    return frame


def _page(index: int) -> Callable[[KioskWindow], None]:
    def setup(window: KioskWindow) -> None:
        screen = window.screens[Step.UNLOCK_PHOTO]
        if not isinstance(screen, UnlockPhotoScreen):
            raise TypeError(type(screen).__name__)
        screen._show_page(index)
        if index == 2:
            for digit in "0601011203":
                screen.b_pad.entry.type(digit)

    return setup


def _preview(window: KioskWindow) -> None:
    screen = window.screens[Step.FACE_CHECK]
    if not isinstance(screen, FaceCheckScreen):
        raise TypeError(type(screen).__name__)
    window.flow.preview.put(synthetic_frame())
    screen.poll_preview()


def synthetic_card_frame(width: int = 1280, height: int = 720) -> np.ndarray:
    """A drawn stand-in for the card face held to the camera (no person's data)."""
    frame = np.full((height, width, 3), (70, 76, 90), dtype=np.uint8)
    top, left = int(height * 0.18), int(width * 0.15)
    bottom, right = int(height * 0.82), int(width * 0.85)
    frame[top:bottom, left:right] = (244, 240, 234)
    for row, (start, end) in enumerate(((0.05, 0.35), (0.05, 0.55), (0.05, 0.4), (0.05, 0.5),
                                        (0.05, 0.3))):
        y = top + int((bottom - top) * (0.1 + row * 0.15))
        x0, x1 = left + int((right - left) * start), left + int((right - left) * end)
        frame[y:y + 14, x0:x1] = (60, 60, 70)
    frame[top + 30:top + 250, right - 230:right - 40] = (190, 198, 214)
    return frame


def _scan(window: KioskWindow) -> None:
    screen = window.screens[Step.UNLOCK_PHOTO]
    if not isinstance(screen, UnlockPhotoScreen):
        raise TypeError(type(screen).__name__)
    screen.pages.setCurrentIndex(screen.PAGE_SCAN)
    screen.scan_camera.show_frame(synthetic_card_frame())
    screen.refresh(window.flow.view)


def _confirm(window: KioskWindow) -> None:
    from kiosk.card_ocr import CardFaceReading

    screen = window.screens[Step.UNLOCK_PHOTO]
    if not isinstance(screen, UnlockPhotoScreen):
        raise TypeError(type(screen).__name__)
    # mc's documented example card (1980-02-17, 2035, 2285), not a person's
    screen._reading = CardFaceReading(dt.date(1980, 2, 17), 2035, "2285")
    screen.pages.setCurrentIndex(screen.PAGE_CONFIRM)
    screen.refresh(window.flow.view)


def _typed_pin(window: KioskWindow) -> None:
    screen = window.screens[Step.NEW_PIN]
    if not isinstance(screen, NewPinScreen):
        raise TypeError(type(screen).__name__)
    for char in "ABC12":
        screen.first.type(char)


def _shown_pin(window: KioskWindow) -> None:
    screen = window.screens[Step.NEW_PIN]
    if not isinstance(screen, NewPinScreen):
        raise TypeError(type(screen).__name__)
    for entry, text in ((screen.first, "SAKURA2026"), (screen.second, "SAKURA20")):
        for char in text:
            entry.type(char)
    screen._toggle_shown()


def _help(window: KioskWindow) -> None:
    window.open_help()


def _help_called(window: KioskWindow) -> None:
    window.open_help()
    window.help._call()


def _accessible(window: KioskWindow) -> None:
    if not window.accessible:
        window.toggle_accessible()


def scenes() -> list[Scene]:
    base = FlowView(face_attempts_max=_MAX_FACE, card_present=True)

    def v(step: Step, **changes: object) -> FlowView:
        from dataclasses import replace

        return replace(base, step=step, **changes)  # type: ignore[arg-type]

    found = [
        Scene("start", v(Step.START, card_present=False)),
        Scene("start-large", v(Step.START, card_present=False), large_text=True),
        Scene("consent", v(Step.CONSENT, card_present=False)),
        Scene("more-time", v(Step.CONSENT, card_present=False), countdown=15),
        Scene("place-card", v(Step.PLACE_CARD, card_present=False)),
        Scene("read-card", v(Step.READ_CARD, busy=True)),
        Scene("auth-pin", v(Step.AUTH_PIN, auth_tries_left=3)),
        Scene("auth-pin-large", v(Step.AUTH_PIN, auth_tries_left=3), large_text=True),
        Scene("auth-pin-wrong", v(Step.AUTH_PIN, auth_tries_left=2,
                                  entry_problem=EntryProblem.WRONG), countdown=9),
        Scene("auth-pin-last-try", v(Step.AUTH_PIN, auth_tries_left=1)),
        Scene("auth-pin-busy", v(Step.AUTH_PIN, auth_tries_left=3, busy=True)),
        Scene("auth-pin-help", v(Step.AUTH_PIN, auth_tries_left=3), setup=_help),
        Scene("auth-pin-staff-called", v(Step.AUTH_PIN, auth_tries_left=3),
              setup=_help_called),
        Scene("auth-pin-more-time", v(Step.AUTH_PIN, auth_tries_left=3), countdown=8),
        Scene("auth-pin-accessible", v(Step.AUTH_PIN, auth_tries_left=3, accessible=True),
              setup=_accessible, large_text=True),
        Scene("unlock-choose", v(Step.UNLOCK_PHOTO, text_tries_left=3,
                                 same_as_before_available=True)),
        Scene("unlock-choose-large", v(Step.UNLOCK_PHOTO, text_tries_left=3,
                                       same_as_before_available=True), large_text=True),
        Scene("unlock-wrong-last", v(Step.UNLOCK_PHOTO, text_tries_left=1,
                                     entry_problem=EntryProblem.WRONG)),
        Scene("unlock-text-pin", v(Step.UNLOCK_PHOTO, text_tries_left=3), setup=_page(1)),
        Scene("unlock-number-b", v(Step.UNLOCK_PHOTO, text_tries_left=0), setup=_page(2)),
        Scene("unlock-number-b-large", v(Step.UNLOCK_PHOTO, text_tries_left=0),
              setup=_page(2), large_text=True),
        Scene("unlock-camera", v(Step.UNLOCK_PHOTO, text_tries_left=0), setup=_scan),
        Scene("unlock-camera-confirm", v(Step.UNLOCK_PHOTO, text_tries_left=0),
              setup=_confirm),
        Scene("face-intro", v(Step.FACE_CHECK, awaiting_approval=True)),
        Scene("face-running", v(Step.FACE_CHECK, busy=True, face_attempts_used=1,
                                face_hint=FaceHint.MOVE_CLOSER,
                                face_prompt=LivenessPrompt.TURN_LEFT), setup=_preview),
        Scene("face-good", v(Step.FACE_CHECK, busy=True, face_attempts_used=1,
                             face_hint=FaceHint.GOOD, face_prompt=LivenessPrompt.BLINK),
              setup=_preview),
        Scene("face-retry", v(Step.FACE_CHECK, awaiting_approval=True, face_attempts_used=1,
                              face_last_failure=FailureCode.FACE_NOT_LIVE)),
        Scene("new-pin", v(Step.NEW_PIN), setup=_typed_pin),
        Scene("new-pin-shown", v(Step.NEW_PIN), setup=_shown_pin),
        Scene("new-pin-large", v(Step.NEW_PIN), setup=_typed_pin, large_text=True),
        Scene("new-pin-mismatch", v(Step.NEW_PIN, new_pin_problem=NewPinProblem.MISMATCH)),
        Scene("processing", v(Step.PROCESSING, busy=True, stage=Stage.WRITE_CARD)),
        Scene("done", v(Step.DONE)),
        Scene("done-alarm", v(Step.DONE, alarm=True)),
        Scene("out-of-service", v(Step.OUT_OF_SERVICE, card_present=False)),
    ]
    for prompt in LivenessPrompt:
        found.append(Scene(f"face-action-{prompt.value}",
                           v(Step.FACE_CHECK, busy=True, face_attempts_used=1,
                             face_hint=FaceHint.GOOD, face_prompt=prompt),
                           setup=_preview, tags=("action",)))
    for code in FailureCode:
        found.append(Scene(f"error-{code.value}", v(Step.ERROR, failure=code), tags=("error",)))
    found.append(Scene("error-alarm", v(Step.ERROR, failure=FailureCode.CARD_REMOVED,
                                        alarm=True)))
    found.append(Scene("error-large", v(Step.ERROR, failure=FailureCode.FACE_NO_MATCH),
                       large_text=True))
    return [
        Scene(s.name, _with_visit(s.view, i + 1), s.countdown, s.setup, s.large_text, s.tags)
        for i, s in enumerate(found)
    ]


def _with_visit(view: FlowView, visit: int) -> FlowView:
    from dataclasses import replace

    return replace(view, visit=visit)


# --- checking ---------------------------------------------------------------------------------


def _visible_in(widget: QWidget, window: QWidget) -> bool:
    return widget.isVisibleTo(window) and widget.width() > 0


def layout_problems(window: QWidget) -> list[str]:
    """Labels or buttons whose text does not fit, and widgets that stick out of the window."""
    problems: list[str] = []
    frame = QRect(0, 0, window.width(), window.height())
    for widget in window.findChildren(QWidget):
        if not _visible_in(widget, window):
            continue
        top_left = widget.mapTo(window, QPoint(0, 0))
        rect = QRect(top_left, widget.size())
        name = f"{type(widget).__name__}({_short(widget)})"
        if not frame.contains(rect):
            problems.append(f"{name} sticks out of the window: {rect.getRect()}")
        parent = widget.parentWidget()
        if parent is not None and parent is not window and not parent.rect().contains(
            widget.geometry()
        ):
            problems.append(f"{name} is cut off by its parent: {widget.geometry().getRect()} "
                            f"in {parent.rect().getRect()}")
        if isinstance(widget, QLabel) and widget.text():
            box = widget.contentsRect()
            metrics = QFontMetrics(widget.font())
            if widget.wordWrap():
                need = metrics.boundingRect(
                    box, int(Qt.TextFlag.TextWordWrap | widget.alignment().value), widget.text()
                )
                tall = widget.heightForWidth(widget.width())
                if tall > widget.height() + 1 or need.width() > box.width() + 1:
                    problems.append(f"{name} text needs {need.width()}x{tall}, "
                                    f"has {box.width()}x{widget.height()}")
            else:
                widest = max(metrics.horizontalAdvance(line) for line in widget.text().split("\n"))
                if widest > box.width() + 2:
                    problems.append(f"{name} text is {widest} px wide, has {box.width()}")
        elif isinstance(widget, QAbstractButton) and widget.text():
            hint = widget.sizeHint()
            if hint.width() > widget.width() + 2 or hint.height() > widget.height() + 2:
                problems.append(f"{name} needs {hint.toTuple()}, has {widget.size().toTuple()}")
    return problems


# Words that stay as they are in Japanese text: names of things, units, technical tokens.
KEPT_WORDS = frozenset({
    "PIN", "OK", "English", "My", "Number", "Python", "pcscd", "NTP", "TLS", "HTTP", "PEM",
    "CA", "kiosk", "ms", "MB", "USB", "IC", "DEBUG", "WARNING", "ERROR", "INFO", "Date",
    "timedatectl", "set", "credential", "id", "thresholds", "file", "face", "settings", "JST",
    "UTC", "JPKI", "QR", "ATR", "PC", "SC", "ABC",
})
_WORD = re.compile(r"[A-Za-z]{3,}")
_JAPANESE = re.compile(r"[\u3001-\u303f\u3040-\u30ff\u3400-\u9fff\uff00-\uffef]")


def untranslated_texts(window: QWidget) -> list[str]:
    """Visible texts with English words and no Japanese, in a window meant to be Japanese.
    Widgets that show data (file paths, reader names, log lines) carry ``data=True``."""
    found = []
    for widget in window.findChildren(QWidget):
        if not _visible_in(widget, window) or _shows_data(widget, window):
            continue
        if not isinstance(widget, QLabel | QAbstractButton):
            continue
        text = widget.text()
        words = [w for w in _WORD.findall(text) if w not in KEPT_WORDS]
        if words and not _JAPANESE.search(text):
            found.append(f"untranslated: {text[:60]!r}")
    return found


def _shows_data(widget: QWidget, window: QWidget) -> bool:
    current: QWidget | None = widget
    while current is not None and current is not window:
        if prop(current, "data") is True:
            return True
        current = current.parentWidget()
    return False


def touch_target_problems(window: QWidget, minimum: int = 90) -> list[str]:
    problems = []
    for widget in window.findChildren(QAbstractButton):
        if _visible_in(widget, window) and (
            widget.width() < minimum or widget.height() < minimum
        ):
            problems.append(f"button {_short(widget)} is {widget.width()}x{widget.height()}")
    return problems


def _short(widget: QWidget) -> str:
    text = widget.text() if isinstance(widget, QLabel | QAbstractButton) else ""
    return text.replace("\n", " ")[:24]


def is_blank(image: QImage) -> bool:
    """True when the image has (nearly) one colour."""
    small = image.scaled(64, 64).convertToFormat(QImage.Format.Format_RGB888)
    data = np.frombuffer(small.constBits(), dtype=np.uint8)[: 64 * 64 * 3]
    return bool(data.std() < 3.0)


# --- rendering --------------------------------------------------------------------------------


def show_scene(window: KioskWindow, flow: StillFlow, scene: Scene) -> None:
    window.help.hide()
    if window.accessible and not scene.view.accessible:
        window.toggle_accessible()
    if window.scale.large != scene.large_text:
        window.toggle_large_text()
    flow.show(scene.view, scene.countdown)
    if scene.setup is not None:
        scene.setup(window)
    window._show_countdown()
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("no QApplication")
    app.processEvents()


@dataclass
class Rendered:
    path: Path
    problems: list[str]


def gallery_window(flow: StillFlow, language: str) -> KioskWindow:
    """The kiosk window as installed: voice (silent here), staff call, camera reading."""
    from kiosk.card_ocr import CardFaceScanner
    from kiosk.voice import Speaker, SpeakerSettings

    def no_camera() -> Any:
        raise RuntimeError("the gallery has no camera")

    return KioskWindow(flow, UiOptions(language=language, kiosk_mode=False, sound=False),
                       speaker=Speaker({}, SpeakerSettings(enabled=True),
                                       play=lambda audio, device: None),
                       call_staff=lambda step: None, card_scanner=CardFaceScanner(no_camera))


def render_gallery(
    out_dir: Path, orientations: tuple[str, ...] = ("portrait", "landscape"),
    languages: tuple[str, ...] = ("ja", "en"),
) -> list[Rendered]:
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[Rendered] = []
    all_scenes = scenes()
    for orientation in orientations:
        width, height = SIZES[orientation]
        for language in languages:
            flow = StillFlow(all_scenes[0].view)
            window = gallery_window(flow, language)
            window.resize(width, height)
            window.show()
            try:
                for number, scene in enumerate(all_scenes, start=1):
                    show_scene(window, flow, scene)
                    image = window.grab().toImage()
                    path = out_dir / f"{orientation}-{language}-{number:02d}-{scene.name}.png"
                    image.save(str(path))
                    problems = []
                    if (window.width(), window.height()) != (width, height):
                        problems.append(f"window grew to {window.width()}x{window.height()}")
                    problems += layout_problems(window) + touch_target_problems(window)
                    if language == "ja":
                        problems += untranslated_texts(window)
                    if is_blank(image):
                        problems.append("blank image")
                    results.append(Rendered(path, problems))
                results += render_maintenance(window, flow, out_dir,
                                               f"{orientation}-{language}", len(all_scenes))
            finally:
                window.shut_down()
                if window.speaker is not None:
                    window.speaker.close()
                window.deleteLater()
    return results


def render_maintenance(window: KioskWindow, flow: StillFlow, out_dir: Path, prefix: str,
                        first: int) -> list[Rendered]:
    """The maintenance and diagnostic screens (kiosk.ui.maintenance.gallery), same checks."""
    import tempfile

    from kiosk.ui.maintenance.gallery import MaintenanceGallery

    results: list[Rendered] = []
    if window.scale.large:
        window.toggle_large_text()
    app = QApplication.instance()
    if app is None:
        raise RuntimeError("no QApplication")
    with tempfile.TemporaryDirectory(prefix="kiosk-gallery-") as state:
        gallery = MaintenanceGallery(window, flow, Path(state), synthetic_frame())
        try:
            for number, (name, setup) in enumerate(gallery.scenes(), start=first + 1):
                setup()
                app.processEvents()
                image = window.grab().toImage()
                path = out_dir / f"{prefix}-{number:02d}-{name}.png"
                image.save(str(path))
                problems = layout_problems(window) + touch_target_problems(window)
                if "-ja" in prefix:
                    problems += untranslated_texts(window)
                if is_blank(image):
                    problems.append("blank image")
                results.append(Rendered(path, problems))
        finally:
            gallery.close()
    return results


@contextmanager
def xvfb() -> Iterator[str]:
    """Start ``Xvfb`` on a free display (it reports the number on a pipe) and stop it after."""
    binary = shutil.which("Xvfb")
    if binary is None:
        raise RuntimeError("Xvfb is not installed (Debian package xvfb)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(  # noqa: S603 (Xvfb from PATH with a fixed argv)
        [binary, "-displayfd", str(write_end), "-screen", "0", "1920x1920x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError("Xvfb did not start")
        yield f":{number}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# The screens docs/gallery shows, each with what it is there to show.
DOC_SCENES: tuple[tuple[str, str], ...] = (
    ("start", "Start: the card photo side up on the reader (the IC chip is on the back)"),
    ("consent", "Step 1 of 6, with help, voice, accessible mode, large text, language"),
    ("more-time", "\"Do you need more time?\" with its countdown; any touch continues"),
    ("place-card", "Place the card, photo side up"),
    ("auth-pin", "The 4-digit PIN, tries left shown first"),
    ("auth-pin-help", "Help for this step, and the staff call"),
    ("auth-pin-staff-called", "Staff called; staff never see the PIN"),
    ("auth-pin-accessible", "Accessible mode: large text, twice the time, voice in headphones"),
    ("unlock-choose", "Ways to open the card photo"),
    ("unlock-number-b", "照合番号B typed, with a drawing of where its parts are printed"),
    ("unlock-camera", "照合番号B read by the camera: hold the card face in the frame"),
    ("unlock-camera-confirm", "What the camera read, to confirm (shown, never spoken)"),
    ("face-intro", "Face check: before it starts"),
    ("face-action-blink", "One instruction over the camera view, with its picture: blink"),
    ("face-action-turn_left", "... turn left"),
    ("face-action-turn_right", "... turn right"),
    ("face-action-nod", "... nod"),
    ("face-running", "A position hint comes first, alone"),
    ("new-pin", "New PIN: count, rules met as one types"),
    ("new-pin-shown", "New PIN shown on request, confirmation entry not matching yet"),
    ("processing", "Setting the new PIN"),
    ("done", "Done"),
    ("error-K02", "An error screen (time ran out)"),
    ("maint-staff-call", "Staff screen: a resident's call, answered here; health in Japanese"),
    ("diag-all-checks", "Engineer screen: check summaries in the chosen language"),
)
DOC_WIDTH = 360


def render_docs(out_dir: Path) -> list[Path]:
    """Small PNGs of ``DOC_SCENES`` (portrait, both languages) and an index page, for
    docs/gallery: 360 px wide, 64 colours, a few tens of kB each."""
    import tempfile

    from PIL import Image

    wanted = [name for name, _ in DOC_SCENES]
    written: list[Path] = []
    with tempfile.TemporaryDirectory(prefix="kiosk-docs-gallery-") as folder:
        results = render_gallery(Path(folder), ("portrait",))
        by_key = {}
        for result in results:
            _, language, _, name = result.path.stem.split("-", 3)
            by_key[(language, name)] = result.path
        out_dir.mkdir(parents=True, exist_ok=True)
        for old in out_dir.glob("*.png"):
            old.unlink()
        for language in ("ja", "en"):
            for number, name in enumerate(wanted, start=1):
                source = by_key[(language, name)]
                with Image.open(source) as image:
                    height = round(image.height * DOC_WIDTH / image.width)
                    small = image.convert("RGB").resize((DOC_WIDTH, height),
                                                        Image.Resampling.LANCZOS)
                    target = out_dir / f"{language}-{number:02d}-{name}.png"
                    small.quantize(colors=64, dither=Image.Dither.NONE).save(
                        target, optimize=True)
                written.append(target)
    lines = ["# Screen gallery", "",
             "Every resident screen that shows a point of issue 18, in Japanese and English "
             "(portrait, 1080 x 1920, shown small). Generated by "
             "`python -m kiosk.ui.gallery docs/gallery --docs`; the faces in the camera views "
             "are drawn, not photographed.", "",
             "| screen | 日本語 | English |", "|---|---|---|"]
    for number, (name, caption) in enumerate(DOC_SCENES, start=1):
        lines.append(f"| {caption} | ![](ja-{number:02d}-{name}.png) | "
                     f"![](en-{number:02d}-{name}.png) |")
    index = out_dir / "README.md"
    index.write_text("\n".join(lines) + "\n", encoding="utf-8")
    written.append(index)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.ui.gallery", description=__doc__)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--xvfb", action="store_true", help="render under a private Xvfb")
    parser.add_argument("--orientation", choices=("portrait", "landscape", "both"),
                        default="both")
    parser.add_argument("--docs", action="store_true",
                        help="write the small documentation gallery (docs/gallery) instead")
    args = parser.parse_args(argv)
    if args.docs:
        return _run_docs(args.out_dir, args.xvfb)
    orientations = ("portrait", "landscape") if args.orientation == "both" else (
        args.orientation,)
    if args.xvfb or (not os.environ.get("DISPLAY") and "QT_QPA_PLATFORM" not in os.environ):
        with xvfb() as display:
            os.environ["DISPLAY"] = display
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            return _run(args.out_dir, orientations)
    return _run(args.out_dir, orientations)


def _run_docs(out_dir: Path, use_xvfb: bool) -> int:
    from kiosk.ui.app import create_application

    if use_xvfb or (not os.environ.get("DISPLAY") and "QT_QPA_PLATFORM" not in os.environ):
        with xvfb() as display:
            os.environ["DISPLAY"] = display
            os.environ["QT_QPA_PLATFORM"] = "xcb"
            create_application()
            written = render_docs(out_dir)
    else:
        create_application()
        written = render_docs(out_dir)
    size = sum(path.stat().st_size for path in written)
    print(f"{len(written)} files, {size // 1024} kB in {out_dir}")
    return 0


def _run(out_dir: Path, orientations: tuple[str, ...]) -> int:
    from kiosk.ui.app import create_application, has_japanese_font

    create_application()
    if not has_japanese_font():
        print("warning: the Noto Sans CJK JP font is missing; Japanese will not render well",
              file=sys.stderr)
    results = render_gallery(out_dir, orientations)
    failed = [r for r in results if r.problems]
    for result in failed:
        for problem in result.problems:
            print(f"{result.path.name}: {problem}")
    print(f"{len(results)} screens rendered to {out_dir}, {len(failed)} with problems")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
