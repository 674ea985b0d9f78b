"""The two PIN steps: the auth PIN (tries first, last-try gate) and the photo unlock.

The photo unlock offers 照合番号B typed, or read from the card face by the camera: the
reading runs on a thread of its own, shows what it read for the resident to confirm, and
keeps nothing (the values live in the confirmation labels until the step is left).
"""

from __future__ import annotations

import threading

from kiosk.card_ocr.evidence import CardFaceReading
from kiosk.card_ocr.scanner import ScanGuidance
from kiosk.card_ocr.tesseract import OcrUnavailableError
from kiosk.card_reader.era import to_era
from kiosk.flow.states import Step
from kiosk.flow.steps.face_check import PreviewSlot
from kiosk.flow.view import EntryProblem, FlowView
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QStackedWidget, QVBoxLayout, QWidget, Signal
from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.widgets import (
    AdaptiveRow,
    CardCameraView,
    CardFaceGuide,
    Keypad,
    SecretEntry,
    button,
    column,
    label,
)


def tries_text(left: int | None) -> str:
    if left is None:
        return ""
    if left == 1:
        return tr("1 try left")
    return tr("%n tries left").replace("%n", str(left))


class PinPanel(QWidget):
    """A masked 4-digit entry with its keypad and OK button."""

    def __init__(self, context: UiContext, length: int = 4, masked: bool = True,
                 groups: tuple[int, ...] = ()) -> None:
        super().__init__()
        self.entry = SecretEntry(length, masked=masked, groups=groups)
        self.keypad = Keypad(self.entry, shuffle=context.shuffle_pin_pad)
        self.ok = button("primary")
        self.length = length
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(16)
        layout.addWidget(self.entry)
        layout.addWidget(self.keypad, 1)
        layout.addWidget(self.ok)
        layout.addStretch(0)
        self.entry.changed.connect(self._update)
        self._update()

    def _update(self) -> None:
        self.ok.setEnabled(len(self.entry) == self.length)

    def retranslate(self) -> None:
        self.keypad.retranslate(tr("Clear all"), tr("Delete"))
        self.ok.setText(tr("OK"))

    def reset(self) -> None:
        self.entry.clear()
        self.keypad.reset()


class AuthPinScreen(Screen):
    step = Step.AUTH_PIN

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.explain = label()
        self.tries = label("big")
        self.problem = label("warning")
        self.last_try = label("warning")
        self.understand = button("primary", flow.confirm_last_try)
        self.busy = label("subtitle")
        self.pad = PinPanel(context)
        self.pad.ok.clicked.connect(self._submit)
        left = column(self.explain, self.tries, self.problem, self.last_try, self.understand,
                      self.busy)
        self.body.addWidget(AdaptiveRow(left, self.pad), 1)
        self.cancel = button("", flow.cancel)
        self.action_row.addWidget(self.cancel)

    def _submit(self) -> None:
        self.flow.submit_auth_pin(self.pad.entry.take())

    def shown(self, view: FlowView) -> None:
        self.pad.reset()

    def leave(self) -> None:
        self.pad.entry.clear()

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Enter your 4-digit PIN"))
        self.explain.setText(tr("The PIN for user authentication "
                                "(利用者証明用電子証明書の暗証番号), 4 digits."))
        self.tries.setText(tries_text(view.auth_tries_left))
        problem = {
            EntryProblem.WRONG: tr("The PIN was not correct."),
            EntryProblem.BAD_FORMAT: tr("Enter exactly 4 digits."),
            EntryProblem.NEEDS_LAST_TRY_CONFIRMATION: tr("Please confirm the warning first."),
        }.get(view.entry_problem) if view.entry_problem else None
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        gate = view.needs_last_try_confirmation
        self.last_try.setText(tr("This is your last try. If the PIN is wrong again, it will be "
                                 "locked and only the municipal office can unlock it."))
        self.last_try.setVisible(gate)
        self.understand.setText(tr("I understand"))
        self.understand.setVisible(gate)
        self.pad.setVisible(not gate)
        self.pad.setEnabled(not view.busy)
        self.busy.setText(tr("Checking the PIN…"))
        self.busy.setVisible(view.busy)
        self.pad.retranslate()
        self.cancel.setText(tr("Cancel"))


