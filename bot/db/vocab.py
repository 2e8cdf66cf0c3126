"""Closed vocabularies of the bot's own tables (the programme's live in :mod:`ocop_rules`).

Stored as the members' short strings, so adding a member is never a schema migration.
"""

from __future__ import annotations

from enum import StrEnum


class OutboxState(StrEnum):
    """Where a notification of ``notification_outbox`` stands."""

    PENDING = "pending"  # due at ``due_at``, or again at ``next_attempt_at``
    SENDING = "sending"  # claimed by a dispatcher until ``next_attempt_at`` (its lease)
    SENT = "sent"
    SKIPPED = "skipped"  # not to be sent: opted out, blocked, too late… (``last_error``)
    CANCELLED = "cancelled"  # planned for dates that changed
    # The dead letter: given up after the last attempt, or at once when the platform
    # refused the message itself; ``last_error`` says why, ``failed_at`` when.
    FAILED = "failed"


class ReplyState(StrEnum):
    """Where a row of ``reply_outbox`` stands (a reply the platform took is deleted)."""

    PENDING = "pending"  # to be sent from ``next_attempt_at`` on, by whichever process
    SENDING = "sending"  # leased by one process until ``next_attempt_at``
    # Given up: the platform refused the message itself, the chat blocked the bot, or the
    # last attempt failed; ``last_error`` says why, ``failed_at`` when.
    FAILED = "failed"
