"""The scanning page's modes beyond a plain scan, in a real browser against a real server:
the kiosk at the door, undo of the last move, and counted items that leave from a place
the person picks. They use the demo's espresso machines and coffee beans, so the drills
stay as test_scan_page expects them."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Server, open_scan, scanner, wait_row, wait_until

MACHINES = "EQ-ESP-LM-LINEA"
BEANS, BEANS_EAN = "COF-ESP-1KG", "4006381333931"


def test_kiosk_checks_a_unit_out_to_the_badge_holder_then_waits_for_the_next_badge(
    phone: Any, server: Server
) -> None:
    machine = server.units(MACHINES)[0]
    dana = server.person("Dana Whitfield")
    open_scan(phone, "?mode=kiosk&reset=1500")  # the pause before the reset, in ms

    scanner(phone, "BADGE-1001")  # Dana's badge code, resolved by the server
    phone.wait_for_function(f"() => document.querySelector('#ctx-person').dataset.tag === '{dana}'")
    scanner(phone, machine)
    wait_row(phone, "ok", machine)
    held = server.unit(machine)
    assert (held["status"], held["custodian"]["tag"]) == ("checked_out", dana)

    phone.wait_for_function("() => document.querySelector('#ctx-person').dataset.tag === ''")
    assert phone.text_content("#kiosk-turn") == "Nobody yet"
    assert phone.text_content("#banner-title") == "Welcome"

    scanner(phone, machine)  # scanned on its own, with nobody's badge first: a return
    phone.wait_for_function(
        "() => document.querySelectorAll('#recent li[data-state=ok]').length === 2")
    back = server.unit(machine)
    assert (back["status"], back["custodian"]) == ("available", None)


def test_undo_puts_the_last_moved_unit_back_where_it_was(phone: Any, server: Server) -> None:
    machine = server.units(MACHINES)[1]
    before = server.unit(machine)["location"]["tag"]
    shelf = server.location("Shelf B3")
    assert before != shelf
    open_scan(phone, f"?mode=move&location={shelf}")

    scanner(phone, machine)
    wait_row(phone, "ok", machine)
    assert server.unit(machine)["location"]["tag"] == shelf
    phone.click("#undo")
    phone.wait_for_function(
        "() => document.querySelector('#banner-title').textContent.startsWith('Undone')"
    )
    assert server.unit(machine)["location"]["tag"] == before
    kinds = [e["kind"] for e in server.api("GET", f"/api/v1/units/{machine}/history")["events"]]
    assert kinds[:2] == ["unit.moved", "unit.moved"]


def test_a_count_of_beans_moves_from_the_shelf_the_person_picks(phone: Any, server: Server) -> None:
    shelf_a1, stockroom = server.location("Shelf A1"), server.location("Stockroom")
    before = server.stock(BEANS)
    assert before[shelf_a1] >= 3
    open_scan(phone, f"?mode=move&location={stockroom}")
    phone.fill("#ctx-qty", "3")
    phone.evaluate("document.activeElement.blur()")  # the scanner types into no field

    scanner(phone, BEANS_EAN)
    phone.wait_for_selector("#source-box:not([hidden])")
    options = phone.eval_on_selector_all(
        "#pick-source option", "os => os.map(o => [o.value, o.textContent])"
    )
    assert all(not text.startswith("Stockroom") for _, text in options)  # not the target
    phone.select_option("#pick-source", next(v for v, t in options if t.startswith("Shelf A1")))
    phone.click("#source-send")

    row = wait_row(phone, "ok", "moved from Shelf A1 to Stockroom")
    assert "3" in (row.text_content() or "")
    assert phone.is_hidden("#source-box")
    wait_until(
        phone,
        lambda: server.stock(BEANS).get(stockroom, 0) == before.get(stockroom, 0) + 3,
        "3 bags to reach the Stockroom",
    )
    after = server.stock(BEANS)
    assert after[shelf_a1] == before[shelf_a1] - 3


def test_an_audit_started_elsewhere_is_counted_on_the_phone(phone: Any, server: Server) -> None:
    """The audits page starts an audit and opens the scanning page on it
    (/scan?mode=audit&audit=ID): the phone shows the location and the count fills in."""
    rack = server.location("Drill rack")
    audit = server.api("POST", "/api/v1/audits", json={"location": rack})
    audit_id, expected = audit["audit"]["id"], audit["totals"]["expected"]
    on_rack = [t for t in server.drills()
               if server.unit(t)["location"]["tag"] == rack
               and server.unit(t)["status"] == "available"]
    assert expected >= 1 and on_rack
    open_scan(phone, f"?mode=audit&audit={audit_id}")
    phone.wait_for_function(
        f"() => document.querySelector('#ctx-location').dataset.tag === '{rack}'")
    assert phone.text_content("#audit-found") == f"0 of {expected} found"

    scanner(phone, on_rack[0])
    phone.wait_for_function(
        "() => document.querySelector('#audit-found').textContent.startsWith('1 of')")
    report = server.api("GET", f"/api/v1/audits/{audit_id}")
    assert report["totals"]["found"] == 1
    assert on_rack[0] in [line["unit"]["tag"] for line in report["found"]]
    server.api("POST", f"/api/v1/audits/{audit_id}/finish")  # leave no audit open
