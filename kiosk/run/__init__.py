"""`kiosk run`: the installed kiosk, composed from its configuration file.

- :mod:`kiosk.run.parts` — Qt-free parts built from the configuration (backend client, camera,
  card-face trust anchors, flow settings, the reader to watch).
- :mod:`kiosk.run.outcomes` — counts every finished transaction by outcome.
- :mod:`kiosk.run.app` — the ``kiosk run`` command: flow, screens, maintenance, runtime.
"""
