"""The Zalo OA's OAuth v4 token pair, kept in the database sealed with ``OCOP_SECRET_KEY``.

Theory of operation. Zalo's access token lasts 25 hours; its refresh token lasts three
months and is **single use**: each refresh answers a new pair and the old refresh token is
dead. Two processes that refresh at the same moment with the same refresh token would
leave one of them — and, if its answer is the one kept, the whole OA — without a usable
token. So a refresh runs inside one transaction that first locks the OA's row
(``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` lets one writer in),
then looks again: when another process already refreshed, its fresh token is taken and
nothing is spent. Otherwise the refresh token is spent and the new pair committed before the
new access token is handed out. A refused or unanswered refresh changes nothing in the
pair (the old access token stays usable until it expires) and records its reason, which
``ocop-bot doctor`` reports.

Sealing: the project has no cryptography package, so tokens are sealed with the standard
library — a keystream of HMAC-SHA256 blocks over a random nonce (counter mode), then an
HMAC-SHA256 tag over nonce and ciphertext (encrypt-then-MAC), with keys derived from
``OCOP_SECRET_KEY`` for this one purpose. A tampered or foreign value does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.db.engine import write_gate, write_transaction
from bot.db.models import ZaloOAToken

log = logging.getLogger(__name__)
# Refresh this long before the access token expires (a call in flight must not meet it).
REFRESH_MARGIN = timedelta(minutes=30)
# Zalo documents three months for the refresh token; 90 days is the shorter reading.
REFRESH_TOKEN_LIFETIME = timedelta(days=90)
_VERSION = b"\x01"
_NONCE = 16
_TAG = 32
ERROR_LENGTH = 300


class TokenError(Exception):
    """No usable OA token: none was granted yet, or a refresh failed (the reason says)."""


class SealError(ValueError):
    """A sealed value was altered, truncated or sealed under another key."""


class SecretBox:
    """Seals short secrets under keys derived from ``OCOP_SECRET_KEY`` for one purpose."""

    def __init__(self, secret: bytes, purpose: str = "zalo-oa-tokens") -> None:
        self._enc = hmac.new(secret, f"{purpose}/encrypt".encode(), hashlib.sha256).digest()
        self._mac = hmac.new(secret, f"{purpose}/authenticate".encode(), hashlib.sha256).digest()

    def _stream(self, nonce: bytes, length: int) -> bytes:
        blocks = bytearray()
        counter = 0
        while len(blocks) < length:
            block = nonce + counter.to_bytes(8, "big")
            blocks += hmac.new(self._enc, block, hashlib.sha256).digest()
            counter += 1
        return bytes(blocks[:length])

    def seal(self, plain: str) -> str:
        """``plain`` encrypted and authenticated, as URL-safe text."""
        data = plain.encode()
        nonce = os.urandom(_NONCE)
        cipher = bytes(a ^ b for a, b in zip(data, self._stream(nonce, len(data)), strict=True))
        tag = hmac.new(self._mac, _VERSION + nonce + cipher, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(_VERSION + nonce + cipher + tag).decode()

    def open(self, sealed: str) -> str:
        """The text sealed in ``sealed``; :class:`SealError` when it does not authenticate."""
        try:
            raw = base64.urlsafe_b64decode(sealed.encode())
        except ValueError:
            raise SealError("not a sealed value") from None
        if len(raw) < 1 + _NONCE + _TAG or raw[:1] != _VERSION:
            raise SealError("not a sealed value")
        nonce, cipher, tag = raw[1 : 1 + _NONCE], raw[1 + _NONCE : -_TAG], raw[-_TAG:]
        expected = hmac.new(self._mac, raw[:-_TAG], hashlib.sha256).digest()
        if not hmac.compare_digest(expected, tag):
            raise SealError("the value does not authenticate under this key")
        plain = bytes(a ^ b for a, b in zip(cipher, self._stream(nonce, len(cipher)), strict=True))
        return plain.decode()


@dataclass(frozen=True, slots=True)
class TokenState:
    """What ``doctor`` shows about the stored pair (never the tokens)."""

    access_expires_at: datetime
    refresh_expires_at: datetime
    refreshed_at: datetime
    refresh_failed_at: datetime | None
    refresh_error: str | None
    oa_name: str | None = None

    @property
    def refresh_failing(self) -> bool:
        """Whether the last refresh failed (no success since)."""
        return self.refresh_failed_at is not None and self.refresh_failed_at >= self.refreshed_at


@dataclass
class TokenStore:
    """The OA's access token for API calls, refreshed before it expires."""

    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    box: SecretBox
    oa_id: str
    app_id: str
    app_secret: str
    oauth_base_url: str = "https://oauth.zaloapp.com"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    margin: timedelta = REFRESH_MARGIN
    _cached: tuple[str, datetime] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._gate = write_gate(self.sessionmaker.kw["bind"])
        self._postgres = self.sessionmaker.kw["bind"].dialect.name == "postgresql"

    async def grant(self, *, access_token: str, refresh_token: str, expires_in: int | str) -> None:
        """Keep a pair Zalo just granted (the OAuth page's code exchange, or an operator's
        pair from Zalo's API explorer), replacing the stored one."""
        now = self.clock()
        async with write_transaction(self.sessionmaker, self._gate) as session:
            row = await session.scalar(self._row_query())
            if row is None:
                row = ZaloOAToken(oa_id=self.oa_id)
                session.add(row)
            self._keep(row, access_token, refresh_token, expires_in, now)
        self._cached = None

    async def current(self) -> str:
        """An access token valid for at least :data:`REFRESH_MARGIN`, refreshed if needed."""
        now = self.clock()
        if self._cached is not None and self._cached[1] - self.margin > now:
            return self._cached[0]
        async with self.sessionmaker() as session:
            row = await session.scalar(select(ZaloOAToken).where(ZaloOAToken.oa_id == self.oa_id))
        if row is None:
            raise TokenError("no Zalo OA token: grant access first")
        token = self.box.open(row.access_token)
        if row.access_expires_at - self.margin > now:
            self._cached = (token, row.access_expires_at)
            return token
        try:
            return await self.renewed(token)
        except TokenError:
            if row.access_expires_at > now:  # the old one still works for a while
                return token
            raise

    async def renewed(self, stale: str) -> str:
        """A new access token in place of ``stale`` (which Zalo refused or which expires):
        another process's fresh one when it refreshed meanwhile, else one refresh."""
        now = self.clock()
        failure: str | None = None
        async with write_transaction(self.sessionmaker, self._gate) as session:
            row = await session.scalar(self._row_query())
            if row is None:
                raise TokenError("no Zalo OA token: grant access first")
            held = self.box.open(row.access_token)
            if held != stale and row.access_expires_at - self.margin > now:
                self._cached = (held, row.access_expires_at)
                return held  # refreshed by another process: nothing spent
            try:
                granted = await self._refresh(self.box.open(row.refresh_token))
            except TokenError as error:
                failure = str(error)[:ERROR_LENGTH]
                row.refresh_failed_at, row.refresh_error = now, failure
            else:
                self._keep(row, *granted, now)
        # committed: the new pair is stored before its access token is used
        if failure is not None:
            log.warning("Zalo OA token refresh failed; the old pair is kept")
            raise TokenError(failure)
        self._cached = (granted[0], now + timedelta(seconds=int(granted[2])))
        return granted[0]

    async def state(self) -> TokenState | None:
        """The stored pair's dates and last refresh failure; None when none was granted."""
        async with self.sessionmaker() as session:
            row = await session.scalar(select(ZaloOAToken).where(ZaloOAToken.oa_id == self.oa_id))
        if row is None:
            return None
        return TokenState(
            row.access_expires_at,
            row.refresh_expires_at,
            row.refreshed_at,
            row.refresh_failed_at,
            row.refresh_error,
            row.oa_name,
        )

    async def exchange(self, *, code: str, verifier: str) -> str:
        """Exchange the authorization ``code`` the OAuth callback got for a pair (PKCE: with
        the ``verifier`` its challenge was made from), commit it sealed, and return the new
        access token. :class:`TokenError` when Zalo refuses."""
        granted = await self._token_call(
            {
                "code": code,
                "app_id": self.app_id,
                "grant_type": "authorization_code",
                "code_verifier": verifier,
            },
            "grant",
        )
        await self.grant(access_token=granted[0], refresh_token=granted[1], expires_in=granted[2])
        return granted[0]

    async def name_oa(self, name: str) -> None:
        """Keep the OA's name as its profile gives it, for the admin page."""
        async with write_transaction(self.sessionmaker, self._gate) as session:
            row = await session.scalar(self._row_query())
            if row is not None:
                row.oa_name = name[:ERROR_LENGTH]

    def _row_query(self) -> Any:
        query = select(ZaloOAToken).where(ZaloOAToken.oa_id == self.oa_id)
        return query.with_for_update() if self._postgres else query

    def _keep(
        self,
        row: ZaloOAToken,
        access: str,
        refresh: str,
        expires_in: int | str,
        now: datetime,
    ) -> None:
        row.access_token = self.box.seal(access)
        row.refresh_token = self.box.seal(refresh)
        row.access_expires_at = now + timedelta(seconds=int(expires_in))
        row.refresh_expires_at = now + REFRESH_TOKEN_LIFETIME
        row.refreshed_at = now
        row.refresh_error = None

    async def _refresh(self, refresh_token: str) -> tuple[str, str, str]:
        """Spend ``refresh_token`` at Zalo's OAuth v4 endpoint: (access, refresh, expires_in)."""
        form = {
            "refresh_token": refresh_token,
            "app_id": self.app_id,
            "grant_type": "refresh_token",
        }
        return await self._token_call(form, "refresh")

    async def _token_call(self, form: dict[str, str], what: str) -> tuple[str, str, str]:
        """POST ``form`` to ``/v4/oa/access_token``: (access, refresh, expires_in).

        Errors arrive as HTTP 200 with ``error`` set; ``expires_in`` is a string."""
        try:
            response = await self.http.post(
                f"{self.oauth_base_url}/v4/oa/access_token",
                data=form,
                headers={"secret_key": self.app_secret},
            )
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TokenError(f"{what} got no answer: {type(error).__name__}") from None
        if not isinstance(body, dict):
            raise TokenError(f"{what} answer is not an object")
        access, refresh = body.get("access_token"), body.get("refresh_token")
        if body.get("error") or not access or not refresh:
            code = body.get("error", response.status_code)
            reason = body.get("error_description") or body.get("error_name") or ""
            raise TokenError(f"{what} refused: {code} {reason}".strip())
        return str(access), str(refresh), str(body.get("expires_in", "90000"))


def pkce_pair() -> tuple[str, str]:
    """A PKCE ``code_verifier`` (43 URL-safe characters) and its S256 ``code_challenge``."""
    verifier = secrets.token_urlsafe(32)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).decode().rstrip("=")
