"""Spreadsheet import through the API: dry run counts and differences, commit, re-import
unchanged, all or nothing, duplicates, tracking mismatches, unknown locations both ways,
custom fields, the rejected rows as CSV, roles, the size limit, the history sentence."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest

from tests.api.import_helpers import csv_of, threads, upload  # noqa: F401
from tests.factories import event_count, item, location, ok, problem

pytestmark = pytest.mark.usefixtures("threads")

HEAD = ["SKU", "Item name", "Tracking", "Unit fields", "Serial", "Location", "Voltage",
        "Purchase date", "Purchase cost"]
FIELDS = "Voltage [voltage]: choice(120V|230V)*"


def units_file(n: int = 3, *, voltage: str = "230V", cost: str = "100.00") -> str:
    rows = [[f"EQ-{i % 2}", f"Machine {i % 2}", "serial", FIELDS, f"SN-{i}",
             "Main warehouse > Stockroom > Shelf B3", voltage, "2026-01-15", cost]
            for i in range(n)]
    return csv_of(HEAD, *rows)


def test_a_dry_run_counts_what_would_change_and_writes_nothing(manager, client):
    before = event_count(manager)
    report = ok(upload(manager, units_file()))
    assert report["status"] == "checked" and report["dry_run"] is True
    assert report["counts"]["unit"] == {"create": 3, "update": 0, "unchanged": 0, "error": 0}
    assert report["counts"]["item"]["create"] == 2
    assert report["counts"]["location"]["create"] == 3
    assert event_count(manager) == before
    assert ok(manager.get("/api/v1/items"))["total"] == 0


def test_a_commit_applies_and_a_second_import_changes_nothing(manager, client):
    report = ok(upload(manager, units_file(), dry_run=False))
    assert report["status"] == "applied" and report["error_count"] == 0
    assert report["events"] == 3 + 2 + 3  # locations, items, units
    units = ok(manager.get("/api/v1/units", params={"limit": 10}))["units"]
    assert sorted(u["serial"] for u in units) == ["SN-0", "SN-1", "SN-2"]
    assert units[0]["custom"] == {"voltage": "230V"}
    before = event_count(manager)
    again = ok(upload(manager, units_file(), dry_run=False))
    assert again["counts"]["unit"] == {"create": 0, "update": 0, "unchanged": 3, "error": 0}
    assert again["counts"]["item"]["unchanged"] == 2
    assert "location" not in again["counts"]  # found on the way to the units: not counted
    assert event_count(manager) == before


def test_an_update_shows_its_field_differences(manager, client):
    ok(upload(manager, units_file(), dry_run=False))
    report = ok(upload(manager, units_file(cost="120.50")))
    assert report["counts"]["unit"]["update"] == 3
    change = report["changes"][0]
    assert change["kind"] == "unit" and change["changes"] == {
        "purchase_cost": ["100.00", "120.50"]}


def test_one_bad_row_and_nothing_is_written(manager, client):
    text = units_file() + csv_of(["EQ-9", "Other", "serial", FIELDS, "SN-9", "Main warehouse",
                                  "9V", "2026-01-15", "1"])
    before = event_count(manager)
    report = ok(upload(manager, text, dry_run=False))
    assert report["status"] == "failed" and report["error_count"] == 1
    assert report["errors"] == [{"row": 5, "column": "Voltage",
                                 "reason": "9V is not one of: 120V, 230V"}]
    assert event_count(manager) == before
    assert ok(manager.get("/api/v1/items"))["total"] == 0


def test_duplicate_keys_in_a_file_are_errors(manager, client):
    text = units_file(2) + csv_of(["EQ-1", "Machine 1", "serial", FIELDS, "SN-1",
                                   "Main warehouse", "230V", "", ""])
    report = ok(upload(manager, text))
    assert report["errors"][0]["row"] == 4 and "also on row 3" in report["errors"][0]["reason"]


def test_a_tracking_mismatch_points_to_the_conversion(manager, client):
    item(manager, "quantity", sku="EQ-0", name="Machine 0")
    report = ok(upload(manager, units_file(1)))
    assert report["counts"]["unit"]["error"] == 1
    assert "Convert" in report["errors"][0]["reason"]


def test_unknown_locations_are_created_or_refused(manager, client):
    report = ok(upload(manager, units_file(1), create_locations=False))
    assert report["errors"][0]["column"] == "Location"
    assert "no location Main warehouse" in report["errors"][0]["reason"]
    loc = location(manager, "Main warehouse")
    sub = location(manager, "Stockroom", loc["tag"])
    location(manager, "Shelf B3", sub["tag"])
    report = ok(upload(manager, units_file(1), create_locations=False, dry_run=False))
    assert report["status"] == "applied" and "location" not in report["counts"]


def test_errors_csv_gives_the_rejected_rows_with_a_reason(manager, client):
    text = units_file(1) + csv_of(["EQ-5", "M", "serial", FIELDS, "SN-5", "Main warehouse",
                                   "9V", "2026-02-30", "1"])
    report = ok(upload(manager, text))
    answer = manager.get(f"/api/v1/imports/{report['id']}/errors.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert rows[0][-2:] == ["Row", "Reason"] and len(rows) == 2
    assert rows[1][0] == "EQ-5" and rows[1][-2] == "3"
    assert "Purchase date" in rows[1][-1]


def test_operators_may_not_import(operator, client):
    problem(upload(operator, units_file(1)), 403)
    problem(operator.get("/api/v1/import-mappings"), 403)


def test_an_upload_over_the_limit_is_refused_early_with_413(manager, client, monkeypatch):
    from server import settings as settings_module

    small = replace(settings_module.get_settings(), import_max_bytes=1000)
    monkeypatch.setattr("server.http.upload.get_settings", lambda: small)
    body = problem(upload(manager, units_file(50)), 413)
    assert "1,000 bytes" in body["detail"] and "TAGTRACK_IMPORT_MAX_BYTES" in body["detail"]


def test_a_units_history_says_which_file_and_row_it_came_from(manager, client):
    ok(upload(manager, units_file(2), dry_run=False, name="stock-2026.csv"))
    unit = ok(manager.get("/api/v1/units", params={"limit": 10}))["units"][1]
    page = manager.get(f"/units/{unit['tag']}", headers={"Accept": "text/html"})
    assert page.status_code == 200
    rows = {f"imported from stock-2026.csv, row {n}" for n in (2, 3)}
    assert sum(sentence in page.text for sentence in rows) == 1


def test_a_saved_mapping_is_used_by_name(manager, client):
    ok(manager.put("/api/v1/import-mappings/units/legacy",
                   json={"Kit": "sku", "S/N": "serial", "Where": "location", "Kit name": "name"}))
    text = csv_of(["Kit", "Kit name", "S/N", "Where"], ["TL-1", "Drill", "D-1", "Crib"])
    report = ok(upload(manager, text, mapping="legacy", dry_run=False))
    assert report["status"] == "applied", report
    assert report["counts"]["unit"]["create"] == 1
    names = [m["name"] for m in ok(manager.get("/api/v1/import-mappings"))]
    assert names == ["legacy"]
    assert manager.delete("/api/v1/import-mappings/units/legacy").status_code == 204


def test_a_background_import_is_polled_until_done_then_committed(manager, client):
    answer = upload(manager, units_file(), wait=False)
    assert answer.status_code == 202
    run_id = answer.json()["id"]
    import time

    for _ in range(200):
        status = ok(manager.get(f"/api/v1/imports/{run_id}"))
        if status["status"] not in ("queued", "reading", "checking"):
            break
        time.sleep(0.05)
    assert status["status"] == "checked" and status["progress"]["done"] == 3
    applied = ok(manager.post(f"/api/v1/imports/{run_id}/commit", params={"wait": "true"}))
    assert applied["status"] == "applied" and applied["counts"]["unit"]["create"] == 3


def test_people_and_locations_and_stock_kinds(manager, client):
    ok(upload(manager, csv_of(["Location"], ["Site A > Room 1"], ["Site A > Room 2"]),
              "locations", dry_run=False))
    ok(upload(manager, csv_of(["Name", "Email", "Badge code"],
                              ["Ada Lovelace", "ada@example.com", "B-7"]), "people",
              dry_run=False))
    item(manager, "quantity", sku="CBL-1", name="Cable")
    report = ok(upload(manager, csv_of(["SKU", "Location", "Qty"], ["CBL-1", "Site A > Room 1",
                                                                    "12"]),
                       "stock", dry_run=False))
    assert report["counts"]["stock"]["create"] == 1
    again = ok(upload(manager, csv_of(["SKU", "Location", "Qty"], ["CBL-1", "Site A > Room 1",
                                                                   "12"]), "stock"))
    assert again["counts"]["stock"]["unchanged"] == 1
