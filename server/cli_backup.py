"""`tagtrack backup FILE`, `tagtrack restore FILE [--force]` and
`tagtrack copy --to URL [--from URL]` (server/services/backup.py does the work).

Restore and copy end by running `verify` on the database they wrote, and say whether it
passed: a restored database is only as good as its history's check."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from server.settings import Settings


def _run(work: Any) -> Any:
    """Run the coroutine; a database's own error becomes a line of text (DomainError,
    OSError and the like are printed by server.cli.main)."""
    import sqlite3

    import asyncpg

    try:
        return asyncio.run(work)
    except (asyncpg.PostgresError, asyncpg.InterfaceError, sqlite3.Error) as exc:
        raise RuntimeError(f"the database refused: {exc}") from exc


def _progress(table: str, rows: int) -> None:
    print(f"  {table}: {rows:,} rows", file=sys.stderr, flush=True)


async def verify_at(url: str) -> list[str]:
    """`verify` on the database at `url`: its problems, none when all is well."""
    from server.db import engine as db_engine
    from server.services.verify import check

    engine = db_engine.make_engine(url)
    db_engine.bind(engine)
    await db_engine.start(engine)
    try:
        report = await check(None)
    finally:
        await db_engine.stop(engine)
    return list(report.problems)


def _summary(manifest: Any) -> str:
    rows = sum(t.rows for t in manifest.tables)
    head = manifest.chain_head or {}
    return (f"{len(manifest.tables)} tables, {rows:,} rows, history of {head.get('count', 0):,} "
            f"events (head: event {head.get('event_id', 0)})")


def _verified(url: str) -> int:
    problems = _run(verify_at(url))
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        print(f"verify: {len(problems)} problem(s) in the restored database", file=sys.stderr)
        return 1
    print("verify: the chain is intact and the tables match the events")
    return 0


def cmd_backup(settings: Settings, args: argparse.Namespace) -> int:
    from server.services.backup import backup

    url = args.database or settings.database_url
    manifest = _run(backup(url, Path(args.file), progress=_progress))
    print(f"Backup of the {manifest.source_engine} database written to {args.file}: "
          f"{_summary(manifest)}.")
    return 0


def cmd_restore(settings: Settings, args: argparse.Namespace) -> int:
    from server.services.backup import restore

    url = args.database or settings.database_url
    manifest = _run(restore(url, Path(args.file), force=args.force,
                                   progress=_progress))
    print(f"Restored {args.file} (a {manifest.source_engine} backup of "
          f"{manifest.created_at}): {_summary(manifest)}.")
    return _verified(url)


def cmd_copy(settings: Settings, args: argparse.Namespace) -> int:
    from server.services.backup import copy

    source = args.source or settings.database_url
    manifest = _run(copy(source, args.to, force=args.force, progress=_progress))
    print(f"Copied the {manifest.source_engine} database to {args.to.rsplit('@', 1)[-1]}: "
          f"{_summary(manifest)}. Point DATABASE_URL at it to use it.")
    return _verified(args.to)


def register(sub: Any) -> None:
    """Add the three commands to the `tagtrack` parser's subcommands."""
    b = sub.add_parser("backup", help="write a consistent backup of the database to FILE "
                       "(safe while the server runs)")
    b.add_argument("file", metavar="FILE")
    b.add_argument("--database", metavar="URL", help="back up this database instead of "
                   "DATABASE_URL")
    b.set_defaults(run=cmd_backup)
    r = sub.add_parser("restore", help="load a backup into an empty database (stop the "
                       "server first), then verify it")
    r.add_argument("file", metavar="FILE")
    r.add_argument("--force", action="store_true",
                   help="delete everything in the database first, if it is not empty")
    r.add_argument("--database", metavar="URL", help="restore into this database instead of "
                   "DATABASE_URL")
    r.set_defaults(run=cmd_restore)
    c = sub.add_parser("copy", help="copy everything to another database, SQLite or "
                       "PostgreSQL (e.g. --to postgresql://...), then verify it")
    c.add_argument("--to", required=True, metavar="DATABASE_URL")
    c.add_argument("--from", dest="source", metavar="DATABASE_URL",
                   help="copy from this database instead of DATABASE_URL")
    c.add_argument("--force", action="store_true",
                   help="delete everything in the target first, if it is not empty")
    c.set_defaults(run=cmd_copy)
