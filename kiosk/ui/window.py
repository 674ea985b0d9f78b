"""The kiosk window: full screen, frameless, no close from the touchscreen; a header with the
language switch, large-text toggle and inactivity countdown; one screen per step."""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.alarm import Alarm
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import Translations, tr
from kiosk.ui.qt import (
    QApplication,
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
from kiosk.ui.theme import Scale, app_font, stylesheet
from kiosk.ui.widgets import AdaptiveRow, button, label

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
    tick_ms: int = 250
    preview_ms: int = 66


class ActivityFilter(QObject):
    """Counts touch, mouse and key events anywhere in the application as resident activity."""

    def __init__(self, flow: FlowDriver) -> None:
        super().__init__()
        self._flow = flow
        self.seen = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() in ACTIVITY_EVENTS:
            self.seen += 1
            self._flow.user_activity()
        return False


class KioskWindow(QMainWindow):
    def __init__(self, flow: FlowDriver, options: UiOptions) -> None:
        super().__init__()
        self.flow = flow
        self.options = options
        self.translations = Translations(options.language)
        self.context = UiContext(options.language, options.shuffle_pin_pad, self.set_language)
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
        bar = QHBoxLayout(header)
        bar.setContentsMargins(32, 12, 32, 12)
        bar.setSpacing(20)
        self.service_name = label("quiet", wrap=True)
        self.countdown = label("countdown", wrap=False)
        self.large_toggle = button("small", self.toggle_large_text)
        self.language_button = button("small", self.toggle_language)
        for widget in (self.large_toggle, self.language_button):
            widget.setSizePolicy(widget.sizePolicy().horizontalPolicy().Minimum,
                                 widget.sizePolicy().verticalPolicy())
        bar.addWidget(self.service_name, 1)
        bar.addWidget(self.countdown)
        bar.addWidget(self.large_toggle)
        bar.addWidget(self.language_button)
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

        self.alarm = Alarm(sound=options.sound)
        self.alarm.flash.connect(lambda lit: self._current.flash(lit) if self._current else None)
        self.activity = ActivityFilter(flow)
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

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._adapt(event.size().width() > event.size().height())
        super().resizeEvent(event)

    def _adapt(self, wide: bool) -> None:
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
        self._show_countdown()

    def _show_countdown(self) -> None:
        seconds = self.flow.countdown()
        text = "" if seconds is None else tr("%n s left").replace("%n", str(seconds))
        self.countdown.setText(text)
        self.countdown.setVisible(seconds is not None)

    def _on_view(self, view: FlowView) -> None:
        screen = self.screens[view.step]
        if view.visit != self._visit:
            self._visit = view.visit
            if self._current is not None and self._current is not screen:
                self._current.leave()
            self._current = screen
            self.stack.setCurrentWidget(screen)
            screen.refresh(view)
            screen.shown(view)
        screen.refresh(view)
        self._show_service_message()
        if view.step in AUTO_APPROVE and view.awaiting_approval and not view.busy:
            QTimer.singleShot(0, self._approve_if_waiting)
        if view.alarm:
            self.alarm.start()
        else:
            self.alarm.stop()
        self._show_countdown()

    def _approve_if_waiting(self) -> None:
        view = self.flow.view
        if view.step in AUTO_APPROVE and view.awaiting_approval and not view.busy:
            self.flow.approve()

    def _tick(self) -> None:
        self.flow.tick()
        self._show_countdown()

    def _poll_preview(self) -> None:
        if isinstance(self._current, FaceCheckScreen):
            self._current.poll_preview()


def build_main_window(flow: FlowDriver, options: UiOptions | None = None) -> KioskWindow:
    """The kiosk's main window for ``flow`` (a QApplication must exist). Call ``show_kiosk()``."""
    if QApplication.instance() is None:
        raise RuntimeError("create the QApplication first (kiosk.ui.app.create_application)")
    return KioskWindow(flow, options or UiOptions())
