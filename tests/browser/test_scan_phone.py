"""The scanning page held in one hand (390x844): every mode in reach without a sideways
swipe, the code field at the top while no camera runs, a refused code left in the field to
fix, the chosen target surviving an offline reload, and banners that say each thing once.
Screenshots at phone and desktop size land in the test's tmp directory (and docs/img when
TAGTRACK_SCREENSHOTS is set)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from tests.browser.conftest import (
    Server,
    open_scan,
    scanner,
    wait_for_service_worker,
    wait_row,
    wait_until,
)

SHOTS = os.environ.get("TAGTRACK_SCREENSHOTS")


def _shot(page: Any, tmp_path: Path, name: str) -> None:
    page.screenshot(path=str(tmp_path / name), full_page=True)
    if SHOTS:
        page.screenshot(path=str(Path(SHOTS) / name), full_page=True)


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not laid out"
    return dict(box)


def test_every_mode_is_in_view_at_phone_size_without_a_sideways_scroll(
    phone: Any, tmp_path: Path
) -> None:
    open_scan(phone, "?mode=move&camera=off")
    width = phone.viewport_size["width"]
    modes = phone.locator("#modes button")
    assert modes.count() == 8
    for i in range(modes.count()):
        box = modes.nth(i).bounding_box()
        name = modes.nth(i).text_content()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, name
        assert box["height"] >= 40, name  # still a thumb's target
    overflowing = phone.evaluate(
        "() => [...document.querySelectorAll('#modes button')]"
        ".filter(b => b.scrollWidth > b.clientWidth).map(b => b.textContent)"
    )
    assert not overflowing, "words wider than their button"
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= width
    nav = phone.evaluate(
        "() => { const n = document.querySelector('#modes');"
        " return [n.scrollWidth, n.clientWidth]; }"
    )
    assert nav[0] <= nav[1], "the mode bar scrolls sideways"
    _shot(phone, tmp_path, "scan-phone.png")

    phone.set_viewport_size({"width": 1280, "height": 800})
    boxes = [modes.nth(i).bounding_box() for i in range(modes.count())]
    assert len({round(b["y"]) for b in boxes}) == 1, "at desktop size the modes share one row"
    assert not phone.evaluate(
        "() => [...document.querySelectorAll('#modes button')]"
        ".filter(b => b.scrollWidth > b.clientWidth).map(b => b.textContent)"
    )
    _shot(phone, tmp_path, "scan-desktop.png")


def test_with_no_camera_running_the_code_field_sits_at_the_top(phone: Any) -> None:
    open_scan(phone, "?mode=lookup&camera=off")
    field, viewer = _box(phone, "#code"), _box(phone, ".viewer")
    assert field["y"] + field["height"] <= viewer["y"], "the code field is below the camera"
    assert field["y"] + field["height"] < 844 / 2, "the code field is not near the top"
    assert viewer["height"] < 120, "an empty camera box takes the screen"


def test_a_refused_code_stays_in_the_field_selected_and_a_good_one_clears_it(
    phone: Any, server: Server
) -> None:
    unit = server.units("EQ-ESP-LM-LINEA")[0]
    wait_until(phone, lambda: server.unit(unit)["status"] == "available", "the machine back")
    open_scan(phone, "?mode=check_in&camera=off")
    phone.fill("#code", unit)  # not checked out: a check-in is refused
    phone.press("#code", "Enter")
    wait_row(phone, "refused", unit)
    assert phone.input_value("#code") == unit
    selected = phone.evaluate(
        "() => { const i = document.querySelector('#code');"
        " return [document.activeElement === i, i.selectionStart, i.selectionEnd]; }"
    )
    assert selected == [True, 0, len(unit)]

    phone.click('#modes [data-mode="lookup"]')
    phone.fill("#code", unit)
    phone.press("#code", "Enter")
    wait_row(phone, "ok", unit)
    phone.wait_for_function("() => document.querySelector('#code').value === ''")


def test_a_banner_does_not_say_its_sentence_twice(phone: Any, server: Server) -> None:
    unit = server.drills()[1]
    open_scan(phone, f"?mode=receive&location={server.location('Shelf B3')}&camera=off")
    scanner(phone, unit)  # refused: the server's sentence is both message and error detail
    wait_row(phone, "refused", "Scan a unit, an item or a lot to receive")
    title = (phone.text_content("#banner-title") or "").strip()
    text = (phone.text_content("#banner-text") or "").strip()
    assert title
    sentence = title.lower().rstrip(".")
    assert sentence not in text.lower(), (title, text)
    row = phone.locator('#recent li[data-state="refused"]').first
    assert sentence not in (row.locator("small").text_content() or "").lower()


def test_the_target_location_survives_an_offline_reload_and_queued_scans_carry_it(
    phone: Any, server: Server
) -> None:
    unit = server.drills()[5]
    target = server.location("Bin B3-1")
    if server.unit(unit)["location"]["tag"] == target:
        target = server.location("Shelf A1")
    name = server.api("GET", f"/api/v1/locations/{target}")["name"]
    open_scan(phone, "?mode=move&camera=off")
    wait_for_service_worker(phone)
    scanner(phone, target)
    phone.wait_for_function(
        f"() => document.querySelector('#ctx-location').dataset.tag === '{target}'"
    )

    phone.context.set_offline(True)
    phone.wait_for_selector('#net[data-state="offline"]')
    phone.goto("/scan")  # reopened from the home screen, offline: no query string
    phone.wait_for_selector("body[data-ready=true]")
    assert phone.get_attribute("#ctx-location", "data-tag") == target
    assert phone.text_content("#ctx-location") == name
    assert phone.get_attribute('#modes [data-mode="move"]', "aria-pressed") == "true"

    scanner(phone, unit)
    phone.wait_for_selector('#queue[data-count="1"]')
    phone.context.set_offline(False)
    phone.wait_for_selector('#queue[data-count="0"]', state="attached")
    wait_until(
        phone,
        lambda: server.unit(unit)["location"]["tag"] == target,
        "the queued move to reach its target",
    )
