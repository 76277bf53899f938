"""Tables written out as spreadsheets: CSV streamed as bytes, XLSX built in a temp file.

Both writers take the same thing: a header row and rows of typed cells (str, int, float,
Decimal, date, datetime, bool or None for an empty cell), and both keep memory constant
however many rows come, so that a million units export like a hundred.

- CSV is UTF-8 with a byte order mark: without one, Excel reads UTF-8 as the local code
  page and "Café" comes out as "CafÃ©". Every text cell goes through
  `server.domain.cells.neutralize`, so that a spreadsheet never runs a cell as a formula
  (CSV injection) and an import, which applies `cells.restore`, reads back the original.
  Numbers, dates and booleans are not text and are written as they are (a negative count
  is a number to a spreadsheet, not a formula). Dates are ISO 8601; times ISO 8601 in UTC.
- XLSX goes through XlsxWriter in `constant_memory` mode (each row is flushed to a temp file
  as it is written, so rows must come in order, which they do). Text is always written as a
  string cell, never parsed as a formula, a number or a URL, so it needs no apostrophe;
  numbers as numbers, dates as dates with a date format, the header row bold and frozen.
  A sheet holds at most 1,048,576 rows and a cell 32,767 characters: more is refused with
  a message, never cut short. The file is finished before a byte is sent, so such a
  refusal is a proper error answer, not a broken download.

Writing XLSX is CPU work that holds the GIL: `XlsxBuilder` runs each chunk of rows in a
thread, and at most `XLSX_AT_ONCE` builds run at once per process (more wait their turn;
a queue longer than `XLSX_QUEUE` is refused with Busy), so that scans keep their latency
while a big export is written."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import csv
import datetime as dt
import io
import os
import tempfile
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Sequence,
)
from decimal import Decimal
from pathlib import Path
from typing import Any

import xlsxwriter

from server.domain.cells import TRIGGERS, neutralize
from server.domain.errors import Busy, InvalidInput

Cell = str | int | float | Decimal | dt.date | dt.datetime | bool | None
Row = Sequence[Cell]

BOM = codecs.BOM_UTF8
XLSX_MAX_ROWS = 1_048_576  # the header row included
XLSX_MAX_CELL = 32_767
WIDTH_SAMPLE = 200  # rows looked at to choose the column widths
MIN_WIDTH, MAX_WIDTH = 8, 60
XLSX_AT_ONCE = 2
XLSX_QUEUE = 8
BUSY_RETRY_S = 5
CSV_MEDIA = "text/csv"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ---- CSV ---------------------------------------------------------------------------------

_FIRST = frozenset(TRIGGERS) | {"'"}  # the first characters neutralize changes


def csv_text(value: Cell) -> str:
    """One cell as CSV text: text neutralized, the rest in a form an import reads back."""
    if value is None:
        return ""
    if type(value) is str:
        # the common case without a call: most text starts with none of the triggers
        return value if not value or value[0] not in _FIRST else neutralize(value)
    if isinstance(value, str):
        return neutralize(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


class CsvEncoder:
    """Turns a header and then chunks of rows into bytes: `header()` once, then `rows()`."""

    def __init__(self, headers: Sequence[str]) -> None:
        self.headers = list(headers)
        self._out = io.StringIO()
        self._writer = csv.writer(self._out, lineterminator="\r\n")

    def _take(self) -> bytes:
        text = self._out.getvalue()
        self._out.seek(0)
        self._out.truncate()
        return text.encode("utf-8")

    def header(self) -> bytes:
        self._writer.writerow([neutralize(h) for h in self.headers])
        return BOM + self._take()

    def rows(self, rows: Iterable[Row]) -> bytes:
        write = self._writer.writerow
        for row in rows:
            write([csv_text(v) for v in row])
        return self._take()


def write_csv(headers: Sequence[str], rows: Iterable[Row], chunk: int = 1000) -> Iterator[bytes]:
    """The CSV file's bytes, a chunk of rows at a time."""
    enc = CsvEncoder(headers)
    yield enc.header()
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            yield enc.rows(batch)
            batch = []
    if batch:
        yield enc.rows(batch)


def _same(rows: Any) -> Sequence[Row]:
    return rows  # type: ignore[no-any-return]


def _encode(enc: CsvEncoder, convert: Callable[[Any], Sequence[Row]], chunk: Any) -> bytes:
    return enc.rows(convert(chunk))


async def stream_csv(headers: Sequence[str], chunks: AsyncIterable[Any],
                     convert: Callable[[Any], Sequence[Row]] = _same) -> AsyncIterator[bytes]:
    """The CSV file's bytes for rows that arrive in chunks (a database read); `convert`
    turns a chunk into rows of cells. Converting and encoding run in a thread."""
    enc = CsvEncoder(headers)
    yield enc.header()
    async for chunk in chunks:
        if chunk:
            yield await asyncio.to_thread(_encode, enc, convert, chunk)


# ---- XLSX --------------------------------------------------------------------------------

