"""Reading an import's spreadsheet: a CSV or an XLSX file, as a header and rows of text cells,
streamed (not loaded whole). Not async: CPU and file work, which the caller runs off the
event loop.

What is refused for the whole file (InvalidInput, field "file"): a file that is neither CSV
nor XLSX (an old .xls, a password-protected workbook, a PDF...), a CSV that is neither
UTF-8 nor Windows-1252 (and has no UTF-16 byte order mark), a CSV line over MAX_LINE
characters or a cell over the csv module's field limit (131,072 characters: a quote left
open swallows the rest of the file; the message gives the row where it starts), a zip bomb
(checked from the zip's declared sizes BEFORE anything is decompressed, and the
decompression stops at the declared sizes), an unknown sheet (the message lists the
sheets), an empty file.

What comes back per row (as `FlaggedCells`, which `parse_row` reports with the row number
and column, and only for mapped columns when the trouble is a cell's):
- a ragged CSV row: more cells than the header (unless the extra ones are empty) or fewer;
- a cell over MAX_CELL (32,767 characters, the most a spreadsheet cell holds);
- an XLSX formula cell. We never evaluate formulas, and we do not take the value the
  spreadsheet last computed either (it may be stale, and a file written by a program often
  has none): the cell is reported ("holds a formula (=C4*2): Tagtrack does not compute
  formulas; paste the values instead"). An XLSX error cell (#N/A) likewise.

Cells come as text: CSV cells through `server.domain.cells.restore` (an export's leading
apostrophe taken off again); XLSX cells as the spreadsheet holds them: dates as ISO text
(2026-01-31; a date with a time of day as 2026-01-31 14:05:00), numbers as plain digits
with the declared decimal mark (Options.decimal_comma) and no exponent, booleans as
true/false. XLSX columns without a header are not read (they cannot be mapped); blank rows
are skipped everywhere.

XLSX reading (measured by bench/bench_import_read.py, figures in bench/README.md):
python-calamine (Rust) reads 100,000 rows x 30 columns 10 to 14 times faster than
openpyxl's read-only mode (5.2 s against 74 s) but holds the whole sheet in memory (305 MB
for that sheet's 160 MB of XML). Sheets whose XML is at most CALAMINE_MAX_XML bytes are
read with it; larger ones are streamed with the standard library's XML parser, 2 to 4
times faster than openpyxl, in little memory (each row read is cleared; its empty element
stays: 15 MB over the interpreter for 100,000 rows, so about 150 MB for a million).
Calamine shows no formulas, so its sheets get a streaming pass over the XML first that
finds formula and error cells.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import datetime as dt
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree as ET

from server.domain.cells import restore
from server.domain.errors import InvalidInput
from server.domain.imports import MAX_CELL, FlaggedCells, Options

MAX_LINE = 16 * 1024 * 1024  # characters in one physical CSV line
SNIFF_LINES = 50
SNIFF_CHARS = 65_536  # of each line, at most
DELIMITERS = (",", ";", "\t")
# Zip bombs: a member that unpacks to more than MAX_RATIO times its packed size (real
# workbooks are 5-20x; a bomb is 1,000x), or a workbook unpacking to over MAX_UNPACKED.
MAX_RATIO = 200
MAX_UNPACKED = 2 * 1024**3
MAX_MEMBERS = 10_000
MAX_SMALL_PART = 64 * 1024**2  # workbook.xml, rels, styles: read whole
MAX_SHARED_STRINGS = 512 * 1024**2
CALAMINE_MAX_XML = 64 * 1024**2
CHUNK = 1024 * 1024

_XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE: an old .xls, or an encrypted workbook
_ZIP = b"PK\x03\x04"
_CP1252_HOLES = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_SEP_HINT = re.compile(r"sep=([,;\t|])\r?\n?")


class Table:
    """An open spreadsheet: its header, and its rows streamed as (row number, cells)."""

    headers: list[str]
    sheet_names: list[str]  # CSV: []
    format: str  # "csv" | "xlsx"
    encoding: str | None  # CSV only
    delimiter: str | None  # CSV only
    sheet: str | None  # XLSX only: the sheet read

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """(row number as the spreadsheet shows it, cells), blank rows left out; cells are
        a FlaggedCells where the reader found trouble."""
        raise NotImplementedError

    def fraction_read(self) -> float:
        """How far rows() has got, 0..1 (an estimate, for progress)."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


