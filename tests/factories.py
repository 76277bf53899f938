"""Factories: build what a test needs through the API, with readable defaults."""

from __future__ import annotations

import itertools
from typing import Any

_n = itertools.count(1)


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code in (status, 201), (response.status_code, response.text)
    return response.json()


def location(api: Any, name: str | None = None, parent: Any = None) -> dict[str, Any]:
    body = {"name": name or f"Shelf {next(_n)}"}
    if parent is not None:
        body["parent"] = parent
    return ok(api.post("/api/v1/locations", json=body), 201)


def person(api: Any, name: str | None = None, **fields: Any) -> dict[str, Any]:
    return ok(api.post("/api/v1/people", json={"name": name or f"Person {next(_n)}", **fields}),
              201)


def item(api: Any, tracking: str = "quantity", **fields: Any) -> dict[str, Any]:
    n = next(_n)
    body = {"sku": f"SKU-{n}", "name": f"Item {n}", "tracking": tracking, **fields}
    return ok(api.post("/api/v1/items", json=body), 201)


def units(api: Any, item_id: int, location_ref: Any, **fields: Any) -> list[dict[str, Any]]:
    body = {"item": item_id, "location": location_ref, **fields}
    if not any(k in body for k in ("count", "serials", "serial_pattern")):
        body["count"] = 1
    return ok(api.post("/api/v1/units", json=body), 201)["units"]


def receive(api: Any, item_id: int, location_ref: Any, quantity: int, **fields: Any) -> Any:
    return ok(api.post("/api/v1/stock/receive", json={"item": item_id, "location": location_ref,
                                                      "quantity": quantity, **fields}), 201)


def event_count(api: Any) -> int:
    """How many events the history holds (walks every page)."""
    total, before = 0, None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if before is not None:
            params["before"] = before
        page = ok(api.get("/api/v1/events", params=params))
        total += len(page["events"])
        before = page["next_before"]
        if before is None:
            return total


def on_hand(api: Any, item_id: int, location_ref: Any = None) -> int:
    """The item's count at one location (or everywhere), summed over lots."""
    params: dict[str, Any] = {"item": str(item_id), "limit": 500}
    if location_ref is not None:
        params["location"] = str(location_ref)
    return sum(row["quantity"] for row in ok(api.get("/api/v1/stock", params=params))["stock"])


def mistype(tag: str) -> str:
    """The same tag with its check digit changed: what a slip of the finger gives."""
    return tag[:-1] + str((int(tag[-1]) + 1) % 10)


def problem(response: Any, status: int, field: str | None = None) -> dict[str, Any]:
    """Assert an RFC 9457 problem of this status (naming `field`, if given) and return it."""
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    if field is not None:
        assert body.get("field") == field, body
    return body
