"""Testbed: the virtual My Number card, its vpcd link and the test authority.

Nothing in the product (``kiosk``) imports this package; tests, the demo and the reference
backend use it. See ``docs/card-profile.md`` for the card it emulates.
"""
