"""Reading import files: CSV in every encoding and delimiter people send, XLSX sheets, and
every kind of bad file refused whole or reported with its row, never a crash."""

import datetime as dt
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.cells import neutralize
from server.domain.errors import InvalidInput
from server.domain.imports import FlaggedCells, Options, ParsedRow, guess_mapping, parse_row
from server.services import import_files
from server.services.import_files import Table, open_table, sniff_delimiter

ROWS = [["SKU", "Name", "Serial Number", "Location", "Cost"],
        ["DRL-1", "Drill, cordless", "SN-1", "Main > Shelf B3", "12.50"],
        ["SAW-2", 'Saw "big"', "=SN;2", "Main > Shelf\tB4", "0"],
        ["GLV-3", "Gloves\nsize L", "'quoted", "Zürich > Lager", ""]]


def _read(path: Path, **options: Any) -> tuple[Table, list[tuple[int, list[str]]]]:
    with open_table(path, Options(**options)) as table:
        return table, list(table.rows())


def _csv_text(rows: list[list[str]], delimiter: str) -> str:
    out = []
    for row in rows:
        cells = []
        for c in row:
            c = neutralize(c)
            if any(x in c for x in (delimiter, '"', "\n", "\r")):
                c = '"' + c.replace('"', '""') + '"'
            cells.append(c)
        out.append(delimiter.join(cells))
    return "\r\n".join(out) + "\r\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_in_every_encoding_and_delimiter(tmp_path: Path, encoding: str,
                                            delimiter: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(_csv_text(ROWS, delimiter).encode(encoding))
    table, rows = _read(path)
    assert table.format == "csv" and table.delimiter == delimiter
    assert table.encoding == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "utf-16": "utf-16",
                              "cp1252": "cp1252"}[encoding]
    assert table.headers == ROWS[0]
    assert table.sheet_names == []
    assert [n for n, _ in rows] == [2, 3, 4]
    assert [cells for _, cells in rows] == ROWS[1:]  # neutralized cells come back as written


def test_declared_encoding_and_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("Name|Email\nJosé|j@example.org\n".encode("latin-1"))
    table, rows = _read(path, encoding="latin-1", delimiter="|")
    assert table.headers == ["Name", "Email"] and rows == [(2, ["José", "j@example.org"])]
    with pytest.raises(InvalidInput, match="unknown encoding"):
        _read(path, encoding="klingon")


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.lists(st.text(st.characters(blacklist_categories=("Cs",),
                                                    blacklist_characters="\x00\r"),
                                      max_size=8), min_size=3, max_size=3),
                     min_size=1, max_size=6),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_text_round_trips_through_csv(tmp_path_factory: pytest.TempPathFactory,
                                         rows: list[list[str]], delimiter: str) -> None:
    rows = [r for r in rows if any(c.strip() for c in r)]
    path = tmp_path_factory.mktemp("csv") / "in.csv"
    path.write_text(_csv_text([["SKU", "Name", "Note"], *rows], delimiter), encoding="utf-8",
                    newline="")
    _, read = _read(path, delimiter=delimiter)
    assert [cells for _, cells in read] == rows


@pytest.mark.parametrize(("lines", "expected"), [
    (["a,b;c", "1,2;3"], ","), (["a;b;c", "1;2,5;3", "4;5;6"], ";"),
    (['"x;y",b', '"1;2",3'], ","), (["a\tb\tc,d", "1\t2\t3,4"], "\t"), (["Location", "A > B"], ","),
    (["a;b", "1,5;2", "3,5;4"], ";"), ([], ","),
])
def test_sniff_delimiter(lines: list[str], expected: str) -> None:
    assert sniff_delimiter(lines) == expected


