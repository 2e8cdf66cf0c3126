"""The producer's notices for council results and certificates, in both languages."""

from __future__ import annotations

from datetime import date

from bot.i18n import translator
from bot.messages import Reply
from handlers.notices import render
from ocop_rules import expiry_reminders


def _text(kind: str, payload: dict[str, object], language: str) -> str:
    (reply,) = render(kind, payload, translator(language), language)
    assert isinstance(reply, Reply)
    return reply.text


def test_council_result_says_who_certifies_or_where_it_goes() -> None:
    scored = {"product": "Mật ong Xốp", "average": "78.17", "stars": 4, "certified_by": "province"}
    vi = _text("council_result", scored, "vi")
    assert vi.startswith("Hội đồng cấp tỉnh đã chấm “Mật ong Xốp”: 78.17 điểm, 4★.")
    assert "Giấy chứng nhận sẽ do UBND tỉnh cấp" in vi
    en = _text("council_result", scored, "en")
    assert "The certificate will be issued by the provincial People's Committee" in en
    forwarded = {**scored, "stars": 5, "certified_by": None, "forwarded_to": "central"}
    sent_on = _text("council_result", forwarded, "vi")
    assert "Bộ Nông nghiệp và Môi trường" in sent_on
    assert "5★" in sent_on
    assert "điểm, 5★" not in sent_on  # never told 5★ before the central evaluation
    low = {**scored, "average": "46.50", "stars": 2, "certified_by": None}
    told = _text("council_result", low, "vi")
    assert "Dưới 50 điểm thì lần này sản phẩm chưa được công nhận OCOP" in told
    assert "đăng ký lại sản phẩm ở một đợt sau" in told
    assert "trợ lý sẽ báo anh/chị khi đợt tới mở" in told
    next_round = {"name": "Đợt 1/2027", "opens_on": "2027-03-01",
                  "registration_deadline": "2027-04-15"}  # fmt: skip
    told = _text("council_result", {**low, "next_round": next_round}, "vi")
    assert "Đợt tới, “Đợt 1/2027”, mở từ ngày 01/03/2027; hạn nộp hồ sơ là ngày 15/04/2027." in told


def test_certificate_notices_give_dates_and_reason() -> None:
    issued = {"product": "Chè", "stars": 4, "number": "51-017", "issued_on": "2026-11-20",
              "expires_on": "2029-11-20"}  # fmt: skip
    vi = _text("certificate_issued", issued, "vi")
    assert "Chúc mừng" in vi
    assert "20/11/2029" in vi
    revoked = {"product": "Chè", "number": "51-017", "reason": "Không tái đánh giá"}
    assert "Lý do: Không tái đánh giá" in _text("certificate_revoked", revoked, "vi")
    grounded = {**revoked, "ground": "mark_misuse", "revoked_on": "2026-11-25"}
    told = _text("certificate_revoked", grounded, "vi")
    assert "Lý do: sử dụng nhãn hiệu OCOP không đúng quy định" in told
    assert "Từ ngày 25/11/2026" in told
    officer = {**grounded, "audience": "officer", "subject": "HTX Chè"}
    told = _text("certificate_revoked", officer, "vi")
    assert "“Chè” (HTX Chè) trong xã đã bị thu hồi từ ngày 25/11/2026" in told


def test_the_proposal_notice_asks_for_samples_except_from_tourism() -> None:
    honey = {"dossier_id": 1, "product": "Mật ong", "product_set": 4, "group": "food"}
    assert "5 sản phẩm mẫu" in _text("submitted_to_province", honey, "vi")
    homestay = {"dossier_id": 2, "product": "Homestay", "product_set": 26, "group": "tourism"}
    told = _text("submitted_to_province", homestay, "vi")
    assert "UBND xã đã đề nghị tỉnh đánh giá “Homestay”." in told
    assert "mẫu" not in told
    unknown_set = {**homestay, "product_set": None}
    assert "mẫu" not in _text("submitted_to_province", unknown_set, "vi")


def test_expiry_reminders_name_the_reevaluation_window_and_are_never_official() -> None:
    # A certificate expiring 31/12/2027: the window runs 4/7–2/9/2027.
    base = {"certificate_id": 1, "product": "Chè", "stars": 4, "expires_on": "2027-12-31"}
    for days in expiry_reminders(date(2027, 12, 31)):
        text = _text("cert_expiry", {**base, "days_before": days.days_before}, "vi")
        assert "chính thức" not in text
        if days.days_before:
            assert "từ ngày 04/07/2027, chậm nhất ngày 02/09/2027" in text
        else:
            assert "hết hạn hôm nay (31/12/2027)" in text
    late = _text("cert_expiry", {**base, "days_before": 60}, "vi")  # a province's own offset
    assert "Hạn nộp hồ sơ đánh giá lại đã hết từ ngày 02/09/2027" in late
