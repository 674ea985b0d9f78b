"""What one frame's lines say (fields) and how frames are combined (evidence): the rules that
make the kiosk prefer "unread" to "wrong"."""

from __future__ import annotations

import datetime as dt

from kiosk.card_ocr.evidence import CardFaceEvidence
from kiosk.card_ocr.fields import FrameFields, Vote, fields_of_lines
from kiosk.card_ocr.tesseract import Recognised
from kiosk.card_reader.era import Era

TODAY = dt.date(2026, 11, 25)


def line(text: str, confidence: float = 95.0) -> Recognised:
    return Recognised(text, tuple(confidence for _ in text))


def frame(birth: str = "昭和55年 2月17日生", expiry: str = "2035年 2月17日まで有効",
          code: str = "2285", confidence: float = 95.0) -> FrameFields:
    return fields_of_lines([("dates", line(birth, confidence)),
                            ("dates", line(expiry, confidence)),
                            ("code", line(code, confidence))], TODAY)


def test_a_frame_gives_every_unit_of_a_plain_card() -> None:
    votes = frame().votes
    assert votes["era"].value is Era.SHOWA
    assert (votes["birth_year"].value, votes["birth_month"].value, votes["birth_day"].value) \
        == (55, 2, 17)
    assert (votes["expiry_year"].value, votes["expiry_month"].value,
            votes["expiry_day"].value) == (2035, 2, 17)
    assert votes["code"].value == "2285"
    assert "2285" not in repr(votes["code"]) and "2285" not in repr(line("2285"))


def test_a_frame_drops_what_cannot_be_true() -> None:
    votes = frame(birth="平成32年 1月 1日生", expiry="2045年 1月 1日まで有効",
                  code="22851").votes
    # 平成 32 never was; 2045 outlives the 10-year rule; five digits are no code
    assert not {"era", "birth_year", "expiry_year", "code"} & set(votes)
    young = frame(birth="平成30年 1月 1日生").votes  # 8 years old: no signature certificate
    assert "birth_year" not in young and "era" not in young
    # a code must stand alone on its line
    assert "code" not in frame(code="2285 12").votes


def test_a_lost_era_is_named_by_a_year_only_one_era_had() -> None:
    assert frame(birth="55年 2月17日生").votes["era"].value is Era.SHOWA
    assert frame(birth="和29年 2月17日生").votes["era"].value is Era.SHOWA  # not 令和 29
    assert "era" not in frame(birth="5年 2月17日生").votes  # 大正, 昭和 or 平成 5


def test_a_unit_claimed_by_two_lines_of_one_frame_is_dropped() -> None:
    fields = fields_of_lines([("dates", line("昭和55年 2月17日生")),
                              ("dates", line("昭和56年 2月17日生"))], TODAY)
    assert "birth_year" not in fields.votes and "era" not in fields.votes


def test_confidence_is_that_of_the_weakest_character() -> None:
    confidences = (99.0,) * 2 + (40.0,) + (99.0,) * 11
    fields = fields_of_lines([("dates", Recognised("昭和55年2月17日生", confidences))], TODAY)
    assert fields.votes["birth_year"].confidence == 40.0
    assert fields.votes["birth_month"].confidence == 99.0


def test_three_frames_settle_nothing_four_agreeing_frames_do() -> None:
    evidence = CardFaceEvidence(TODAY)
    for count in range(1, 5):
        evidence.add(frame())
        reading = evidence.reading()
        assert (reading is None) == (count < 4)
    assert reading is not None
    assert bytes(reading.number_b()) == b"55021720352285"
    evidence.clear()
    assert evidence.reading() is None and evidence.frames == 0


def test_a_rival_value_holds_a_unit_until_the_margin_is_reached() -> None:
    evidence = CardFaceEvidence(TODAY)
    for code in ("2285", "2286", "2285", "2285"):
        evidence.add(frame(code=code))
    assert evidence.settled("code") is None  # 3 against 1: not two frames' worth ahead
    evidence.add(frame(code="2285"))
    assert evidence.settled("code") == "2285"
    assert evidence.reading() is not None


