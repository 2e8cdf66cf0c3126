"""The JSON API: bearer tokens, the same scope as the pages, decisions, OpenAPI published
and fuzzed with schemathesis (no 5xx, no response outside the schema)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.admin.conftest import SON_HA, Seeded, api_token


async def _client(url: str, token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=f"{url}/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


async def test_tokens_are_required_and_checked(admin_url: str) -> None:
    async with httpx.AsyncClient(base_url=f"{admin_url}/api/v1") as client:
        assert (await client.get("/dossiers")).status_code == 401
        forged = await client.get("/dossiers", headers={"Authorization": "Bearer ocop_nope"})
        assert forged.status_code == 401
        schema = await client.get("/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/dossiers", "/dossiers/{dossier_id}", "/dossiers/{dossier_id}/scores"} <= set(paths)


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
        json={"scores": [{"member": "A", "score": 92}, {"member": "B", "score": "95.5"}]},
    )
    early = await client.post("/certificates/999/revoke", json={"reason": "không có"})
    issued = await client.post(
        f"/dossiers/{seeded.son_ha}/certificate",
        json={"number": "5S-01", "decision_number": "88/QĐ-BNNMT", "issued_on": "2026-02-28"},
    )
    again = await client.post(
        f"/dossiers/{seeded.son_ha}/certificate",
        json={"number": "5S-02", "decision_number": "89", "issued_on": "2026-02-28"},
    )
    detail = await client.get(f"/dossiers/{seeded.son_ha}")
    await client.aclose()
    assert scored.status_code == 200
    body = scored.json()
    assert (body["average"], body["stars"], body["recorded"]) == ("93.75", 5, True)
    assert (body["certified_by"], body["forwarded_to"]) == (None, "central")
    assert early.status_code == 404
    assert issued.status_code == 201
    certificate = issued.json()
    assert certificate["expires_on"] == "2029-02-28"
    assert certificate["issuing_level"] == "central"
    assert again.status_code == 409
    assert detail.json()["status"] == "certified"
    assert detail.json()["stars"] == 5


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
