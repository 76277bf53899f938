"""Scanned codes of every form resolve to one record, or say clearly why not
(POST /api/v1/scans with action lookup)."""

import pytest

from server.settings import reload_settings
from tests.factories import item, location, mistype, ok, person, receive, units

EAN13 = "4006381333931"
UPC_A = "036000291452"
GS = "\x1d"


def lookup(api, code, status=200):
    answer = api.post("/api/v1/scans", json={"code": code})
    assert answer.status_code == status, answer.text
    return answer.json()


@pytest.fixture
def drill(manager):
    shelf = location(manager, "Shelf A")
    drills = item(manager, tracking="serial", name="Cordless drill DDF485", barcodes=[EAN13])
    [unit] = units(manager, drills["id"], shelf["tag"], serials=["0001"])
    return {"shelf": shelf, "item": drills, "unit": unit}


@pytest.fixture
def old_public_url():
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OLD_PUBLIC_URLS", "https://old.tagtrack.test/app")
        reload_settings()
        yield
    reload_settings()


def test_a_unit_tag_resolves_to_the_unit_with_its_record_and_next_actions(operator, drill):
    tag = drill["unit"]["tag"]
    answer = lookup(operator, f" {tag.lower()}\r\n")
    assert answer["ok"] is True
    assert answer["resolved"]["kind"] == "unit" and answer["resolved"]["tag"] == tag
    assert answer["resolved"]["record"]["serial"] == "0001"
    assert answer["message"] == f"Cordless drill DDF485 {tag} (S/N 0001): available at Shelf A"
    assert answer["actions"] == ["move", "check_out", "audit"]


def test_location_and_person_tags_resolve_with_their_records(operator, manager, drill):
    room = location(manager, "Room 1")
    shelf = location(manager, "Shelf R1", parent=room["tag"])
    dana = person(manager, "Dana Whitfield")
    answer = lookup(operator, shelf["tag"])
    assert answer["resolved"]["kind"] == "location"
    assert answer["resolved"]["record"]["path"] == ["Room 1", "Shelf R1"]
    answer = lookup(operator, dana["tag"])
    assert (answer["resolved"]["kind"], answer["resolved"]["record"]["name"]) == (
        "person",
        "Dana Whitfield",
    )


@pytest.mark.parametrize(
    "url",
    [
        "http://tagtrack.test/u/{tag}",
        "HTTP://TAGTRACK.TEST/U/{tag}",
        "https://old.tagtrack.test/app/u/{tag}",
    ],
)
def test_label_urls_of_the_public_url_and_old_ones_resolve(operator, drill, old_public_url, url):
    answer = lookup(operator, url.format(tag=drill["unit"]["tag"]))
    assert answer["resolved"]["tag"] == drill["unit"]["tag"]


def test_a_label_url_of_another_host_is_not_trusted(operator, drill):
    answer = lookup(operator, f"https://evil.example.com/u/{drill['unit']['tag']}", 404)
    assert answer["ok"] is False and "another site" in answer["message"]
    assert answer["error"]["code"] == "unknown_code"


def test_a_mistyped_tag_is_unknown_and_says_so(operator, drill):
    answer = lookup(operator, mistype(drill["unit"]["tag"]), 404)
    assert "check digit" in answer["message"]


def test_a_serial_resolves_to_its_unit(operator, drill):
    answer = lookup(operator, "0001")
    assert answer["resolved"]["tag"] == drill["unit"]["tag"]


def test_a_serial_used_by_two_items_is_ambiguous_with_both(operator, manager, drill):
    saws = item(manager, tracking="serial", name="Jigsaw")
    units(manager, saws["id"], drill["shelf"]["tag"], serials=["0001"])
    answer = lookup(operator, "0001", 409)
    assert answer["resolved"]["kind"] == "ambiguous"
    assert answer["error"]["code"] == "ambiguous_code"
    labels = sorted(c["label"] for c in answer["resolved"]["candidates"])
    assert labels == ["Cordless drill DDF485 (S/N 0001)", "Jigsaw (S/N 0001)"]


