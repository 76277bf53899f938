"""The import planner, without a database: natural keys, duplicates, tracking mode
mismatches, unknown locations, custom fields, and what an unchanged file plans (nothing)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain.import_plan import Person, Snapshot, source
from server.domain.import_rows import Planner
from server.domain.imports import Options
from server.domain.items import CustomField, FieldType, Item
from server.domain.units import Unit
from server.domain.vocab import Status, Tracking

HEADERS = {"sku": "SKU", "serial": "Serial", "location": "Location", "tag": "Tag",
           "tracking": "Tracking", "custom:voltage": "Voltage", "custodian": "Custodian"}
VOLTAGE = CustomField("voltage", "Voltage", FieldType.CHOICE, True, ("120V", "230V"))


def world() -> Snapshot:
    s = Snapshot()
    s.items["eq-1"] = Item(id=1, sku="EQ-1", name="Espresso machine", tracking=Tracking.SERIAL,
                           custom_fields=(VOLTAGE,))
    s.items["cof-1"] = Item(id=2, sku="COF-1", name="Beans", tracking=Tracking.QUANTITY)
    s.locations[(None, "main")] = 10
    s.location_names[10], s.location_parents[10] = "Main", None
    s.people[5] = Person(5, "P-0000050", "Dana", "dana@example.com", "B-1")
    unit = Unit(id=7, item_id=1, tag="U-0000017", location_id=10, serial="SN-1",
                custom={"voltage": "230V"})
    s.units[unit.tag] = unit
    s.serials[(1, "SN-1")] = unit.tag
    return s


def plan(kind: str, rows: list[dict], snapshot: Snapshot | None = None, **options: bool):
    planner = Planner(snapshot or world(), HEADERS, Options(**options))
    return planner.run(kind, [(n, r) for n, r in enumerate(rows, start=2)])


def unit_row(**kw):
    return {"sku": "EQ-1", "location": ("Main",), "custom:voltage": "230V", **kw}


def test_a_unit_is_found_by_item_and_serial_and_an_unchanged_row_plans_nothing():
    p = plan("units", [unit_row(serial="SN-1")])
    assert p.counts["unit"] == {"create": 0, "update": 0, "unchanged": 1, "error": 0}
    assert p.writes == 0 and not p.problems


def test_a_changed_field_is_an_update_with_its_difference():
    p = plan("units", [unit_row(serial="SN-1", purchase_cost=Decimal("12.50"))])
    assert p.counts["unit"]["update"] == 1
    assert p.changes == [{"row": 2, "kind": "unit", "key": "U-0000017",
                          "changes": {"purchase_cost": [None, "12.50"]}}]


def test_a_new_path_creates_each_missing_location_once():
    p = plan("units", [unit_row(serial="A", location=("Main", "Shelf", "Bin")),
                       unit_row(serial="B", location=("main", "shelf", "Bin"))])
    assert [n.name for n in p.new_locations] == ["Shelf", "Bin"]
    assert p.counts["location"]["create"] == 2 and p.counts["unit"]["create"] == 2


def test_unknown_locations_are_refused_when_the_user_says_so():
    p = plan("units", [unit_row(serial="A", location=("Main", "Shelf"))],
             create_locations=False)
    assert p.problems[0].row == 2 and p.problems[0].column == "Location"
    assert "no location Main > Shelf" in p.problems[0].reason
    assert p.writes == 0


def test_a_key_twice_in_a_file_is_an_error_on_its_later_row():
    p = plan("units", [unit_row(serial="A"), unit_row(serial="A")])
    assert [(x.row, x.column) for x in p.problems] == [(3, "Serial")]
    assert "also on row 2" in p.problems[0].reason
    assert p.counts["unit"] == {"create": 1, "update": 0, "unchanged": 0, "error": 1}


def test_a_row_whose_tracking_differs_points_to_the_conversion():
    p = plan("units", [unit_row(serial="A", tracking=Tracking.QUANTITY)])
    assert "Convert" in p.problems[0].reason and p.problems[0].column == "Tracking"
    p = plan("units", [{"sku": "COF-1", "serial": "X", "location": ("Main",)}])
    assert "tracked by quantity" in p.problems[0].reason and "Convert" in p.problems[0].reason


def test_custom_values_follow_the_items_definitions():
    p = plan("units", [unit_row(serial="A", **{"custom:voltage": "110V"})])
    assert p.problems[0].column == "Voltage" and "120V, 230V" in p.problems[0].reason
    p = plan("units", [{"sku": "EQ-1", "serial": "B", "location": ("Main",)}])
    assert "Voltage is required" in p.problems[0].reason


def test_a_refused_row_forgets_what_it_had_planned_first():
    p = plan("units", [unit_row(serial="A", location=("Main", "New"),
                                **{"custom:voltage": "9V"})])
    assert p.new_locations == [] and p.counts["location"]["create"] == 0


def test_items_of_a_units_file_must_agree_with_their_first_row():
    p = plan("units", [unit_row(serial="A", name="Espresso machine"),
                       unit_row(serial="B", name="Something else")])
    assert p.problems[0].row == 3 and "differs from row 2" in p.problems[0].reason


def test_a_custodian_makes_a_unit_checked_out():
    p = plan("units", [unit_row(serial="A", custodian="dana@example.com")])
    unit, _ = p.new_units[0]
    assert unit.custodian_id == 5 and unit.status is Status.CHECKED_OUT


def test_people_are_found_by_email_then_badge():
    p = plan("people", [{"name": "Dana W", "email": "DANA@example.com"},
                        {"name": "Sam", "badge_code": "B-1"}])
    assert p.person_updates[0].diff == {"name": ["Dana", "Dana W"]}  # email: same, any case
    assert p.counts["person"] == {"create": 0, "update": 1, "unchanged": 0, "error": 1}
    assert p.problems[0].row == 3 and "also on row 2" in p.problems[0].reason
    p = plan("people", [{"name": "Sam", "badge_code": "B-2"}, {"name": "Dana"}])
    assert [x.name for x, _ in p.new_people] == ["Sam"] and p.counts["person"]["unchanged"] == 1


def test_stock_rows_set_counts_and_lot_items_need_a_lot():
    s = world()
    s.items["glv"] = Item(id=3, sku="GLV", name="Gloves", tracking=Tracking.LOT)
    p = plan("stock", [{"sku": "COF-1", "location": ("Main",), "quantity": 4},
                       {"sku": "GLV", "location": ("Main",), "quantity": 2},
                       {"sku": "GLV", "location": ("Main",), "lot": "L1", "quantity": 2,
                        "expires_on": dt.date(2027, 1, 1)}], s)
    assert [x.row for x in p.problems] == [3]
    assert [(x.was, x.counted) for x in p.stock_sets] == [(0, 4), (0, 2)]
    assert [n.code for n in p.new_lots] == ["L1"]


def test_the_history_sentence_names_the_file_and_row():
    assert source({"import": {"id": 3, "file": "stock-2026.xlsx", "row": 418}}) == \
        "imported from stock-2026.xlsx, row 418"
    assert source({"tag": "U-1"}) is None


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["A", "B", "C", "SN-1"]),
                          st.sampled_from([("Main",), ("Main", "X"), ("main", "x", "Y")]),
                          st.sampled_from(["120V", "230V", "9V"])), max_size=8))
def test_every_row_is_counted_once_and_problems_plan_nothing(rows):
    p = plan("units", [unit_row(serial=s, location=loc, **{"custom:voltage": v})
                       for s, loc, v in rows])
    unit = p.counts.get("unit", {"create": 0, "update": 0, "unchanged": 0, "error": 0})
    assert sum(unit.values()) == len(rows)
    assert unit["error"] == len({x.row for x in p.problems})
    assert len(p.new_units) == unit["create"] and len(p.unit_updates) == unit["update"]
    planned_paths = {(n.parent, n.name.casefold()) for n in p.new_locations}
    assert len(planned_paths) == len(p.new_locations) == p.counts.get(
        "location", {}).get("create", 0)
