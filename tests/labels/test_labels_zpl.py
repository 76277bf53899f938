"""ZPL: one ^XA..^XZ per label, sized by the stock, the printer draws QR and Code 128."""

from __future__ import annotations

import re

import pytest
from conftest import unit

from labels import LabelData, LabelError, builtin_stocks, builtin_templates, layout_label
from labels.elements import BarElement, QrElement
from labels.render import render_zpl
from labels.zpl import field_data

STOCKS = builtin_stocks()
ASSET = builtin_templates()["asset"]


def test_each_label_is_one_block_with_size_and_utf8():
    labels = [unit(1), unit(2), unit(3)]
    zpl = render_zpl(labels, STOCKS["zebra-2x1"], ASSET)
    blocks = re.findall(r"\^XA.*?\^XZ", zpl, re.S)
    assert len(blocks) == 3 and zpl.count("^XA") == 3
    for block, data in zip(blocks, labels, strict=True):
        assert "^PW406" in block and "^LL203" in block and "^CI28" in block
        assert f"A,{data.url}^FS" in block
        assert f"^FD{data.tag}^FS" in block


def test_codes_use_the_layout_positions_and_module_sizes():
    stock = STOCKS["zebra-3x2"]
    layout = layout_label(unit(), stock, ASSET)
    zpl = render_zpl([unit()], stock, ASSET)
    qr = next(el for el in layout.elements if isinstance(el, QrElement))
    bars = next(el for el in layout.elements if isinstance(el, BarElement))
    assert f"^FO{qr.x},{qr.y}^BQN,2,{qr.module}^FH^FD{qr.ec}A," in zpl
    assert f"^FO{bars.x},{bars.y}^BY{bars.module}^BCN,{bars.height},N,N,N,A" in zpl


def test_text_is_escaped_for_field_hex():
    data = LabelData("unit", "U-0000001", "https://x.example/u/U-0000001", {"name": "a^b~c_d é"})
    zpl = render_zpl([data], STOCKS["zebra-4x6"], ASSET)
    assert "a_5Eb_7Ec_5Fd é" in zpl
    assert field_data("^~_") == "_5E_7E_5F"


def test_zpl_for_a_sheet_stock_is_refused():
    with pytest.raises(LabelError) as info:
        render_zpl([unit()], STOCKS["avery-5160"], ASSET)
    assert info.value.field == "stock"
