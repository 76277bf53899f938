"""The demo catalog gives every report something to show (months of loans, a shrinking
counted item, a cheap serialized item, a costly counted item, repairs, overdue loans, low
stock), and its back-dated history passes verify (the client fixture checks it)."""

import datetime as dt

from server.services.demo import load_demo
from tests.factories import ok


def test_every_report_has_rows_on_the_demo(client, manager):
    with client.portal() as portal:
        assert portal.call(load_demo) is True
    reports = {name: ok(manager.get(f"/api/v1/reports/{name}", params=params))
               for name, params in (("low-stock", {}), ("stock-value", {"by": "category"}),
                                    ("loans-by-person", {}), ("overdue", {}),
                                    ("repairs", {}), ("shrinkage", {}))}
    assert all(body["rows"] for body in reports.values()), {
        n: b["total"] for n, b in reports.items()}
    people = reports["loans-by-person"]["rows"]
    assert sum(p["check_outs"] for p in people) >= 50  # months of loans
    assert any(p["on_time_share"] is not None and p["on_time_share"] < 1 for p in people)
    shrunk = {r["sku"] for r in reports["shrinkage"]["rows"]}
    assert {"EL-BAT-AA4", "IT-LAP-14"} <= shrunk  # batteries short at counts; a laptop lost
    assert reports["low-stock"]["rows"][0]["sku"] == "EL-BAT-AA4"
    assert max(r["days_overdue"] for r in reports["overdue"]["rows"]) >= 5
    first = (dt.datetime.now(dt.UTC) - dt.timedelta(days=100)).date()
    early = ok(manager.get("/api/v1/reports/loans-by-person",
                           params={"start": first.isoformat(),
                                   "end": (first + dt.timedelta(days=14)).isoformat()}))
    assert early["rows"], "loans four months ago"
    then = ok(manager.get("/api/v1/reports/stock-value",
                          params={"as_of": first.isoformat(), "by": "category"}))
    assert then["totals"]["value"] != reports["stock-value"]["totals"]["value"]
