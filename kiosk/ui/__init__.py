"""The kiosk's touchscreen UI (PySide6); the only package that imports Qt (via ``kiosk.ui.qt``).

Screens observe a ``kiosk.flow.Flow`` and approve its steps; they never talk to the card,
the camera or the backend. Entry points for the composition root:
- ``kiosk.ui.app.create_application()`` and ``build_main_window(flow, UiOptions(...))``
  (then ``window.show_kiosk()``: full screen, frameless, no close from the touchscreen);
- ``kiosk.ui.bridge.QtPoster`` / ``make_qt_runner`` to run the flow's work on a worker thread
  with completions on the GUI thread (``QtPoster.post`` also suits ``PresenceRelay``);
- ``kiosk.ui.recorder.ScreenRecorder`` (a PNG per screen), ``python -m kiosk.ui.gallery``
  (every screen in Japanese and English, with layout checks), ``python -m kiosk.ui.i18n``.
"""
