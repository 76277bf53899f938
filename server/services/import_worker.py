"""The CPU half of an import, run in a worker process (server/services/offload.py): read the
file, match its columns, type every row. What it returns is plain data (picklable): the
rows' typed values and the problems, for the planner on the server's side.

Progress goes through a small file the server polls (`progress`: "rows-read rows-total"),
so that a page and the CLI can show how far the reading is without a channel between the
processes. The total is an estimate for CSV (its line count) and unknown for XLSX (0)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from server.domain.imports import (
    FIELDS,
    Options,
    ParsedRow,
    Problem,
    guess_mapping,
    normalize_header,
    parse_row,
    required_missing,
)

PROGRESS_EVERY = 5000
LEARN_ROWS = 2000


@dataclass
class ReadResult:
    headers: list[str]
    columns: dict[int, str]  # column index -> field key
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    format: str = "csv"
    fatal: str = ""  # the file cannot be imported at all (nothing else is said then)


def resolve_mapping(kind: str, headers: list[str], mapping: Mapping[str, str] | None,
                    custom: Mapping[str, str]) -> dict[int, str]:
    """A saved or given mapping names columns by header (matched ignoring case and
    punctuation) or by position ("#3", counting from 1); "" or "-" leaves a column out.
    Columns it does not name are matched by guess."""
    guessed = guess_mapping(kind, headers, custom)
    if not mapping:
        return guessed
    known = {f.key for f in FIELDS[kind]}
    by_name = {normalize_header(h): i for i, h in reversed(list(enumerate(headers)))}
    out: dict[int, str] = {}
    for name, key in mapping.items():
        index = int(name[1:]) - 1 if name.startswith("#") and name[1:].isdigit() else \
            by_name.get(normalize_header(name))
        if index is None or not 0 <= index < len(headers):
            continue
        out[index] = key
        if key and key != "-" and key not in known and not key.startswith("custom:"):
            raise ValueError(f"{key} is not a column of {kind}")
    given = set(out.values())
    for i, key in guessed.items():
        if i not in out and key not in given:
            out[i] = key
    return {i: k for i, k in sorted(out.items()) if k and k != "-"}


def estimate_rows(path: Path) -> int:
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return 0
    lines = 0
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 0)


def read(path: str, kind: str, mapping: Mapping[str, str] | None, options: Options,
         custom: Mapping[str, str], progress: str | None = None) -> ReadResult:
    from server.domain.errors import DomainError
    from server.services.import_files import open_table

    total = estimate_rows(Path(path))
    _progress(progress, 0, total)
    try:
        with open_table(Path(path), options) as table:
            headers = list(table.headers)
            try:
                columns = resolve_mapping(kind, headers, mapping, custom)
            except ValueError as e:
                return ReadResult(headers, {}, fatal=str(e), format=table.format)
            result = ReadResult(headers, columns, format=table.format)
        if _learn_fields(Path(path), options, kind, headers, columns):
            result.columns = columns
        with open_table(Path(path), options) as table:
            missing = required_missing(kind, columns)
            if missing:
                names = ", ".join(f.label for f in missing)
                result.fatal = (f"no column for {names}: map a column of the file to it "
                                f"(the file's columns: {', '.join(headers) or 'none'})")
                return result
            n = 0
            for number, cells in table.rows():
                parsed = parse_row(kind, number, cells, columns, options, headers=headers)
                if isinstance(parsed, ParsedRow):
                    result.rows.append((parsed.number, parsed.values))
                else:
                    result.problems.extend(parsed)
                    result.rows.append((number, {}))
                n += 1
                if n % PROGRESS_EVERY == 0:
                    _progress(progress, n, max(total, n))
            _progress(progress, n, n)
            return result
    except DomainError as e:
        return ReadResult([], {}, fatal=e.message)


def _learn_fields(path: Path, options: Options, kind: str, headers: list[str],
                  columns: dict[int, str]) -> bool:
    """Columns of custom fields that the file itself defines (an item's Unit fields
    column, on any row) are mapped to them: a file may bring a new item, its fields and its
    units' values at once. Reads the file once more, that column only; False if there is
    nothing to learn."""
    from server.services.import_files import open_table

    defs_at = next((i for i, k in columns.items() if k == "custom_fields"), None)
    loose = {normalize_header(h): i for i, h in enumerate(headers) if i not in columns}
    if kind != "units" or defs_at is None or not loose:
        return False
    learned = False
    seen: set[str] = set()
    with open_table(path, options) as table:
        for number, cells in table.rows():
            if number > LEARN_ROWS:
                break
            text = cells[defs_at] if defs_at < len(cells) else ""
            if not text.strip() or text in seen:
                continue
            seen.add(text)
            parsed = parse_row(kind, 0, [text], {0: "custom_fields"}, options)
            if not isinstance(parsed, ParsedRow):
                continue
            for d in parsed.values.get("custom_fields") or ():
                for name in (d.label, d.key):
                    i = loose.pop(normalize_header(name), None)
                    if i is not None:
                        columns[i] = f"custom:{d.key}"
                        learned = True
    return learned


def _progress(path: str | None, done: int, total: int) -> None:
    if path is None:
        return
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        f.write(f"{done} {total}")
    os.replace(tmp, path)


def read_progress(path: str) -> tuple[int, int] | None:
    try:
        with open(path) as f:
            done, total = f.read().split()
        return int(done), int(total)
    except (OSError, ValueError):
        return None


def rejected_rows(path: str, options: Options, reasons: Mapping[int, str]) -> str:
    """The rows of the file that have a reason, as CSV, with the reason in a last column
    named Reason (the header row first): what a person fixes and imports again."""
    from server.domain.cells import neutralize
    from server.services.import_files import open_table

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    with open_table(Path(path), options) as table:
        writer.writerow([*(neutralize(h) for h in table.headers), "Row", "Reason"])
        for number, cells in table.rows():
            if number in reasons:
                writer.writerow([*(neutralize(c) for c in cells), str(number),
                                 neutralize(reasons[number])])
        if 0 in reasons:
            writer.writerow([*("" for _ in table.headers), "", neutralize(reasons[0])])
    return out.getvalue()


@dataclass
class Preview:
    headers: list[str]
    rows: list[list[str]]
    columns: dict[int, str]
    sheet_names: list[str]
    format: str
    fatal: str = ""


def preview(path: str, kind: str, mapping: Mapping[str, str] | None, options: Options,
            custom: Mapping[str, str], n: int = 5) -> Preview:
    """The headers, the first `n` rows as text and the mapping that would be used: what the
    page shows so that a person can check and correct the columns before the dry run."""
    from server.domain.errors import DomainError
    from server.services.import_files import open_table

    try:
        with open_table(Path(path), options) as table:
            headers = list(table.headers)
            rows: list[list[str]] = []
            for _number, cells in table.rows():
                rows.append(list(cells))
                if len(rows) >= n:
                    break
            out = Preview(headers, rows, {}, list(table.sheet_names), table.format)
        try:
            out.columns = resolve_mapping(kind, headers, mapping, custom)
        except ValueError as e:
            out.fatal = str(e)
            return out
        _learn_fields(Path(path), options, kind, headers, out.columns)
        return out
    except DomainError as e:
        return Preview([], [], {}, [], "", fatal=e.message)
