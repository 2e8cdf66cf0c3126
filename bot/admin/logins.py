"""Admin logins: sessions kept in the database, and growing delays after wrong passwords.

A session cookie is a random token; the ``admin_sessions`` row keeps only its SHA-256, the
account and the expiry. Logout ends the row, so the cookie stops working at once, on every
process, even if it was copied.

Wrong passwords are counted per (username, address): the first :data:`FREE_FAILURES` are
answered at once, then each try from that address for that username waits twice as long
as the one before, up to :data:`MAX_DELAY`. Nobody is locked out — the right password from
another address is never held up by someone guessing elsewhere — and the count lives in
the database, so it holds across processes and restarts. A try is counted before its
password is checked, so guesses sent in parallel cannot slip in between check and count;
the right password then clears the count.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.accounts import Staff, staff_by_id
from bot.audit import AuditAction, record
from bot.db.models import AdminSession, LoginThrottle, StaffAccount
from bot.engine import insert_for

SESSION_LIFETIME = timedelta(hours=8)
FREE_FAILURES = 5
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(minutes=15)
# A count not added to for this long starts again from zero.
FORGET_AFTER = timedelta(hours=24)
KEY_LENGTH = 64  # the columns' width; longer usernames are cut, never stored whole


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(session: AsyncSession, *, staff_id: int, now: datetime) -> str:
    """Open a session for the account; return the cookie's token (shown only once).

    Sessions past their expiry are deleted on the way, so the table stays small."""
    await session.execute(delete(AdminSession).where(AdminSession.expires_at <= now))
    token = secrets.token_urlsafe(32)
    account = await session.get_one(StaffAccount, staff_id)
    record(
        session,
        AuditAction.STAFF_LOGIN,
        actor=f"staff:{account.username}",
        entity=("staff_account", staff_id),
        at=now,
    )
    session.add(
        AdminSession(
            token_hash=_token_hash(token),
            staff_id=staff_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
        )
    )
    return token


async def session_staff(session: AsyncSession, *, token: str, now: datetime) -> Staff | None:
    """The enabled account of a session that is neither ended nor expired; else None."""
    if not token:
        return None
    staff_id = await session.scalar(
        select(AdminSession.staff_id)
        .where(AdminSession.token_hash == _token_hash(token))
        .where(AdminSession.ended_at.is_(None))
        .where(AdminSession.expires_at > now)
    )
    if staff_id is None:
        return None
    found = await staff_by_id(session, staff_id)
    return None if found is None else found[0]


async def end_session(session: AsyncSession, *, token: str, now: datetime) -> None:
    """End the session (logout): its cookie is refused from now on."""
    ended = await session.scalars(
        update(AdminSession)
        .where(AdminSession.token_hash == _token_hash(token))
        .where(AdminSession.ended_at.is_(None))
        .values(ended_at=now)
        .returning(AdminSession.staff_id)
    )
    for staff_id in ended.all():
        account = await session.get_one(StaffAccount, staff_id)
        record(
            session,
            AuditAction.STAFF_LOGOUT,
            actor=f"staff:{account.username}",
            entity=("staff_account", staff_id),
            at=now,
        )


def delay_after(failures: int) -> timedelta:
    """How long the next try waits after ``failures`` wrong passwords in a row."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    doublings = min(failures - FREE_FAILURES, 20)  # 2**20 s is far past MAX_DELAY already
    delay: timedelta = FIRST_DELAY * 2**doublings
    return min(delay, MAX_DELAY)


async def begin_attempt(
    session: AsyncSession, *, username: str, address: str, now: datetime
) -> timedelta | None:
    """Count a login try of ``username`` from ``address`` before its password is checked.

    Returns how long the caller must still wait (the try is then not counted), or None
    when the password may be checked; the row stays locked until the caller commits."""
    key = {"username": username[:KEY_LENGTH], "address": address[:KEY_LENGTH]}
    await session.execute(
        insert_for(session, LoginThrottle)
        .values(**key, failures=0, last_try_at=now, wait_until=now)
        .on_conflict_do_nothing(index_elements=["username", "address"])
    )
    row = await session.scalar(
        select(LoginThrottle)
        .filter_by(**key)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None  # noqa: S101 - inserted above unless it was there
    if row.wait_until > now:
        return row.wait_until - now
    if now - row.last_try_at >= FORGET_AFTER:
        row.failures = 0
    row.failures += 1
    row.last_try_at = now
    row.wait_until = now + delay_after(row.failures)
    return None


async def succeeded(session: AsyncSession, *, username: str, address: str, now: datetime) -> None:
    """The right password: forget the pair's count, and counts nobody added to for a day."""
    await session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.username == username[:KEY_LENGTH])
        .where(LoginThrottle.address == address[:KEY_LENGTH])
    )
    await session.execute(
        delete(LoginThrottle).where(LoginThrottle.last_try_at < now - FORGET_AFTER)
    )
