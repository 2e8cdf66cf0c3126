"""Search boxes of the admin pages and API, without accents or case.

Clerks type "ruou", "mat ong", "htx xop" as often as "Rượu" or "Mật ong". Names are stored
as written, and neither SQLite nor a stock PostgreSQL folds Vietnamese accents in SQL, so a
search reads the few short columns it looks in for the account's scope, folds them with
:func:`handlers.textmatch.fold` — the same folding the chat uses — and narrows the query to
the ids that match. A province has thousands of dossiers, not millions: one narrow read per
search, off the chat's hot path.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.scope import Scope
from bot.db.models import Dossier, Product, Subject
from handlers.textmatch import fold


def matches(text: str, *values: str | None) -> bool:
    """Whether ``text`` is found in any of ``values``, accents and case aside."""
    wanted = fold(text)
    return any(wanted in fold(value) for value in values if value)


async def matching_dossiers(session: AsyncSession, scope: Scope, text: str) -> list[int]:
    """Ids of the scope's dossiers whose product, subject or registration code holds
    ``text`` ("ruou" finds "Rượu nếp")."""
    rows = await session.execute(
        select(Dossier.id, Product.name, Subject.name, Product.registration_code)
        .join(Product, Product.id == Dossier.product_id)
        .join(Subject, Subject.id == Product.subject_id)
        .where(scope.dossiers())
    )
    return [row[0] for row in rows if matches(text, *row[1:])]
