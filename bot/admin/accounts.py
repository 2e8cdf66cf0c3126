"""Staff accounts: creation from the command line, password login, API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.passwords import (
    hash_password,
    needs_rehash,
    new_api_token,
    token_hash,
    verify_password,
)
from bot.admin.scope import Scope, ScopeKind
from bot.db.models import AuditEntry, StaffAccount


class UsernameTakenError(ValueError):
    """Another account already has this username."""


@dataclass(frozen=True, slots=True)
class Staff:
    """The signed-in clerk, as every admin request sees them."""

    id: int
    username: str
    scope: Scope

    @property
    def actor(self) -> str:
        """How the audit log names them."""
        return f"staff:{self.username}"


def _staff(row: StaffAccount) -> Staff:
    return Staff(row.id, row.username, Scope(ScopeKind(row.scope_kind), row.scope_code))


def normalise_username(username: str) -> str:
    """Usernames are compared in lower case without surrounding spaces."""
    return username.strip().lower()


async def create_staff(
    session: AsyncSession, username: str, password: str, scope: Scope, now: datetime
) -> Staff:
    """Create a staff account (audited); the password is stored only as an Argon2id hash."""
    name = normalise_username(username)
    if not name or len(name) > 64:
        raise ValueError("a username has 1–64 characters")
    if await session.scalar(select(StaffAccount.id).where(StaffAccount.username == name)):
        raise UsernameTakenError(f"the username {name!r} is taken")
    row = StaffAccount(
        username=name,
        password_hash=hash_password(password),
        scope_kind=scope.kind.value,
        scope_code=scope.code,
        created_at=now,
    )
    session.add(row)
    await session.flush()
    session.add(
        AuditEntry(
            actor_label="cli",
            action="staff.create",
            entity_type="staff_account",
            entity_id=str(row.id),
            after={"username": name, "scope": str(scope)},
            at=now,
        )
    )
    return _staff(row)


async def authenticate(
    session: AsyncSession, username: str, password: str
) -> tuple[Staff, str] | None:
    """The account whose password this is and its (current) password hash, which the
    session is bound to; None otherwise (same work for unknown usernames)."""
    row = await session.scalar(
        select(StaffAccount).where(
            StaffAccount.username == normalise_username(username),
            StaffAccount.disabled_at.is_(None),
        )
    )
    if not verify_password(row.password_hash if row else None, password) or row is None:
        return None
    if needs_rehash(row.password_hash):
        row.password_hash = hash_password(password)
    return _staff(row), row.password_hash


async def staff_by_id(session: AsyncSession, staff_id: int) -> tuple[Staff, str] | None:
    """An enabled account and its password hash (sessions are bound to it)."""
    row = await session.get(StaffAccount, staff_id)
    if row is None or row.disabled_at is not None:
        return None
    return _staff(row), row.password_hash


async def staff_by_token(session: AsyncSession, token: str) -> Staff | None:
    """The enabled account holding this API token."""
    row = await session.scalar(
        select(StaffAccount).where(
            StaffAccount.api_token_hash == token_hash(token), StaffAccount.disabled_at.is_(None)
        )
    )
    return None if row is None else _staff(row)


async def issue_token(session: AsyncSession, username: str, now: datetime) -> str:
    """A new API token for ``username``, replacing the old one; shown once, stored hashed."""
    row = await session.scalar(
        select(StaffAccount).where(StaffAccount.username == normalise_username(username))
    )
    if row is None:
        raise LookupError(f"no staff account {username!r}")
    token = new_api_token()
    row.api_token_hash = token_hash(token)
    session.add(
        AuditEntry(
            actor_label="cli",
            action="staff.token",
            entity_type="staff_account",
            entity_id=str(row.id),
            at=now,
        )
    )
    return token
