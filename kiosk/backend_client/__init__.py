"""kiosk/backend_client."""
