"""What a staff account may see: one province, one commune, or the central level.

Every admin query is built on :meth:`Scope.dossiers`, :meth:`Scope.subjects`,
:meth:`Scope.certificates` or :meth:`Scope.communes`, so a filter typed into a URL can narrow
what a clerk sees but never widen it. A ``central`` account (the Ministry's council, QĐ 26
Điều 4.1, 7.4) sees the dossiers provinces proposed to it from every province, with the
certificates it issued, and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, exists, false, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import Certificate, Commune, Dossier, EvaluationResult, Subject
from handlers.communes import commune_by_code, provinces
from ocop_rules import DossierStatus, Level


class ScopeKind(StrEnum):
    """The kinds of staff account."""

    PROVINCE = "province"
    COMMUNE = "commune"
    CENTRAL = "central"


CENTRAL_LABEL = "Bộ Nông nghiệp và Môi trường"


class ScopeError(ValueError):
    """A scope that names no province or commune."""


@dataclass(frozen=True, slots=True)
class Scope:
    """A province (``province:51``), a commune (``commune:21040``) or ``central``."""

    kind: ScopeKind
    code: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``province:<2 digits>``, ``commune:<5 digits>`` or ``central``, checked against
        the 34 provinces and 3,321 communes in force since 1/7/2025."""
        kind_text, _, code = text.strip().partition(":")
        try:
            kind = ScopeKind(kind_text.strip().lower())
        except ValueError:
            raise ScopeError(
                f"scope must be province:<code>, commune:<code> or central, not {text!r}"
            ) from None
        code = code.strip()
        if kind is ScopeKind.CENTRAL:
            return cls(kind, "")
        if kind is ScopeKind.PROVINCE:
            code = code.zfill(2)
            if code not in provinces():
                raise ScopeError(f"no province has the code {code!r}")
        else:
            code = code.zfill(5)
            if commune_by_code(code) is None:
                raise ScopeError(f"no commune has the code {code!r}")
        return cls(kind, code)

    def __str__(self) -> str:
        return self.kind.value if self.is_central else f"{self.kind.value}:{self.code}"

    @property
    def province_code(self) -> str:
        """The province this scope lies in (none for the central level)."""
        if self.kind is not ScopeKind.COMMUNE:
            return self.code
        found = commune_by_code(self.code)
        return found.province_code if found else ""

    @property
    def label(self) -> str:
        """ "tỉnh Quảng Ngãi", "Xã Xốp, tỉnh Quảng Ngãi" or the Ministry."""
        if self.kind is ScopeKind.CENTRAL:
            return CENTRAL_LABEL
        if self.kind is ScopeKind.PROVINCE:
            return provinces()[self.code]
        found = commune_by_code(self.code)
        return found.full_name if found else self.code

    @property
    def is_province(self) -> bool:
        """Province staff score, certify and keep the calendar; commune staff follow."""
        return self.kind is ScopeKind.PROVINCE

    @property
    def is_central(self) -> bool:
        """The central level records the Ministry's result and revokes the 5★ it issued."""
        return self.kind is ScopeKind.CENTRAL

    def communes(self) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
        """The codes of the communes in scope, as a subquery."""
        query = select(Commune.code)
        if self.kind is ScopeKind.PROVINCE:
            return query.where(Commune.province_code == self.code)
        return query.where(Commune.code == self.code)

    def covers_commune(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """``column`` (a commune code column) lies in scope (no commune for the central
        level: it reaches dossiers and certificates only)."""
        if self.kind is ScopeKind.CENTRAL:
            return false()
        if self.kind is ScopeKind.COMMUNE:
            return column == self.code
        return column.in_(self.communes())

    def dossiers(self) -> ColumnElement[bool]:
        """The condition every dossier query carries: for the central level, the dossiers
        proposed to it and those whose result it recorded."""
        if self.kind is ScopeKind.CENTRAL:
            return or_(
                Dossier.status == DossierStatus.PROPOSED_TO_CENTRAL.value,
                exists(
                    select(EvaluationResult.id).where(
                        EvaluationResult.dossier_id == Dossier.id,
                        EvaluationResult.evaluated_at_level == Level.CENTRAL.value,
                    )
                ),
            )
        return self.covers_commune(Dossier.commune_code)

    def subjects(self) -> ColumnElement[bool]:
        """The condition every subject or product query carries."""
        return self.covers_commune(Subject.commune_code)

    def certificates(self) -> ColumnElement[bool]:
        """The condition every certificate query (joined to its product and subject)
        carries: the central level sees the certificates it issued, from every province."""
        if self.kind is ScopeKind.CENTRAL:
            return Certificate.issuing_level == Level.CENTRAL.value
        return self.subjects()

    def includes_commune(self, commune_code: str) -> bool:
        """Whether one commune lies in scope (checked in memory, no query)."""
        if self.kind is ScopeKind.CENTRAL:
            return False
        if self.kind is ScopeKind.COMMUNE:
            return commune_code == self.code
        found = commune_by_code(commune_code)
        return found is not None and found.province_code == self.code
