"""The JSON API: bearer tokens, the same scope as the pages, decisions, OpenAPI published
and fuzzed with schemathesis (no 5xx, no response outside the schema)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.models import Certificate, OutboxMessage
from tests.admin.conftest import DECISION, SON_HA, XOP, Seeded, api_token, login
from tests.test_officer import audit


async def _client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def test_tokens_are_required_and_checked(
    admin_url: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=f"{admin_url}/api/v1") as client:
        assert (await client.get("/dossiers")).status_code == 401
        forged = await client.get("/dossiers", headers={"Authorization": "Bearer ocop_nope"})
        assert forged.status_code == 401
    client = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    schema = await client.get("/openapi.json")
    await client.aclose()
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/dossiers", "/dossiers/{dossier_id}", "/dossiers/{dossier_id}/scores"} <= set(paths)


async def test_the_openapi_document_needs_a_token_or_a_signed_in_browser(admin_url: str) -> None:
    async with httpx.AsyncClient(base_url=admin_url) as anonymous:
        refused = await anonymous.get("/api/v1/openapi.json")
        forged = await anonymous.get(
            "/api/v1/openapi.json", headers={"Authorization": "Bearer ocop_nope"}
        )
    assert (refused.status_code, forged.status_code) == (401, 401)
    assert "paths" not in refused.text
    browser = await login(admin_url, "xaxop")
    signed_in = await browser.get("/api/v1/openapi.json")
    await browser.aclose()
    assert signed_in.status_code == 200
    assert "/dossiers" in signed_in.json()["paths"]


async def test_commune_token_cannot_reach_another_commune(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await _client(admin_url, await api_token(sessionmaker, "xaxop"))
    own = await client.get(f"/dossiers/{seeded.xop}")
    other = await client.get(f"/dossiers/{seeded.son_ha}")
    listed = await client.get("/dossiers")
    tampered = await client.get("/dossiers", params={"commune": SON_HA})
    scoring = await client.put(
        f"/dossiers/{seeded.xop}/scores", json={"scores": [{"member": "A", "score": 80}]}
    )
    await client.aclose()
    assert own.status_code == 200
    assert own.json()["product"] == "Mật ong Xốp"
    assert other.status_code == 404
    assert [d["id"] for d in listed.json()["items"]] == [seeded.xop]
    assert tampered.json() == {"total": 0, "page": 1, "items": []}
    assert scoring.status_code == 403


async def test_scores_and_certificate_through_the_api(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    scored = await client.put(
        f"/dossiers/{seeded.son_ha}/scores",
        json={"scores": [{"member": "A", "score": 82}, {"member": "B", "score": "85.5"}]},
    )
    early = await client.post(
        "/certificates/999/revoke",
        json={"ground": "mark_misuse", "revoked_on": "2026-03-01", "reason": "không có"},
    )
    published = await client.post(f"/dossiers/{seeded.son_ha}/publish", json=DECISION)
    issued = await client.post(
        f"/dossiers/{seeded.son_ha}/certificate",
        json={"number": "4S-01", "decision_number": "88/QĐ-UBND", "issued_on": "2026-11-28"},
    )
    again = await client.post(
        f"/dossiers/{seeded.son_ha}/certificate",
        json={"number": "4S-02", "decision_number": "89", "issued_on": "2026-02-28"},
    )
    detail = await client.get(f"/dossiers/{seeded.son_ha}")
    await client.aclose()
    assert scored.status_code == 200
    body = scored.json()
    assert (body["average"], body["stars"], body["recorded"]) == ("83.75", 4, False)
    assert (body["certified_by"], body["forwarded_to"]) == ("province", None)
    assert early.status_code == 404
    assert published.json()["status"] == "scored"
    assert issued.status_code == 201
    certificate = issued.json()
    assert certificate["expires_on"] == "2029-11-28"
    assert certificate["state"] == "valid"
    assert certificate["issuing_level"] == "province"
    assert again.status_code == 409
    assert detail.json()["status"] == "certified"
    assert detail.json()["stars"] == 4


async def test_the_api_never_issues_five_stars_from_a_provincial_score(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    client = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    scored = await client.put(
        f"/dossiers/{seeded.son_ha}/scores",
        json={"scores": [{"member": "A", "score": 92}, {"member": "B", "score": "95.5"}]},
    )
    published = await client.post(f"/dossiers/{seeded.son_ha}/publish", json=DECISION)
    refused = await client.post(
        f"/dossiers/{seeded.son_ha}/certificate",
        json={"number": "5S-01", "decision_number": "88/QĐ-BNNMT", "issued_on": "2026-02-28"},
    )
    detail = await client.get(f"/dossiers/{seeded.son_ha}")
    await client.aclose()
    assert scored.json()["stars"] == 5
    assert (scored.json()["certified_by"], scored.json()["forwarded_to"]) == (None, "central")
    assert published.json() == {
        "status": "proposed_to_central",
        "stars": 5,
        "certified_by": None,
        "forwarded_to": "central",
    }
    assert refused.status_code == 409
    assert detail.json()["status"] == "proposed_to_central"
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(Certificate)) == 0


async def test_the_calendar_of_rounds_through_the_api(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    province = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    hanoi = await _client(admin_url, await api_token(sessionmaker, "hanoi"))
    commune = await _client(admin_url, await api_token(sessionmaker, "xaxop"))
    first = {"name": "Đợt 1", "opens_on": "2027-03-01", "registration_deadline": "2027-04-12"}
    try:
        added = await province.post("/rounds", json=first)
        assert added.status_code == 201, added.text
        round_id = added.json()["id"]
        assert (added.json()["province_code"], added.json()["version"]) == ("51", 1)
        backwards = {**first, "registration_deadline": "2027-02-01"}
        assert (await province.post("/rounds", json=backwards)).status_code == 409
        assert (await commune.post("/rounds", json=first)).status_code == 403
        moved = await province.put(
            f"/rounds/{round_id}", json={**first, "registration_deadline": "2027-04-30"}
        )
        assert moved.status_code == 200
        assert (moved.json()["registration_deadline"], moved.json()["version"]) == (
            "2027-04-30",
            2,
        )
        assert [r["name"] for r in (await commune.get("/rounds")).json()] == ["Đợt 1"]
        assert (await hanoi.get("/rounds")).json() == []
        assert (await hanoi.put(f"/rounds/{round_id}", json=first)).status_code == 404
        assert (await hanoi.delete(f"/rounds/{round_id}")).status_code == 404
        assert (await commune.delete(f"/rounds/{round_id}")).status_code == 403
        assert (await province.delete(f"/rounds/{round_id}")).status_code == 204
        assert (await province.get("/rounds")).json() == []
        assert (await province.delete(f"/rounds/{round_id}")).status_code == 404
    finally:
        for client in (province, hanoi, commune):
            await client.aclose()


async def test_invites_exports_and_import_through_the_api(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    province = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    commune = await _client(admin_url, await api_token(sessionmaker, "xaxop"))
    listing = (
        "Tên sản phẩm;Chủ thể;Xã;Nhóm;Số sao;Số quyết định;Ngày quyết định\n"
        "Mật ong;HTX Đức Hòa;Xã Đức Hòa, huyện Mộ Đức;Thực phẩm;4;12/QĐ;01/02/2024\n"
        "Chè;HTX Chè;Xã Không Có;Thực phẩm;4;13/QĐ;01/02/2024\n"
    ).encode("utf-8-sig")
    upload = {"file": ("danh-sach.csv", listing, "text/csv")}
    try:
        created = await province.post(
            "/invites", json={"commune_code": XOP, "invitee_name": "Cán bộ Xốp"}
        )
        assert created.status_code == 201, created.text
        code, invite = created.json()["code"], created.json()["invite"]
        assert (invite["state"], invite["commune_code"]) == ("open", XOP)
        assert (await commune.post("/invites", json={"commune_code": SON_HA})).status_code == 404
        assert [i["id"] for i in (await commune.get("/invites")).json()] == [invite["id"]]
        assert code not in (await province.get("/invites")).text  # shown once, at creation
        revoked = await commune.post(f"/invites/{invite['id']}/revoke")
        assert revoked.json()["state"] == "revoked"

        csv_file = await commune.get("/exports/dossiers.csv")
        assert csv_file.headers["content-type"].startswith("text/csv")
        assert "Mật ong Xốp" in csv_file.content.decode("utf-8-sig")
        assert "Chè Sơn Hà" not in csv_file.content.decode("utf-8-sig")  # another commune
        xlsx = await province.get("/exports/certificates.xlsx")
        assert xlsx.content[:2] == b"PK"
        assert "filename*=UTF-8''ocop-certificates-" in xlsx.headers["content-disposition"]
        assert (await province.get("/exports/secrets.csv")).status_code == 422

        dry = await province.post("/import", files=upload)
        assert dry.status_code == 200, dry.text
        report = dry.json()
        assert (report["dry_run"], report["rows"], report["valid"]) == (True, 2, 1)
        assert report["renamed"] == [{"line": 2, "text": "Xã Đức Hòa, Huyện Mộ Đức → Xã Mộ Đức"}]
        assert report["errors"][0]["line"] == 3
        applied = await province.post("/import", params={"apply": "true"}, files=upload)
        assert (applied.json()["dry_run"], applied.json()["created_products"]) == (False, 1)
        again = await province.post("/import", params={"apply": "true"}, files=upload)
        assert (again.json()["created_products"], again.json()["already_present"]) == (0, 1)
        assert (await commune.post("/import", files=upload)).status_code == 403
        wrong = {"file": ("list.pdf", b"%PDF", "application/pdf")}
        assert (await province.post("/import", files=wrong)).status_code == 400
    finally:
        await province.aclose()
        await commune.aclose()


async def test_schemathesis_finds_no_server_error_or_schema_violation(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    token = await api_token(sessionmaker, "tinh51")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{admin_url}/api/v1/openapi.json",
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance",
        "--max-examples",
        "25",
        "--seed",
        "2026",
        "--report-dir",
        str(tmp_path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    text = output.decode(errors="replace")
    assert process.returncode == 0, text[-6000:]
    assert "passed" in text


async def _proposed_to_the_ministry(client: httpx.AsyncClient, dossier_id: int) -> None:
    """The province's council scores 90 or more and publishes: proposed to the Ministry."""
    scored = await client.put(
        f"/dossiers/{dossier_id}/scores",
        json={"scores": [{"member": "A", "score": 91}, {"member": "B", "score": 94}]},
    )
    assert scored.status_code == 200, scored.text
    published = await client.post(f"/dossiers/{dossier_id}/publish", json=DECISION)
    assert published.json()["status"] == "proposed_to_central"


