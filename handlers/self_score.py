"""What a self-assessment's answers add up to: the score, the star band, the minimums still
missing for each star level, and the few answers that would raise the score most.

The points and the minimum marks are :func:`ocop_rules.score_sheet`'s; this module only
orders them for the producer. A missed minimum is guidance ("chưa đạt yêu cầu tối thiểu"),
never a verdict: how the council applies it is not written in the decision.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from handlers.sheet_questions import Question, questions
from ocop_rules import SheetScore, score_sheet

SKIPPED = -1  # the stored answer of a criterion the producer skipped
STAR_LEVELS = (3, 4, 5)
RAISES = 3  # how many answers "what would raise my score most" lists


@dataclass(frozen=True, slots=True)
class Raise:
    """The next better answer of one criterion and the points it adds."""

    question: Question
    now: Decimal
    to: int  # the index of the next better answer
    gain: Decimal
    unmet_minimum: bool  # the criterion misses a minimum of the level aimed at


@dataclass(frozen=True, slots=True)
class SelfScore:
    """A self-assessment's result."""

    score: SheetScore
    unanswered: tuple[Question, ...]  # skipped or not reached: they score 0
    unmet: Mapping[int, tuple[Question, ...]]  # by star level, first level each is missed at
    aim: int | None  # the star level to aim for next; None once 5★ with every minimum met
    raises: tuple[Raise, ...]


def _aim(score: SheetScore) -> int | None:
    for level in STAR_LEVELS:
        if level > score.stars or score.unmet_minimums[level]:
            return level
    return None


def _points(question: Question, index: int | None) -> Decimal:
    if index is None or index == SKIPPED:
        return Decimal(0)
    return question.answers[index].points


def _next_better(question: Question, index: int | None) -> int | None:
    now = _points(question, index)
    better = [i for i, a in enumerate(question.answers) if a.points > now]
    return min(better, key=lambda i: question.answers[i].points) if better else None


def _minimum_answer(question: Question, level: int) -> int | None:
    """The lowest answer that meets ``level``'s mark on ``question``."""
    marked = [a.points for a in question.answers if a.min_stars and a.min_stars <= level]
    if not marked:
        return None
    floor = max(marked)
    return min(
        (i for i, a in enumerate(question.answers) if a.points >= floor),
        key=lambda i: question.answers[i].points,
    )


def assess(set_number: int, answers: Mapping[str, int]) -> SelfScore:
    """The result of ``answers`` (criterion code → answer index, or :data:`SKIPPED`)."""
    asked = questions(set_number)
    chosen = {code: index for code, index in answers.items() if index != SKIPPED}
    score = score_sheet(set_number, chosen)
    unanswered = tuple(q for q in asked if q.code not in chosen)
    unmet: dict[int, tuple[Question, ...]] = {}
    seen: set[str] = set()
    for level in STAR_LEVELS:
        missed = set(score.unmet_minimums[level]) - seen
        unmet[level] = tuple(q for q in asked if q.code in missed)
        seen |= missed
    aim = _aim(score)
    aim_unmet = set(score.unmet_minimums[aim]) if aim is not None else set()
    raises = []
    for q in asked:
        unmet_minimum = q.code in aim_unmet
        to = _minimum_answer(q, aim) if unmet_minimum and aim else None
        to = _next_better(q, chosen.get(q.code)) if to is None else to
        if to is None:
            continue
        now = _points(q, chosen.get(q.code))
        raises.append(Raise(q, now, to, q.answers[to].points - now, unmet_minimum))
    raises.sort(key=lambda r: (not r.unmet_minimum, -r.gain))
    return SelfScore(score, unanswered, unmet, aim, tuple(raises[:RAISES]))
