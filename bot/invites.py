"""Officer invitations: one-time codes that grant the commune officer role.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 48
bits: with at most 5 wrong tries per account per hour, guessing is hopeless. Only its
SHA-256 is stored. People type codes on phones, so case, spaces and dashes are ignored.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import AuditEntry, OfficerInvite, Person
from handlers.invite_codes import ALPHABET, CODE_LENGTH, normalise

VALID_FOR = timedelta(days=7)
MAX_WRONG_PER_HOUR = 5


def new_code() -> str:
    """A fresh random invite code."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def code_hash(code: str) -> str:
    """What the database stores of a code."""
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def deep_link(bot_username: str, code: str) -> str:
    """The Telegram link that opens the bot with ``/start <code>``."""
    return f"https://t.me/{bot_username.removeprefix('@')}?start={normalise(code)}"


@dataclass(frozen=True, slots=True)
class InviteRow:
    """An invite as ``ocop-bot officer list`` prints it."""

    id: int
    commune_code: str
    invitee_name: str | None
    created_at: datetime
    expires_at: datetime
    state: str
    used_by: str | None

    @classmethod
    def of(cls, invite: OfficerInvite, now: datetime, used_by: str | None = None) -> InviteRow:
        """The row of ``invite`` as it stands at ``now``."""
        return cls(
            invite.id,
            invite.commune_code,
            invite.invitee_name,
            invite.created_at,
            invite.expires_at,
            invite_state(invite, now),
            used_by,
        )


def invite_state(invite: OfficerInvite, now: datetime) -> str:
    """ "used", "revoked", "expired" or "open"."""
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= now:
        return "expired"
    return "open"


async def create_invite(
    session: AsyncSession,
    commune_code: str,
    invitee_name: str | None,
    now: datetime,
    created_by: str = "cli",
) -> tuple[OfficerInvite, str]:
    """Add an invite; returns it and the clear code (shown once, never stored)."""
    code = new_code()
    invite = OfficerInvite(
        code_hash=code_hash(code),
        commune_code=commune_code,
        invitee_name=invitee_name,
        created_by=created_by,
        created_at=now,
        expires_at=now + VALID_FOR,
    )
    session.add(invite)
    await session.flush()
    session.add(
        AuditEntry(
            actor_label=created_by,
            action="invite.create",
            entity_type="officer_invite",
            entity_id=str(invite.id),
            after={"commune_code": commune_code, "expires_at": invite.expires_at.isoformat()},
            at=now,
        )
    )
    return invite, code


async def revoke_invite(
    session: AsyncSession, reference: str, now: datetime, actor: str = "cli"
) -> OfficerInvite | None:
    """Revoke an open invite given its id or its code; None when there is no such invite."""
    condition = (
        OfficerInvite.id == int(reference)
        if reference.isdigit()
        else OfficerInvite.code_hash == code_hash(reference)
    )
    invite = await session.scalar(select(OfficerInvite).where(condition))
    if invite is None:
        return None
    if invite.revoked_at is None and invite.used_at is None:
        invite.revoked_at = now
        session.add(
            AuditEntry(
                actor_label=actor,
                action="invite.revoke",
                entity_type="officer_invite",
                entity_id=str(invite.id),
                before={"state": "open"},
                after={"state": "revoked"},
                at=now,
            )
        )
    return invite


async def list_invites(
    session: AsyncSession, now: datetime, where: ColumnElement[bool] | None = None
) -> list[InviteRow]:
    """Every invite (or those matching ``where``, e.g. a staff account's communes), newest
    first, with its state and who used it."""
    query = (
        select(OfficerInvite, Person.full_name)
        .outerjoin(Person, Person.id == OfficerInvite.used_by_person_id)
        .order_by(OfficerInvite.id.desc())
    )
    rows = await session.execute(query if where is None else query.where(where))
    return [InviteRow.of(invite, now, name) for invite, name in rows]
