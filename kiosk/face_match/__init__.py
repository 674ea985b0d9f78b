"""kiosk/face_match."""
