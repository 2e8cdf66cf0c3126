"""The producer's notices for council results and certificates, in both languages."""

from __future__ import annotations

from bot.i18n import translator
from bot.messages import Reply
from handlers.notices import render


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
    low = {**scored, "stars": 2, "certified_by": None}
    assert "Chỉ sản phẩm từ 3★ trở lên" in _text("council_result", low, "vi")


def test_certificate_notices_give_dates_and_reason() -> None:
    issued = {"product": "Chè", "stars": 4, "number": "51-017", "issued_on": "2026-11-20",
              "expires_on": "2029-11-20"}  # fmt: skip
    vi = _text("certificate_issued", issued, "vi")
    assert "Chúc mừng" in vi
    assert "20/11/2029" in vi
    revoked = {"product": "Chè", "number": "51-017", "reason": "Không tái đánh giá"}
    assert "Lý do: Không tái đánh giá" in _text("certificate_revoked", revoked, "vi")