def test_excels_delimiter_line(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("sep=;\r\nSKU;Name\r\nA,1;Drill\r\n", encoding="utf-8")
    table, rows = _read(path)
    assert table.delimiter == ";" and table.headers == ["SKU", "Name"]
    assert rows == [(3, ["A,1", "Drill"])]


def test_blank_lines_skipped_and_rows_numbered_as_the_spreadsheet_shows(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text('\nSKU,Name\n\nA,"two\nlines"\n,\nB,x\n', encoding="utf-8")
    table, rows = _read(path)
    assert table.headers == ["SKU", "Name"]
    assert rows == [(4, ["A", "two\nlines"]), (6, ["B", "x"])]


def test_ragged_rows_are_reported_not_crashed_on(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("SKU,Name,Qty\nA,Drill,1\nB,Saw, big,2\nC,Glue\nD,Tape,3,,\n",
                    encoding="utf-8")
    _, rows = _read(path)
    assert [n for n, _ in rows] == [2, 3, 4, 5]
    assert not isinstance(rows[0][1], FlaggedCells)
    long, short = rows[1][1], rows[2][1]
    assert isinstance(long, FlaggedCells) and "has 4 cells but the header has 3 columns: a " \
        "value with a ',' in it and no quotes around it?" in long.row_trouble
    assert isinstance(short, FlaggedCells) and short.row_trouble == (
        "has 2 cells but the header has 3 columns",)
    assert rows[3][1] == ["D", "Tape", "3"]  # trailing empty cells are no trouble
    out = parse_row("stock", 3, long, {0: "sku"}, Options())
    assert [str(p) for p in out] == [  # type: ignore[union-attr]
        "row 3: has 4 cells but the header has 3 columns: a value with a ',' in it and no "
        "quotes around it?"]


def test_big_cells(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text(f"SKU,Name\nA,{'x' * 40_000}\nB,ok\n", encoding="utf-8")
    _, rows = _read(path)
    cells = rows[0][1]
    assert isinstance(cells, FlaggedCells)
    assert cells.cells_trouble == {1: "holds 40,000 characters; a cell holds at most 32,767 "
                                      "(is a quote left open?)"}
    assert parse_row("items", 2, cells, {0: "sku"}, Options()) == ParsedRow(2, {"sku": "A"})
    assert rows[1] == (3, ["B", "ok"])


def test_a_10_mb_cell_is_refused_with_its_row(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write('SKU,Name\nA,ok\nB,"')
        f.write("y" * (10 * 1024 * 1024))
        f.write('"\nC,ok\n')
    with pytest.raises(InvalidInput, match=r"row 3 cannot be read: a cell is longer than "
                                           r"131,072 characters"):
        _read(path)


def test_a_line_without_end_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_files, "MAX_LINE", 1000)
    path = tmp_path / "in.csv"
    path.write_text("SKU,Name\n" + "x" * 5000, encoding="utf-8")
    with pytest.raises(InvalidInput, match="row 2 has more than 1,000 characters without a "
                                           "line break"):
        _read(path)


@pytest.mark.parametrize(("content", "words"), [
    (b"", "the file is empty"),
    (b"\n\n", "no header row"),
    (b"Name,Email\n\x81\x8d,x\n", "neither UTF-8 nor Windows-1252"),
    (b"N\x00a\x00m\x00e\x00\n\x00", "NUL byte"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old Excel .xls"),
    (b"PK\x03\x04garbage", "neither a CSV file nor an XLSX workbook"),
])
def test_bad_files_refused_whole(tmp_path: Path, content: bytes, words: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InvalidInput, match=words) as e:
        _read(path)
    assert e.value.field == "file"


def test_cp1252_is_the_fallback_only_for_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes("Name\nCafé \u2013 “quoted”\n".encode("cp1252"))
    table, rows = _read(path)
    assert table.encoding == "cp1252" and rows == [(2, ["Café \u2013 “quoted”"])]
    path.write_bytes("Name\nCafé \u2013 “quoted”\n".encode())
    table, rows = _read(path)
    assert table.encoding == "utf-8" and rows == [(2, ["Café \u2013 “quoted”"])]


# --- XLSX ---------------------------------------------------------------------------------

def _workbook(path: Path) -> None:
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Units")
    other = wb.add_worksheet("Stock 2026")
    day = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(1, 1, ["SKU", "S/N", "Purchase date", "Cost", "Barcode", "Ok", "Qty"])
    ws.write_row(2, 1, ["DRL-1", "SN-1"])
    ws.write_datetime(2, 3, dt.datetime(2026, 1, 31), day)
    ws.write_number(2, 4, 1234.5)
    ws.write_number(2, 5, 4006381333931)
    ws.write_boolean(2, 6, True)
    ws.write_formula(2, 7, "=E3*2", None, 2469)
    ws.write_row(4, 1, ["SAW-2", "", "", 0.1])
    ws.write_string(4, 2, "=not a formula")  # a text cell: write() would make it a formula
    ws.write_formula(4, 7, "=1/0", None, "#DIV/0!")
    ws.write_string(5, 9, "a note in a column without a header")
    ws.write_row(6, 1, ["GLV-3", "SN-3"])
    ws.write_formula(6, 9, "=B7", None, "GLV-3")  # beyond the header: nobody's business
    other.write_row(0, 0, ["SKU", "Location", "Qty"])
    other.write_row(1, 0, ["GLV-3", "Main", 40])
    wb.close()


@pytest.fixture(params=["calamine", "streamed"])
def xlsx_reader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "streamed":
        monkeypatch.setattr(import_files, "CALAMINE_MAX_XML", 0)
    return str(request.param)


def test_xlsx_first_sheet(tmp_path: Path, xlsx_reader: str) -> None:
    path = tmp_path / "book.csv"  # the name does not matter: the content does
    _workbook(path)
    table, rows = _read(path)
    assert table.format == "xlsx" and table.sheet == "Units"
    assert table.sheet_names == ["Units", "Stock 2026"]
    assert table.headers == ["SKU", "S/N", "Purchase date", "Cost", "Barcode", "Ok", "Qty"]
    assert [n for n, _ in rows] == [3, 5, 7]
    first, second, third = (cells for _, cells in rows)
    assert first == ["DRL-1", "SN-1", "2026-01-31", "1234.5", "4006381333931", "true", "2469"]
    assert isinstance(first, FlaggedCells)
    assert first.cells_trouble == {6: "holds a formula (=E3*2): Tagtrack does not compute "
                                      "formulas; paste the values instead (Paste special > "
                                      "Values)"}
    assert second[:4] == ["SAW-2", "=not a formula", "", "0.1"]
    assert isinstance(second, FlaggedCells) and "formula (=1/0)" in second.cells_trouble[6]
    assert third == ["GLV-3", "SN-3", "", "", "", "", ""]
    assert not isinstance(third, FlaggedCells)
    mapping = guess_mapping("units", table.headers)
    assert mapping == {0: "sku", 1: "serial", 2: "purchase_date", 3: "purchase_cost",
                       4: "barcodes"}
    assert parse_row("units", 3, first, mapping, Options(day_first=True)) == ParsedRow(3, {
        "sku": "DRL-1", "serial": "SN-1", "purchase_date": dt.date(2026, 1, 31),
        "purchase_cost": Decimal("1234.50"), "barcodes": ("04006381333931",)})
    out = parse_row("stock", 3, first, {0: "sku", 6: "quantity"}, Options(),
                    headers=table.headers)
    assert isinstance(out, list) and out[0].column == "Qty" and "formula" in out[0].reason


def test_xlsx_numbers_with_the_declared_decimal_comma(tmp_path: Path, xlsx_reader: str) -> None:
    path = tmp_path / "book.xlsx"
    _workbook(path)
    _, rows = _read(path, decimal_comma=True)
    assert rows[0][1][3] == "1234,5" and rows[1][1][3] == "0,1"
    assert rows[0][1][4] == "4006381333931"


def test_xlsx_named_sheet(tmp_path: Path, xlsx_reader: str) -> None:
    path = tmp_path / "book.xlsx"
    _workbook(path)
    table, rows = _read(path, sheet="stock 2026")
    assert table.sheet == "Stock 2026" and rows == [(2, ["GLV-3", "Main", "40"])]
    with pytest.raises(InvalidInput) as e:
        _read(path, sheet="Sheet1")
    assert e.value.message == ("the workbook has no sheet named Sheet1: its sheets are Units, "
                               "Stock 2026")


def test_xlsx_zip_bomb_refused_before_decompressing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "bomb.xlsx"
    _workbook(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/zeros.bin", b"\0" * (8 * 1024 * 1024))
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: object, *args: object, **kw: object) -> object:
        opened.append(str(name))
        return real_open(self, name, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    with pytest.raises(InvalidInput, match=r"xl/media/zeros.bin unpacks to 8,388,608 bytes "
                                           r"from [0-9,]+ \([0-9,]+ times\): refused as a "
                                           r"zip bomb"):
        _read(path)
    assert opened == []  # nothing was decompressed


def test_xlsx_too_large_unpacked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.xlsx"
    _workbook(path)
    monkeypatch.setattr(import_files, "MAX_UNPACKED", 1000)
    with pytest.raises(InvalidInput, match="more than 1,000: refused"):
        _read(path)


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("content.xml", "<office:document/>")
    with pytest.raises(InvalidInput, match="not an XLSX workbook"):
        _read(path)


def test_fraction_read(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("SKU\n" + "".join(f"A-{i}\n" for i in range(1000)), encoding="utf-8")
    with open_table(path, Options()) as table:
        rows = table.rows()
        for _ in range(500):
            next(rows)
        assert 0.3 < table.fraction_read() < 0.7
        list(rows)
        assert table.fraction_read() == 1.0


@settings(max_examples=80, deadline=None)
@given(content=st.one_of(
    st.binary(max_size=300),
    st.lists(st.sampled_from([b"a", b",", b";", b"\t", b'"', b"\n", b"\r", b"'", b"=", b" ",
                              b"\xe9", b"\xc3\xa9", b"\x81", b"sep=", b"PK\x03\x04"]),
             max_size=60).map(b"".join)))
def test_any_bytes_give_rows_or_a_refusal(tmp_path_factory: pytest.TempPathFactory,
                                          content: bytes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "in.csv"
    path.write_bytes(content)
    try:
        table, rows = _read(path)
    except InvalidInput as e:
        assert e.field == "file" and e.message
        return
    for number, cells in rows:
        assert number >= 2 and all(isinstance(c, str) for c in cells)
        parse_row("people", number, cells, guess_mapping("people", table.headers), Options())


def test_xlsx_rich_text_and_1904_dates(tmp_path: Path, xlsx_reader: str) -> None:
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path), {"date_1904": True})
    ws = wb.add_worksheet("Mac")
    bold = wb.add_format({"bold": True})
    ws.write_row(0, 0, ["Name", "Warranty end"])
    ws.write_rich_string(1, 0, "Drill ", bold, "Pro", " 18V")
    ws.write_datetime(1, 1, dt.datetime(2027, 3, 1, 14, 5),
                      wb.add_format({"num_format": "d mmm yyyy"}))
    wb.close()
    _, rows = _read(path)
    assert rows == [(2, ["Drill Pro 18V", "2027-03-01 14:05:00"])]
    assert parse_row("units", 2, rows[0][1], {1: "warranty_end"}, Options()) == ParsedRow(
        2, {"warranty_end": dt.date(2027, 3, 1)})


def test_xlsx_part_larger_than_its_zip_entry_says_is_refused(tmp_path: Path,
                                                             xlsx_reader: str) -> None:
    """A zip whose directory under-declares a part's size passes the bomb check; the part
    is then read through zipfile, which stops at the declared size and checks the CRC,
    before any other reader unpacks it."""
    path = tmp_path / "liar.xlsx"
    _workbook(path)
    name = b"xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(path) as zf:
        offset = zf.getinfo(name.decode()).header_offset
    data = bytearray(path.read_bytes())
    assert data[offset:offset + 4] == b"PK\x03\x04"
    data[offset + 22:offset + 26] = (100).to_bytes(4, "little")  # local header
    central = data.index(b"PK\x01\x02")  # the central directory's first entry
    while True:
        length = int.from_bytes(data[central + 28:central + 30], "little")
        if data[central + 46:central + 46 + length] == name:
            data[central + 24:central + 28] = (100).to_bytes(4, "little")
            break
        central = data.index(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(data))
    with pytest.raises(InvalidInput, match="the workbook is damaged"):
        _read(path)