def _refuse(message: str) -> InvalidInput:
    return InvalidInput(message, field="file", code="bad_file")


@contextlib.contextmanager
def open_table(path: Path, options: Options) -> Iterator[Table]:
    """The file's header and rows. Raises InvalidInput (field "file") for a file that
    cannot be read as a whole; see the module's docstring."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError as e:
        raise _refuse(f"the file cannot be read: {e.strerror}") from None
    if not head:
        raise _refuse("the file is empty")
    if head.startswith(_XLS):
        raise _refuse("this is an old Excel .xls file or a password-protected workbook: save "
                      "it as .xlsx without a password, or as CSV")
    table: Table = _XlsxTable(path, options) if head.startswith(_ZIP) else _CsvTable(path, options)
    try:
        yield table
    finally:
        table.close()


# --- CSV ---------------------------------------------------------------------------------

def detect_encoding(path: Path) -> str:
    """BOM first (UTF-8, UTF-16, UTF-32), then strict UTF-8 over the whole file, then
    Windows-1252; anything else is refused."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
            return "utf-32"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        offset = 0
        bad: int | None = None
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk:
                at = offset + chunk.index(b"\x00")
                raise _refuse(f"the file holds a NUL byte at byte {at + 1:,}: it is not a "
                              "text file (a UTF-16 file without its byte order mark? save it "
                              "as CSV UTF-8)")
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as e:
                bad = offset + e.start
                break
            offset += len(chunk)
        if bad is None:
            try:
                decoder.decode(b"", final=True)
                return "utf-8"
            except UnicodeDecodeError:
                bad = offset
        # Windows-1252 decodes every byte but five; a NUL is refused as above
        fh.seek(0)
        offset = 0
        while chunk := fh.read(CHUNK):
            if b"\x00" in chunk:
                at = offset + chunk.index(b"\x00")
                raise _refuse(f"the file holds a NUL byte at byte {at + 1:,}: it is not a "
                              "text file")
            if (m := _CP1252_HOLES.search(chunk)) is not None:
                raise _refuse(
                    f"the file is neither UTF-8 nor Windows-1252 (byte {bad + 1:,} is not "
                    f"UTF-8; byte {offset + m.start() + 1:,}, 0x{chunk[m.start()]:02X}, is not "
                    "Windows-1252): save it as CSV UTF-8")
            offset += len(chunk)
        return "cp1252"


