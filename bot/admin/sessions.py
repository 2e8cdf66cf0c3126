"""Signed session cookies, CSRF tokens and the login rate limit.

A session cookie is ``<staff id>.<expiry>.<signature>``; the signature (HMAC-SHA256 under
``OCOP_SECRET_KEY``) also covers the account's password hash, so changing a password signs
every old session out and nothing needs storing server-side.

CSRF uses the signed double-submit pattern: each browser gets a random ``ocop_csrf`` cookie
and every form carries an HMAC of it, which a page on another site can neither read nor
forge. Session cookies are also ``SameSite=Strict`` and ``HttpOnly``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SESSION_COOKIE = "ocop_admin"
CSRF_COOKIE = "ocop_csrf"
SESSION_LIFETIME = timedelta(hours=8)


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class SessionSigner:
    """Makes and checks session cookies and CSRF tokens."""

    secret: bytes

    def _mac(self, *parts: str) -> str:
        return _b64(hmac.new(self.secret, "\x1f".join(parts).encode(), hashlib.sha256).digest())

    def session_cookie(self, staff_id: int, password_hash: str, now: datetime) -> str:
        """A cookie value valid for :data:`SESSION_LIFETIME`."""
        expires = str(int((now + SESSION_LIFETIME).timestamp()))
        return f"{staff_id}.{expires}.{self._mac('session', str(staff_id), expires, password_hash)}"

    @staticmethod
    def claimed_staff_id(cookie: str) -> int | None:
        """The account a cookie claims to be, before its signature is checked."""
        head = cookie.split(".", 1)[0]
        return int(head) if head.isdigit() else None

    def session_valid(self, cookie: str, password_hash: str, now: datetime) -> bool:
        """Whether the cookie was made by us for this account and has not expired."""
        try:
            staff_id, expires, signature = cookie.split(".")
        except ValueError:
            return False
        expected = self._mac("session", staff_id, expires, password_hash)
        return (
            hmac.compare_digest(expected, signature)
            and expires.isdigit()
            and now.timestamp() < int(expires)
        )

    @staticmethod
    def new_csrf_nonce() -> str:
        """The random value of a browser's ``ocop_csrf`` cookie."""
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str) -> str:
        """The token forms carry for the browser holding ``nonce``."""
        return self._mac("csrf", nonce)

    def csrf_valid(self, nonce: str | None, token: str | None) -> bool:
        """Whether a submitted form's token belongs to this browser's cookie."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)


@dataclass
class LoginLimiter:
    """Failed logins allowed per username and per address within a window.

    Kept in memory: a restart forgets it, and with several processes each counts its own —
    Argon2's cost per try keeps guessing slow either way.
    """

    per_username: int = 5
    per_address: int = 20
    window: timedelta = timedelta(minutes=15)
    _failures: dict[str, deque[datetime]] = field(default_factory=dict)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.setdefault(key, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        return times

    def allowed(self, username: str, address: str, now: datetime) -> bool:
        """Whether another try may be checked now."""
        return (
            len(self._recent(f"u:{username}", now)) < self.per_username
            and len(self._recent(f"a:{address}", now)) < self.per_address
        )

    def failed(self, username: str, address: str, now: datetime) -> None:
        """Count a wrong password."""
        self._recent(f"u:{username}", now).append(now)
        self._recent(f"a:{address}", now).append(now)

    def succeeded(self, username: str) -> None:
        """A right password clears the username's count (not the address's)."""
        self._failures.pop(f"u:{username}", None)
