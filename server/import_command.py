"""`tagtrack import FILE --kind units [--mapping NAME|file.json] [--commit] ...`: a dry run
unless --commit, with a progress bar on stderr (rows/s, ETA) and the report on stdout.
Exit 0 when the file is clean (and, with --commit, applied), 1 when rows have problems
(nothing is written then), 2 when the file or the options cannot be used."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from server.domain.actors import Actor
from server.domain.imports import KINDS, Options
from server.domain.vocab import Role
from server.settings import Settings

SHOWN_ERRORS = 25


def add_parser(sub: Any, run: Any) -> None:
    p = sub.add_parser("import", help="import a CSV or XLSX file (a dry run unless --commit)")
    p.add_argument("file", type=Path)
    p.add_argument("--kind", required=True, choices=KINDS)
    p.add_argument("--mapping", help="a saved mapping's name, or a JSON file of "
                   '{"Column header": "field key"}')
    p.add_argument("--commit", action="store_true", help="apply the file (all or nothing)")
    p.add_argument("--sheet", help="the XLSX sheet to read (default: the first)")
    p.add_argument("--day-first", action="store_true", help="dates are day/month/year")
    p.add_argument("--decimal-comma", action="store_true", help="numbers use a decimal comma")
    p.add_argument("--no-create-locations", action="store_true",
                   help="refuse rows naming a location that does not exist")
    p.set_defaults(run=run)


def cmd_import(settings: Settings, args: argparse.Namespace,
               with_db: Any) -> int:
    from server.db import imports_repo
    from server.services import imports, offload

    if not args.file.is_file():
        print(f"tagtrack: no file {args.file}", file=sys.stderr)
        return 2
    options = Options(day_first=args.day_first, decimal_comma=args.decimal_comma,
                      create_locations=not args.no_create_locations, sheet=args.sheet)
    actor = Actor(user_id=None, name="import (command line)", role=Role.ADMIN)
    bar = ProgressBar(sys.stderr)

    async def work() -> dict[str, Any]:
        mapping = await _mapping(args.kind, args.mapping, imports_repo)
        job = imports.Job(kind=args.kind, path=args.file.resolve(), file_name=args.file.name,
                          mapping=mapping, options=options, dry_run=not args.commit)
        run_id = await imports.begin(actor, job)
        try:
            return await imports.execute(actor, run_id, job, bar.show)
        finally:
            await offload.shutdown()

    report = with_db(settings, work)
    bar.close()
    print(summary(report))
    if report["status"] in ("checked", "applied"):
        return 0
    return 1 if report["error_count"] and report["counts"] else 2


async def _mapping(kind: str, given: str | None, repo: Any) -> dict[str, str] | None:
    if not given:
        return None
    path = Path(given)
    if path.suffix.lower() == ".json" or path.is_file():
        loaded = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(loaded, dict):
            raise ValueError(f"{given}: a mapping is an object of column header -> field key")
        return {str(k): str(v or "-") for k, v in loaded.items()}
    saved = await repo.mapping(kind, given)
    return dict(saved["columns"])


class ProgressBar:
    """One line on stderr, redrawn at most ten times a second: the phase, rows done of
    the total, rows/s and the time left."""

    WIDTH = 28

    def __init__(self, out: TextIO) -> None:
        self.out, self.last, self.phase = out, 0.0, ""
        self.tty = out.isatty()

    def show(self, progress: Any) -> None:
        p = progress.as_dict()
        now = time.monotonic()
        # a terminal redraws its line; a log gets a line per phase and every few seconds
        if p["phase"] == self.phase and now - self.last < (0.1 if self.tty else 5.0):
            return
        if p["phase"] != self.phase and self.phase and self.tty:
            self.out.write("\n")
        self.phase, self.last = p["phase"], now
        total, done = p["total"], p["done"]
        share = min(done / total, 1.0) if total else 0.0
        filled = int(share * self.WIDTH)
        eta = f" ETA {p['eta_s']:.0f}s" if p["eta_s"] is not None and total else ""
        line = (f"{p['phase']:<9} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                f"{done:,}/{total:,} rows {p['rows_per_s']:,}/s{eta}")
        self.out.write(("\r" + line.ljust(78)) if self.tty else line + "\n")
        self.out.flush()

    def close(self) -> None:
        if self.phase and self.tty:
            self.out.write("\n")
            self.out.flush()


def summary(report: dict[str, Any]) -> str:
    lines = [f"import {report['id']} of {report['file_name']} ({report['kind']}): "
             f"{report['status']}" + (f": {report['message']}" if report["message"] else "")]
    for kind, c in sorted(report["counts"].items()):
        lines.append(f"  {kind:<9} create {c['create']:>7,}  update {c['update']:>7,}  "
                     f"unchanged {c['unchanged']:>7,}  error {c['error']:>7,}")
    for change in report["changes"][:10]:
        said = "; ".join(f"{k}: {a} -> {b}" for k, (a, b) in change["changes"].items())
        lines.append(f"  row {change['row']}: {change['kind']} {change['key']}: {said}")
    if len(report["changes"]) > 10:
        lines.append(f"  ... and more changes ({len(report['changes']):,} listed in the report)")
    for e in report["errors"][:SHOWN_ERRORS]:
        where = f"row {e['row']:,}" if e["row"] else "file"
        lines.append(f"  {where}" + (f", column {e['column']}" if e["column"] else "")
                     + f": {e['reason']}")
    if report["error_count"] > SHOWN_ERRORS:
        lines.append(f"  ... and {report['error_count'] - SHOWN_ERRORS:,} more problems "
                     f"(GET /api/v1/imports/{report['id']}/errors.csv)")
    if report["status"] == "checked" and not report["error_count"]:
        lines.append("  a dry run: nothing was written; add --commit to apply it")
    if report["status"] == "applied":
        lines.append(f"  applied: {report.get('events', 0):,} events written")
    return "\n".join(lines)