@pytest.mark.parametrize("code", [EAN13, "0" + EAN13])
def test_an_ean_13_or_its_gtin_14_resolves_to_the_item(operator, drill, code):
    answer = lookup(operator, code)
    assert answer["resolved"]["kind"] == "item"
    assert answer["resolved"]["record"]["sku"] == drill["item"]["sku"]
    assert answer["actions"] == ["claim", "audit"]


def test_a_upc_a_resolves_to_the_item_and_a_bad_check_digit_says_so(operator, manager):
    cola = item(manager, name="Cola", barcodes=[UPC_A])
    assert lookup(operator, UPC_A)["resolved"]["id"] == cola["id"]
    answer = lookup(operator, UPC_A[:-1] + "3", 404)
    assert "check digit" in answer["message"]


def test_a_sku_resolves_in_any_case_and_a_badge_to_its_person(operator, manager):
    ties = item(manager, sku="ZIP-100", name="Zip ties")
    dana = person(manager, "Dana Whitfield", badge_code="BADGE-77")
    assert lookup(operator, "zip-100")["resolved"]["id"] == ties["id"]
    assert lookup(operator, "BADGE-77")["resolved"]["tag"] == dana["tag"]


def test_a_lot_code_resolves_and_is_ambiguous_across_items(operator, manager):
    shelf = location(manager)
    gloves = item(manager, tracking="lot", name="Gloves")
    receive(manager, gloves["id"], shelf["tag"], 5, lot="L-2026-7")
    answer = lookup(operator, "L-2026-7")
    assert answer["resolved"]["kind"] == "lot"
    assert answer["resolved"]["record"]["quantity"] == 5
    masks = item(manager, tracking="lot", name="Masks")
    receive(manager, masks["id"], shelf["tag"], 1, lot="L-2026-7")
    assert lookup(operator, "L-2026-7", 409)["resolved"]["kind"] == "ambiguous"


@pytest.mark.parametrize(
    "code",
    [
        f"(01)0{EAN13}(21)0001(10)LOT7(17)271200",
        f"]C1010{EAN13}17271200" + f"10LOT7{GS}210001",
        f"]d2010{EAN13}210001{GS}10LOT7{GS}17271200",
        f"]Q3010{EAN13}10LOT7{GS}210001",
        f"010{EAN13}210001",
    ],
)
def test_gs1_strings_with_serial_resolve_to_the_unit(operator, drill, code):
    answer = lookup(operator, code)
    assert answer["resolved"]["kind"] == "unit", answer
    assert answer["resolved"]["tag"] == drill["unit"]["tag"]


def test_a_gs1_string_with_lot_and_expiry_resolves_to_the_item_with_both(operator, manager):
    gloves = item(manager, tracking="lot", name="Gloves", barcodes=[EAN13])
    answer = lookup(operator, f"(01)0{EAN13}(10)LOT7(17)270200")
    assert answer["resolved"]["id"] == gloves["id"]
    assert answer["resolved"]["lot"] == "LOT7"
    assert answer["resolved"]["expiry"] == "2027-02-28"  # DD=00: the end of the month


def test_an_unclaimed_unit_tag_is_unknown_and_may_be_a_blank_label(operator, drill):
    from server.domain.tags import Tag, TagKind

    answer = lookup(operator, str(Tag(TagKind.UNIT, 999)), 404)
    assert answer["resolved"]["tag"] == str(Tag(TagKind.UNIT, 999))
    assert "blank label" in answer["message"]


def test_a_viewer_may_look_up_but_not_act(viewer, drill):
    answer = viewer.get("/api/v1/scans/lookup", params={"code": drill["unit"]["tag"]})
    assert ok(answer)["resolved"]["tag"] == drill["unit"]["tag"]
    assert viewer.post("/api/v1/scans", json={"code": "x"}).status_code == 403