def _count_outside_quotes(line: str, candidate: str) -> int:
    # between quotes: the odd pieces ("" inside a quoted cell splits into an empty piece)
    return sum(piece.count(candidate) for piece in line.split('"')[::2])


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter of a CSV file from its first lines: among , ; and tab, the one found
    outside quotes in the header line, the same number of times in most lines. csv.Sniffer
    is not used (it guesses letters and spaces). A one-column file gets ","."""
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        return ","
    best, best_score = ",", (0.0, 0)
    for cand in DELIMITERS:
        counts = [_count_outside_quotes(ln, cand) for ln in lines]
        header = counts[0]
        if header == 0:
            continue
        same = sum(1 for c in counts if c == header) / len(counts)
        score = (same, header)
        if score > best_score:
            best, best_score = cand, score
    return best


class _CsvTable(Table):
    format = "csv"
    sheet: str | None = None

    def __init__(self, path: Path, options: Options) -> None:
        self.path = path
        self.size = path.stat().st_size
        if options.encoding:
            try:
                self.encoding: str | None = codecs.lookup(options.encoding).name
            except LookupError:
                raise _refuse(f"unknown encoding {options.encoding}") from None
        else:
            self.encoding = detect_encoding(path)
        self.sheet_names: list[str] = []
        self._chars = 0
        self._per_byte = 2.0 if self.encoding and ("16" in self.encoding) else (
            4.0 if self.encoding and "32" in self.encoding else 1.0)
        self._fh: IO[str] = open(  # noqa: SIM115 (open while the table is)
            path, encoding=self.encoding, newline="", errors="strict")
        try:
            if options.delimiter is not None and len(options.delimiter) != 1:
                raise _refuse("the delimiter must be one character, such as , ; or a tab")
            self.delimiter: str | None = options.delimiter or self._sniff()
            self._records = csv.reader(self._lines(), delimiter=self.delimiter)
            self._number = 0
            self.headers = self._header()
        except BaseException:
            self._fh.close()
            raise

    def close(self) -> None:
        self._fh.close()

    def _read_error(self, e: UnicodeDecodeError) -> InvalidInput:
        return _refuse(f"the file is not {self.encoding} after all: {e.reason} "
                       f"(near row {self._number + 1:,})")

    def _sniff(self) -> str:
        lines = []
        try:
            for _ in range(SNIFF_LINES):
                line = self._fh.readline(SNIFF_CHARS)
                if not line:
                    break
                lines.append(line)
        except UnicodeDecodeError as e:
            raise self._read_error(e) from None
        self._fh.seek(0)
        if lines:
            lines[0] = lines[0].lstrip("\ufeff")
            if (hint := _SEP_HINT.fullmatch(lines[0])) is not None:  # Excel's "sep=;"
                return hint.group(1)
        return sniff_delimiter(lines)

    def _lines(self) -> Iterator[str]:
        readline = self._fh.readline
        while True:
            try:
                line = readline(MAX_LINE)
            except UnicodeDecodeError as e:
                raise self._read_error(e) from None
            if not line:
                return
            self._chars += len(line)
            if len(line) == MAX_LINE and not line.endswith(("\n", "\r")):
                raise _refuse(f"row {self._number + 1:,} has more than {MAX_LINE:,} "
                              "characters without a line break: is it a CSV file?")
            yield line

    def _cannot_read(self, e: csv.Error) -> InvalidInput:
        return _refuse(f"row {self._number + 1:,} cannot be read: {_csv_words(e)}")

    def _header(self) -> list[str]:
        try:
            for record in self._records:
                self._number += 1
                if self._number == 1 and _SEP_HINT.fullmatch(
                        self.delimiter.join(record).lstrip("\ufeff") if self.delimiter else ""):
                    continue  # Excel's delimiter line, not a header
                if any(c.strip() for c in record):
                    break
            else:
                raise _refuse("the file has no header row (it is empty)")
        except csv.Error as e:
            raise self._cannot_read(e) from None
        if record and record[0].startswith("\ufeff"):
            record[0] = record[0][1:]
        headers = [restore(c).strip() for c in record]
        while headers and not headers[-1]:
            headers.pop()
        return headers

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.headers)
        try:
            for record in self._records:
                self._number += 1
                joined = "\x1f".join(record)  # \x1f is whitespace to str.strip
                if not joined.strip():
                    continue  # a blank row
                if "'" in joined:
                    record = [restore(c) if c[:1] == "'" else c for c in record]
                n = len(record)
                if n == width and (len(joined) <= MAX_CELL or max(map(len, record)) <= MAX_CELL):
                    yield self._number, record
                    continue
                yield self._number, self._flagged(record, width)
        except csv.Error as e:
            raise self._cannot_read(e) from None

    def _flagged(self, cells: list[str], width: int) -> FlaggedCells:
        n = len(cells)
        if n > width and not any(c.strip() for c in cells[width:]):
            cells, n = cells[:width], width
        row_trouble = []
        if n > width:
            row_trouble.append(
                f"has {n} cells but the header has {width} columns: a value with a "
                f"'{_show_delimiter(self.delimiter)}' in it and no quotes around it?")
        elif n < width:
            row_trouble.append(f"has {n} cells but the header has {width} columns")
        trouble = {i: _too_long(c) for i, c in enumerate(cells) if len(c) > MAX_CELL}
        return FlaggedCells(cells, cells_trouble=trouble, row_trouble=row_trouble)

    def fraction_read(self) -> float:
        return min(1.0, self._chars * self._per_byte / self.size) if self.size else 1.0


def _show_delimiter(d: str | None) -> str:
    return "tab" if d == "\t" else (d or ",")


def _too_long(cell: str) -> str:
    return (f"holds {len(cell):,} characters; a cell holds at most {MAX_CELL:,} (is a quote "
            "left open?)")


def _csv_words(e: csv.Error) -> str:
    text = str(e)
    if "field larger than field limit" in text:
        return (f"a cell is longer than {csv.field_size_limit():,} characters (a quote left "
                "open at the start of a cell takes in the rest of the file)")
    if "NUL" in text:
        return "it holds a NUL character: is this a text file?"
    return text


# --- XLSX --------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_STRICT_MAIN = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def check_zip(zf: zipfile.ZipFile) -> None:
    """Refuse a zip bomb from the sizes its directory declares, before decompressing."""
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise _refuse(f"the workbook holds {len(infos):,} parts: not a spreadsheet")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse("the workbook is encrypted: save it without a password")
        total += info.file_size
        packed = max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and info.file_size / packed > MAX_RATIO:
            raise _refuse(f"the workbook's part {info.filename} unpacks to "
                          f"{info.file_size:,} bytes from {info.compress_size:,} "
                          f"({info.file_size // packed:,} times): refused as a zip bomb")
    if total > MAX_UNPACKED:
        raise _refuse(f"the workbook unpacks to {total:,} bytes, more than "
                      f"{MAX_UNPACKED:,}: refused (save the sheet as CSV)")


def _ns(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_small(zf: zipfile.ZipFile, name: str) -> ET.Element | None:
    try:
        info = zf.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_SMALL_PART:
        raise _refuse(f"the workbook's part {name} is too large ({info.file_size:,} bytes)")
    try:
        return ET.fromstring(zf.read(name))
    except ET.ParseError as e:
        raise _refuse(f"the workbook is damaged ({name}: {e})") from None


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def _col_letters(index: int) -> str:
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_FORMULA_CELL = re.compile(
    rb"<(?:[\w.-]+:)?c\b([^>]*)>\s*<(?:[\w.-]+:)?f\b([^>]*?)(?:/>|>([^<]{0,200})(?:<|$))")
_ERROR_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*\bt=\"e\"[^>]*)>"
                         rb"(?:(?!</(?:[\w.-]+:)?c>).){0,400}?<(?:[\w.-]+:)?v>([^<]{0,40})<",
                         re.S)
_REF_ATTR = re.compile(rb"\br=\"([A-Z]{1,3})([0-9]+)\"")
_CELL_OPEN = re.compile(rb"<(?:[\w.-]+:)?c[\s>]")


def _formula_reason(text: str | None) -> str:
    shown = f" (={text[:60]}{'...' if len(text) > 60 else ''})" if text else ""
    return (f"holds a formula{shown}: Tagtrack does not compute formulas; paste the values "
            "instead (Paste special > Values)")


def _error_reason(value: str) -> str:
    return f"holds an error ({value}) where a value should be"


def scan_formulas(stream: IO[bytes]) -> dict[tuple[int, int], str]:
    """(row, column index) -> reason for each formula or error cell of a sheet's XML,
    streamed in chunks."""
    from xml.sax.saxutils import unescape

    found: dict[tuple[int, int], str] = {}
    tail = b""
    while True:
        chunk = stream.read(CHUNK)
        buf = tail + chunk
        if chunk:
            starts = [m.start() for m in _CELL_OPEN.finditer(buf, max(0, len(buf) - 65536))]
            cut = starts[-1] if starts else max(0, len(buf) - 65536)
        else:
            cut = len(buf)
        part = buf[:cut]
        if b"<f" in part or b":f" in part:
            for m in _FORMULA_CELL.finditer(part):
                ref = _REF_ATTR.search(m.group(1))
                if ref is None:
                    raise _refuse("the sheet holds formulas in cells without an address: "
                                  "paste the values instead")
                key = (int(ref.group(2)), _col_index(ref.group(1).decode()))
                text = m.group(3)
                found[key] = _formula_reason(
                    unescape(text.decode("utf-8", "replace")) if text else None)
        if b't="e"' in part:
            for m in _ERROR_CELL.finditer(part):
                ref = _REF_ATTR.search(m.group(1))
                if ref is not None:
                    key = (int(ref.group(2)), _col_index(ref.group(1).decode()))
                    found.setdefault(key, _error_reason(m.group(2).decode("utf-8", "replace")))
        tail = buf[cut:]
        if not chunk:
            return found


def cell_text(value: Any, decimal_comma: bool = False) -> str:
    """An XLSX cell's value as the text parse_row reads."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value.is_integer() and abs(value) < 2**53:
            return str(int(value))
        text = repr(value)
        if "e" in text or "E" in text:
            text = format(Decimal(text), "f")
        return text.replace(".", ",") if decimal_comma else text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time():
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


