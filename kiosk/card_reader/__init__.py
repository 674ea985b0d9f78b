"""kiosk/card_reader."""
