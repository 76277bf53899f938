"""GET /api/v1/exports/{kind}: the import's columns, the list's filters, CSV and XLSX."""

from __future__ import annotations

import csv
import io
from typing import Any

import openpyxl

from server.domain.cells import restore
from server.domain.imports import FIELDS
from tests import export_catalog
from tests.factories import problem


def rows_of(response: Any) -> list[dict[str, str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8-sig")
    return [{k: restore(v) for k, v in r.items()} for r in csv.DictReader(io.StringIO(text))]


def test_export_every_kind_has_the_import_columns(manager: Any) -> None:
    export_catalog.build(manager)
    for kind in FIELDS:
        r = manager.get(f"/api/v1/exports/{kind}")
        header = next(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
        labels = [f.label for f in FIELDS[kind]]
        assert header[:len(labels)] == labels, kind
        assert "attachment" in r.headers["content-disposition"]
    units = rows_of(manager.get("/api/v1/exports/units", params={"item": "DRILL-18V"}))
    assert [u["Serial"] for u in units] == ["SN-001", "SN-002", "SN-003"]
    first = units[0]
    assert first["Location"] == "Main warehouse > Stockroom"
    assert first["Custodian"] == "ana@example.com"
    assert first["Status"] == "checked out"
    assert first["Voltage"] == "18" and first["Colour"] == "red"
    assert first["Calibrated on"] == "2026-05-01" and first["Insured"] == "yes"
    assert first["Note"] == "@check"
    assert first["status_note"] == "spare", "a label taken by a standard column: the key"
    assert units[2]["Voltage"] == "18.5" and units[2]["Condition"] == "needs repair"
    assert first["Purchase cost"] == "119.50" and first["Warranty end"] == "2028-02-03"
    assert "Voltage [voltage]: number" in first["Unit fields"]


def test_export_takes_the_lists_filters(manager: Any) -> None:
    built = export_catalog.build(manager)
    main = built["locations"][0]["tag"]
    stock = rows_of(manager.get("/api/v1/exports/stock",
                                params={"location": main, "item": "SALINE-500"}))
    assert sorted((s["Location"], s["Lot"], s["Expiry"], s["Quantity"]) for s in stock) == [
        ("Main warehouse > Cage", "-L2", "", "3"),
        ("Main warehouse > Stockroom > Shelf B3", "L-2026-01", "2027-03-31", "12")]
    items = rows_of(manager.get("/api/v1/exports/items", params={"tracking": "serial"}))
    assert [i["SKU"] for i in items] == ["DRILL-18V", "LAPTOP-14"]
    manager.post("/api/v1/items", json={"sku": "GLOVES-M", "name": "Gloves",
                                        "reorder_point": 5})
    low = rows_of(manager.get("/api/v1/exports/items", params={"low_stock": "true"}))
    assert [i["SKU"] for i in low] == ["GLOVES-M"], "45 zip ties are over their 10"
    people = rows_of(manager.get("/api/v1/exports/people", params={"q": "chlo"}))
    assert people == [{"Name": "Chloé Dupont", "Email": "chloe@example.com", "Badge code": ""}]
    locations = rows_of(manager.get("/api/v1/exports/locations"))
    assert [x["Location"] for x in locations][:3] == [
        "Main warehouse", "Main warehouse > Stockroom", "Main warehouse > Stockroom > Shelf B3"]


def test_export_xlsx_has_typed_cells(manager: Any, tmp_path: Any) -> None:
    export_catalog.build(manager)
    r = manager.get("/api/v1/exports/items", params={"format": "xlsx"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    path = tmp_path / "items.xlsx"
    path.write_bytes(r.content)
    sheet = openpyxl.load_workbook(path)["Items"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0][:2]) == ["SKU", "Name"]
    ties = next(r for r in rows if r[0] == "ZIP-TIE-200")
    header = list(rows[0])
    assert ties[header.index("Reorder point")] == 10
    assert ties[header.index("Unit cost")] == 3.25
    assert ties[header.index("Description")] == '=HYPERLINK("x")'
    assert ties[header.index("Allow negative")] is True


def test_export_refuses_what_it_cannot_do(manager: Any, viewer: Any) -> None:
    problem(manager.get("/api/v1/exports/lots"), 422, "kind")
    problem(manager.get("/api/v1/exports/items", params={"format": "ods"}), 422, "format")
    problem(manager.get("/api/v1/exports/people", params={"item": "X"}), 422, "item")
    problem(manager.get("/api/v1/exports/units", params={"location": "L-NOPE"}), 422, "location")
    problem(manager.get("/api/v1/exports/units", params={"item": "NO-SUCH-SKU"}), 404)
    assert viewer.get("/api/v1/exports/items").status_code == 200