@dataclass
class _Sheet:
    name: str
    part: str


@dataclass
class _XlsxTable(Table):
    path: Path
    options: Options
    format: str = "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    headers: list[str] = field(default_factory=list)
    sheet_names: list[str] = field(default_factory=list)
    sheet: str | None = None
    total_rows: int | None = None

    def __post_init__(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError):
            raise _refuse("the file is neither a CSV file nor an XLSX workbook (a damaged "
                          "zip)") from None
        try:
            check_zip(self._zip)
            self._open()
        except BaseException:
            self._zip.close()
            raise

    def close(self) -> None:
        self._zip.close()

    def _open(self) -> None:
        zf = self._zip
        book = _parse_small(zf, "xl/workbook.xml")
        rels = _parse_small(zf, "xl/_rels/workbook.xml.rels")
        if book is None or rels is None:
            raise _refuse("the file is a zip but not an XLSX workbook (an .ods or .docx?): "
                          "save it as .xlsx or CSV")
        targets = {r.get("Id"): r.get("Target", "") for r in rels if _ns(r.tag) == "Relationship"}
        sheets: list[_Sheet] = []
        self._date1904 = False
        for el in book.iter():
            tag = _ns(el.tag)
            if tag == "workbookPr":
                self._date1904 = el.get("date1904") in ("1", "true")
            elif tag == "sheet":
                rid = el.get(f"{{{_REL}}}id") or next(
                    (v for k, v in el.attrib.items() if k.endswith("}id")), None)
                target = targets.get(rid, "")
                if not target:
                    continue
                part = target.lstrip("/") if target.startswith("/") else "xl/" + target
                sheets.append(_Sheet(el.get("name", ""), _normpath(part)))
        self.sheet_names = [s.name for s in sheets]
        if not sheets:
            raise _refuse("the workbook has no sheets")
        if self.options.sheet:
            wanted = self.options.sheet.strip().casefold()
            chosen = next((s for s in sheets if s.name.casefold() == wanted), None)
            if chosen is None:
                raise _refuse(f"the workbook has no sheet named {self.options.sheet}: its "
                              f"sheets are {', '.join(self.sheet_names)}")
        else:
            chosen = sheets[0]
        self.sheet = chosen.name
        try:
            info = zf.getinfo(chosen.part)
        except KeyError:
            raise _refuse(f"the workbook is damaged: sheet {chosen.name} has no data") from None
        self._part = info
        self._done_rows = 0
        if info.file_size <= CALAMINE_MAX_XML:
            self._rows = self._calamine_rows(chosen)
        else:
            self._rows = self._streamed_rows(chosen)
        self.headers = self._header()

    # The first non-empty row is the header; columns without a header are not read.
    def _header(self) -> list[str]:
        for number, cells in self._rows:
            if any(c.strip() for c in cells):
                headers = [c.strip() for c in cells]
                while headers and not headers[-1]:
                    headers.pop()
                self._header_number = number
                return headers
        raise _refuse(f"sheet {self.sheet} is empty")

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        width = len(self.headers)
        for number, cells in self._rows:
            self._done_rows = number
            fitted = _fit(cells, width)
            trouble = None
            if isinstance(cells, FlaggedCells):
                trouble = {i: why for i, why in cells.cells_trouble.items() if 0 <= i < width}
            if trouble:
                yield number, FlaggedCells(fitted, cells_trouble=trouble)
            elif any(fitted) and "".join(fitted).strip():
                yield number, fitted

    def fraction_read(self) -> float:
        if self.total_rows:
            return min(1.0, self._done_rows / self.total_rows)
        return 0.0

    def _calamine_rows(self, chosen: _Sheet) -> Iterator[tuple[int, list[str]]]:
        from python_calamine import CalamineError, CalamineWorkbook

        try:
            with self._zip.open(chosen.part) as stream:
                flagged = scan_formulas(stream)
            # calamine unpacks these too: through zipfile first, which stops at the sizes
            # the zip declares (checked above) and checks each part's CRC
            for name in self._zip.namelist():
                if name.lower() in ("xl/sharedstrings.xml", "xl/styles.xml"):
                    with self._zip.open(name) as part:
                        while part.read(CHUNK):
                            pass
        except (zipfile.BadZipFile, OSError, EOFError) as e:
            raise _refuse(f"the workbook is damaged: {e}") from None
        try:
            book = CalamineWorkbook.from_path(str(self.path))
            sheet = book.get_sheet_by_name(chosen.name)
        except CalamineError as e:
            raise _refuse(f"the workbook cannot be read: {e}") from None
        except Exception as e:  # python-calamine raises several kinds for a damaged file
            raise _refuse(f"the workbook cannot be read: {e}") from None
        start = sheet.start
        first_col = start[1] if start else 0
        self.total_rows = sheet.height + (start[0] if start else 0)
        comma = self.options.decimal_comma
        by_row: dict[int, dict[int, str]] = {}
        for (r, c), why in flagged.items():
            by_row.setdefault(r, {})[c - first_col] = why
        try:
            for index, row in enumerate(sheet.iter_rows()):
                number = index + 1
                cells = [cell_text(v, comma) for v in row]
                if by_row and (trouble := by_row.get(number)):
                    yield number, FlaggedCells(cells, cells_trouble=trouble)
                else:
                    yield number, cells
        finally:
            book.close()

    def _streamed_rows(self, chosen: _Sheet) -> Iterator[tuple[int, list[str]]]:
        shared = self._shared_strings()
        dates = self._date_styles()
        epoch = dt.datetime(1904, 1, 1) if self._date1904 else dt.datetime(1899, 12, 30)
        comma = self.options.decimal_comma
        first_col: int | None = None
        number = 0
        ns = None
        row_tag = c_tag = v_tag = f_tag = is_tag = ""
        columns: dict[str, int] = {}
        # Only "end" events: start events would double the parser's Python-side work.
        with self._zip.open(chosen.part) as stream:
            try:
                for _, el in ET.iterparse(stream, events=("end",)):
                    tag = el.tag
                    if ns is None:  # every element of a sheet is in the sheet's namespace
                        ns = tag[:tag.index("}") + 1] if tag.startswith("{") else ""
                        row_tag, c_tag, v_tag, f_tag, is_tag = (
                            ns + n for n in ("row", "c", "v", "f", "is"))
                    if tag != row_tag:
                        if tag == ns + "dimension":
                            self._dimension(el.get("ref", ""))
                        continue
                    r = el.get("r")
                    number = int(r) if r else number + 1
                    values: dict[int, str] = {}
                    trouble: dict[int, str] = {}
                    col = -1
                    for c in el:
                        if c.tag != c_tag:
                            continue
                        ref = c.get("r")
                        if ref:
                            letters = ref.rstrip("0123456789")
                            found = columns.get(letters)
                            if found is None:
                                found = columns[letters] = _col_index(letters)
                            col = found
                        else:
                            col += 1
                        typ = c.get("t", "n")
                        raw: str | None = None
                        value = ""
                        for child in c:
                            name = child.tag
                            if name == v_tag:
                                raw = child.text or ""
                            elif name == f_tag:
                                trouble[col] = _formula_reason(child.text)
                            elif name == is_tag:
                                value = "".join(child.itertext())
                        if typ == "inlineStr" or raw is None:
                            pass
                        elif typ == "s":
                            value = shared[int(raw)] if raw.isdigit() and int(raw) < len(
                                shared) else ""
                        elif typ == "b":
                            value = "true" if raw == "1" else "false"
                        elif typ == "e":
                            trouble.setdefault(col, _error_reason(raw))
                            value = raw
                        elif typ in ("str", "d"):
                            value = raw
                        else:
                            value = self._number(raw, c.get("s"), dates, epoch, comma)
                        if value:
                            values[col] = value
                    el.clear()
                    if not values and not trouble:
                        continue
                    if first_col is None:
                        first_col = min([*values, *trouble])
                    last = max([*values, *trouble])
                    cells = [values.get(i, "") for i in range(first_col, last + 1)]
                    if trouble:
                        yield number, FlaggedCells(cells, cells_trouble={
                            i - first_col: why for i, why in trouble.items() if i >= first_col})
                    else:
                        yield number, cells
            except ET.ParseError as e:
                raise _refuse(f"the workbook is damaged (sheet {chosen.name}: {e})") from None
            except (zipfile.BadZipFile, EOFError) as e:
                raise _refuse(f"the workbook is damaged: {e}") from None

    def _dimension(self, ref: str) -> None:
        m = re.fullmatch(r"[A-Z]+\d+:[A-Z]+(\d+)", ref)
        if m:
            self.total_rows = int(m.group(1))

    @staticmethod
    def _number(raw: str, style: str | None, dates: frozenset[int], epoch: dt.datetime,
                comma: bool) -> str:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if style is not None and style.isdigit() and int(style) in dates:
            try:
                when = epoch + dt.timedelta(days=number)
            except OverflowError:
                return raw
            when = when.replace(microsecond=0) if when.microsecond < 500_000 else (
                when + dt.timedelta(seconds=1)).replace(microsecond=0)
            return cell_text(when)
        return cell_text(number, comma)

    def _shared_strings(self) -> list[str]:
        name = next((n for n in self._zip.namelist() if n.lower() == "xl/sharedstrings.xml"),
                    None)
        if name is None:
            return []
        if self._zip.getinfo(name).file_size > MAX_SHARED_STRINGS:
            raise _refuse("the workbook's shared strings are too large: save the sheet as CSV")
        out: list[str] = []
        with self._zip.open(name) as stream:
            for _, el in ET.iterparse(stream, events=("end",)):
                if _ns(el.tag) == "si":
                    out.append(_si_text(el))
                    el.clear()
        return out

    def _date_styles(self) -> frozenset[int]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        root = _parse_small(self._zip, "xl/styles.xml")
        if root is None:
            return frozenset()
        codes: dict[int, str] = dict(BUILTIN_FORMATS)
        out = set()
        for el in root.iter():
            if _ns(el.tag) == "numFmt":
                with contextlib.suppress(TypeError, ValueError):
                    codes[int(el.get("numFmtId", ""))] = el.get("formatCode", "")
        for el in root.iter():
            if _ns(el.tag) == "cellXfs":
                for i, xf in enumerate(x for x in el if _ns(x.tag) == "xf"):
                    try:
                        fmt = int(xf.get("numFmtId", "0"))
                    except ValueError:
                        continue
                    if 14 <= fmt <= 22 or 45 <= fmt <= 47 or is_date_format(codes.get(fmt, "")):
                        out.add(i)
        return frozenset(out)


def _si_text(si: ET.Element) -> str:
    """A shared string's text: its own <t>, or its runs' (<r><t>), not the phonetic
    guide (<rPh>)."""
    out = []
    for ch in si:
        name = _ns(ch.tag)
        if name == "t":
            out.append(ch.text or "")
        elif name == "r":
            out.extend(t.text or "" for t in ch if _ns(t.tag) == "t")
    return "".join(out)


def _normpath(part: str) -> str:
    out: list[str] = []
    for piece in part.split("/"):
        if piece == "..":
            if out:
                out.pop()
        elif piece and piece != ".":
            out.append(piece)
    return "/".join(out)


def _fit(cells: list[str], width: int) -> list[str]:
    if len(cells) == width:
        return list(cells) if isinstance(cells, FlaggedCells) else cells
    if len(cells) > width:
        return cells[:width]
    return cells + [""] * (width - len(cells))
