"""A varied catalog for the export tests: every kind, nested locations, custom fields of
every type, lots with and without expiry, units with serials, custodians and conditions,
and text that a spreadsheet would run as a formula."""

from __future__ import annotations

from typing import Any

from tests.factories import ok

DRILL_FIELDS = [
    {"key": "voltage", "type": "number", "label": "Voltage"},
    {"key": "colour", "type": "choice", "label": "Colour", "choices": ["red", "green"]},
    {"key": "calibrated", "type": "date", "label": "Calibrated on"},
    {"key": "insured", "type": "boolean", "label": "Insured"},
    {"key": "note", "type": "text", "label": "Note"},
    {"key": "status_note", "type": "text", "label": "Status"},  # a standard column's label
]


def build(api: Any) -> dict[str, Any]:
    def post(path: str, body: dict[str, Any]) -> Any:
        return ok(api.post(path, json=body), 201)

    main = post("/api/v1/locations", {"name": "Main warehouse"})
    room = post("/api/v1/locations", {"name": "Stockroom", "parent": main["tag"]})
    shelf = post("/api/v1/locations", {"name": "Shelf B3", "parent": room["tag"]})
    cage = post("/api/v1/locations", {"name": "Cage", "parent": main["tag"]})
    van = post("/api/v1/locations", {"name": "Van 2 \u2013 Café run"})
    ana = post("/api/v1/people", {"name": "Ana Ruiz", "email": "ana@example.com",
                                  "badge_code": "B-0001"})
    bob = post("/api/v1/people", {"name": "Bob Stone", "badge_code": "B-0002"})
    post("/api/v1/people", {"name": "Chloé Dupont", "email": "chloe@example.com"})
    ties = post("/api/v1/items", {
        "sku": "ZIP-TIE-200", "name": "Zip ties 200 mm", "tracking": "quantity",
        "category": "Consumables", "unit_of_measure": "bag", "barcodes": ["4006381333931"],
        "reorder_point": 10, "unit_cost": "3.25", "description": "=HYPERLINK(\"x\")",
        "loan_days": 7, "allow_negative": True})
    saline = post("/api/v1/items", {"sku": "SALINE-500", "name": "Saline 500 ml",
                                    "tracking": "lot", "category": "Medical"})
    drill = post("/api/v1/items", {"sku": "DRILL-18V", "name": "Drill 18 V",
                                   "tracking": "serial", "category": "Tools",
                                   "custom_fields": DRILL_FIELDS, "unit_cost": "129.00"})
    laptop = post("/api/v1/items", {"sku": "LAPTOP-14", "name": "+Laptop 14\"",
                                    "tracking": "serial"})
    post("/api/v1/stock/receive", {"item": ties["id"], "location": shelf["tag"],
                                   "quantity": 40})
    post("/api/v1/stock/receive", {"item": ties["id"], "location": cage["tag"],
                                   "quantity": 5})
    post("/api/v1/stock/receive", {"item": saline["id"], "location": shelf["tag"],
                                   "quantity": 12, "lot": "L-2026-01",
                                   "expires_on": "2027-03-31"})
    post("/api/v1/stock/receive", {"item": saline["id"], "location": cage["tag"],
                                   "quantity": 3, "lot": "-L2"})
    drills = post("/api/v1/units", {
        "item": drill["id"], "location": room["tag"], "serials": ["SN-001", "SN-002"],
        "purchase_date": "2025-02-03", "purchase_cost": "119.50",
        "warranty_end": "2028-02-03",
        "custom": {"voltage": 18, "colour": "red", "calibrated": "2026-05-01",
                   "insured": True, "note": "@check", "status_note": "spare"}})["units"]
    more = post("/api/v1/units", {"item": drill["id"], "location": van["tag"],
                                  "serials": ["SN-003"], "condition": "needs_repair",
                                  "custom": {"voltage": 18.5, "insured": False}})["units"]
    laptops = post("/api/v1/units", {"item": laptop["id"], "location": shelf["tag"],
                                     "count": 2})["units"]
    ok(api.post(f"/api/v1/units/{drills[0]['tag']}/check-out",
                json={"person": ana["tag"], "allow_past_due": True}))
    ok(api.post(f"/api/v1/units/{laptops[0]['tag']}/check-out", json={"person": bob["tag"]}))
    return {"locations": [main, room, shelf, cage, van], "items": [ties, saline, drill, laptop],
            "units": drills + more + laptops, "people": [ana, bob]}
