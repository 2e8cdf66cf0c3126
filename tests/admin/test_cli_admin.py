"""``ocop-bot admin create-user|token|import`` against a real database."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.cli import main
from bot.db.models import Product, StaffAccount


async def run_ocop_bot(
    monkeypatch: pytest.MonkeyPatch, database_url: str, *argv: str, stdin: str = ""
) -> int:
    """``ocop-bot`` run as the operator runs it, against the web app's database."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return await asyncio.to_thread(main, list(argv))


async def test_create_user_token_and_import(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ok = await run_ocop_bot(
        monkeypatch, database_url, "admin", "create-user", "Tinh51", "--scope", "province:51",
        "--password-stdin", stdin="mat-khau-dai-2026\n",
    )  # fmt: skip
    bad_scope = await run_ocop_bot(
        monkeypatch, database_url, "admin", "create-user", "x", "--scope", "province:99",
        "--password-stdin", stdin="mat-khau-dai-2026\n",
    )  # fmt: skip
    weak = await run_ocop_bot(
        monkeypatch, database_url, "admin", "create-user", "y", "--scope", "commune:23356",
        "--password-stdin", stdin="short\n",
    )  # fmt: skip
    assert (ok, bad_scope, weak) == (0, 2, 2)
    err = capsys.readouterr().err
    assert "no province has the code '99'" in err
    assert "at least 10 characters" in err
    assert await run_ocop_bot(monkeypatch, database_url, "admin", "token", "tinh51") == 0
    token = capsys.readouterr().out.strip()
    assert token.startswith("ocop_")
    async with sessionmaker() as session:
        row = await session.scalar(select(StaffAccount))
    assert row is not None
    assert (row.username, row.scope_kind, row.scope_code) == ("tinh51", "province", "51")
    assert row.password_hash.startswith("$argon2id$")
    assert token not in (row.api_token_hash or "")

    sheet = tmp_path / "list.csv"
    sheet.write_text(
        "Tên sản phẩm,Chủ thể,Xã,Nhóm,Số sao,Số quyết định,Ngày quyết định\n"
        "Mật ong,HTX Mật ong Xốp,Xã Xốp,1,4,12/QĐ,01/02/2025\n"
        "Chè,HTX Chè,Xã Không Có,1,4,13/QĐ,01/02/2025\n"
        'Quế,HTX Đức Hòa,"Xã Đức Hòa, huyện Mộ Đức",1,4,14/QĐ,01/02/2024\n',
        encoding="utf-8",
    )
    dry_run = ("admin", "import", str(sheet), "--scope", "province:51")
    assert await run_ocop_bot(monkeypatch, database_url, *dry_run) == 0
    dry = capsys.readouterr().out
    assert "line 3: không tìm thấy xã" in dry
    assert "line 4: old commune name, read as: Xã Đức Hòa, Huyện Mộ Đức → Xã Mộ Đức" in dry
    assert "dry run" in dry
    for _ in range(2):
        assert await run_ocop_bot(monkeypatch, database_url, *dry_run, "--apply") == 0
    second = capsys.readouterr().out
    assert "created 0 products and 0 subjects; 2 were already present" in second
    async with sessionmaker() as session:
        names = sorted(await session.scalars(select(Product.name)))
    assert names == ["Mật ong", "Quế"]