def test_doubtful_votes_count_less_but_still_against() -> None:
    evidence = CardFaceEvidence(TODAY)
    for _ in range(4):
        evidence.add(FrameFields({"code": Vote("2285", 20.0)}))
    assert evidence.settled("code") is None  # four doubtful frames are under the margin
    for _ in range(2):
        evidence.add(FrameFields({"code": Vote("2285", 99.0)}))
    assert evidence.settled("code") == "2285"


def test_the_expiry_confirms_the_birthday() -> None:
    evidence = CardFaceEvidence(TODAY)
    evidence.add(FrameFields({"birth_day": Vote(17, 95.0)}))
    for _ in range(3):
        evidence.add(FrameFields({"expiry_day": Vote(17, 95.0)}))
    # one reading of the birth line, three of the same day on the expiry line
    assert evidence.settled("birth_day") == 17
    other = CardFaceEvidence(TODAY)
    other.add(FrameFields({"birth_day": Vote(17, 95.0)}))
    for _ in range(3):
        other.add(FrameFields({"expiry_day": Vote(18, 95.0)}))
    assert other.settled("birth_day") is None


def test_an_expiry_on_another_day_is_taken_only_from_two_clear_lines() -> None:
    # a card whose expiry is not a birthday (a foreign resident's), every frame alike: read
    evidence = CardFaceEvidence(TODAY)
    for _ in range(4):
        evidence.add(frame(birth="昭和55年 1月17日生", expiry="2035年11月17日まで有効"))
    reading = evidence.reading()
    assert reading is not None and reading.birth_date == dt.date(1980, 1, 17)


def test_a_digit_lost_on_the_birth_line_gives_no_reading() -> None:
    # "11" read as "1" on most frames of a blurred birth line, the expiry reads 11: the birth
    # day leads with 1 by far more than the margin, but the lines disagree and the birth
    # line's own frames are split
    evidence = CardFaceEvidence(TODAY)
    for index in range(12):
        day = "11" if index % 4 == 0 else " 1"
        evidence.add(frame(birth=f"平成 2年10月{day}日生", expiry="2036年10月11日まで有効"))
    assert evidence.leading("birth_day") == 1
    assert evidence.reading() is None
    # the same card with both lines read alike on every frame is read
    consistent = CardFaceEvidence(TODAY)
    for _ in range(4):
        consistent.add(frame(birth="平成 2年10月11日生", expiry="2036年10月11日まで有効"))
    assert consistent.reading() is not None


def test_a_split_vote_settles_nothing_however_many_frames_lead() -> None:
    evidence = CardFaceEvidence(TODAY)
    for index in range(11):  # 8 against 3: far past the margin, yet a quarter disagrees
        evidence.add(frame(code="9341" if index % 4 else "9541"))
    assert evidence.leading("code") == "9341"
    assert evidence.settled("code") is None and evidence.reading() is None
    for _ in range(2):  # 10 against 3: more than three to one
        evidence.add(frame(code="9341"))
    assert evidence.settled("code") == "9341"


def test_a_birthday_on_29_february_expires_on_28_february() -> None:
    evidence = CardFaceEvidence(TODAY)
    for _ in range(4):
        evidence.add(frame(birth="平成 4年 2月29日生", expiry="2034年 2月28日まで有効"))
    reading = evidence.reading()
    assert reading is not None and reading.birth_date == dt.date(1992, 2, 29)


def test_settled_parts_that_make_no_date_give_no_reading() -> None:
    evidence = CardFaceEvidence(TODAY)
    for _ in range(4):
        evidence.add(FrameFields({"era": Vote(Era.HEISEI, 99.0), "birth_year": Vote(31, 99.0),
                                  "birth_month": Vote(6, 99.0), "birth_day": Vote(1, 99.0),
                                  "expiry_year": Vote(2030, 99.0), "code": Vote("1234", 99.0)}))
    assert evidence.settled("birth_year") == 31
    assert evidence.reading() is None  # 平成 ended on 30 April of its 31st year
