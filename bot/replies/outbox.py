"""The statements that write a step's replies to ``reply_outbox``, built once.

A step's first reply is written in one statement with the look at what of the chat waits:
leased (``sending`` until the lease's end) unless a row of the chat other than a failed
one — or, with ``free`` = ``sending``, other than one this process is sending — waits,
and then ``pending`` from now on (:mod:`bot.replies.sender`). Its parameters are the
row's columns (:data:`GIVEN`) and ``failed``, ``free``, ``pending``, ``sending``, ``now``
and ``until``.

The engine folds that statement into the one that saves the step on PostgreSQL
(:func:`first_reply_insert` with the save as ``after``), so the reply costs the step no
round trip of its own.
"""

from __future__ import annotations

from sqlalchemy import CTE, Insert, bindparam, case, exists, insert, select

from bot.db.models import ReplyRow

GIVEN = (
    "channel",
    "chat_id",
    "address",
    "event_id",
    "kind",
    "body",
    "content",
    "attempts",
    "last_error",
    "created_at",
    "failed_at",
)
_COLUMNS = ReplyRow.__table__.c
_WAITING = exists().where(
    ReplyRow.channel == bindparam("channel"),
    ReplyRow.chat_id == bindparam("chat_id"),
    ReplyRow.state != bindparam("failed"),
    ReplyRow.state != bindparam("free"),
)

# A reply after the first, in the state the first decided (``state``, ``next_attempt_at``).
NEXT_REPLY = insert(ReplyRow).returning(ReplyRow.id)


def first_reply_insert(after: CTE | None = None) -> Insert:
    """The first reply's INSERT (see the module's text); with ``after``, a row for each
    row ``after`` returns — none when it returns none — and ``after`` runs with it."""
    row = select(
        *(bindparam(name, type_=_COLUMNS[name].type) for name in GIVEN),
        case(
            (_WAITING, bindparam("pending", type_=_COLUMNS.state.type)),
            else_=bindparam("sending", type_=_COLUMNS.state.type),
        ),
        case(
            (_WAITING, bindparam("now", type_=_COLUMNS.next_attempt_at.type)),
            else_=bindparam("until", type_=_COLUMNS.next_attempt_at.type),
        ),
    )
    if after is not None:
        row = row.select_from(after)
    return (
        insert(ReplyRow)
        .from_select([*GIVEN, "state", "next_attempt_at"], row)
        .returning(ReplyRow.id, ReplyRow.state)
    )


FIRST_REPLY = first_reply_insert()
