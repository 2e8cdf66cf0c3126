"""What a staff account may see: one province or one commune.

Every admin query is built on :meth:`Scope.dossiers` or :meth:`Scope.communes`, so a filter
typed into a URL can narrow what a clerk sees but never widen it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.orm import InstrumentedAttribute

from bot.db.models import Commune, Dossier, Subject
from handlers.communes import commune_by_code, provinces


class ScopeKind(StrEnum):
    """The two kinds of staff account."""

    PROVINCE = "province"
    COMMUNE = "commune"


class ScopeError(ValueError):
    """A scope that names no province or commune."""


@dataclass(frozen=True, slots=True)
class Scope:
    """A province (``province:51``) or a commune (``commune:21040``)."""

    kind: ScopeKind
    code: str

    @classmethod
    def parse(cls, text: str) -> Scope:
        """``province:<2 digits>`` or ``commune:<5 digits>``, checked against the 34
        provinces and 3,321 communes in force since 1/7/2025."""
        kind_text, _, code = text.strip().partition(":")
        try:
            kind = ScopeKind(kind_text.strip().lower())
        except ValueError:
            raise ScopeError(
                f"scope must be province:<code> or commune:<code>, not {text!r}"
            ) from None
        code = code.strip()
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
        return f"{self.kind.value}:{self.code}"

    @property
    def province_code(self) -> str:
        """The province this scope lies in."""
        if self.kind is ScopeKind.PROVINCE:
            return self.code
        found = commune_by_code(self.code)
        return found.province_code if found else ""

    @property
    def label(self) -> str:
        """ "tỉnh Quảng Ngãi" or "Xã Xốp, tỉnh Quảng Ngãi"."""
        if self.kind is ScopeKind.PROVINCE:
            return provinces()[self.code]
        found = commune_by_code(self.code)
        return found.full_name if found else self.code

    @property
    def is_province(self) -> bool:
        """Province staff score, certify and keep the calendar; commune staff follow."""
        return self.kind is ScopeKind.PROVINCE

    def communes(self) -> Select:  # type: ignore[type-arg]  # 2.0/2.1 differ
        """The codes of the communes in scope, as a subquery."""
        query = select(Commune.code)
        if self.kind is ScopeKind.PROVINCE:
            return query.where(Commune.province_code == self.code)
        return query.where(Commune.code == self.code)

    def covers_commune(self, column: InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """``column`` (a commune code column) lies in scope."""
        if self.kind is ScopeKind.COMMUNE:
            return column == self.code
        return column.in_(self.communes())

    def dossiers(self) -> ColumnElement[bool]:
        """The condition every dossier query carries."""
        return self.covers_commune(Dossier.commune_code)

    def subjects(self) -> ColumnElement[bool]:
        """The condition every subject, product or certificate query carries."""
        return self.covers_commune(Subject.commune_code)

    def includes_commune(self, commune_code: str) -> bool:
        """Whether one commune lies in scope (checked in memory, no query)."""
        if self.kind is ScopeKind.COMMUNE:
            return commune_code == self.code
        found = commune_by_code(commune_code)
        return found is not None and found.province_code == self.code
