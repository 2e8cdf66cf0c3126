"""What the bot keeps of a received file is decided by its bytes and its size, not by the
type the platform or the phone claims."""

from __future__ import annotations

import httpx
import pytest

from bot.channels.zalo import ZaloChannel
from bot.files import sniff, with_content
from bot.messages import MAX_FILE_BYTES, FileKind, FileProblem, FileReceived
from tests.builders import png
from tests.standins import ZALO_TOKEN, ZaloStandIn, serve


@pytest.mark.parametrize(
    ("first_bytes", "media_type"),
    [
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (png(1, 1), "image/png"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00", "image/heic"),
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "application/msword"),
        (b"PK\x03\x04\x14\x00", "application/vnd.openxmlformats-officedocument"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"<html><script>", None),
        (b"MZ\x90\x00", None),
        (b"", None),
    ],
)
def test_the_type_is_read_from_the_bytes(first_bytes: bytes, media_type: str | None) -> None:
    assert sniff(first_bytes) == media_type


async def test_a_file_over_the_limit_is_refused_while_it_downloads() -> None:
    stand_in = ZaloStandIn()
    stand_in.files["big.jpg"] = b"\xff\xd8\xff" + bytes(MAX_FILE_BYTES)
    stand_in.files["ok.jpg"] = png(2, 2)

    async with serve(stand_in.app()) as url, httpx.AsyncClient() as http:
        zalo = ZaloChannel(http, url, ZALO_TOKEN)
        big = await with_content(FileReceived(FileKind.PHOTO, f"{url}/cdn/big.jpg"), zalo)
        ok = await with_content(FileReceived(FileKind.PHOTO, f"{url}/cdn/ok.jpg"), zalo)
        claimed = FileReceived(
            FileKind.DOCUMENT, f"{url}/cdn/ok.jpg", size_bytes=MAX_FILE_BYTES + 1
        )
        refused_early = await with_content(claimed, zalo)
    assert (big.problem, big.content) == (FileProblem.TOO_LARGE, None)
    assert (ok.problem, ok.content, ok.media_type) == (None, stand_in.files["ok.jpg"], "image/png")
    assert refused_early.problem is FileProblem.TOO_LARGE
