"""The behaviour of each step that does work, one module per step (``states.py`` has the table).

A step module gets a :class:`~kiosk.flow.steps.context.StepContext` (the flow's ports, the
transaction, the view and the few moves a step may make: set the view, take an exit of the
table, fail, run work) and decides what the resident's input or the step's work means.
``Flow`` (``machine.py``) keeps only the sequencing: inputs, exits, timeouts, card events,
the service state and the end of a transaction. Steps without work of their own (START,
CONSENT, PLACE_CARD, DONE, ERROR, OUT_OF_SERVICE) have no module.
"""
