"""Stocks: built-ins are valid and exact, custom ones load from TOML or JSON with clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import SAMPLES, page_sizes

from labels import LabelError, StockError, builtin_stocks, builtin_templates, load_stocks
from labels.render import render_pdf

STOCKS = builtin_stocks()
PT = 72 / 25.4


def test_builtin_stocks_cover_sheets_and_each_printer_family():
    printers = {s.printer for s in STOCKS.values()}
    assert printers == {"laser", "zebra", "dymo", "brother", "ptouch"}
    assert STOCKS["avery-5160"].per_page == 30 and STOCKS["avery-l7160"].per_page == 21
    assert STOCKS["zebra-4x6"].width_dots == 812 and STOCKS["zebra-4x6"].height_dots == 1218


def test_tape_printable_height_is_less_than_the_tape_width():
    tape = STOCKS["ptouch-tze-12mm"]
    printable = tape.height_dots - 2 * tape.dots(tape.inset_y_mm)
    assert 60 < printable <= 70  # a 180 dpi head prints 70 dots (9.9 mm) on 12 mm tape


@pytest.mark.parametrize("key", list(STOCKS))
def test_pdf_page_size_is_exact_to_the_stock(key: str):
    stock = STOCKS[key]
    pdf = render_pdf([SAMPLES["blank"]], stock, builtin_templates()["blank"])
    (width, height) = page_sizes(pdf)[0]
    if stock.media == "sheet":
        assert (width, height) == pytest.approx(
            (stock.page_width_mm * PT, stock.page_height_mm * PT)
        )
    else:
        assert (width, height) == pytest.approx((stock.width_mm * PT, stock.height_mm * PT))


def test_continuous_roll_length_is_configurable_and_die_cut_is_not():
    longer = STOCKS["brother-dk22205"].with_length(29)
    assert longer.width_mm == 29 and longer.height_mm == 62
    with pytest.raises(StockError) as info:
        STOCKS["dymo-30334"].with_length(40)
    assert info.value.field == "length_mm"


def test_custom_stocks_load_from_toml(tmp_path: Path):
    path = tmp_path / "stocks.toml"
    path.write_text(
        '[stocks.tiny-zebra]\nname = "Zebra 1.5 x 1"\nmedia = "roll"\nprinter = "zebra"\n'
        "dpi = 300\nwidth_mm = 38.1\nheight_mm = 25.4\n"
    )
    stock = load_stocks(path)["tiny-zebra"]
    assert stock.width_dots == 450 and stock.height_dots == 300


def test_custom_stocks_load_from_json(tmp_path: Path):
    path = tmp_path / "stocks.json"
    sheet = {
        "name": "A4 2x2",
        "media": "sheet",
        "width_mm": 100,
        "height_mm": 140,
        "page_width_mm": 210,
        "page_height_mm": 297,
        "columns": 2,
        "rows": 2,
        "margin_left_mm": 4,
        "margin_top_mm": 8,
        "pitch_x_mm": 102,
        "pitch_y_mm": 140,
    }
    path.write_text(json.dumps({"stocks": {"a4-4up": sheet}}))
    assert load_stocks(path)["a4-4up"].per_page == 4


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ('name = "x"\nmedia = "roll"\nwidth_mm = 50', "height_mm", "required"),
        ('name = "x"\nmedia = "tube"\nwidth_mm = 50\nheight_mm = 20', "media", "one of"),
        ('name = "x"\nmedia = "roll"\nwidth_mm = "50"\nheight_mm = 20', "width_mm", "number"),
        ('name = "x"\nmedia = "roll"\nwidth_mm = 50\nheight_mm = 20\ndpi = 20', "dpi", "between"),
        (
            'name = "x"\nmedia = "roll"\nwidth_mm = 50\nheight_mm = 20\ncolour = 1',
            "colour",
            "unknown",
        ),
        (
            'name = "x"\nmedia = "sheet"\nwidth_mm = 80\nheight_mm = 20\npage_width_mm = 210\n'
            "page_height_mm = 297\ncolumns = 3\nrows = 1\npitch_x_mm = 80",
            "columns",
            "past the page width",
        ),
        (
            'name = "x"\nmedia = "sheet"\nwidth_mm = 60\nheight_mm = 20\npage_width_mm = 210\n'
            "page_height_mm = 297\ncolumns = 3\nrows = 1\npitch_x_mm = 50",
            "pitch_x_mm",
            "overlap",
        ),
    ],
)
def test_invalid_custom_stock_names_the_field_and_reason(
    tmp_path: Path, body: str, field: str, reason: str
):
    path = tmp_path / "bad.toml"
    path.write_text(f"[stocks.bad]\n{body}\n")
    with pytest.raises(StockError) as info:
        load_stocks(path)
    assert info.value.field == field
    assert reason in info.value.message and "bad" in info.value.message


def test_unreadable_or_malformed_stock_files_raise(tmp_path: Path):
    with pytest.raises(StockError, match="cannot read"):
        load_stocks(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[stocks\n")
    with pytest.raises(LabelError, match="not valid"):
        load_stocks(broken)
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(StockError) as info:
        load_stocks(empty)
    assert info.value.field == "stocks"
