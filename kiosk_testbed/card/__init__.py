"""The virtual My Number card: layout, card file, APDU processing, admin secure messaging."""

from kiosk_testbed.card.card_file import CardFile, CardFileError, load_card_file, save_card_file
from kiosk_testbed.card.virtual_card import VirtualCard

__all__ = ["CardFile", "CardFileError", "VirtualCard", "load_card_file", "save_card_file"]