class UnlockPhotoScreen(Screen):
    """Choose a way to open the card photo: same PIN, the text-input PIN, or 照合番号B."""

    step = Step.UNLOCK_PHOTO
    PAGE_CHOOSE, PAGE_TEXT_PIN, PAGE_NUMBER_B, PAGE_SCAN, PAGE_CONFIRM = range(5)
    _scanned = Signal(object)  # from the scanning thread: a reading, None, or an error
    _guided = Signal(object)  # from the scanning thread: (serial, ScanGuidance)

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self._scan_stop = threading.Event()
        self._scan_serial = 0
        self._reading: CardFaceReading | None = None
        self._preview = PreviewSlot()
        self._preview_serial = -1
        self._scanned.connect(self._on_scanned)
        self._guided.connect(self._on_guided)
        self.problem = self.add_text("warning")
        self.busy = self.add_text("subtitle")
        self.pages = QStackedWidget()
        self.body.addWidget(self.pages, 1)

        # page 0: choose
        self.explain = label()
        self.last_try = label("warning")
        self.understand = button("primary", flow.confirm_last_try)
        self.same = button("choice", self._same_as_before)
        self.same_warning = label("quiet")
        self.text_way = button("choice", lambda: self._show_page(1))
        self.text_tries = label("quiet")
        self.b_way = button("choice", lambda: self._show_page(2))
        self.b_note = label("quiet")
        for choice in (self.same, self.text_way, self.b_way):
            choice.setMinimumHeight(96)
        self.pages.addWidget(AdaptiveRow(
            column(self.explain, self.last_try, self.understand),
            column(self.same, self.same_warning, self.text_way, self.text_tries, self.b_way,
                   self.b_note),
        ))

        # page 1: text-input PIN
        self.text_explain = label()
        self.text_pad = PinPanel(context)
        self.text_pad.ok.clicked.connect(self._submit_text)
        self.pages.addWidget(AdaptiveRow(column(self.text_explain), self.text_pad))

        # page 2: 照合番号B
        self.b_explain = label()
        self.guide = CardFaceGuide()
        self.legend = label()
        self.b_pad = PinPanel(context, length=14, masked=False, groups=(6, 4, 4))
        self.b_pad.ok.clicked.connect(self._submit_b)
        self.b_camera = button("", self._start_scan)
        self.b_camera.setVisible(context.card_scanner is not None)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.b_explain, self.guide, self.legend, self.b_camera):
            left_layout.addWidget(widget)
        left_layout.setStretch(1, 1)
        self.guide.setMinimumHeight(110)
        self.pages.addWidget(AdaptiveRow(left, self.b_pad))

        # page 3: the card face held to the camera
        self.scan_explain = label("big")
        self.scan_camera = CardCameraView()
        self.scan_status = label("subtitle")
        self.scan_type = button("", lambda: self._show_page(2))
        self.pages.addWidget(AdaptiveRow(self.scan_camera,
                                         column(self.scan_explain, self.scan_status,
                                                self.scan_type), portrait_grows=0))

        # page 4: what was read, for the resident to confirm
        self.confirm_explain = label("subtitle")
        self.read_birth_title = label("quiet")
        self.read_birth = label("read_value")
        self.read_expiry_title = label("quiet")
        self.read_expiry = label("read_value")
        self.read_code_title = label("quiet")
        self.read_code = label("read_value")
        for value in (self.read_birth, self.read_expiry, self.read_code):
            value.setProperty("speak", False)  # personal data: shown, never spoken
        self.confirm_ok = button("primary", self._submit_reading)
        self.confirm_again = button("", self._start_scan)
        self.confirm_type = button("", lambda: self._show_page(2))
        self.pages.addWidget(AdaptiveRow(
            column(self.confirm_explain, self.read_birth_title, self.read_birth,
                   self.read_expiry_title, self.read_expiry, self.read_code_title,
                   self.read_code),
            column(self.confirm_ok, self.confirm_again, self.confirm_type)))

        self.cancel = button("", flow.cancel)
        # back to the choice of ways, from any other page
        self.other_ways = button("", lambda: self._show_page(self.PAGE_CHOOSE))
        self.action_row.addWidget(self.cancel)
        self.action_row.addWidget(self.other_ways)

    def set_wide(self, wide: bool) -> None:
        # Portrait has room for a bigger picture of the card face.
        self.guide.setMinimumHeight(110 if wide else 240)

    def _show_page(self, index: int) -> None:
        if index != self.PAGE_SCAN:
            self._stop_scan()
        if index != self.PAGE_CONFIRM:
            self._forget_reading()
        self.pages.setCurrentIndex(index)
        self.text_pad.reset()
        self.b_pad.reset()
        self.refresh(self.flow.view)

    # --- reading the card face with the camera -------------------------------------------------

    def _start_scan(self) -> None:
        scanner = self.context.card_scanner
        if scanner is None:
            return
        self._stop_scan()
        self._forget_reading()
        self._scan_serial += 1
        serial, stop = self._scan_serial, threading.Event()
        self._scan_stop = stop
        self.scan_camera.clear()
        self.pages.setCurrentIndex(self.PAGE_SCAN)
        self.scan_status.setText(tr("Looking for the card…"))

        def work() -> None:
            try:
                result: object = scanner.scan(
                    stop.is_set, self._preview.put,
                    lambda advice: self._guided.emit((serial, advice)))
            except OcrUnavailableError:
                result = OcrUnavailableError()
            except Exception as error:  # the camera failed: typing remains
                result = error
            if not stop.is_set():
                self._scanned.emit((serial, result))

        threading.Thread(target=work, name="card-face-scan", daemon=True).start()
        self.refresh(self.flow.view)

    def _stop_scan(self) -> None:
        self._scan_stop.set()
        self._preview.clear()
        self.scan_camera.clear()

    def poll_preview(self) -> None:
        serial, frame = self._preview.take()
        if serial != self._preview_serial:
            self._preview_serial = serial
            self.scan_camera.show_frame(frame)

    def _on_guided(self, message: object) -> None:
        if not isinstance(message, tuple):
            raise TypeError("scan guidance is a (serial, ScanGuidance) tuple")
        serial, advice = message
        if serial != self._scan_serial or self.pages.currentIndex() != self.PAGE_SCAN:
            return
        if advice is ScanGuidance.CLOSER:
            self.scan_status.setText(tr("Bring the card closer to the camera, until it fills "
                                        "the frame on the screen."))
        elif advice is ScanGuidance.HOLD:
            self.scan_status.setText(tr("Good. Hold the card still while it is read."))

    def _on_scanned(self, message: object) -> None:
        if not isinstance(message, tuple):
            raise TypeError("a scan result is a (serial, result) tuple")
        serial: int = message[0]
        result: object = message[1]
        if serial != self._scan_serial or self.pages.currentIndex() != self.PAGE_SCAN:
            return
        self._preview.clear()
        if isinstance(result, CardFaceReading):
            self._reading = result
            self.pages.setCurrentIndex(self.PAGE_CONFIRM)
        else:
            self.scan_status.setText(tr("The numbers could not be read. Hold the card flat and "
                                        "still, away from reflections, or type them."))
        self.refresh(self.flow.view)

    def _forget_reading(self) -> None:
        self._reading = None
        for value in (self.read_birth, self.read_expiry, self.read_code):
            value.clear()

    def _submit_reading(self) -> None:
        reading = self._reading
        self._forget_reading()
        if reading is not None:
            self.flow.submit_number_b(reading.number_b())
        self.pages.setCurrentIndex(self.PAGE_CHOOSE)
        self.refresh(self.flow.view)

    def _same_as_before(self) -> None:
        # The warning that it may cost a try is on the button's own line, shown before this.
        self.flow.submit_same_pin_as_before(understood_it_costs_a_try=True)

    def _submit_text(self) -> None:
        self.flow.submit_text_pin(self.text_pad.entry.take())

    def _submit_b(self) -> None:
        self.flow.submit_number_b(self.b_pad.entry.take())

    def shown(self, view: FlowView) -> None:
        self._show_page(0)

    def leave(self) -> None:
        self.text_pad.entry.clear()
        self.b_pad.entry.clear()
        self._stop_scan()
        self._forget_reading()

    def refresh(self, view: FlowView) -> None:
        self.title.setText(tr("Unlock the photo on your card"))
        self._retranslate_scan()
        problem = None
        if view.entry_problem == EntryProblem.WRONG:
            problem = tr("That did not match. Please try again or choose another way.")
        elif view.entry_problem == EntryProblem.BAD_FORMAT:
            problem = tr("Please check the number of digits.")
        elif view.entry_problem == EntryProblem.BLOCKED:
            problem = tr("This way is locked. Please choose another way.")
        elif view.entry_problem == EntryProblem.NEEDS_LAST_TRY_CONFIRMATION:
            problem = tr("Please confirm the warning first.")
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        self.busy.setText(tr("Reading and checking the card's photo…"))
        self.busy.setVisible(view.busy)
        self.pages.setEnabled(not view.busy)

        gate = view.needs_last_try_confirmation
        text_open = (view.text_tries_left or 0) > 0 and not gate
        self.explain.setText(tr("The face check compares you with the photo stored in the card. "
                                "To read it, choose one of these ways. Many people use the same "
                                "4-digit number for both PINs."))
        self.last_try.setText(tr("The PIN for text input has only 1 try left. If it is wrong, "
                                 "it will be locked."))
        self.last_try.setVisible(gate)
        self.understand.setText(tr("I understand"))
        self.understand.setVisible(gate)
        self.same.setText(tr("Use the same 4-digit PIN as before"))
        self.same.setVisible(view.same_as_before_available)
        self.same.setEnabled(text_open)
        self.same_warning.setText(
            tr("If your PIN for text input is different, this uses one of its tries.")
            + " " + tries_text(view.text_tries_left)
        )
        self.same_warning.setVisible(view.same_as_before_available)
        self.text_way.setText(tr("Enter the PIN for text input"))
        self.text_way.setEnabled(text_open)
        self.text_tries.setText(tr("券面事項入力補助用暗証番号, 4 digits.") + " "
                                + tries_text(view.text_tries_left))
        self.b_way.setText(tr("Type the numbers printed on the card"))
        self.b_way.setEnabled(view.number_b_tries_left != 0)
        self.b_note.setText(tr("照合番号B: birth date, expiry year and security code, 14 digits."))

        self.text_explain.setText(tr("Enter the 4-digit PIN for text input "
                                     "(券面事項入力補助用暗証番号).") + " "
                                  + tries_text(view.text_tries_left))
        self.text_pad.retranslate()

        self.b_explain.setText(tr("Type the 14 digits in this order:"))
        self.legend.setText(tr("① Birth date: year of the Japanese era, month, day (6 digits, "
                               "e.g. Heisei 6 = 06)\n"
                               "② Expiry year of the card (4 digits)\n"
                               "③ Security code (4 digits)"))
        self.other_ways.setText(tr("Other ways"))
        self.other_ways.setVisible(self.pages.currentIndex() != self.PAGE_CHOOSE)
        self.b_pad.retranslate()
        self.cancel.setText(tr("Cancel"))

    def _retranslate_scan(self) -> None:
        self.b_camera.setText(tr("Read the numbers with the camera"))
        self.scan_explain.setText(tr("Hold the front of your card to the camera, inside the "
                                     "frame. Keep it flat and still."))
        if not self.scan_status.text():
            self.scan_status.setText(tr("Looking for the card…"))
        self.scan_type.setText(tr("Type the numbers instead"))
        self.confirm_explain.setText(tr("Is this what is printed on your card?"))
        self.read_birth_title.setText(tr("① Birth date"))
        self.read_expiry_title.setText(tr("② Expiry year of the card"))
        self.read_code_title.setText(tr("③ Security code"))
        reading = self._reading
        if reading is not None:
            era = to_era(reading.birth_date)
            year = "元" if era.year == 1 else str(era.year)
            self.read_birth.setText(f"{era.era.kanji} {year}年 {era.month}月 {era.day}日")
            self.read_expiry.setText(str(reading.expiry_year))
            self.read_code.setText(reading.security_code)
        self.confirm_ok.setText(tr("Yes, use these numbers"))
        self.confirm_again.setText(tr("Read again"))
        self.confirm_type.setText(tr("Type them instead"))
