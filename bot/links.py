"""Signed, expiring download links for documents on channels that cannot send files.

A link is ``{PUBLIC_BASE_URL}/files/{id}.{expires}.{signature}``: the signature is an
HMAC-SHA256 of the id and expiry under ``OCOP_SECRET_KEY``, so ids cannot be guessed or
the expiry stretched, and nothing needs storing to check a link.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

LINK_LIFETIME = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class LinkSigner:
    """Makes and checks download links."""

    secret: bytes
    base_url: str

    def _signature(self, document_id: int, expires: int) -> str:
        digest = hmac.new(self.secret, f"{document_id}.{expires}".encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()[:18]).decode()

    def url(self, document_id: int, now: datetime) -> str:
        """A link to ``document_id`` valid for :data:`LINK_LIFETIME` from ``now``."""
        expires = int((now + LINK_LIFETIME).timestamp())
        token = f"{document_id}.{expires}.{self._signature(document_id, expires)}"
        return f"{self.base_url}/files/{token}"

    def document_id(self, token: str, now: datetime) -> int | None:
        """The document a token grants, or None when forged, malformed or expired."""
        try:
            raw_id, raw_expires, signature = token.split(".")
            document_id, expires = int(raw_id), int(raw_expires)
        except ValueError:
            return None
        expected = self._signature(document_id, expires)
        if not hmac.compare_digest(expected, signature) or now.timestamp() > expires:
            return None
        return document_id


def download_headers(filename: str) -> dict[str, str]:
    """Content-Disposition for a download whose name may carry accents (RFC 6266)."""
    return {"Content-Disposition": f"attachment; filename*=UTF-8''{quote(filename)}"}
