"""Streamed file downloads: the content type and an attachment name that every browser
keeps (an ASCII `filename` plus the UTF-8 `filename*` of RFC 6266 for other letters)."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import AsyncIterable, Iterable
from pathlib import Path

from litestar.response import Stream

from server.services.spreadsheets import CSV_MEDIA, XLSX_MEDIA, read_file_chunks

JSONL_MEDIA = "application/x-ndjson"
MEDIA = {"csv": CSV_MEDIA, "xlsx": XLSX_MEDIA, "jsonl": JSONL_MEDIA}


def disposition(filename: str) -> str:
    """Content-Disposition for a download named `filename`."""
    plain = re.sub(r'[^A-Za-z0-9._ -]', "_", filename)
    value = f'attachment; filename="{plain}"'
    if plain != filename:
        value += f"; filename*=UTF-8''{urllib.parse.quote(filename, safe='')}"
    return value


def download(body: AsyncIterable[bytes] | Iterable[bytes], filename: str,
             fmt: str) -> Stream:
    """A streamed attachment of format `fmt` ("csv", "xlsx", "jsonl")."""
    # Litestar adds "; charset=utf-8" to text/* types itself
    return Stream(body, media_type=MEDIA[fmt],
                  headers={"Content-Disposition": disposition(filename)})


def file_download(path: Path, filename: str, fmt: str) -> Stream:
    """A finished temp file streamed in chunks and deleted once sent (or abandoned)."""
    return download(read_file_chunks(path), filename, fmt)
