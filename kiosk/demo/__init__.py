"""Wiring of the product to the testbed: the only part of `kiosk` that knows the testbed exists.

Used by the command line (`kiosk demo`, `kiosk card-bench`) to run the kiosk on embedded
defaults: a virtual card from the test authority, the synthetic resident as camera, the
reference backend on loopback.
"""
