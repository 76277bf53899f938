"""The audit page: the report, then finish and confirm from the browser."""

from tests.factories import item, location, ok, units


def start_audit(manager, operator):
    shelf = location(manager, "Drill rack")
    other = location(manager, "Bench")
    drill = item(manager, tracking="serial", name="Cordless drill")
    made = units(manager, drill["id"], shelf["tag"], count=2)
    stray = units(manager, drill["id"], other["tag"])[0]
    audit = ok(operator.post("/api/v1/audits", json={"location": shelf["tag"]}), 201)
    audit_id = audit["audit"]["id"]
    for code in (made[0]["tag"], stray["tag"]):
        ok(operator.post(f"/api/v1/audits/{audit_id}/scans", json={"code": code}))
    return audit_id, made, stray, shelf


def test_the_audit_page_lists_missing_and_unexpected_units(manager, operator, viewer):
    audit_id, made, stray, _ = start_audit(manager, operator)
    html = viewer.get(f"/audits/{audit_id}").text
    assert "Missing (1)" in html and made[1]["tag"] in html
    assert "Not expected here (1)" in html and stray["tag"] in html
    assert "Finish the audit" not in html  # a viewer gets no forms


def test_an_operator_finishes_and_confirms_an_audit_from_its_page(manager, operator):
    audit_id, _, stray, shelf = start_audit(manager, operator)
    finish = operator.post(f"/audits/{audit_id}/finish", follow_redirects=False)
    assert finish.status_code == 303
    confirm = operator.post(f"/audits/{audit_id}/confirm", follow_redirects=False,
                            data={"move_unexpected": "on", "adjust_counts": "on"})
    assert confirm.status_code == 303
    moved = ok(operator.get(f"/api/v1/units/{stray['tag']}"))
    assert moved["location"]["tag"] == shelf["tag"]
    assert moved["last_audited_at"] is not None
    assert ok(operator.get(f"/api/v1/audits/{audit_id}"))["audit"]["status"] == "confirmed"


def test_a_viewer_cannot_confirm_an_audit(manager, operator, viewer):
    audit_id, *_ = start_audit(manager, operator)
    assert viewer.post(f"/audits/{audit_id}/finish").status_code == 403


def test_an_operator_starts_an_audit_from_the_audits_page(manager, operator, viewer):
    room = location(manager, "Store room")
    shelf = location(manager, "Shelf", parent=room["tag"])
    drill = item(manager, tracking="serial", name="Cordless drill")
    units(manager, drill["id"], shelf["tag"], count=2)
    started = operator.post("/audits", data={"location": room["tag"],
                                             "include_sublocations": "on"},
                            headers={"Accept": "text/html"}, follow_redirects=False)
    assert started.status_code == 303
    assert started.headers["location"].startswith("/scan?mode=audit&audit=")
    audit_id = int(started.headers["location"].rsplit("=", 1)[1])
    report = ok(operator.get(f"/api/v1/audits/{audit_id}"))
    assert report["audit"]["include_sublocations"] is True
    assert report["totals"]["expected"] == 2
    assert f"/scan?mode=audit&amp;audit={audit_id}" in operator.get(f"/audits/{audit_id}").text

    refused = operator.post("/audits", data={"location": ""}, headers={"Accept": "text/html"})
    assert refused.status_code == 422
    assert 'id="start-location-error"' in refused.text
    assert "Start an audit" not in viewer.get("/audits").text
    assert viewer.post("/audits", data={"location": room["tag"]}).status_code == 403
