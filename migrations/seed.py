"""Reference data loaded by migrations: the commune-level units from ``vietnam-provinces``.

The folding below is frozen here on purpose: a migration must give the same rows whatever
later code does to its own text matching.
"""

from __future__ import annotations

import unicodedata

import sqlalchemy as sa
from sqlalchemy import Connection
from vietnam_provinces import Province, Ward

_PREFIXES = ("xa ", "phuong ", "dac khu ")


def fold(text: str) -> str:
    """Lower-case ASCII form of Vietnamese text ("Xã Xốp" → "xa xop")."""
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    stripped = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return " ".join(stripped.lower().split())


def search_key(name: str) -> str:
    """The folded name without its "xã/phường/đặc khu" prefix ("Xã Xốp" → "xop")."""
    key = fold(name)
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            return key.removeprefix(prefix)
    return key


def seed_communes(connection: Connection) -> None:
    """Insert every commune-level unit not yet in the ``communes`` table."""
    communes = sa.table(
        "communes",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("division_type", sa.String),
        sa.column("province_code", sa.String),
        sa.column("province_name", sa.String),
        sa.column("search_key", sa.String),
    )
    present = set(connection.execute(sa.select(communes.c.code)).scalars())
    provinces = {province.code: province for province in Province.iter_all()}
    rows = [
        {
            "code": f"{int(ward.code):05d}",
            "name": ward.name,
            "division_type": ward.division_type.value,
            "province_code": f"{int(ward.province_code):02d}",
            "province_name": provinces[ward.province_code].name,
            "search_key": search_key(ward.name),
        }
        for ward in Ward.iter_all()
        if f"{int(ward.code):05d}" not in present
    ]
    if rows:
        connection.execute(communes.insert(), rows)