async def test_the_ministrys_result_is_recorded_through_the_api_by_province_or_central(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    province = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    central = await _client(admin_url, await api_token(sessionmaker, "bo"))
    hanoi = await _client(admin_url, await api_token(sessionmaker, "hanoi"))
    commune = await _client(admin_url, await api_token(sessionmaker, "xaxop"))
    ministry = {**DECISION, "decision_number": "9/QĐ-BNNMT", "signer": "Thứ trưởng"}
    certificate = {"number": "5S-01", "decision_number": "9/QĐ-BNNMT", "issued_on": "2026-11-28"}
    try:
        not_proposed = await central.post(
            f"/dossiers/{seeded.son_ha}/central-result", json={**ministry, "score": 93}
        )
        assert not_proposed.status_code == 404  # the Ministry sees only proposed dossiers
        for dossier_id in (seeded.son_ha, seeded.xop):
            await _proposed_to_the_ministry(province, dossier_id)
        too_early = await central.post(f"/dossiers/{seeded.son_ha}/certificate", json=certificate)
        assert too_early.status_code == 409  # no 5★ before the Ministry's result
        refused = {
            "another province": await hanoi.post(
                f"/dossiers/{seeded.son_ha}/central-result", json={**ministry, "score": 93}
            ),
            "a commune": await commune.post(
                f"/dossiers/{seeded.xop}/central-result", json={**ministry, "score": 93}
            ),
        }
        assert {who: r.status_code for who, r in refused.items()} == {
            "another province": 404,
            "a commune": 403,
        }

        # The Ministry's own account: 93 points → 5★, certified by the Ministry.
        five = await central.post(
            f"/dossiers/{seeded.son_ha}/central-result", json={**ministry, "score": "93.00"}
        )
        assert five.status_code == 200, five.text
        assert five.json() == {
            "status": "scored",
            "stars": 5,
            "certified_by": "central",
            "forwarded_to": None,
        }
        issued = await central.post(f"/dossiers/{seeded.son_ha}/certificate", json=certificate)
        assert issued.status_code == 201, issued.text
        assert (issued.json()["stars"], issued.json()["issuing_level"]) == (5, "central")
        assert issued.json()["issuing_authority"] == "Bộ Nông nghiệp và Môi trường"

        # The province records the Ministry's result too: under 90 it certifies 4★ itself.
        four = await province.post(
            f"/dossiers/{seeded.xop}/central-result", json={**ministry, "score": 86}
        )
        assert four.json() == {
            "status": "scored",
            "stars": 4,
            "certified_by": "province",
            "forwarded_to": None,
        }
        by_ministry = await central.post(
            f"/dossiers/{seeded.xop}/certificate", json={**certificate, "number": "4S-01"}
        )
        assert by_ministry.status_code == 403
        by_province = await province.post(
            f"/dossiers/{seeded.xop}/certificate", json={**certificate, "number": "4S-01"}
        )
        assert (by_province.status_code, by_province.json()["stars"]) == (201, 4)
        assert by_province.json()["issuing_authority"] == "UBND tỉnh Quảng Ngãi"
    finally:
        for client in (province, central, hanoi, commune):
            await client.aclose()
    audited = [entry.actor_label for entry in await audit(sessionmaker, "central.result")]
    assert audited == ["staff:bo", "staff:tinh51"]


async def test_a_certificate_is_revoked_through_the_api_by_its_issuer_only(
    admin_url: str, seeded: Seeded, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    province = await _client(admin_url, await api_token(sessionmaker, "tinh51"))
    central = await _client(admin_url, await api_token(sessionmaker, "bo"))
    ground = {"ground": "production_stopped", "revoked_on": "2026-11-30", "reason": "Ngừng làm"}
    issued_on = "2026-11-28"
    try:
        # A 4★ of the province (Xốp) and a 5★ of the Ministry (Sơn Hà).
        await province.put(
            f"/dossiers/{seeded.xop}/scores",
            json={"scores": [{"member": "A", "score": 80}, {"member": "B", "score": 84}]},
        )
        await province.post(f"/dossiers/{seeded.xop}/publish", json=DECISION)
        four = await province.post(
            f"/dossiers/{seeded.xop}/certificate",
            json={"number": "4S-01", "decision_number": "88/QĐ-UBND", "issued_on": issued_on},
        )
        await _proposed_to_the_ministry(province, seeded.son_ha)
        await central.post(
            f"/dossiers/{seeded.son_ha}/central-result",
            json={**DECISION, "decision_number": "9/QĐ-BNNMT", "score": 93},
        )
        five = await central.post(
            f"/dossiers/{seeded.son_ha}/certificate",
            json={"number": "5S-01", "decision_number": "9/QĐ-BNNMT", "issued_on": issued_on},
        )
        four_id, five_id = four.json()["id"], five.json()["id"]

        province_on_five = await province.post(f"/certificates/{five_id}/revoke", json=ground)
        ministry_on_four = await central.post(f"/certificates/{four_id}/revoke", json=ground)
        no_ground = await province.post(
            f"/certificates/{four_id}/revoke", json={"revoked_on": "2026-11-30"}
        )
        unknown_ground = await province.post(
            f"/certificates/{four_id}/revoke", json={**ground, "ground": "other"}
        )
        before_issue = await province.post(
            f"/certificates/{four_id}/revoke", json={**ground, "revoked_on": "2026-11-01"}
        )
        revoked = await province.post(f"/certificates/{four_id}/revoke", json=ground)
        twice = await province.post(f"/certificates/{four_id}/revoke", json=ground)
        by_ministry = await central.post(
            f"/certificates/{five_id}/revoke", json={**ground, "ground": "criteria_not_met"}
        )
        listed = (await province.get("/certificates")).json()["items"]
    finally:
        await province.aclose()
        await central.aclose()
    assert province_on_five.status_code == 403  # the Ministry's 5★: the province may not
    assert "Bộ thu hồi 5 sao, tỉnh thu hồi 3 và 4 sao" in province_on_five.json()["detail"]
    assert ministry_on_four.status_code == 404  # a province's 4★ is not in the Ministry's scope
    assert (no_ground.status_code, unknown_ground.status_code) == (422, 422)
    assert before_issue.status_code == 409
    assert revoked.status_code == 200, revoked.text
    body = revoked.json()
    assert (body["status"], body["state"]) == ("revoked", "revoked")
    assert (body["revocation_ground"], body["revoked_on"]) == ("production_stopped", "2026-11-30")
    assert body["revoked_reason"] == "Ngừng làm"
    assert twice.status_code == 409
    assert by_ministry.status_code == 200, by_ministry.text
    assert by_ministry.json()["revocation_ground"] == "criteria_not_met"
    assert {c["id"]: c["state"] for c in listed} == {four_id: "revoked", five_id: "revoked"}
    async with sessionmaker() as session:
        notices = (
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "certificate_revoked")
            )
        ).all()
    audited = [entry.actor_label for entry in await audit(sessionmaker, "certificate.revoke")]
    assert len(notices) == 1  # Xốp's producer, once; Sơn Hà's product has no owner here
    assert audited == ["staff:tinh51", "staff:bo"]
