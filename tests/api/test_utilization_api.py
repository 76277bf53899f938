"""GET /api/v1/reports/utilization: views, filters, paging, exports, refusals, and verify
catching an edited summary row. The figures themselves are checked against a replay in
tests/integration/test_utilization_property.py; here the history is a few real-time
check-outs, so shares are small and the tests look at counts and shapes."""

from __future__ import annotations

import csv
import io
import sqlite3
from typing import Any

import openpyxl
import pytest

from tests import factories as f
from tests.conftest import As, token_for
from tests.sync import run_sync

URL = "/api/v1/reports/utilization"


def lend_history(api: As) -> dict[str, Any]:
    shelf = f.location(api, "Tool crib")
    other = f.location(api, "Van")
    ann, bob = f.person(api, "Ann"), f.person(api, "Bob")
    drill = f.item(api, "serial", name="Cordless drill", category="Power tools")
    ladder = f.item(api, "serial", name="Ladder", category="Access")
    drills = f.units(api, drill["id"], shelf["tag"], count=3)
    ladders = f.units(api, ladder["id"], other["tag"], count=2)
    for unit, who in ((drills[0], ann), (drills[1], bob)):
        f.ok(api.post(f"/api/v1/units/{unit['tag']}/check-out", json={"person": who["tag"]}))
    f.ok(api.post(f"/api/v1/units/{drills[1]['tag']}/check-in", json={}))
    f.ok(api.post(f"/api/v1/units/{drills[1]['tag']}/check-out", json={"person": ann["tag"]}))
    return {"shelf": shelf, "van": other, "drill": drill, "ladder": ladder, "drills": drills,
            "ladders": ladders, "ann": ann, "bob": bob}


def test_utilization_items_view_counts_check_outs_borrowers_and_peak(admin: As) -> None:
    h = lend_history(admin)
    body = f.ok(admin.get(URL))
    assert body["view"] == "items" and body["total"] == 2
    first = body["items"][0]  # most time out first
    assert first["sku"] == h["drill"]["sku"]
    assert (first["owned"], first["checkouts"], first["borrowers"], first["peak"]) == (3, 3, 2, 2)
    assert first["verdict"] in ("keep", "stop_buying", "buy_more")
    assert first["verdict_sentence"]
    ladder = body["items"][1]
    assert (ladder["owned"], ladder["checkouts"], ladder["peak"]) == (2, 0, 0)
    assert body["period"]["filters"]["start"] and body["period"]["days"] >= 89


def test_utilization_units_view_of_one_item_lists_every_unit(admin: As) -> None:
    h = lend_history(admin)
    body = f.ok(admin.get(URL, params={"view": "units", "item": h["drill"]["sku"]}))
    assert body["total"] == 3
    by_tag = {u["tag"]: u for u in body["units"]}
    assert by_tag[h["drills"][1]["tag"]]["checkouts"] == 2
    assert by_tag[h["drills"][1]["tag"]]["borrowers"] == 2
    assert by_tag[h["drills"][2]["tag"]]["checkouts"] == 0
    assert by_tag[h["drills"][2]["tag"]]["days_since_moved"] == 0
    assert by_tag[h["drills"][0]["tag"]]["last_seen_at"]


def test_utilization_units_view_without_item_lists_units_out_in_the_period(admin: As) -> None:
    h = lend_history(admin)
    body = f.ok(admin.get(URL, params={"view": "units", "limit": 1}))
    assert body["total"] == 2 and len(body["units"]) == 1
    second = f.ok(admin.get(URL, params={"view": "units", "limit": 1, "offset": 1}))
    tags = {body["units"][0]["tag"], second["units"][0]["tag"]}
    assert tags == {h["drills"][0]["tag"], h["drills"][1]["tag"]}


def test_utilization_filters_by_location_subtree_and_category(admin: As) -> None:
    h = lend_history(admin)
    van = f.ok(admin.get(URL, params={"location": h["van"]["tag"]}))
    assert [i["sku"] for i in van["items"]] == [h["ladder"]["sku"]]
    tools = f.ok(admin.get(URL, params={"category": "Power tools"}))
    assert [i["sku"] for i in tools["items"]] == [h["drill"]["sku"]]
    units = f.ok(admin.get(URL, params={"view": "units", "location": h["van"]["tag"]}))
    assert units["total"] == 0