def sheet_title(name: str) -> str:
    """A sheet name Excel accepts: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if c in "[]:*?/\\" else c for c in name).strip("' ")
    return (cleaned or "Sheet1")[:31]


def _width(value: Cell) -> int:
    if value is None:
        return 0
    if isinstance(value, dt.datetime):
        return 20
    if isinstance(value, dt.date):
        return 10
    return len(csv_text(value)) if not isinstance(value, str) else len(value)


class XlsxSheet:
    """One sheet written row by row into a temp file in constant memory.

    `add_rows` in order, then `close()` gives the finished file's path (the caller deletes
    it); `discard()` when giving up halfway. Not thread-safe: one thread at a time."""

    def __init__(self, headers: Sequence[str], sheet_name: str = "Sheet1",
                 directory: str | None = None) -> None:
        fd, name = tempfile.mkstemp(prefix="tagtrack-export-", suffix=".xlsx", dir=directory)
        os.close(fd)
        self.path = Path(name)
        self.headers = list(headers)
        self._book = xlsxwriter.Workbook(name, {
            "constant_memory": True,
            "tmpdir": directory or tempfile.gettempdir(),
            # text stays text: never a formula, a number or a link
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
            "remove_timezone": True,  # times are written in UTC (see _write)
        })
        self._sheet = self._book.add_worksheet(sheet_title(sheet_name))
        self._bold = self._book.add_format({"bold": True})
        self._date = self._book.add_format({"num_format": "yyyy-mm-dd"})
        self._time = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._next = 1  # the next row's index (0 is the header)
        self._pending: list[Row] | None = []  # rows held back until the widths are chosen
        self._closed = False

    def add_rows(self, rows: Iterable[Row]) -> None:
        for row in rows:
            if self._pending is not None:
                self._pending.append(row)
                if len(self._pending) >= WIDTH_SAMPLE:
                    self._flush_pending()
            else:
                self._write(row)

    def _flush_pending(self) -> None:
        pending, self._pending = self._pending or [], None
        widths = [len(h) + 2 for h in self.headers]  # room for the bold header
        for row in pending:
            for i, value in enumerate(row[:len(widths)]):
                widths[i] = max(widths[i], _width(value) + 1)
        for i, w in enumerate(widths):
            self._sheet.set_column(i, i, max(MIN_WIDTH, min(MAX_WIDTH, w)))
        self._sheet.freeze_panes(1, 0)
        for col, title in enumerate(self.headers):
            self._sheet.write_string(0, col, title, self._bold)
        for row in pending:
            self._write(row)

    def _write(self, row: Row) -> None:
        r = self._next
        if r >= XLSX_MAX_ROWS:
            raise InvalidInput(f"an XLSX sheet holds at most {XLSX_MAX_ROWS - 1:,} rows under "
                               "its header; export as CSV, or choose fewer rows with a filter",
                               field="format", code="too_many_rows")
        sheet = self._sheet
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                if len(value) > XLSX_MAX_CELL:
                    raise InvalidInput(
                        f"row {r + 1}, column {self.headers[c]!r}: a cell holds "
                        f"{len(value):,} characters, over XLSX's {XLSX_MAX_CELL:,}; "
                        "export as CSV", field="format", code="cell_too_long")
                if value:
                    sheet.write_string(r, c, value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float | Decimal):
                sheet.write_number(r, c, float(value))
            elif isinstance(value, dt.datetime):
                if value.tzinfo is not None:
                    value = value.astimezone(dt.UTC)
                sheet.write_datetime(r, c, value, self._time)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, self._date)
            else:
                sheet.write_string(r, c, str(value))
        self._next = r + 1

    def close(self) -> Path:
        if self._pending is not None:
            self._flush_pending()
        self._closed = True
        self._book.close()
        return self.path

    def discard(self) -> None:
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._book.close()
        self.path.unlink(missing_ok=True)


def write_xlsx(headers: Sequence[str], rows: Iterable[Row], sheet_name: str = "Sheet1",
               directory: str | None = None) -> Path:
    """The rows as an XLSX file in a temp file; the caller deletes it."""
    sheet = XlsxSheet(headers, sheet_name, directory)
    try:
        sheet.add_rows(rows)
        return sheet.close()
    except BaseException:
        sheet.discard()
        raise


class _Gate:
    """At most `at_once` XLSX builds at once in this process; a longer queue is refused."""

    def __init__(self, at_once: int, queue: int) -> None:
        self.at_once, self.queue = at_once, queue
        self.admitted = 0
        self._sem: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # tests and the CLI run several loops in turn
            self._loop, self._sem, self.admitted = loop, asyncio.Semaphore(self.at_once), 0
        assert self._sem is not None
        if self.admitted >= self.at_once + self.queue:
            raise Busy("the server is busy writing other spreadsheets; try again, or export "
                       "as CSV", retry_after=BUSY_RETRY_S)
        self.admitted += 1
        try:
            async with self._sem:
                yield
        finally:
            self.admitted -= 1


gate = _Gate(XLSX_AT_ONCE, XLSX_QUEUE)


def _add(sheet: XlsxSheet, convert: Callable[[Any], Sequence[Row]], chunk: Any) -> None:
    sheet.add_rows(convert(chunk))


async def build_xlsx(headers: Sequence[str], chunks: AsyncIterable[Any],
                     sheet_name: str = "Sheet1",
                     convert: Callable[[Any], Sequence[Row]] = _same) -> Path:
    """An XLSX file of rows that arrive in chunks (a database read), each chunk converted
    (`convert`) and written in a thread; returns the finished temp file, which the caller
    streams and deletes."""
    async with gate.turn():
        sheet = await asyncio.to_thread(XlsxSheet, headers, sheet_name)
        try:
            async for chunk in chunks:
                if chunk:
                    await asyncio.to_thread(_add, sheet, convert, chunk)
            return await asyncio.to_thread(sheet.close)
        except BaseException:
            await asyncio.to_thread(sheet.discard)
            raise


def read_file_chunks(path: Path, size: int = 1 << 16, delete: bool = True) -> Iterator[bytes]:
    """A finished file's bytes, deleted after the last chunk (or when the reader stops)."""
    try:
        with path.open("rb") as f:
            while block := f.read(size):
                yield block
    finally:
        if delete:
            path.unlink(missing_ok=True)


def cells_of(values: Iterable[Any]) -> list[Cell]:
    """Database values as cells: anything unexpected becomes its text."""
    return [v if v is None or isinstance(v, str | int | float | Decimal | dt.date)
            else str(v) for v in values]
