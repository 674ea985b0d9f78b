"""The catalogue of everything that can end a transaction early, for residents and staff.

Each entry: a stable code, the cause in plain words and what to do next, in Japanese and
English. The error screens show these texts; ``docs/failure-codes.md`` is generated from
this module (``python -m kiosk.flow.docs``) and a test keeps the two equal.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class NextStep(Enum):
    """Where the resident goes from here."""

    TRY_AGAIN = "try_again"
    TRY_LATER = "try_later"
    MUNICIPAL_OFFICE = "municipal_office"
    STAFF = "staff"
    TRY_NEW_PIN = "try_new_pin"


NEXT_STEP_LABELS: dict[NextStep, tuple[str, str]] = {
    NextStep.TRY_AGAIN: ("もう一度お試しください", "Try again"),
    NextStep.TRY_LATER: ("時間をおいてお試しください", "Try again later"),
    NextStep.MUNICIPAL_OFFICE: ("市区町村の窓口へ", "Go to your municipal office"),
    NextStep.STAFF: ("店員にお知らせください", "Tell the store staff"),
    NextStep.TRY_NEW_PIN: ("後で新しい暗証番号をお試しください", "Try your new PIN later"),
}


@dataclass(frozen=True)
class Failure:
    """One catalogue entry."""

    code: str
    next_step: NextStep
    cause_ja: str
    cause_en: str
    todo_ja: str
    todo_en: str
    # The resident chose this (cancel, timeout); the screen is calm, not alarming.
    resident_choice: bool = False

    def cause(self, language: str) -> str:
        return self.cause_ja if language == "ja" else self.cause_en

    def todo(self, language: str) -> str:
        return self.todo_ja if language == "ja" else self.todo_en


class FailureCode(Enum):
    """Symbolic names the flow uses; the value is the code shown on screen."""

    CANCELLED = "K01"
    TIMED_OUT = "K02"
    STEP_TOO_SLOW = "K03"
    INTERNAL = "K99"
    NOT_A_MY_NUMBER_CARD = "C01"
    CARD_REMOVED = "C02"
    CARD_SWAPPED = "C03"
    CARD_UNREADABLE = "C04"
    AUTH_PIN_BLOCKED = "C05"
    SIGN_CERT_MISSING = "C06"
    SIGN_CERT_EXPIRED = "C07"
    CARD_FACE_INVALID = "C08"
    PHOTO_LOCKED = "C09"
    READER_UNAVAILABLE = "C10"
    CARD_MISMATCH = "C11"
    FACE_NO_MATCH = "F01"
    FACE_NOT_LIVE = "F02"
    CAMERA_UNAVAILABLE = "F03"
    BACKEND_OFFLINE = "B01"
    BACKEND_REFUSED = "B02"
    CARD_REJECTED = "B03"
    BACKEND_ERROR = "B04"
    KIOSK_FLAGGED = "B05"
    RESET_FAILED = "R01"
    RESET_UNCONFIRMED = "R02"


_T = NextStep
CATALOGUE: dict[FailureCode, Failure] = {}


def _add(
    code: FailureCode, next_step: NextStep, *texts: str, resident_choice: bool = False
) -> None:
    """Texts in order: cause (ja), cause (en), what to do (ja), what to do (en)."""
    cause_ja, cause_en, todo_ja, todo_en = texts
    CATALOGUE[code] = Failure(
        code.value, next_step, cause_ja, cause_en, todo_ja, todo_en, resident_choice
    )


_add(
    FailureCode.CANCELLED, _T.TRY_AGAIN,
    "手続きを中止しました。カードには何も変更していません。",
    "You cancelled. Nothing on your card was changed.",
    "カードをお取りください。もう一度最初から始められます。",
    "Take your card. You can start again at any time.",
    resident_choice=True,
)
_add(
    FailureCode.TIMED_OUT, _T.TRY_AGAIN,
    "しばらく操作がなかったため、手続きを終了しました。入力内容は消去しました。",
    "Nothing was touched for a while, so the session ended. What you entered has been erased.",
    "カードをお取りください。もう一度最初から始められます。",
    "Take your card. You can start again from the beginning.",
    resident_choice=True,
)
_add(
    FailureCode.STEP_TOO_SLOW, _T.TRY_AGAIN,
    "処理に時間がかかりすぎたため、手続きを終了しました。",
    "A step took too long, so the session ended.",
    "カードをお取りになり、もう一度お試しください。続く場合は店員にお知らせください。",
    "Take your card and try again. If it happens again, tell the store staff.",
)
_add(
    FailureCode.INTERNAL, _T.STAFF,
    "この端末で予期しない問題が起きました。カードには何も変更していません。",
    "Something unexpected went wrong in this machine. Nothing on your card was changed.",
    "カードをお取りになり、店員にお知らせください。",
    "Take your card and tell the store staff.",
)
_add(
    FailureCode.NOT_A_MY_NUMBER_CARD, _T.TRY_AGAIN,
    "置かれたカードはマイナンバーカードとして読み取れませんでした。",
    "The card on the reader could not be read as a My Number card.",
    "マイナンバーカードを、表を上にして置き直してください。",
    "Place your My Number card, face up, on the reader.",
)
_add(
    FailureCode.CARD_REMOVED, _T.TRY_AGAIN,
    "手続きの途中でカードが読み取り機から離れました。",
    "The card left the reader before the end.",
    "最初からやり直し、終わるまでカードを置いたままにしてください。",
    "Start again and leave the card on the reader until the end.",
)
_add(
    FailureCode.CARD_SWAPPED, _T.TRY_AGAIN,
    "手続きの途中でカードが替わったため、入力内容をすべて消去しました。",
    "The card changed during the session, so everything entered was erased.",
    "ご本人のカード1枚で、最初からやり直してください。",
    "Start again with your own card only.",
)
_add(
    FailureCode.CARD_UNREADABLE, _T.TRY_AGAIN,
    "カードとの通信がうまくいきませんでした。",
    "The card did not answer as expected.",
    "カードを置き直してもう一度お試しください。続く場合は市区町村の窓口へ。",
    "Place the card again and retry. If it keeps happening, go to your municipal office.",
)
_add(
    FailureCode.AUTH_PIN_BLOCKED, _T.MUNICIPAL_OFFICE,
    "利用者証明用の暗証番号(4桁)がロックされています。",
    "The 4-digit user-authentication PIN is locked.",
    "この端末では解除できません。市区町村の窓口で手続きしてください。",
    "This kiosk cannot unlock it. Please go to your municipal office.",
)
_add(
    FailureCode.SIGN_CERT_MISSING, _T.MUNICIPAL_OFFICE,
    "このカードには署名用電子証明書が入っていません。",
    "This card has no signature certificate.",
    "証明書の発行は市区町村の窓口で行えます。",
    "Your municipal office can issue one.",
)
_add(
    FailureCode.SIGN_CERT_EXPIRED, _T.MUNICIPAL_OFFICE,
    "署名用電子証明書の有効期限が切れています。",
    "The signature certificate on this card has expired.",
    "証明書の更新は市区町村の窓口で行えます。",
    "Your municipal office can renew it.",
)
_add(
    FailureCode.CARD_FACE_INVALID, _T.MUNICIPAL_OFFICE,
    "カードの券面情報を確認できませんでした。",
    "The information printed in the card's chip could not be verified.",
    "カードを市区町村の窓口でご確認ください。",
    "Please have your card checked at your municipal office.",
)
_add(
    FailureCode.PHOTO_LOCKED, _T.MUNICIPAL_OFFICE,
    "券面の写真を読み出すための番号がロックされています。",
    "The numbers that unlock the card's photo are locked.",
    "この端末では解除できません。市区町村の窓口で手続きしてください。",
    "This kiosk cannot unlock them. Please go to your municipal office.",
)
_add(
    FailureCode.READER_UNAVAILABLE, _T.STAFF,
    "カード読み取り機が使えません。",
    "The card reader is not working.",
    "店員にお知らせください。",
    "Please tell the store staff.",
)
_add(
    FailureCode.CARD_MISMATCH, _T.MUNICIPAL_OFFICE,
    "カードのICチップと電子証明書が、同じ1枚のカードのものであることを確認できませんでした。"
    "カードには何も変更していません。",
    "The card's chip and its certificate could not be confirmed as parts of one genuine card. "
    "Nothing on your card was changed.",
    "カードをお取りください。この端末では続けられません。市区町村の窓口でカードを確認してもらってください。",
    "Take your card. It cannot be used at this kiosk. Please have it checked at your "
    "municipal office.",
)
_add(
    FailureCode.FACE_NO_MATCH, _T.MUNICIPAL_OFFICE,
    "カメラの顔とカードの写真が一致しませんでした。",
    "The face in the camera did not match the photo on the card.",
    "市区町村の窓口で暗証番号の再設定ができます。",
    "Your municipal office can reset the PIN for you.",
)
_add(
    FailureCode.FACE_NOT_LIVE, _T.MUNICIPAL_OFFICE,
    "本人がその場にいることを確認できませんでした。",
    "We could not confirm that a live person was in front of the camera.",
    "市区町村の窓口で暗証番号の再設定ができます。",
    "Your municipal office can reset the PIN for you.",
)
_add(
    FailureCode.CAMERA_UNAVAILABLE, _T.STAFF,
    "カメラが使えません。",
    "The camera is not working.",
    "カードをお取りになり、店員にお知らせください。",
    "Take your card and tell the store staff.",
)
_add(
    FailureCode.BACKEND_OFFLINE, _T.TRY_LATER,
    "センターと通信できません。カードには何も変更していません。",
    "The service centre cannot be reached. Nothing on your card was changed.",
    "時間をおいてもう一度お試しください。",
    "Please try again later.",
)
_add(
    FailureCode.BACKEND_REFUSED, _T.TRY_LATER,
    "現在この手続きを受け付けられません(回数や時間の制限)。",
    "The service cannot accept this request now (a limit on tries or hours).",
    "時間をおいてお試しいただくか、市区町村の窓口へ。",
    "Try again later, or go to your municipal office.",
)
_add(
    FailureCode.CARD_REJECTED, _T.MUNICIPAL_OFFICE,
    "センターがこのカードの証明書を受け付けませんでした。",
    "The service centre did not accept this card's certificate.",
    "市区町村の窓口でご確認ください。",
    "Please check with your municipal office.",
)
_add(
    FailureCode.BACKEND_ERROR, _T.STAFF,
    "センターで問題が起きました。カードには何も変更していません。",
    "The service centre had a problem. Nothing on your card was changed.",
    "時間をおいてお試しください。続く場合は店員にお知らせください。",
    "Try again later. If it keeps happening, tell the store staff.",
)
_add(
    FailureCode.KIOSK_FLAGGED, _T.STAFF,
    "この端末は点検が必要なため、今は手続きを受け付けられません。カードには何も変更していません。",
    "This machine has to be checked before it can take requests again. Nothing on your card "
    "was changed.",
    "カードをお取りになり、店員にお知らせください。ほかの店舗の端末はご利用いただけます。",
    "Take your card and tell the store staff. Kiosks in other stores can still be used.",
)
_add(
    FailureCode.RESET_FAILED, _T.MUNICIPAL_OFFICE,
    "カードが新しい暗証番号を受け付けませんでした。",
    "The card did not accept the new PIN.",
    "市区町村の窓口で手続きしてください。",
    "Please go to your municipal office.",
)
_add(
    FailureCode.RESET_UNCONFIRMED, _T.TRY_NEW_PIN,
    "カードが新しい暗証番号を受け付けたかどうか、確認できませんでした。"
    "新しい暗証番号になっている場合と、以前のままの場合があります。",
    "We could not confirm whether your card took the new PIN. It may have the new PIN, or "
    "it may still have the old one.",
    "この端末で続けて試す必要はありません。次に署名用電子証明書を使うとき(例:J-LISのアプリ"
    "「JPKI利用者ソフト」で自分の証明書を表示するとき)、まず新しい暗証番号を入れてください。"
    "使えなければ以前の暗証番号のままです。どちらも使えないときは、この画面のコードを控えて、"
    "市区町村の窓口か公的個人認証サービスの問い合わせ窓口にご連絡ください。",
    "You do not need to try again here. The next time you use your signature certificate "
    "(for example, to view it in J-LIS's app \"JPKI user software\"), enter the new PIN first. If "
    "it is refused, the old PIN still applies. If neither works, note the code on this "
    "screen and contact your municipal office or the JPKI help desk.",
)


def failure(code: FailureCode) -> Failure:
    return CATALOGUE[code]
