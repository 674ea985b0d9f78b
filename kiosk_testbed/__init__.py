"""kiosk_testbed."""
