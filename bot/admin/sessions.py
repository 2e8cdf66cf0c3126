"""The admin cookies' names, and CSRF tokens.

The session cookie holds a random token whose session lives in the database
(:mod:`bot.admin.logins`), so logout ends it everywhere. It is ``HttpOnly`` and
``SameSite=Strict``.

CSRF uses the signed double-submit pattern: each browser gets a random ``ocop_csrf`` cookie
and every form carries an HMAC of it (under ``OCOP_SECRET_KEY``), which a page on another
site can neither read nor forge.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

SESSION_COOKIE = "ocop_admin"
CSRF_COOKIE = "ocop_csrf"


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


@dataclass(frozen=True, slots=True)
class SessionSigner:
    """Makes and checks CSRF tokens."""

    secret: bytes

    def _mac(self, *parts: str) -> str:
        return _b64(hmac.new(self.secret, "\x1f".join(parts).encode(), hashlib.sha256).digest())

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
