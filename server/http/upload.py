"""A multipart upload streamed to a file in the data directory, with a size limit that is
enforced before the body is read (Content-Length) and again while it streams (a sender that
announces no length, or lies), so that a 200 MB upload is refused at once with 413 naming
the limit, and memory never holds more than one chunk of it.

Routes that take uploads this way set request_max_body_size=None (Litestar's own limit
would refuse them with its own words, after reading) and take the Request itself."""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from multipart import MultipartSegment, ParserError, PushMultipartParser

from server.domain.errors import InvalidInput, TooLarge
from server.settings import get_settings

MAX_FIELD = 1_000_000  # characters of a form field that is not the file (a JSON mapping)
SUFFIXES = (".csv", ".xlsx", ".txt", ".tsv")


@dataclass
class Upload:
    fields: dict[str, str] = field(default_factory=dict)
    path: Path | None = None  # the file, kept in the data directory's imports/
    file_name: str = ""
    size: int = 0


def upload_dir() -> Path:
    folder = get_settings().data_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def too_large(limit: int, seen: int | None = None) -> TooLarge:
    mb = limit / 1_000_000
    said = f"{mb:,.0f} MB" if mb >= 1 else f"{limit:,} bytes"
    return TooLarge(f"the file is larger than the import limit of {said} "
                    "(TAGTRACK_IMPORT_MAX_BYTES)", field="file",
                    details={"limit": limit, **({"length": seen} if seen else {})})


def refuse_announced_over_limit(headers: Any) -> None:
    """413 before a byte of the body is read, when its announced length is over the import
    limit (plus room for the form's other fields): browsers announce a form's length."""
    limit = get_settings().import_max_bytes
    announced = headers.get("content-length")
    if announced and announced.isdigit() and int(announced) > limit + 64_000:
        raise too_large(limit, int(announced))


async def receive(request: Any, file_field: str = "file") -> Upload:
    limit = get_settings().import_max_bytes
    refuse_announced_over_limit(request.headers)
    ctype = request.headers.get("content-type", "")
    if "multipart/form-data" not in ctype or "boundary=" not in ctype:
        raise InvalidInput("send the file as multipart/form-data (a form with a file field)",
                           field=file_field)
    boundary = ctype.split("boundary=", 1)[1].split(";")[0].strip().strip('"')
    up = Upload()
    out: Any = None
    name = ""
    value = bytearray()
    try:
        with PushMultipartParser(boundary.encode()) as parser:
            async for chunk in request.stream():
                up.size += len(chunk)
                if up.size > limit + 64_000:  # the form's other fields may add a little
                    raise too_large(limit)
                for part in parser.parse(chunk):
                    if isinstance(part, MultipartSegment):
                        name = part.name
                        if part.filename is not None and name == file_field:
                            up.file_name = Path(part.filename).name[:255] or "upload.csv"
                            suffix = Path(up.file_name).suffix.lower()
                            if suffix not in SUFFIXES:
                                suffix = ".csv"
                            up.path = upload_dir() / f"{uuid.uuid4().hex}{suffix}"
                            out = up.path.open("wb")
                        value = bytearray()
                    elif part:
                        if out is not None:
                            out.write(part)
                        else:
                            value.extend(part)
                            if len(value) > MAX_FIELD:
                                raise InvalidInput(f"{name} is too long", field=name)
                    else:  # end of a part
                        if out is not None:
                            out.close()
                            out = None
                        else:
                            up.fields[name] = value.decode("utf-8", "replace")
                if parser.closed:
                    break
    except ParserError:
        discard(up)
        raise InvalidInput("the upload is not a readable multipart form",
                           field=file_field) from None
    except BaseException:
        if out is not None:
            out.close()
        discard(up)
        raise
    if out is not None:
        out.close()
    if up.path is not None and up.path.stat().st_size > limit:
        discard(up)
        raise too_large(limit)
    return up


def discard(up: Upload) -> None:
    if up.path is not None:
        with contextlib.suppress(OSError):
            os.unlink(up.path)
