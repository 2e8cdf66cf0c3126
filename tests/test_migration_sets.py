"""Migration 0006: a product's QĐ 26 set is filled from its QĐ 148 subgroup where the subgroup
decides it, and left empty (the producer is asked) where it does not."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, column, insert, select, table

from bot.db import schema
from bot.db.engine import create_engine
from ocop_rules import product_groups, set_for_subgroup

NOW = datetime(2026, 5, 1, 1, 0, tzinfo=UTC)
_AT = DateTime(timezone=True)

# The seed is written with the columns of revision 0005, not the models (which follow the
# newest schema): 0006 replaces ``product_set_code`` with ``product_set``.
_SUBJECTS = table("subjects", column("id"), column("subject_type"), column("name"),
                  column("commune_code"), column("created_at", _AT))  # fmt: skip
_PRODUCTS = table(
    "products", column("id"), column("subject_id"), column("name"), column("group_code"),
    column("subgroup_code"), column("papers_held", JSON), column("idea_answers", JSON),
    column("created_at", _AT),
)  # fmt: skip
_SETS = table("products", column("name"), column("product_set"))

# name → (group, subgroup, the set the rules give, or None where the subgroup does not decide)
OLD_PRODUCTS: dict[str, tuple[str, str | None, int | None]] = {
    "Bàn ghế gỗ": ("handicraft", "handicraft.wood", 21),
    "Dầu gội bồ kết": ("herbal", "herbal.cosmetic", 19),
    "Thổ cẩm": ("handicraft", "handicraft.textile", 22),
    "Lan rừng": ("ornamental", "ornamental.flower", 23),
    "Homestay Xốp": ("tourism", None, 26),
    "Bản du lịch": ("tourism", "tourism.community_eco", 26),
    "Cá suối tươi": ("food", "food.fresh", None),
    "Rượu cần": ("drink", "drink.alcoholic", None),
    "Mật ong": ("food", None, None),
}


async def test_old_subgroups_give_the_set_only_where_they_decide_it(
    blank_database_url: str,
) -> None:
    engine = create_engine(blank_database_url)
    try:
        await schema.upgrade(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(
                insert(_SUBJECTS),
                [{"id": 1, "subject_type": "cooperative", "name": "HTX Xốp",
                  "commune_code": "23356", "created_at": NOW}],
            )  # fmt: skip
            await connection.execute(
                insert(_PRODUCTS),
                [
                    {"subject_id": 1, "name": name, "group_code": group, "subgroup_code": sub,
                     "papers_held": [], "idea_answers": {}, "created_at": NOW}
                    for name, (group, sub, _) in OLD_PRODUCTS.items()
                ],
            )  # fmt: skip
        await schema.upgrade(engine, "0006")
        async with engine.connect() as connection:
            rows = await connection.execute(select(_SETS.c.name, _SETS.c.product_set))
            filled = dict(rows.all())
        assert filled == {name: expected for name, (_, _, expected) in OLD_PRODUCTS.items()}
    finally:
        await engine.dispose()


def test_the_migrations_copy_of_the_subgroup_map_agrees_with_the_rules() -> None:
    migration = importlib.import_module("migrations.versions.0006_product_set_number")
    subgroups = [sub.code for info in product_groups() for sub in info.subgroups]
    from_rules = {code: set_for_subgroup(code) for code in subgroups}
    decided = {code: number for code, number in from_rules.items() if number is not None}
    assert decided == migration.SET_OF_SUBGROUP
    # A product with only the tourism group gets the set its single subgroup decides.
    tourism = {"tourism": set_for_subgroup("tourism.community_eco")}
    assert tourism == migration.SET_OF_GROUP
