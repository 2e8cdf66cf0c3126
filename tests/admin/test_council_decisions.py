"""Council results as a decision: draft scores tell no one, publishing sends one notice,
under 50 points closes the dossier kindly, 90 and more goes to the Ministry (whose result a
province or a central account records), no 5★ without it; revocation by the issuer on a
ground of Điều 8, told to the producer and the commune officer once each; an upgrade that
brings no more stars is refused and leaves the certificate it would upgrade in force."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.admin import decisions
from bot.admin.accounts import Staff
from bot.admin.scope import Scope
from bot.db.models import (
    AuditEntry,
    Certificate,
    Dossier,
    EvaluationResult,
    EvaluationRound,
    OfficerAssignment,
    OutboxMessage,
    Person,
)
from bot.engine import Engine
from bot.i18n import translator
from handlers.notices import render
from ocop_rules import RevocationGround
from tests.admin.conftest import (
    DECISION,
    HOAN_KIEM,
    Seeded,
    api_token,
    csrf,
    login,
    seed_dossier,
)
from tests.builders import Chat, Clock, text_of
from tests.journeys import invite_code

PROVINCE = Staff(1, "tinh51", Scope.parse("province:51"))
HANOI = Staff(2, "hanoi", Scope.parse("province:01"))
CENTRAL = Staff(3, "bo", Scope.parse("central"))
NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)
MINUTES = decisions.Decision("15/QĐ-UBND", date(2026, 11, 15), "Phó Chủ tịch Nguyễn Văn An")


async def _outbox(sessionmaker: async_sessionmaker[AsyncSession]) -> list[OutboxMessage]:
    async with sessionmaker() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _score(
    sessionmaker: async_sessionmaker[AsyncSession],
    dossier_id: int,
    *scores: int,
    staff: Staff = PROVINCE,
) -> None:
    async with sessionmaker() as session, session.begin():
        await decisions.save_council_scores(
            session,
            staff,
            dossier_id,
            [(f"Thành viên {n}", Decimal(s)) for n, s in enumerate(scores, 1)],
            TODAY,
            NOW,
        )


async def _publish(sessionmaker: async_sessionmaker[AsyncSession], dossier_id: int) -> None:
    async with sessionmaker() as session, session.begin():
        await decisions.publish_result(session, PROVINCE, dossier_id, MINUTES, TODAY, NOW)


def _vi(message: OutboxMessage) -> str:
    return text_of(render(message.kind, message.payload, translator("vi"), "vi")[0])


async def test_saving_scores_three_times_and_publishing_once_sends_exactly_one_notice(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await login(admin_url, "tinh51")
    url = f"/admin/dossiers/{seeded.xop}"
    token = csrf((await client.get(url)).text)
    for scores in (["45", "48"], ["91", "93"], ["78", "81,5"]):  # a typo, corrected twice
        saved = await client.post(
            f"{url}/scores",
            data={"csrf_token": token, "member": ["Ông A", "Bà B"], "score": scores},
            follow_redirects=True,
        )
        assert "Chủ thể chưa được báo" in saved.text
        assert await _outbox(sessionmaker) == []
    published = await client.post(
        f"{url}/publish", data={"csrf_token": token, **DECISION}, follow_redirects=True
    )
    again = await client.post(
        f"{url}/publish", data={"csrf_token": token, **DECISION}, follow_redirects=True
    )
    late = await client.post(
        f"{url}/scores",
        data={"csrf_token": token, "member": ["Ông A"], "score": ["99"]},
        follow_redirects=True,
    )
    await client.aclose()
    assert "Đã công bố kết quả" in published.text
    assert "15/QĐ-UBND" in published.text
    assert "đã được công bố" in again.text
    assert "khi kết quả chưa công bố" in late.text
    sent = await _outbox(sessionmaker)
    assert [(m.kind, m.payload["stars"], m.payload["average"]) for m in sent] == [
        ("council_result", 4, "79.75")
    ]
    async with sessionmaker() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
        result = await session.scalar(
            select(EvaluationResult).where(EvaluationResult.dossier_id == seeded.xop)
        )
    assert actions.count("council.scores") == 3
    assert actions.count("council.publish") == 1
    assert result is not None  # the decision is stored with the result, as published
    assert (result.decision_number, result.decision_date, result.decision_signer) == (
        "15/QĐ-UBND",
        date(2026, 11, 15),
        "Phó Chủ tịch Nguyễn Văn An",
    )
    assert (result.stars, str(result.average_score), result.published_at is not None) == (
        4,
        "79.75",
        True,
    )


async def test_under_50_points_closes_the_dossier_with_a_kind_word_and_the_next_round(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with sessionmaker() as session, session.begin():
        session.add(
            EvaluationRound(
                province_code="51", name="Đợt 1/2027", opens_on=date(2027, 3, 1),
                registration_deadline=date(2027, 4, 15),
            )
        )  # fmt: skip
    await _score(sessionmaker, seeded.xop, 44, 47)
    await _publish(sessionmaker, seeded.xop)
    async with sessionmaker() as session:
        dossier = await session.get(Dossier, seeded.xop)
    assert dossier is not None
    assert dossier.status == "not_certified"
    [notice] = await _outbox(sessionmaker)
    told = _vi(notice)
    assert "45.50 điểm" in told
    assert "lần này sản phẩm chưa được công nhận OCOP" in told
    assert "Đợt tới, “Đợt 1/2027”, mở từ ngày 01/03/2027" in told


async def test_90_or_more_is_proposed_to_the_ministry_on_trangthai_and_the_page(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    chat = Chat(Engine(sessionmaker, clock=Clock()))
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    async with sessionmaker() as session, session.begin():
        dossier = (await session.execute(select(Dossier))).scalar_one()
        dossier.status = "submitted_for_evaluation"
    await _score(sessionmaker, dossier.id, 91, 94)
    await _publish(sessionmaker, dossier.id)
    reply = await chat.say("/trangthai")
    assert "Kết quả: tỉnh đã đề nghị Bộ Nông nghiệp và Môi trường đánh giá" in reply
    assert "5 sao" not in reply
    [notice] = await _outbox(sessionmaker)
    told = _vi(notice)
    assert "Bộ Nông nghiệp và Môi trường" in told
    assert "điểm, 5★" not in told


async def _proposed(sessionmaker: async_sessionmaker[AsyncSession], seeded: Seeded) -> int:
    """The Xốp dossier proposed to the Ministry; the Hà Nội one scored 80 at its province."""
    await _score(sessionmaker, seeded.xop, 92, 95)
    await _publish(sessionmaker, seeded.xop)
    return seeded.xop


async def test_a_central_account_sees_only_proposed_dossiers_from_every_province(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _proposed(sessionmaker, seeded)
    async with sessionmaker() as session, session.begin():
        far = await seed_dossier(session, HOAN_KIEM, "Trà sen Tây Hồ", "proposed_to_central")
    api = httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1",
        headers={"Authorization": f"Bearer {await api_token(sessionmaker, 'bo')}"},
    )
    listed = (await api.get("/dossiers")).json()
    other = await api.get(f"/dossiers/{seeded.son_ha}")
    scoring = await api.put(
        f"/dossiers/{seeded.son_ha}/scores", json={"scores": [{"member": "A", "score": 80}]}
    )
    await api.aclose()
    assert {d["id"] for d in listed["items"]} == {seeded.xop, far}
    assert other.status_code == 404
    assert scoring.status_code == 403


@pytest.mark.parametrize("staff", [PROVINCE, CENTRAL])
async def test_no_five_stars_before_the_ministry_result_then_the_ministry_issues_them(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession], staff: Staff
) -> None:
    dossier_id = await _proposed(sessionmaker, seeded)
    for who in (PROVINCE, CENTRAL):
        async with sessionmaker() as session:
            with pytest.raises(decisions.DecisionError):
                await decisions.issue_certificate(
                    session, who, dossier_id, "5S-01", "9/QĐ-BNNMT", TODAY, TODAY, NOW
                )
    async with sessionmaker() as session, session.begin():
        with pytest.raises(decisions.NotFoundError):  # another province's dossier
            await decisions.record_central_result(
                session, HANOI, dossier_id, Decimal(93), MINUTES, TODAY, NOW
            )
        routing = await decisions.record_central_result(
            session, staff, dossier_id, Decimal("92.5"), MINUTES, TODAY, NOW
        )
    assert (routing.stars, routing.certified_by and routing.certified_by.value) == (5, "central")
    async with sessionmaker() as session, session.begin():
        issued = await decisions.issue_certificate(
            session, staff, dossier_id, "5S-01", "9/QĐ-BNNMT", TODAY, TODAY, NOW
        )
    assert (issued.stars, issued.issuing_level) == (5, "central")
    assert issued.issuing_authority == "Bộ Nông nghiệp và Môi trường"
    kinds = [m.kind for m in await _outbox(sessionmaker)]
    assert kinds == ["council_result", "central_result", "certificate_issued"]
    async with sessionmaker() as session:
        with pytest.raises(decisions.NotAllowedError):  # the issuer revokes: the Ministry
            await decisions.revoke_certificate(
                session, PROVINCE, issued.id, ground=RevocationGround.CRITERIA_NOT_MET,
                revoked_on=TODAY, reason="", today=TODAY, now=NOW,
            )  # fmt: skip
    async with sessionmaker() as session, session.begin():
        revoked = await decisions.revoke_certificate(
            session, CENTRAL, issued.id, ground=RevocationGround.CRITERIA_NOT_MET,
            revoked_on=TODAY, reason="", today=TODAY, now=NOW,
        )  # fmt: skip
    assert revoked.status == "revoked"


async def test_under_90_at_the_ministry_the_province_certifies_four_stars(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    dossier_id = await _proposed(sessionmaker, seeded)
    async with sessionmaker() as session, session.begin():
        routing = await decisions.record_central_result(
            session, CENTRAL, dossier_id, Decimal(86), MINUTES, TODAY, NOW
        )
    assert (routing.stars, routing.certified_by and routing.certified_by.value) == (4, "province")
    async with sessionmaker() as session:
        with pytest.raises(decisions.NotAllowedError):
            await decisions.issue_certificate(
                session, CENTRAL, dossier_id, "4S-01", "9", TODAY, TODAY, NOW
            )
    async with sessionmaker() as session, session.begin():
        issued = await decisions.issue_certificate(
            session, PROVINCE, dossier_id, "4S-01", "88/QĐ-UBND", TODAY, TODAY, NOW
        )
    assert (issued.stars, issued.issuing_authority) == (4, "UBND tỉnh Quảng Ngãi")


async def test_revocation_by_the_issuer_tells_the_producer_and_the_officer_once(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await _score(sessionmaker, seeded.xop, 78, 80)
    await _publish(sessionmaker, seeded.xop)
    async with sessionmaker() as session, session.begin():
        certificate = await decisions.issue_certificate(
            session, PROVINCE, seeded.xop, "4S-07", "88/QĐ-UBND", TODAY, TODAY, NOW
        )
        officer = Person(full_name="Hoa", consent_at=NOW, language="vi")
        session.add(officer)
        await session.flush()
        session.add(OfficerAssignment(person_id=officer.id, commune_code="23356"))
    async with sessionmaker() as session:
        with pytest.raises(decisions.NotFoundError):  # the Ministry sees only its 5★
            await decisions.revoke_certificate(
                session, CENTRAL, certificate.id, ground=RevocationGround.MARK_MISUSE,
                revoked_on=TODAY, reason="", today=TODAY, now=NOW,
            )  # fmt: skip
    async with sessionmaker() as session, session.begin():
        await decisions.revoke_certificate(
            session, PROVINCE, certificate.id, ground=RevocationGround.MARK_MISUSE,
            revoked_on=TODAY, reason="Dán tem OCOP lên sản phẩm khác", today=TODAY, now=NOW,
        )  # fmt: skip
    async with sessionmaker() as session:
        with pytest.raises(decisions.DecisionError):
            await decisions.revoke_certificate(
                session, PROVINCE, certificate.id, ground=RevocationGround.MARK_MISUSE,
                revoked_on=TODAY, reason="", today=TODAY, now=NOW,
            )  # fmt: skip
        stored = await session.get(Certificate, certificate.id)
        audit = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "certificate.revoke")
        )
    revoked = [m for m in await _outbox(sessionmaker) if m.kind == "certificate_revoked"]
    assert sorted(m.recipient_person_id for m in revoked) == sorted([seeded.owner, officer.id])
    told = {m.recipient_person_id: _vi(m) for m in revoked}
    assert "sử dụng nhãn hiệu OCOP không đúng quy định" in told[seeded.owner]
    assert "trong xã đã bị thu hồi từ ngày 20/11/2026" in told[officer.id]
    assert stored is not None
    assert (stored.status, stored.revocation_ground) == ("revoked", "mark_misuse")
    assert audit == 1


async def test_a_revoked_certificate_reads_revoked_on_chungnhan_xa_the_list_and_exports(
    admin_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    clock = Clock()
    clock.now = datetime.now(UTC)
    engine = Engine(sessionmaker, clock=clock)
    producer = Chat(engine, chat="producer")
    await producer.sign_up()
    await producer.register_idea("Mat ong rung", "mat ong")
    officer = Chat(engine, chat="officer")
    await officer.say(f"canbo {await invite_code(sessionmaker, at=clock.now)}")
    today = clock.now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    async with sessionmaker() as session, session.begin():
        dossier = await session.scalar(select(Dossier).order_by(Dossier.id.desc()).limit(1))
        assert dossier is not None  # the producer's, registered after the seeded ones
        dossier.status = "submitted_for_evaluation"
    await _score(sessionmaker, dossier.id, 78, 80)
    await _publish(sessionmaker, dossier.id)
    async with sessionmaker() as session, session.begin():
        issued = await decisions.issue_certificate(
            session, PROVINCE, dossier.id, "4S-09", "88/QĐ-UBND", today, today, NOW
        )
        await decisions.revoke_certificate(
            session, PROVINCE, issued.id, ground=RevocationGround.PRODUCTION_STOPPED,
            revoked_on=today, reason="", today=today, now=NOW,
        )  # fmt: skip
    assert "Tình trạng: đã thu hồi" in await producer.say("/chungnhan")
    assert "(đã thu hồi)" in await officer.say("/xa")
    client = await login(admin_url, "tinh51")
    listed = (await client.get("/admin/certificates")).text
    exported = (await client.get("/admin/export/certificates.csv")).content.decode("utf-8-sig")
    book = load_workbook(io.BytesIO((await client.get("/admin/export/certificates.xlsx")).content))
    await client.aclose()
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1",
        headers={"Authorization": f"Bearer {await api_token(sessionmaker, 'tinh51')}"},
    ) as api:
        from_api = (await api.get("/certificates", params={"state": "revoked"})).json()
    assert '<td class="state" data-state="revoked">đã thu hồi' in listed
    assert "không còn sản xuất sản phẩm" in listed
    assert "đã thu hồi,không còn sản xuất sản phẩm" in exported
    sheet = list(book.active.iter_rows(values_only=True))
    state = list(sheet[0]).index("Tình trạng")
    assert [row[state] for row in sheet[1:] if "4S-09" in row] == ["đã thu hồi"]
    assert [(c["number"], c["state"], c["status"]) for c in from_api["items"]] == [
        ("4S-09", "revoked", "revoked")
    ]


async def test_the_certificate_of_a_re_evaluation_supersedes_the_one_it_renews(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    old = Certificate(
        number="OLD", stars=3, issuing_level="district", issuing_authority="UBND cấp huyện",
        issued_on=date(2024, 1, 10), expires_on=date(2027, 1, 10), status="valid",
    )  # fmt: skip
    old_id = await _renewal_of(sessionmaker, seeded, "re_evaluation", old, scores=(80, 82))
    async with sessionmaker() as session, session.begin():
        new = await decisions.issue_certificate(
            session, PROVINCE, seeded.xop, "NEW", "88/QĐ-UBND", TODAY, TODAY, NOW
        )
    async with sessionmaker() as session:
        renewed = await session.get_one(Certificate, old_id)
    assert (renewed.status, renewed.superseded_by_id) == ("superseded", new.id)
    assert new.expires_on == date(2029, 11, 20)


async def _renewal_of(
    sessionmaker: async_sessionmaker[AsyncSession],
    seeded: Seeded,
    kind: str,
    held: Certificate,
    scores: tuple[int, int],
) -> int:
    """The Xốp dossier made a ``kind`` renewal (đánh giá lại, nâng hạng) of ``held``, a
    certificate of its product, then scored ``scores`` and published; the held one's id."""
    async with sessionmaker() as session, session.begin():
        dossier = await session.get_one(Dossier, seeded.xop)
        held.product_id = dossier.product_id
        session.add(held)
        await session.flush()
        dossier.kind, dossier.certificate_id = kind, held.id
    await _score(sessionmaker, seeded.xop, *scores)
    await _publish(sessionmaker, seeded.xop)
    return held.id


