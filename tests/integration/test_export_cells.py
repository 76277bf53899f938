"""Spreadsheet writers: cells a spreadsheet would run are neutralized in CSV and stay
strings in XLSX, and what an import reads back is what was exported."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils.escape import unescape
from python_calamine import CalamineWorkbook

from server.domain.cells import restore
from server.domain.errors import Busy, InvalidInput
from server.http.downloads import disposition
from server.services import spreadsheets
from server.services.spreadsheets import write_csv, write_xlsx
from tests.sync import run_sync

DANGEROUS = ['=HYPERLINK("http://evil.test","click")', "+1", "-2", "@x", "\tTAB", "\rCR",
             "'quoted", "=1+2", "@SUM(A1)"]


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, so that Excel reads accents"
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_export_dangerous_cells_are_neutralized_in_csv_and_restored_on_reading() -> None:
    data = b"".join(write_csv(["Name"], [[v] for v in DANGEROUS]))
    header, *rows = read_csv(data)
    assert header == ["Name"]
    cells = [r[0] for r in rows]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    assert [restore(c) for c in cells] == DANGEROUS


def test_export_dangerous_cells_are_strings_in_xlsx() -> None:
    path = write_xlsx(["Name", "Count"], [[v, 3] for v in DANGEROUS], "Items")
    try:
        book = openpyxl.load_workbook(path)
        sheet = book["Items"]
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
        # control characters are written as OOXML's _xHHHH_ escapes, which Excel and
        # calamine decode; openpyxl leaves them in inline strings, so decode them here
        got = [(unescape(row[0].value), row[0].data_type, row[1].value, row[1].data_type)
               for row in sheet.iter_rows(min_row=2)]
        assert got == [(v, "s", 3, "n") for v in DANGEROUS]
        read = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Items").to_python()
        assert [r[0] for r in read[1:]] == DANGEROUS
    finally:
        path.unlink()


def test_export_typed_cells_keep_their_type() -> None:
    row = ["Café", 12, Decimal("19.90"), dt.date(2027, 3, 31),
           dt.datetime(2026, 11, 29, 14, 5, tzinfo=dt.UTC), True, None]
    data = b"".join(write_csv(list("abcdefg"), [row]))
    assert read_csv(data)[1] == ["Café", "12", "19.90", "2027-03-31", "2026-11-29T14:05:00Z",
                                 "yes", ""]
    path = write_xlsx(list("abcdefg"), [row])
    try:
        values = [c.value for c in openpyxl.load_workbook(path).active[2]]
        assert values == ["Café", 12, 19.9, dt.datetime(2027, 3, 31),
                          dt.datetime(2026, 11, 29, 14, 5), True, None]
        assert openpyxl.load_workbook(path).active["D2"].number_format == "yyyy-mm-dd"
    finally:
        path.unlink()


def test_export_xlsx_refuses_a_cell_it_would_cut_short() -> None:
    with pytest.raises(InvalidInput, match="32,767"):
        write_xlsx(["Note"], [["x" * 40_000]])


def test_export_xlsx_refuses_more_rows_than_a_sheet_holds(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(spreadsheets, "XLSX_MAX_ROWS", 4)
    assert write_xlsx(["n"], [[1], [2], [3]]).unlink() is None
    with pytest.raises(InvalidInput, match="at most 3 rows"):
        write_xlsx(["n"], [[1], [2], [3], [4]])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                               blacklist_characters="\x00")),
                min_size=1, max_size=5))
def test_export_any_text_survives_csv_and_restore(texts: list[str]) -> None:
    data = b"".join(write_csv([f"c{i}" for i in range(len(texts))], [texts]))
    row = read_csv(data)[1]
    assert [restore(c) for c in row] == texts


def test_export_xlsx_builds_are_bounded() -> None:
    """Beyond `at_once` running and `queue` waiting, a build is refused at once (503)."""
    gate = spreadsheets._Gate(at_once=1, queue=1)

    async def scenario() -> list[str]:
        seen: list[str] = []
        release = asyncio.Event()

        async def hold(name: str) -> None:
            async with gate.turn():
                seen.append(name)
                await release.wait()

        first = asyncio.create_task(hold("first"))
        second = asyncio.create_task(hold("second"))  # waits its turn
        await asyncio.sleep(0)
        with pytest.raises(Busy):
            async with gate.turn():
                pass
        release.set()
        await asyncio.gather(first, second)
        async with gate.turn():  # free again
            seen.append("third")
        return seen

    assert run_sync(scenario()) == ["first", "second", "third"]


def test_export_download_names_keep_their_letters() -> None:
    assert disposition("units.csv") == 'attachment; filename="units.csv"'
    assert disposition("café «2026».xlsx") == (
        "attachment; filename=\"caf_ _2026_.xlsx\"; "
        "filename*=UTF-8''caf%C3%A9%20%C2%AB2026%C2%BB.xlsx")
