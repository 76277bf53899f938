"""Sheets: start at label N, labels per page, cut borders; rolls: one page per label."""

from __future__ import annotations

import pytest
import zxingcpp
from conftest import SAMPLES, page_sizes, rasterise_first_page, unit

from labels import LabelError, builtin_stocks, builtin_templates
from labels.render import render_pdf

STOCKS = builtin_stocks()
QR = builtin_templates()["qr"]


def qr_slots(pdf: bytes, key: str) -> list[tuple[int, str]]:
    """(slot index, payload) of each QR code on the first page, from its position."""
    stock = STOCKS[key]
    image = rasterise_first_page(pdf, 100)
    dots_per_mm = 100 / 25.4
    slots = []
    for result in zxingcpp.read_barcodes(image):
        x = result.position.top_left.x / dots_per_mm - stock.margin_left_mm
        y = result.position.top_left.y / dots_per_mm - stock.margin_top_mm
        slot = int(y // stock.pitch_y_mm) * stock.columns + int(x // stock.pitch_x_mm)
        slots.append((slot + 1, result.text))
    return sorted(slots)


def test_start_at_skips_the_used_positions_of_a_part_used_sheet():
    labels = [unit(1), unit(2)]
    pdf = render_pdf(labels, STOCKS["avery-l7163"], QR, start_at=5)
    assert qr_slots(pdf, "avery-l7163") == [(5, labels[0].url), (6, labels[1].url)]


def test_labels_flow_onto_new_pages_when_the_sheet_is_full():
    stock = STOCKS["avery-5160"]
    pdf = render_pdf([unit(i) for i in range(31)], stock, QR)
    assert len(page_sizes(pdf)) == 2
    pdf = render_pdf([unit(i) for i in range(3)], stock, QR, start_at=29)
    assert len(page_sizes(pdf)) == 2  # positions 29 and 30, then the first of a new sheet


def test_a_full_sheet_has_one_label_per_position():
    pdf = render_pdf([unit(i) for i in range(14)], STOCKS["avery-l7163"], QR)
    assert [slot for slot, _ in qr_slots(pdf, "avery-l7163")] == list(range(1, 15))


def test_start_at_out_of_range_is_refused():
    with pytest.raises(LabelError) as info:
        render_pdf([unit()], STOCKS["avery-5160"], QR, start_at=31)
    assert info.value.field == "start_at"


def test_cut_borders_outline_each_printed_label():
    stock = STOCKS["avery-5160"]
    images = [
        rasterise_first_page(render_pdf([unit()], stock, QR, cut_borders=borders), 150)
        for borders in (False, True)
    ]
    px = 150 / 25.4
    left_edge = stock.margin_left_mm
    box = (int((left_edge - 0.5) * px), int(20 * px), int((left_edge + 0.5) * px), int(30 * px))
    assert images[0].crop(box).getextrema()[0] == 255
    assert images[1].crop(box).getextrema()[0] < 250


def test_roll_pdf_has_one_exact_page_per_label():
    stock = STOCKS["dymo-30334"]
    pdf = render_pdf([unit(1), unit(2), unit(3)], stock, QR)
    pt = 72 / 25.4
    assert page_sizes(pdf) == [pytest.approx((stock.width_mm * pt, stock.height_mm * pt))] * 3


def test_empty_label_list_is_refused():
    with pytest.raises(LabelError):
        render_pdf([], STOCKS["avery-5160"], QR)
    assert SAMPLES