async def _upgrade_of(
    sessionmaker: async_sessionmaker[AsyncSession], seeded: Seeded, stars: int
) -> int:
    """The Xốp dossier made an upgrade (nâng hạng) of a valid ``stars`` certificate, then
    scored 4★ and published; the held certificate's id."""
    held = Certificate(
        number="HELD", stars=stars, issuing_level="province",
        issuing_authority="UBND tỉnh Quảng Ngãi", issued_on=date(2025, 9, 1),
        expires_on=date(2028, 9, 1), status="valid",
    )  # fmt: skip
    return await _renewal_of(sessionmaker, seeded, "upgrade", held, scores=(78, 80))  # 4★


async def test_an_upgrade_without_more_stars_keeps_the_certificate_it_would_upgrade(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    held_id = await _upgrade_of(sessionmaker, seeded, stars=4)
    refusal = "Hồ sơ nâng hạng chỉ được cấp giấy chứng nhận khi đạt hạng sao cao hơn"
    async with sessionmaker() as session:
        with pytest.raises(decisions.DecisionError, match=refusal):
            await decisions.issue_certificate(
                session, PROVINCE, seeded.xop, "4S-10", "88/QĐ-UBND", TODAY, TODAY, NOW
            )
    client = await login(admin_url, "tinh51")
    url = f"/admin/dossiers/{seeded.xop}"
    shown = (await client.get(url)).text
    assert f'action="{url}/certificate"' not in shown  # no form to post
    assert refusal in shown
    page = await client.post(  # a forged post is refused all the same
        f"{url}/certificate",
        data={
            "csrf_token": csrf((await client.get(url)).text),
            "number": "4S-10",
            "decision_number": "88/QĐ-UBND",
            "issued_on": TODAY.isoformat(),
        },
        follow_redirects=True,
    )
    await client.aclose()
    async with httpx.AsyncClient(
        base_url=f"{admin_url}/api/v1",
        headers={"Authorization": f"Bearer {await api_token(sessionmaker, 'tinh51')}"},
    ) as api:
        answer = await api.post(
            f"/dossiers/{seeded.xop}/certificate",
            json={"number": "4S-10", "decision_number": "88/QĐ-UBND", "issued_on": "2026-11-20"},
        )
    assert refusal in page.text
    assert "kết quả 4 sao không cao hơn 4 sao của giấy chứng nhận số HELD" in page.text
    assert (answer.status_code, refusal in answer.json()["detail"]) == (409, True)
    async with sessionmaker() as session:
        certificates = (await session.execute(select(Certificate.id, Certificate.status))).all()
        dossier = await session.get_one(Dossier, seeded.xop)
    assert [tuple(c) for c in certificates] == [(held_id, "valid")]  # no new one, none lost
    assert dossier.status == "scored"
    assert [m.kind for m in await _outbox(sessionmaker)] == ["council_result"]


async def test_an_upgrade_to_more_stars_supersedes_the_certificate_it_upgrades(
    seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    held_id = await _upgrade_of(sessionmaker, seeded, stars=3)
    async with sessionmaker() as session, session.begin():
        new = await decisions.issue_certificate(
            session, PROVINCE, seeded.xop, "4S-11", "88/QĐ-UBND", TODAY, TODAY, NOW
        )
    async with sessionmaker() as session:
        held = await session.get_one(Certificate, held_id)
    assert (held.status, held.superseded_by_id, new.stars) == ("superseded", new.id, 4)


async def test_an_old_district_certificate_names_its_district_on_the_list_csv_and_chungnhan(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    producer = Chat(Engine(sessionmaker, clock=Clock()))  # in Xã Xốp, once of Huyện Đắk Glei
    await producer.sign_up()
    await producer.register_idea("Mat ong rung", "mat ong")
    async with sessionmaker() as session, session.begin():
        son_ha = await session.get_one(Dossier, seeded.son_ha)
        xop = await session.scalar(select(Dossier).order_by(Dossier.id.desc()).limit(1))
        assert xop is not None  # the producer's, registered after the seeded ones
        for product_id, number in ((son_ha.product_id, "148-3S"), (xop.product_id, "148-XOP")):
            session.add(
                Certificate(
                    product_id=product_id, number=number, stars=3,
                    issuing_level="district", issuing_authority="UBND cấp huyện",
                    issued_on=date(2024, 5, 1), expires_on=date(2027, 5, 1), status="valid",
                )
            )  # fmt: skip
    client = await login(admin_url, "tinh51")
    listed = (await client.get("/admin/certificates")).text
    exported = (await client.get("/admin/export/certificates.csv")).content.decode("utf-8-sig")
    await client.aclose()
    assert '<span class="issuer">UBND huyện Sơn Hà</span>' in listed
    rows = list(csv.reader(io.StringIO(exported)))
    issuer = rows[0].index("Cơ quan công nhận")
    number = rows[0].index("Số giấy chứng nhận")
    assert {row[number]: row[issuer] for row in rows[1:]} == {
        "148-3S": "UBND huyện Sơn Hà",
        "148-XOP": "UBND huyện Đắk Glei",
    }
    shown = await producer.say("/chungnhan")
    assert "Giấy chứng nhận số 148-XOP, do UBND huyện Đắk Glei cấp" in shown


def test_the_central_scope_is_parsed_and_named() -> None:
    central = Scope.parse(" Central ")
    assert (str(central), central.label, central.is_central, central.is_province) == (
        "central",
        "Bộ Nông nghiệp và Môi trường",
        True,
        False,
    )
    assert not central.includes_commune("23356")


async def test_a_central_account_records_the_ministry_result_on_the_pages(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    dossier_id = await _proposed(sessionmaker, seeded)
    client = await login(admin_url, "bo")
    pages = [await client.get(url) for url in ("/admin", "/admin/dossiers", "/admin/certificates")]
    page = await client.get(f"/admin/dossiers/{dossier_id}")
    hidden = await client.get(f"/admin/dossiers/{seeded.son_ha}")
    assert [p.status_code for p in pages] == [200, 200, 200]
    assert "Mật ong Xốp" in pages[1].text
    assert "Chè Sơn Hà" not in pages[1].text
    assert hidden.status_code == 404
    assert 'id="central-result"' in page.text
    assert "Cấp giấy chứng nhận" not in page.text
    recorded = await client.post(
        f"/admin/dossiers/{dossier_id}/central",
        data={"csrf_token": csrf(page.text), "score": "91,5", **DECISION},
        follow_redirects=True,
    )
    await client.aclose()
    assert "Đã ghi kết quả của Bộ: 5 sao" in recorded.text
    assert "Kết quả của Bộ: 91.50 điểm, 5 sao" in recorded.text
    assert "Cấp giấy chứng nhận 5 sao" in recorded.text
