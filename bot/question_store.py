"""The database side of :class:`handlers.ports.QuestionStore`, mixed into the SQL store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot import questions
from bot.db.models import Person
from handlers.ports import OpenQuestion, QuestionReceipt


class QuestionQueries:
    """Producers' questions and officers' answers, in the event's transaction."""

    _session: AsyncSession
    _now: datetime

    async def ask_officer(
        self, person_id: int, body: str, dossier_id: int | None, *, unreadable: bool = False
    ) -> QuestionReceipt | None:
        """Relay the producer's question; None when the person has no commune."""
        asked = await questions.ask(
            self._session,
            person_id=person_id,
            body=body,
            now=self._now,
            dossier_id=dossier_id,
            unreadable=unreadable,
        )
        if asked is None:
            return None
        return QuestionReceipt(
            asked.question_id,
            asked.commune_code,
            asked.routed_to is questions.RoutedTo.PROVINCE,
            asked.officers,
        )

    async def open_questions(self, person_id: int) -> list[OpenQuestion]:
        """Unanswered questions of the officer's communes, oldest first."""
        found = await questions.inbox(
            self._session, questions.for_officer(person_id), open_only=True
        )
        return [
            OpenQuestion(entry.id, entry.producer, entry.product, entry.body, entry.asked_at)
            for entry in sorted(found, key=lambda entry: entry.asked_at)
        ]

    async def answer_question(self, person_id: int, question_id: int, body: str) -> bool:
        """Answer one question of the officer's communes (audited, as an answer from the admin
        inbox is); False when not theirs or answered."""
        officer = await self._session.get(Person, person_id)
        by = officer.full_name if officer is not None and officer.full_name else ""
        return await questions.answer(
            self._session,
            question_id=question_id,
            body=body,
            by=by,
            now=self._now,
            allowed=questions.for_officer(person_id),
            actor=by or None,
            actor_person_id=person_id,
        )
