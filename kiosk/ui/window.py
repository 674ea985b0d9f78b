"""The kiosk window: full screen, frameless, no close from the touchscreen; a header with the
step indicator, help, voice, accessible-mode, large-text and language buttons; one screen per
step; over them the help panel (with the staff call) and "Do you need more time?"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from kiosk.card_ocr.scanner import CardFaceScanner
from kiosk.flow.progress import position
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.alarm import Alarm
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import Translations, tr
from kiosk.ui.overlays import HelpOverlay, MoreTimeOverlay
from kiosk.ui.qt import (
    QApplication,
    QBoxLayout,
    QCloseEvent,
    QEvent,
    QFrame,
    QHBoxLayout,
    QLayout,
    QMainWindow,
    QObject,
    QResizeEvent,
    QSizePolicy,
    QStackedWidget,
    Qt,
    QTimer,
    QVBoxLayout,
    QWidget,
)
from kiosk.ui.screens import SCREEN_TYPES, Screen, UiContext
from kiosk.ui.screens.ending import OutOfServiceScreen
from kiosk.ui.screens.face import FaceCheckScreen
from kiosk.ui.screens.pins import UnlockPhotoScreen
from kiosk.ui.theme import Scale, app_font, stylesheet
from kiosk.ui.widgets import AdaptiveRow, button, label
from kiosk.voice import Speaker

# Working steps whose screen approves the work as soon as it is shown.
AUTO_APPROVE = (Step.READ_CARD, Step.PROCESSING)
ACTIVITY_EVENTS = (
    QEvent.Type.TouchBegin,
    QEvent.Type.TouchUpdate,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
)


@dataclass
class UiOptions:
    language: str = "ja"
    large_text: bool = False
    shuffle_pin_pad: bool = False
    kiosk_mode: bool = True  # full screen, frameless, cannot be closed by the resident
    sound: bool = True
    accessible: bool = False  # start in the accessible mode (large text, more time, headphones)
    tick_ms: int = 250
    preview_ms: int = 66


class ActivityFilter(QObject):
    """Counts touch, mouse and key events anywhere in the application as resident activity."""

    def __init__(self, flow: FlowDriver, after: Callable[[], None] = lambda: None) -> None:
        super().__init__()
        self._flow = flow
        self._after = after
        self.seen = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in ACTIVITY_EVENTS:
            self.seen += 1
            self._flow.user_activity()
            self._after()
        return False


class KioskWindow(QMainWindow):
    def __init__(self, flow: FlowDriver, options: UiOptions, *, speaker: Speaker | None = None,
                 call_staff: Callable[[str], None] | None = None,
                 card_scanner: CardFaceScanner | None = None) -> None:
        """``speaker`` reads the screens aloud (None: no voice); ``call_staff(step)`` rings
        the store staff (None: the help panel offers no staff call); ``card_scanner`` reads
        照合番号B from the card face with the camera (None: typing only)."""
        super().__init__()
        self.flow = flow
        self.options = options
        self.speaker = speaker
        self._call_staff = call_staff
        self._spoken: list[str] = []
        self.translations = Translations(options.language)
        self.context = UiContext(options.language, options.shuffle_pin_pad, self.set_language,
                                 card_scanner)
        self.scale = Scale(options.large_text)
        self._allow_close = False
        self._current: Screen | None = None
        self._visit = -1
        self._service_message = ""  # staff's message for residents while out of service

        root = QWidget()
        root.setObjectName("KioskRoot")
        self.setCentralWidget(root)
        layout = QVBoxLayout(root)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)

        header = QFrame()
        header.setObjectName("Header")
        # One row on a landscape screen, two (name and step; buttons) on a portrait one.
        rows = QBoxLayout(QBoxLayout.Direction.TopToBottom, header)
        self._header_rows = rows
        rows.setContentsMargins(32, 10, 32, 10)
        rows.setSpacing(8)
        bar = QHBoxLayout()
        bar.setSpacing(20)
        self.service_name = label("quiet", wrap=True)
        self.step_indicator = label("step", wrap=False)
        self.countdown = label("countdown", wrap=False)
        bar.addWidget(self.service_name, 1)
        bar.addWidget(self.countdown)
        bar.addWidget(self.step_indicator)
        rows.addLayout(bar, 1)
        tools = QHBoxLayout()
        tools.setSpacing(16)
        self.help_button = button("help", self.open_help)
        # The header's tools keep one size in the large-text mode, so all five always fit.
        self.voice_button = button("tool", self.toggle_voice)
        self.accessible_toggle = button("tool", self.toggle_accessible)
        self.large_toggle = button("tool", self.toggle_large_text)
        self.language_button = button("tool", self.toggle_language)
        for widget in (self.help_button, self.voice_button, self.accessible_toggle,
                       self.large_toggle, self.language_button):
            tools.addWidget(widget)
        self.voice_button.setVisible(speaker is not None)
        rows.addLayout(tools)
        layout.addWidget(header)

        self.stack = QStackedWidget()
        # Wrapped text asks for a tall minimum at a narrow width; the real width is the
        # screen's, so the window must not grow from those hints (the gallery checks the fit).
        self.stack.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        layout.addWidget(self.stack, 1)
        self.screens: dict[Step, Screen] = {}
        for screen_type in SCREEN_TYPES:
            screen = screen_type(flow, self.context)
            self.screens[screen_type.step] = screen
            self.stack.addWidget(screen)

        self.help = HelpOverlay(self.stack, self._ring_staff if call_staff else None)
        self.help.close_button.clicked.connect(lambda: self._speak(fresh=True))
        self.more_time = MoreTimeOverlay(self.stack)
        self.stack.installEventFilter(self)
        self.accessible = False

        self.alarm = Alarm(sound=options.sound)
        self.alarm.flash.connect(lambda lit: self._current.flash(lit) if self._current else None)
        self.activity = ActivityFilter(flow, self._show_countdown)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self.activity)
        self._ticker = QTimer(self)
        self._ticker.setInterval(options.tick_ms)
        self._ticker.timeout.connect(self._tick)
        self._ticker.start()
        self._preview_timer = QTimer(self)
        self._preview_timer.setInterval(options.preview_ms)
        self._preview_timer.timeout.connect(self._poll_preview)
        self._preview_timer.start()

        # The window's size is the screen's; layouts must not push size hints onto it (the
        # offscreen platform warns about that, and a kiosk never resizes).
        own_layout = self.layout()
        if own_layout is not None:
            own_layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._unsubscribe = flow.subscribe(self._on_view)
        self._apply_style()
        if options.accessible:
            self.toggle_accessible()
        self._on_view(flow.view)
        if options.kiosk_mode:
            self.setWindowFlags(
                Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
            )

    # --- public -------------------------------------------------------------------------------

    @property
    def current_screen(self) -> Screen:
        screen = self.stack.currentWidget()
        if not isinstance(screen, Screen):
            raise TypeError(f"the stack shows a {type(screen).__name__}, not a screen")
        return screen

    def show_kiosk(self) -> None:
        if self.options.kiosk_mode:
            self.showFullScreen()
        else:
            self.show()

    def set_language(self, language: str) -> None:
        self.translations.switch(language)
        self.context.language = language
        self._refresh_all()

    def toggle_language(self) -> None:
        self.set_language("en" if self.context.language == "ja" else "ja")

    def toggle_large_text(self) -> None:
        self.scale = Scale(not self.scale.large)
        self._apply_style()

    def toggle_accessible(self) -> None:
        """The accessible mode: large text, longer time limits, voice through headphones."""
        self.accessible = not self.accessible
        setter = getattr(self.flow, "set_accessible", None)
        if setter is not None:
            setter(self.accessible)
        if self.speaker is not None:
            self.speaker.headphones = self.accessible
            if self.accessible and not self.speaker.enabled:
                self.speaker.set_enabled(True)
        if self.scale.large != self.accessible:
            self.toggle_large_text()
        else:
            self._refresh_header()
        self._speak(fresh=True)

    def toggle_voice(self) -> None:
        if self.speaker is None:
            return
        self.speaker.set_enabled(not self.speaker.enabled)
        self._refresh_header()
        self._speak(fresh=True)

    def open_help(self) -> None:
        self.more_time.hide()
        self.help.cover(self.stack)
        self.help.open_for(self.flow.view.step)
        self._speak(fresh=True)

    def _ring_staff(self) -> None:
        if self._call_staff is not None:
            self._call_staff(self.flow.view.step.value)
        self._speak(fresh=True)

    def set_service_message(self, message: str) -> None:
        """Staff's message on the out-of-service screen ("" for the standard text); shown in
        the current language when it has a translation."""
        self._service_message = message
        self._show_service_message()

    def shut_down(self) -> None:
        """Close for real (staff or the program; the resident cannot). Safe to call twice."""
        if self._allow_close:
            return
        self._ticker.stop()
        self._preview_timer.stop()
        self.alarm.stop()
        if self.speaker is not None:
            self.speaker.silence()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.activity)
        self._unsubscribe()
        if self._current is not None:
            self._current.leave()
        self._allow_close = True
        self.close()

    # --- Qt -----------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._allow_close:
            event.accept()
        else:
            event.ignore()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self.stack and event.type() == QEvent.Type.Resize:
            for overlay in (self.help, self.more_time):
                overlay.setGeometry(self.stack.rect())
        return False

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._adapt(event.size().width() > event.size().height())
        super().resizeEvent(event)

    def _adapt(self, wide: bool) -> None:
        self._header_rows.setDirection(QBoxLayout.Direction.LeftToRight if wide
                                       else QBoxLayout.Direction.TopToBottom)
        for row in self.findChildren(AdaptiveRow):
            row.set_wide(wide)
        for screen in self.screens.values():
            screen.set_wide(wide)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 (Qt override)
        if event.type() == QEvent.Type.LanguageChange:
            self._refresh_all()
        super().changeEvent(event)

    # --- internals ----------------------------------------------------------------------------

    def _apply_style(self) -> None:
        self.setFont(app_font(self.scale))
        self.setStyleSheet(stylesheet(self.scale))
        self._refresh_all()

    def _refresh_all(self) -> None:
        self._refresh_header()
        for screen in self.screens.values():
            screen.refresh(self.flow.view)
        self._show_service_message()
        if self.help.isVisible():
            self.help.retranslate()
        self._speak(fresh=True)

    def _show_service_message(self) -> None:
        screen = self.screens.get(Step.OUT_OF_SERVICE)
        if self._service_message and isinstance(screen, OutOfServiceScreen):
            # staff choose among preset messages, translated where they are offered
            screen.elsewhere.setText(tr(self._service_message))

    def _refresh_header(self) -> None:
        self.service_name.setText(tr("Signature PIN reset"))
        self.language_button.setText("English" if self.context.language == "ja" else "日本語")
        self.language_button.setAccessibleName(tr("Change language"))
        self.large_toggle.setText(tr("Normal text") if self.scale.large else tr("Large text"))
        self.help_button.setText(tr("Help"))
        self.help_button.setAccessibleName(tr("Help and staff call"))
        voice_on = self.speaker is not None and self.speaker.enabled
        self.voice_button.setText(tr("Voice: on") if voice_on else tr("Voice: off"))
        self.accessible_toggle.setText(tr("Accessible mode: on") if self.accessible
                                       else tr("Accessible mode"))
        where = position(self.flow.view.step)
        self.step_indicator.setVisible(where is not None)
        if where is not None:
            self.step_indicator.setText(tr("Step %1 / %2").replace("%1", str(where[0]))
                                        .replace("%2", str(where[1])))
        self._show_countdown()

    def _show_countdown(self) -> None:
        seconds = self.flow.countdown()
        text = "" if seconds is None else tr("%n s left").replace("%n", str(seconds))
        self.countdown.setText(text)
        self.countdown.setVisible(seconds is not None)
        if seconds is None:
            if self.more_time.isVisible():
                self.more_time.hide()
                self._speak(fresh=True)
            return
        appearing = not self.more_time.isVisible()
        self.more_time.show_seconds(seconds)
        if appearing:
            self.help.hide()
            self.more_time.cover(self.stack)
            self.more_time.show()
            self._speak(fresh=True)

    def _on_view(self, view: FlowView) -> None:
        screen = self.screens[view.step]
        fresh = view.visit != self._visit
        if fresh:
            self._visit = view.visit
            if self._current is not None and self._current is not screen:
                self._current.leave()
                self.help.hide()
            self._current = screen
            self.stack.setCurrentWidget(screen)
            screen.refresh(view)
            screen.shown(view)
            self._refresh_header()
        screen.refresh(view)
        self._show_service_message()
        if view.step in AUTO_APPROVE and view.awaiting_approval and not view.busy:
            QTimer.singleShot(0, self._approve_if_waiting)
        if view.alarm:
            self.alarm.start()
        else:
            self.alarm.stop()
        self._show_countdown()
        self._speak(fresh=fresh)

    def _speak(self, *, fresh: bool) -> None:
        """Read the current screen (or the panel over it) aloud: all of it when ``fresh``,
        else only its lines that are new since the last time."""
        if self.speaker is None or self._current is None:
            return
        if self.more_time.isVisible():
            text = self.more_time.spoken_text()
        elif self.help.isVisible():
            text = self.help.spoken_text()
        else:
            text = self._current.spoken_text()
        lines = [line for line in text.split("\n") if line.strip()]
        new = lines if fresh else [line for line in lines if line not in self._spoken]
        self._spoken = lines
        if new:
            self.speaker.say("\n".join(new), self.context.language)

    def _approve_if_waiting(self) -> None:
        view = self.flow.view
        if view.step in AUTO_APPROVE and view.awaiting_approval and not view.busy:
            self.flow.approve()

    def _tick(self) -> None:
        self.flow.tick()
        self._show_countdown()

    def _poll_preview(self) -> None:
        if isinstance(self._current, FaceCheckScreen | UnlockPhotoScreen):
            self._current.poll_preview()


def build_main_window(flow: FlowDriver, options: UiOptions | None = None) -> KioskWindow:
    """The kiosk's main window for ``flow`` (a QApplication must exist). Call ``show_kiosk()``."""
    if QApplication.instance() is None:
        raise RuntimeError("create the QApplication first (kiosk.ui.app.create_application)")
    return KioskWindow(flow, options or UiOptions())
