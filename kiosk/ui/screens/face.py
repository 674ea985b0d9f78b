"""The face check: live preview with a guide oval and one instruction at a time over it.

The instruction is the liveness prompt with a picture of the action, unless a hint about the
position (closer, more light, one person) must come first; then that hint alone.

While the face check runs its screen-illumination code (``FlowView.face_illumination``), the
whole screen is lit in the code's colour: the camera measures that light on the face. The
colours change at most three times a second and keep about the same brightness (no strobing).
"""

from __future__ import annotations

from typing import Any

from kiosk.flow.failure_codes import FailureCode
from kiosk.flow.ports import FaceHint, ScreenColour
from kiosk.flow.states import Step
from kiosk.flow.view import FlowView
from kiosk.ui.actions import Pose, action_text, paint_pose, pose_for
from kiosk.ui.driver import FlowDriver
from kiosk.ui.i18n import tr
from kiosk.ui.qt import QColor, QImage, QPainter, QPaintEvent, QPen, QRectF, QResizeEvent, Qt
from kiosk.ui.screens.base import Screen, UiContext
from kiosk.ui.theme import GOOD, PAPER
from kiosk.ui.widgets import AdaptiveRow, Picture, button, column, frame_image, label


def hint_text(hint: FaceHint | None) -> str:
    texts = {
        FaceHint.NO_FACE: tr("Look into the camera."),
        FaceHint.MOVE_CLOSER: tr("Please come a little closer."),
        FaceHint.MOVE_BACK: tr("Please move back a little."),
        FaceHint.CENTRE_FACE: tr("Move so that your face is inside the oval."),
        FaceHint.MORE_LIGHT: tr("It is too dark. Face the light."),
        FaceHint.LESS_LIGHT: tr("It is too bright. Step out of the glare."),
        FaceHint.ONE_PERSON: tr("Only one person in front of the camera, please."),
        FaceHint.LOOK_STRAIGHT: tr("Look straight at the camera."),
        FaceHint.HOLD_STILL: tr("Hold still."),
        FaceHint.GOOD: tr("Good. Hold still."),
        FaceHint.ACTION_NOT_SEEN: tr("That movement was not seen. Take your time: "
                                     "here is another one."),
    }
    return texts.get(hint, "") if hint else tr("Look into the camera.")


# Hints that leave the resident free to follow a prompt; any other hint comes first.
CALM_HINTS = (None, FaceHint.GOOD, FaceHint.HOLD_STILL)


