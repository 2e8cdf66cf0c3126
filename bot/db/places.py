"""Where an audit entry belongs: its province, commune, dossier and product.

Staff search the audit log by commune, dossier and product, and see only the entries of
their province or commune. Writers of the log name the entity they changed ("dossier" 12,
"officer_invite" 3, "evaluation_round" 7, "announcement" 2, "officer_question" 5…);
:func:`fill_audit_place` runs as each entry is inserted and looks the places up from that
entity, so every writer — and every action added later — is findable without repeating the
lookup. A writer that knows better (an import, which concerns the whole province) sets the
columns itself and they are kept.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Connection, text


class _Placed(Protocol):
    entity_type: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    province_code: str | None
    commune_code: str | None
    dossier_id: int | None
    product_id: int | None


def _one(connection: Connection, sql: str, **values: Any) -> Any:
    return connection.execute(text(sql), values).first()


def _scope_place(entry: _Placed, scope: str) -> None:
    kind, _, code = scope.partition(":")
    if kind == "province":
        entry.province_code = entry.province_code or code
    elif kind == "commune":
        entry.commune_code = entry.commune_code or code


def _question_place(connection: Connection, entry: _Placed, question_id: int) -> None:
    """A producer's question belongs to its commune, province and dossier (if it names one)."""
    row = _one(
        connection,
        "SELECT commune_code, province_code, dossier_id FROM officer_questions WHERE id = :id",
        id=question_id,
    )
    if row is not None:
        entry.commune_code = entry.commune_code or row[0]
        entry.province_code = entry.province_code or row[1]
        entry.dossier_id = entry.dossier_id or row[2]


def _announcement_place(connection: Connection, entry: _Placed, announcement_id: int) -> None:
    """An announcement belongs to the scope it was sent from: a commune account's to its
    commune (and so its province), a province account's to the province alone."""
    row = _one(
        connection,
        "SELECT scope, province_code FROM announcements WHERE id = :id",
        id=announcement_id,
    )
    if row is not None:
        _scope_place(entry, row[0])
        entry.province_code = entry.province_code or row[1]


def fill_audit_place(connection: Connection, entry: _Placed) -> None:
    """Fill the place columns ``entry`` leaves empty from the entity it names."""
    facts = {**(entry.before or {}), **(entry.after or {})}
    number = int(entry.entity_id) if entry.entity_id.isdigit() else None
    kind = entry.entity_type
    if kind == "officer_question" and number is not None:
        _question_place(connection, entry, number)
    if kind == "announcement" and number is not None:
        _announcement_place(connection, entry, number)
    if kind == "dossier" and number is not None and entry.dossier_id is None:
        entry.dossier_id = number
    if kind == "product" and number is not None and entry.product_id is None:
        entry.product_id = number
    if kind == "certificate" and number is not None and entry.product_id is None:
        row = _one(connection, "SELECT product_id FROM certificates WHERE id = :id", id=number)
        entry.product_id = row[0] if row is not None else None
    if entry.dossier_id is not None and (entry.commune_code is None or entry.product_id is None):
        row = _one(
            connection,
            "SELECT commune_code, product_id FROM dossiers WHERE id = :id",
            id=entry.dossier_id,
        )
        if row is not None:
            entry.commune_code = entry.commune_code or row[0]
            entry.product_id = entry.product_id or row[1]
    if entry.product_id is not None and entry.commune_code is None:
        row = _one(
            connection,
            "SELECT s.commune_code FROM products p JOIN subjects s ON s.id = p.subject_id "
            "WHERE p.id = :id",
            id=entry.product_id,
        )
        entry.commune_code = row[0] if row is not None else None
    if entry.commune_code is None and isinstance(facts.get("commune_code"), str):
        entry.commune_code = facts["commune_code"]
    if entry.commune_code is None and number is not None:
        table = {"subject": "subjects", "officer_invite": "officer_invites"}.get(kind)
        if table is not None:
            row = _one(connection, f"SELECT commune_code FROM {table} WHERE id = :id", id=number)  # noqa: S608 - a fixed table name
            entry.commune_code = row[0] if row is not None else None
    if isinstance(facts.get("scope"), str):
        _scope_place(entry, facts["scope"])
    if entry.province_code is None and isinstance(facts.get("province"), str):
        entry.province_code = facts["province"]
    if entry.province_code is None and kind == "evaluation_round" and number is not None:
        row = _one(
            connection, "SELECT province_code FROM evaluation_rounds WHERE id = :id", id=number
        )
        entry.province_code = row[0] if row is not None else None
    if entry.province_code is None and kind == "staff_account" and number is not None:
        row = _one(
            connection,
            "SELECT scope_kind, scope_code FROM staff_accounts WHERE id = :id",
            id=number,
        )
        if row is not None:
            _scope_place(entry, f"{row[0]}:{row[1]}")
    if entry.province_code is None and entry.commune_code is not None:
        row = _one(
            connection,
            "SELECT province_code FROM communes WHERE code = :code",
            code=entry.commune_code,
        )
        entry.province_code = row[0] if row is not None else None
