"""``python -m kiosk_testbed`` = the ``kiosk-testbed`` console script."""

from kiosk_testbed.cli import main

main()