class CameraView(Picture):
    """The camera frame, mirrored like a looking glass, with the guide oval over it."""

    def __init__(self) -> None:
        super().__init__(min_height=420)
        self._image: QImage | None = None
        self.good = False
        self.pose: Pose | None = None  # the picture of the action asked for, if any
        self.light: QColor | None = None  # the screen's illumination colour, while it runs
        self.instruction = label("instruction", centre=True)
        self.instruction.setParent(self)
        self.instruction.hide()

    def set_instruction(self, text: str, pose: Pose | None) -> None:
        """One instruction over the picture (``""`` for none), with its action's picture."""
        self.instruction.setText(text)
        self.instruction.setVisible(bool(text))
        self.pose = pose if text else None
        self._place_instruction()
        self.update()

    def _area(self) -> QRectF:
        full = QRectF(self.rect())
        # A 4:3 (landscape) or 3:4 (portrait) picture, centred, never cropped.
        ratio = 4 / 3 if full.width() > full.height() else 3 / 4
        w = min(full.width(), full.height() * ratio)
        h = w / ratio
        return QRectF((full.width() - w) / 2, (full.height() - h) / 2, w, h)

    def _place_instruction(self) -> None:
        area = self._area()
        width = int(area.width() * 0.92)
        height = self.instruction.heightForWidth(width)
        self.instruction.setGeometry(int(area.left() + area.width() * 0.04),
                                     int(area.bottom() - height - area.height() * 0.03),
                                     width, height)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        self._place_instruction()
        super().resizeEvent(event)

    def show_frame(self, frame: Any) -> None:
        """Show an RGB ``uint8`` array (H x W x 3); anything else clears the picture."""
        self._image = frame_image(frame, mirrored=True)
        self.update()

    def clear(self) -> None:
        self._image = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        full = QRectF(self.rect())
        painter.fillRect(full, self.light if self.light is not None else QColor(PAPER))
        area = self._area()
        painter.fillRect(area, QColor("#20242c"))
        if self._image is not None:
            image = self._image
            scale = max(area.width() / image.width(), area.height() / image.height())
            source_w, source_h = area.width() / scale, area.height() / scale
            source = QRectF((image.width() - source_w) / 2, (image.height() - source_h) / 2,
                            source_w, source_h)
            painter.drawImage(area, image, source)
        oval_h = area.height() * 0.78
        oval_w = min(oval_h * 0.72, area.width() * 0.8)
        oval = QRectF(area.left() + (area.width() - oval_w) / 2,
                      area.top() + (area.height() - oval_h) / 2, oval_w, oval_h)
        pen = QPen(QColor(GOOD if self.good else "#ffffff"), 8)
        pen.setStyle(Qt.PenStyle.SolidLine if self.good else Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(oval)
        if self.pose is not None:
            side = min(area.width(), area.height()) * 0.34
            paint_pose(painter, QRectF(area.left() + side * 0.08, area.top() + side * 0.08,
                                       side, side), self.pose)
        painter.end()


class FaceCheckScreen(Screen):
    step = Step.FACE_CHECK

    def __init__(self, flow: FlowDriver, context: UiContext) -> None:
        super().__init__(flow, context)
        self.intro = label()
        self.failure = label("warning")
        self.camera = CameraView()
        self.attempts = label("quiet", centre=True)
        texts = column(self.intro, self.failure, self.attempts)
        self.body.addWidget(AdaptiveRow(self.camera, texts, portrait_grows=0), 1)
        self.cancel = button("", flow.cancel)
        self.go = button("primary", flow.approve)
        self.action_row.addWidget(self.cancel)
        self.action_row.addWidget(self.go, 2)
        self._serial = -1
        self._light: QColor | None = None

    def light_screen(self, colour: ScreenColour | None) -> None:
        """Fill the screen with the illumination colour (None: the ordinary background)."""
        light = None if colour is None else QColor.fromRgbF(*(min(1.0, max(0.0, c))
                                                                for c in colour))
        if light == self._light:
            return
        self._light = light
        self.camera.light = light
        self.update()
        self.camera.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 (Qt override)
        if self._light is not None:
            painter = QPainter(self)
            painter.fillRect(self.rect(), self._light)
            painter.end()
        super().paintEvent(event)

    def poll_preview(self) -> None:
        serial, frame = self.flow.preview.take()
        if serial != self._serial:
            self._serial = serial
            self.camera.show_frame(frame)

    def shown(self, view: FlowView) -> None:
        self.light_screen(None)
        self.camera.clear()

    def leave(self) -> None:
        self.light_screen(None)
        self.camera.clear()

    def refresh(self, view: FlowView) -> None:
        waiting = view.awaiting_approval
        self.title.setText(tr("Face check"))
        self.intro.setText(tr("Look at the camera with your face inside the oval. Please take "
                              "off a mask, sunglasses or hat. Then do the one movement shown "
                              "over the picture. Nothing is recorded."))
        self.intro.setVisible(waiting)
        failure = {
            FailureCode.FACE_NO_MATCH: tr("Your face could not be matched with the card photo."),
            FailureCode.FACE_NOT_LIVE: tr("The movements asked for were not seen."),
        }.get(view.face_last_failure) if view.face_last_failure else None
        self.failure.setText(failure or "")
        self.failure.setVisible(waiting and failure is not None)
        self.camera.good = view.face_hint == FaceHint.GOOD
        self.light_screen(None if waiting else view.face_illumination)
        if waiting:
            self.camera.set_instruction("", None)
        elif view.face_prompt is not None and view.face_hint in CALM_HINTS:
            self.camera.set_instruction(action_text(view.face_prompt),
                                        pose_for(view.face_prompt))
        elif view.face_prompt is not None and view.face_hint == FaceHint.ACTION_NOT_SEEN:
            # The replacement action comes with the reason it was replaced.
            self.camera.set_instruction(hint_text(view.face_hint) + "\n"
                                        + action_text(view.face_prompt),
                                        pose_for(view.face_prompt))
        else:
            self.camera.set_instruction(hint_text(view.face_hint), None)
        left = max(0, view.face_attempts_max - view.face_attempts_used)
        self.attempts.setText(tr("Attempts left: %n").replace("%n", str(left)))
        self.attempts.setVisible(waiting and view.face_attempts_used > 0)
        self.go.setText(tr("Try again") if view.face_attempts_used else tr("Start the face check"))
        self.go.setVisible(waiting)
        self.cancel.setText(tr("Cancel"))
