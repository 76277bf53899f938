"""Backup, restore and copy: one code path for all three.

`backup` reads a consistent snapshot of every table (server/db/snapshot.py) and writes it
as a zip in the portable format of server/domain/backup_format.py: a JSON Lines file per
table, in dependency order, and a manifest (format version, migrations, per-table columns,
kinds, row counts and id sequences, the chain head, when, from which engine). The file is
written under a `.partial` name and renamed when complete, so a backup that stopped half
way never looks like a backup.

`restore` migrates the target, refuses a database that holds rows (unless `force`, which
deletes them first, in the same transaction), loads every table in one transaction (all or
nothing), puts each id sequence past the largest id restored and past what the source had
handed out, and checks the row counts and the chain head against the manifest before it
commits. Rows stream through in chunks of snapshot.CHUNK: memory does not grow with the
database.

`copy` is a backup into a temporary file and a restore of it: SQLite to PostgreSQL and
back lose nothing the backup would not lose, which is nothing.

Because every scan's idempotency key and first answer live in `scan_log`, written in the
same transaction as the scan's change, a snapshot holds every scan whose answer was sent
before it began, with its answer: after a restore, a replayed key returns that answer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from server.db import snapshot
from server.db.snapshot import CHUNK, Database
from server.domain import chain
from server.domain.backup_format import (
    MANIFEST,
    BackupError,
    Manifest,
    TableEntry,
    TableShape,
    decoder,
    encoder,
    is_plain,
    table_file,
)

Progress = Callable[[str, int], None]  # (table, rows) once a table is done


def _quiet(_table: str, _rows: int) -> None:
    return None


async def backup(url: str, file: Path, *, progress: Progress = _quiet) -> Manifest:
    """Write a backup of the database at `url` to `file` (replaced if it exists)."""
    file = Path(file).resolve()
    file.parent.mkdir(parents=True, exist_ok=True)
    partial = file.with_name(file.name + ".partial")
    try:
        async with snapshot.reading(url, file.parent) as db:
            shapes = await db.shapes()
            migrations = await db.migrations()
            issued = await db.sequences(shapes)
            entries: list[TableEntry] = []
            head: dict[str, Any] = {}
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
                for shape in shapes:
                    rows, top, last = await _write_table(zf, db, shape)
                    entries.append(TableEntry(shape.name, shape.columns, shape.kinds, rows,
                                              max(top, issued.get(shape.name, 0))))
                    if shape.name == "event":
                        head = _head(shape, last, rows)
                    progress(shape.name, rows)
                manifest = Manifest(
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                    source_engine=db.engine, migrations=tuple(migrations),
                    tables=tuple(entries), chain_head=head)
                zf.writestr(MANIFEST, json.dumps(manifest.as_json(), indent=1))
        os.replace(partial, file)
    finally:
        partial.unlink(missing_ok=True)
    return manifest


def _head(shape: TableShape, last: tuple[Any, ...] | None, count: int) -> dict[str, Any]:
    """The chain head of the snapshot, as server/db/ledger.py head() reads it (none for a
    database from before the chain)."""
    if "hash" not in shape.columns:
        return {}
    if last is None:
        return chain.EMPTY_HEAD.as_json()
    row = dict(zip(shape.columns, last, strict=True))
    return chain.Head(int(row["id"]), str(row["hash"]), count,
                      chain.utc_text(row["at"])).as_json()


async def _write_table(zf: zipfile.ZipFile, db: Database, shape: TableShape
                       ) -> tuple[int, int, tuple[Any, ...] | None]:
    """The table's rows as JSON Lines; (rows, largest key, last row as encoded)."""
    # ints and strings go as they are (a value of another type in such a column, which
    # SQLite allows, is made right by the restore's decoder or refused there)
    special = [(i, encoder(k)) for i, k in enumerate(shape.kinds) if not is_plain(k)]
    key = shape.columns.index(shape.key) if shape.key else None
    rows, top, last = 0, 0, None
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    with zf.open(table_file(shape.name), "w", force_zip64=True) as out:
        async for chunk in db.chunks(shape):
            lines = []
            for row in chunk:
                encoded = list(row)
                for i, convert in special:
                    encoded[i] = convert(encoded[i])
                lines.append(dumps(encoded))
                last = tuple(encoded)
            out.write(("\n".join(lines) + "\n").encode("utf-8"))
            rows += len(chunk)
            if key is not None and last is not None and last[key] is not None:
                top = max(top, int(last[key]))
    return rows, top, last


