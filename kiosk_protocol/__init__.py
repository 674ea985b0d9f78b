"""kiosk_protocol."""
