"""`tagtrack export KIND [--format csv|xlsx] [-o FILE]` and `tagtrack export events`.

Without -o the file goes to stdout (CSV and JSON Lines; XLSX needs a file). A file is
written beside its final name and renamed into place once complete, so that an export that
fails halfway leaves no file that looks whole."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, BinaryIO

from server.settings import Settings

WithDb = Callable[[Settings, Callable[[], Awaitable[Any]]], Coroutine[Any, Any, Any]]
KINDS = ("items", "units", "stock", "locations", "people")


async def _write(chunks: AsyncIterator[bytes], out: BinaryIO) -> None:
    async for block in chunks:
        out.write(block)


def _deliver_stream(chunks_of: Any, target: str | None, settings: Settings,
                    with_db: WithDb) -> None:
    if target in (None, "-"):
        asyncio.run(with_db(settings, lambda: _write(chunks_of(), sys.stdout.buffer)))
        sys.stdout.buffer.flush()
        return
    final = Path(str(target))
    part = final.with_name(final.name + ".part")
    try:
        with part.open("wb") as out:
            asyncio.run(with_db(settings, lambda: _write(chunks_of(), out)))
        os.replace(part, final)
    finally:
        part.unlink(missing_ok=True)


def cmd_export(settings: Settings, args: argparse.Namespace) -> int:
    from server.services import exports, ledger_export

    if args.kind == "events":
        _deliver_stream(ledger_export.jsonl, args.output, settings, args.with_db)
        return 0
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower()
                          if args.output and args.output != "-" else "csv")
    if fmt not in ("csv", "xlsx"):
        print(f"tagtrack: format must be csv or xlsx, not {fmt}", file=sys.stderr)
        return 2
    if fmt == "csv":
        _deliver_stream(lambda: exports.csv_chunks(args.kind), args.output,
                        settings, args.with_db)
        return 0
    if args.output in (None, "-"):
        print("tagtrack: an XLSX export needs a file: -o FILE.xlsx", file=sys.stderr)
        return 2
    built: Path = asyncio.run(args.with_db(
        settings, lambda: exports.xlsx_file(args.kind)))
    try:
        shutil.move(str(built), args.output)
    finally:
        built.unlink(missing_ok=True)
    return 0


def add_parser(sub: Any, with_db: WithDb) -> None:
    """`with_db` is server.cli's: run a coroutine with the database migrated and bound."""
    e = sub.add_parser("export", help="export a kind as CSV or XLSX, or the history as "
                       "JSON Lines")
    e.add_argument("kind", choices=[*KINDS, "events"],
                   help="what to export; events: the whole history, one event a line")
    e.add_argument("--format", choices=["csv", "xlsx"],
                   help="default: from the file name's extension, else csv")
    e.add_argument("-o", "--output", metavar="FILE", help="default: stdout")
    e.set_defaults(run=cmd_export, with_db=with_db)