def read_manifest(zf: zipfile.ZipFile) -> Manifest:
    try:
        data = json.loads(zf.read(MANIFEST))
    except KeyError as exc:
        raise BackupError("this file is not a Tagtrack backup (it has no manifest.json)",
                          field="file") from exc
    return Manifest.parse(data)


def open_backup(file: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(file)
    except FileNotFoundError as exc:
        raise BackupError(f"no backup file at {file}", field="file") from exc
    except zipfile.BadZipFile as exc:
        raise BackupError(f"{file} is not a Tagtrack backup (not a zip file)",
                          field="file") from exc


async def migrate_database(url: str, upto: str = "all") -> None:
    """Create (if need be) and migrate the database at `url` (up to and including the
    migration `upto`, or all)."""
    from server.db.migrate import migrate
    from server.settings import get_settings

    saved = os.environ.get("DATABASE_URL")  # migrate() sets it; callers keep their own
    try:
        await migrate(dataclasses.replace(get_settings(), database_url=url), upto=upto)
    finally:
        if saved is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = saved


async def restore(url: str, file: Path, *, force: bool = False,
                  progress: Progress = _quiet) -> Manifest:
    """Load the backup in `file` into the database at `url` (migrated first)."""
    from server.db.migrate import known_migrations

    with open_backup(Path(file)) as zf:
        manifest = read_manifest(zf)
        newer = sorted(set(manifest.migrations) - set(known_migrations()))
        if newer:
            raise BackupError(f"the backup comes from a newer Tagtrack (its migration(s) "
                              f"{', '.join(newer)} are unknown here): upgrade Tagtrack first",
                              field="file")
        # the rows go into the schema they were taken from; the migrations this Tagtrack
        # has beyond the backup's then run over them, as they would have on the original
        upto = max(manifest.migrations) if manifest.migrations else "all"
        await migrate_database(url, upto)
        async with snapshot.writing(url) as db:
            shapes = await _check_fits(db, manifest)
            full = await db.holding_rows(shapes)
            if full and not force:
                raise BackupError(
                    f"the database {_where(url)} is not empty ({len(full)} table(s) hold rows: "
                    f"{', '.join(full[:5])}{', ...' if len(full) > 5 else ''}); a restore "
                    "never mixes two databases. Restore into an empty database, or add "
                    "--force to delete everything in this one first", field="database")
            await db.suspend_triggers(shapes)
            if force:
                await db.wipe(shapes)
            entries = {t.name: t for t in manifest.tables}
            for shape in shapes:
                if shape.name in entries:
                    await _load_table(zf, db, shape, entries[shape.name])
                    progress(shape.name, entries[shape.name].rows)
            await db.resume_triggers(shapes)
            await db.continue_sequences(shapes, {t.name: t.sequence for t in manifest.tables})
            await _check_head(db, manifest)
        await migrate_database(url)
    return manifest


def _where(url: str) -> str:
    return url.rsplit("@", 1)[-1] if snapshot.is_postgres_url(url) else url


async def _check_fits(db: Database, manifest: Manifest) -> list[TableShape]:
    applied = await db.migrations()
    last = max(manifest.migrations, default="")
    past = [m for m in applied if m > last and m not in manifest.migrations]
    if past:
        raise BackupError(
            f"this database is already migrated past the backup's version ({len(past)} "
            f"migration(s) the backup predates, the first {past[0]}), and those would not "
            "run over the backup's rows: restore into a new database that has not been "
            "migrated yet (the restore migrates it)", field="database")
    shapes = await db.shapes()
    by_name = {s.name: s for s in shapes}
    for entry in manifest.tables:
        shape = by_name.get(entry.name)
        if shape is None:
            raise BackupError(f"the backup holds table {entry.name}, which this database "
                              "does not have", field="file")
        missing = [c for c in entry.columns if c not in shape.columns]
        if missing:
            raise BackupError(f"the backup's table {entry.name} has column(s) "
                              f"{', '.join(missing)}, which this database does not have",
                              field="file")
    return shapes


def _lines(stream: IO[bytes]) -> Iterator[list[list[Any]]]:
    """The rows of a table's file, CHUNK at a time (one JSON parse per chunk)."""
    lines: list[bytes] = []
    for line in stream:
        if line.strip():
            lines.append(line)
            if len(lines) >= CHUNK:
                yield json.loads(b"[" + b",".join(lines) + b"]")
                lines = []
    if lines:
        yield json.loads(b"[" + b",".join(lines) + b"]")


async def _load_table(zf: zipfile.ZipFile, db: Database, shape: TableShape,
                      entry: TableEntry) -> None:
    kinds = shape.kind_of()
    decoders = [decoder(kinds[c]) for c in entry.columns]
    # a row may name a parent of its own table that comes later: those columns are
    # inserted empty and set in a second pass
    later = [i for i, c in enumerate(entry.columns) if c in shape.self_refs]
    convert = [(i, decoders[i]) for i, c in enumerate(entry.columns)
               if not is_plain(kinds[c]) or kinds[c] != entry.kinds[i]]
    width = len(entry.columns)
    rows = 0
    try:
        with zf.open(table_file(entry.name)) as stream:
            for values in _lines(stream):
                for row in values:
                    if len(row) != width:
                        raise ValueError(f"a row of {len(row)} values for {width} columns")
                    for i, f in convert:
                        row[i] = f(row[i])
                    for i in later:
                        row[i] = None
                await db.insert(entry.name, entry.columns, values)
                rows += len(values)
        if later and shape.key in entry.columns:
            await _set_later(zf, db, shape, entry, later, decoders)
    except (KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise BackupError(f"the backup's table {entry.name} is damaged: {exc}",
                          field="file") from exc
    if rows != entry.rows:
        raise BackupError(f"the backup's table {entry.name} holds {rows} rows where its "
                          f"manifest says {entry.rows}: the file is damaged", field="file")


async def _set_later(zf: zipfile.ZipFile, db: Database, shape: TableShape,
                     entry: TableEntry, later: list[int], decoders: list[Any]) -> None:
    assert shape.key is not None
    key = entry.columns.index(shape.key)
    names = [entry.columns[i] for i in later]
    with zf.open(table_file(entry.name)) as stream:
        for chunk in _lines(stream):
            updates = [[decoders[i](row[i]) for i in later] + [decoders[key](row[key])]
                       for row in chunk if any(row[i] is not None for i in later)]
            if updates:
                await db.update(entry.name, names, shape.key, updates)


async def _check_head(db: Database, manifest: Manifest) -> None:
    want = manifest.chain_head
    if not want:
        return
    rows = await db.fetch("SELECT id, hash, at FROM event ORDER BY id DESC LIMIT 1")
    count = (await db.fetch("SELECT COUNT(*) FROM event"))[0][0]
    got = chain.EMPTY_HEAD.as_json() if not rows else chain.Head(
        int(rows[0][0]), str(rows[0][1]), int(count), chain.utc_text(rows[0][2])).as_json()
    if any(got[k] != want.get(k) for k in ("event_id", "hash", "count")):
        raise BackupError(f"after loading, the history's head is event {got['event_id']} "
                          f"({got['count']} events), where the backup says event "
                          f"{want.get('event_id')} ({want.get('count')} events): nothing "
                          "was restored", field="file")


async def copy(from_url: str, to_url: str, *, force: bool = False,
               progress: Progress = _quiet) -> Manifest:
    """Copy every table from one database to another (either engine), through a backup
    in a temporary file next to the SQLite file, or in the system's temporary folder."""
    if from_url == to_url:
        raise BackupError("copy needs two different databases (--from and --to are the "
                          "same)", field="to")
    near = [snapshot.sqlite_file(u).resolve().parent for u in (from_url, to_url)
            if not snapshot.is_postgres_url(u)]
    workdir = near[0] if near and near[0].exists() else None
    with tempfile.TemporaryDirectory(prefix=".tagtrack-copy-", dir=workdir) as tmp:
        file = Path(tmp) / "copy.zip"
        await backup(from_url, file)
        return await restore(to_url, file, force=force, progress=progress)
