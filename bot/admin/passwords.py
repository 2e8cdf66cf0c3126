"""Staff passwords and API tokens.

Passwords are hashed with Argon2id (``argon2-cffi``'s defaults follow RFC 9106's second
recommended profile); API tokens are long random strings, so a plain SHA-256 is enough to
keep a leaked table from handing out access, and it lets a request find its account with one
indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


@cache
def _dummy_hash() -> str:
    """Verified against when the username is unknown, so both answers take as long; made
    at the first login, not at import, where it cost every process (every CLI command)
    some 130 ms of Argon2."""
    return _HASHER.hash("not a real password")


class WeakPasswordError(ValueError):
    """The password is too short to protect a staff account."""


def hash_password(password: str) -> str:
    """An Argon2id hash of ``password`` (at least :data:`MIN_PASSWORD_LENGTH` characters)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"a staff password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; an unknown account (``None``) costs the same time."""
    try:
        return _HASHER.verify(stored_hash or _dummy_hash(), password) and stored_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored_hash)


def new_api_token() -> str:
    """A bearer token for the JSON API, shown once."""
    return f"ocop_{secrets.token_urlsafe(32)}"


def token_hash(token: str) -> str:
    """What is stored for a token."""
    return hashlib.sha256(token.encode()).hexdigest()
