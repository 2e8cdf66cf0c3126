"""The statements every event runs keep reading by index as the tables grow.

PostgreSQL plans a prepared statement for its values a few times, then may keep one
generic plan for the rest of the connection's life. Made while the tables are still nearly
empty — a new deployment, this test — a plan that starts from a whole table looks as cheap
as any, and stays once the table holds every producer of a province. The profile read on
every event was such a plan: a seq scan of ``people`` probing the account index once per
person, a millisecond per event at a thousand people.

Every built-once statement (:mod:`bot.db.direct`: the engine's own, the profile, the
sign-up's) that a sign-up and an idea run is prepared here on the database they left (one
person), and its plan is read: PostgreSQL's generic one, SQLite's only one. Statements run
through SQLAlchemy's execution, off the per-event path, are planned anew when the tables'
statistics change, which needs PostgreSQL's autovacuum on (README).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import direct as db_direct
from bot.db.base import Base
from bot.engine import Engine
from tests.builders import Chat, RecordOnly


async def full_reads(engine: AsyncEngine, sql: str) -> list[str]:
    """The tables the kept plan of ``sql`` reads in full."""
    if engine.dialect.name == "postgresql":
        return seq_scans(await generic_plan(engine, sql))
    tables = set(Base.metadata.tables)
    async with engine.connect() as connection:
        steps = await connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {sql}", tuple([None] * sql.count("?"))
        )
        # "SCAN people", "SCAN people USING INDEX …": every row; "SEARCH …": by a key.
        scanned = [detail.split()[1] for *_, detail in steps if detail.startswith("SCAN ")]
    return [table for table in scanned if table in tables]


def seq_scans(plan: dict[str, Any]) -> list[str]:
    """The tables a plan reads in full (its ``Seq Scan`` nodes), at any depth."""
    found = []
    if plan.get("Node Type") == "Seq Scan":
        found.append(plan["Relation Name"])
    for child in plan.get("Plans", ()):
        found.extend(seq_scans(child))
    return found


async def generic_plan(engine: AsyncEngine, sql: str) -> dict[str, Any]:
    """The plan PostgreSQL keeps for ``sql`` once it stops planning it for its values."""
    count = max((int(n) for n in re.findall(r"\$(\d+)", sql)), default=0)
    arguments = f"({', '.join(['NULL'] * count)})" if count else ""
    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("SET plan_cache_mode = force_generic_plan")
        await raw.execute(f"PREPARE planned AS {sql}")
        try:
            (row,) = await raw.fetch(f"EXPLAIN (FORMAT JSON) EXECUTE planned{arguments}")
        finally:
            await raw.execute("DEALLOCATE planned")
            await raw.execute("RESET plan_cache_mode")
    explained = json.loads(row[0]) if isinstance(row[0], str) else row[0]  # as decoded
    plan: dict[str, Any] = explained[0]["Plan"]
    return plan


async def test_no_statement_of_a_conversation_keeps_a_plan_that_reads_a_whole_table(
    engine: AsyncEngine, engine_: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: dict[str, None] = {}  # in the order first run
    built_once = db_direct.prepare

    def recording(statement: Any, names: tuple[str, ...], dialect: Any) -> db_direct.Prepared:
        prepared = built_once(statement, names, dialect)
        statements.setdefault(prepared.sql)
        return prepared

    monkeypatch.setattr(db_direct, "prepare", recording)
    chat = Chat(engine_, durable=RecordOnly(engine_.database, {}, engine_.clock))
    await chat.sign_up()
    await chat.register_idea("Mat ong rung", "mat ong")
    await chat.say("/hoso", "menu")
    assert len(statements) > 8  # the conversation ran its statements here

    offending = {}
    for sql in statements:
        tables = await full_reads(engine, sql)
        if tables:
            offending[" ".join(sql.split())[:160]] = tables
    assert offending == {}


def test_every_foreign_key_column_leads_an_index() -> None:
    """A row referenced by others is found through an index when it is inserted (SQLite
    looks for rows waiting for it) or deleted (both databases), not by reading the
    referencing table whole."""
    unindexed = []
    for table in Base.metadata.sorted_tables:
        leading = [tuple(index.columns) for index in table.indexes] + [
            tuple(constraint.columns)
            for constraint in table.constraints
            if isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint)
        ]
        for key in table.foreign_key_constraints:
            columns = tuple(key.columns)
            if not any(index[: len(columns)] == columns for index in leading):
                unindexed.append(f"{table.name}({', '.join(c.name for c in columns)})")
    assert unindexed == []
