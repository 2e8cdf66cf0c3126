"""What an officer invite code looks like: made by ``bot.invites``, recognised by the router.

A code is 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L). People type
codes on phones, so case, spaces and dashes are ignored.
"""

from __future__ import annotations

import re

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
_NOT_CODE = re.compile(r"[\s\-_.]+")


def normalise(code: str) -> str:
    """The code as typed, without case, spaces or dashes."""
    return _NOT_CODE.sub("", code).upper()


def looks_like_code(text: str) -> bool:
    """Whether ``text`` could be an invite code: the router then takes "canbo <text>" for
    an invite even in the middle of the sign-up, where it can be no answer."""
    value = normalise(text)
    return len(value) == CODE_LENGTH and all(ch in ALPHABET for ch in value)