def test_utilization_lists_always_out_and_never_moves_answer(admin: As) -> None:
    lend_history(admin)
    always = f.ok(admin.get(URL, params={"view": "always_out"}))
    # out for a few seconds of 90 days: far from "always"
    assert always["total"] == 0 and always["units"] == []
    never = f.ok(admin.get(URL, params={"view": "never_moves"}))
    # every unit was added today: none has had the whole period to move
    assert never["units"] == [] and never["more"] is False


def test_utilization_csv_and_xlsx_hold_exactly_the_filtered_rows(admin: As) -> None:
    h = lend_history(admin)
    response = admin.get(URL, params={"view": "units", "item": h["drill"]["sku"],
                                      "format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Tag" and len(rows) == 1 + 3
    assert {r[0] for r in rows[1:]} == {u["tag"] for u in h["drills"]}
    response = admin.get(URL, params={"category": "Access", "format": "xlsx"})
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "SKU" and [r[0] for r in values[1:]] == [h["ladder"]["sku"]]


@pytest.mark.parametrize(("params", "field", "status"), [
    ({"view": "everything"}, "view", 422),
    ({"start": "yesterday"}, "start", 422),
    ({"start": "2026-11-20", "end": "2026-11-01"}, "start", 422),
    ({"format": "pdf"}, "format", 422),
    ({"item": "NO-SUCH-SKU"}, "item", 404),
    ({"location": "L-NOPE"}, "location", None),
])
def test_utilization_refuses_bad_filters_naming_the_field(
        admin: As, params: dict[str, str], field: str, status: int | None) -> None:
    response = admin.get(URL, params=params)
    assert response.status_code in ((status,) if status else (404, 422)), response.text
    f.problem(response, response.status_code, field)


def test_utilization_is_for_signed_in_viewers(client: Any, viewer: As) -> None:
    assert client.get(URL).status_code == 401
    f.ok(viewer.get(URL))


async def _execute(url: str, sql: str) -> None:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url.removeprefix("sqlite:///"), check_same_thread=False)
        try:
            conn.execute(sql)
            conn.commit()
        finally:
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        await pg.execute(sql)
    finally:
        await pg.close()


def test_utilization_summary_edited_by_hand_fails_verify(admin: As, database_url: str) -> None:
    lend_history(admin)
    headers = {"Authorization": f"Bearer {token_for('admin')}"}
    run_sync(_execute(database_url, "UPDATE unit_custody SET out_s = out_s - 3600"))
    try:
        answer = f.ok(admin.client.get("/api/v1/admin/verify", headers=headers))
        assert answer["ok"] is False
        assert any("unit_custody" in p for p in answer["problems"]), answer
    finally:
        run_sync(_execute(database_url, "UPDATE unit_custody SET out_s = out_s + 3600"))
    run_sync(_execute(database_url, "UPDATE unit_activity SET seen_s = seen_s + 1"))
    try:
        answer = f.ok(admin.client.get("/api/v1/admin/verify", headers=headers))
        assert any("unit_activity" in p for p in answer["problems"]), answer
    finally:
        run_sync(_execute(database_url, "UPDATE unit_activity SET seen_s = seen_s - 1"))
    assert f.ok(admin.client.get("/api/v1/admin/verify", headers=headers))["ok"] is True


def test_utilization_migration_backfill_gives_what_the_triggers_wrote(
        admin: As, database_url: str) -> None:
    """An existing database gets its summaries from the migration's set-based backfill:
    they must be the ones the triggers keep (verify compares them with the events)."""
    import importlib

    h = lend_history(admin)
    f.ok(admin.post("/api/v1/scans", json={"code": h["ladders"][0]["tag"], "action": "lookup"}))
    m = importlib.import_module("server.db.migrations.tagtrack_2026_11_29t15_20_00_000000")
    sqlite = database_url.startswith("sqlite")
    def fixed() -> list[tuple[Any, ...]]:  # what does not move with the clock
        rows = f.ok(admin.get(URL, params={"view": "units", "item": h["drill"]["sku"]}))
        return [(u["tag"], u["checkouts"], u["borrowers"], u["last_moved_at"],
                 u["last_seen_at"], u["added_at"]) for u in rows["units"]]

    before = fixed()
    for sql in ["DELETE FROM unit_custody", "DELETE FROM unit_activity",
                *m.backfill(m.SQLITE_EPOCH if sqlite else m.PG_EPOCH)]:
        run_sync(_execute(database_url, sql))
    assert fixed() == before
    headers = {"Authorization": f"Bearer {token_for('admin')}"}
    assert f.ok(admin.client.get("/api/v1/admin/verify", headers=headers))["ok"] is True
