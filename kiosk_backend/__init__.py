"""kiosk_backend."""
