"""`python -m kiosk_backend` runs the `kiosk-backend` command."""

from kiosk_backend.cli import main

main()
