"""With no template chosen, a label uses the first built-in template of its kind that fits
the stock: a unit label on 12 mm tape, too narrow for the asset template's QR code beside
Code 128 and three lines, gets the QR-and-lines one instead of a refusal. A template chosen
by name is never swapped. And a unit's permanent tag never prints where the unit is now."""

import io

import pytest
from PIL import Image

from labels import FitError, builtin_for, builtin_stocks, builtin_templates, render_rows
from labels.templates import render_lines
from tests.factories import item, location, problem, units
from tests.labels.conftest import decode, png_image, rasterise_first_page, unit

TAPE = "ptouch-tze-12mm"


def row(data):
    return (data.kind, data.tag, data.url, data.fields)


def test_the_usual_unit_template_does_not_fit_twelve_millimetre_tape():
    with pytest.raises(FitError):
        render_rows("png", [row(unit())], builtin_stocks()[TAPE], builtin_templates()["asset"])


def test_with_the_kinds_templates_the_first_that_fits_is_drawn_and_decodes():
    data = unit()
    body = render_rows("png", [row(data)], builtin_stocks()[TAPE], builtin_for("unit"))
    assert decode(png_image(body)) == {"QRCode": [data.url]}  # the qr template: no Code 128


def test_on_a_stock_where_the_usual_template_fits_it_is_the_one_used():
    data = unit()
    body = render_rows("png", [row(data)], builtin_stocks()["zebra-2x1"], builtin_for("unit"))
    assert decode(png_image(body)) == {"QRCode": [data.url], "Code128": [data.tag]}


def test_the_kinds_templates_start_with_the_usual_one():
    assert [t.key for t in builtin_for("unit")] == ["asset", "qr", "code128"]
    assert [t.key for t in builtin_for("location")] == ["location"]


@pytest.fixture
def drill(manager):
    shelf = location(manager, "Drill rack")
    drill = item(manager, tracking="serial", name="Drill")
    return drill, units(manager, drill["id"], shelf["tag"], count=2)


def test_a_unit_label_on_tape_without_a_template_answers_a_label(viewer, drill):
    tag = drill[1][0]["tag"]
    answer = viewer.get(f"/api/v1/labels/{tag}", params={"stock": TAPE, "format": "png"})
    assert answer.status_code == 200, answer.text
    image = Image.open(io.BytesIO(answer.content))
    assert decode(image) == {"QRCode": [f"http://tagtrack.test/u/{tag}"]}


def test_a_template_chosen_by_name_is_refused_rather_than_swapped(viewer, drill):
    tag = drill[1][0]["tag"]
    answer = viewer.get(f"/api/v1/labels/{tag}",
                        params={"stock": TAPE, "format": "png", "template": "asset"})
    problem(answer, 422)


def test_a_batch_on_tape_without_a_template_is_printed(manager, drill):
    answer = manager.post("/api/v1/labels", json={"item": drill[0]["id"], "stock": TAPE,
                                                  "format": "pdf"})
    assert answer.status_code == 200, answer.text
    first = drill[1][0]["tag"]
    image = rasterise_first_page(answer.content, 600)
    assert decode(image) == {"QRCode": [f"http://tagtrack.test/u/{first}"]}


def test_unit_templates_print_the_organisation_never_the_location():
    data = unit(location="Main warehouse > Room 2", org="Acme Coffee Co.")
    for template in builtin_for("unit"):
        assert not any("Main warehouse" in line for line in render_lines(template, data))
    assert render_lines(builtin_templates()["asset"], data)[2] == "Acme Coffee Co."
    no_org = unit(location="Main warehouse > Room 2", org="")
    assert render_lines(builtin_templates()["asset"], no_org)[2] == ""  # the line is left out


def test_a_units_label_from_the_api_holds_no_location(viewer, drill):
    tag = drill[1][0]["tag"]
    svg = ok_text(viewer.get(f"/api/v1/labels/{tag}", params={"format": "svg"}))
    assert "Drill rack" not in svg and "Drill" in svg


def ok_text(answer):
    assert answer.status_code == 200, answer.text
    return answer.text

