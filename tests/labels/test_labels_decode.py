"""Every built-in stock x every built-in template: decoded by a real decoder, or refused."""

from __future__ import annotations

import pytest
from conftest import SAMPLES, decode, first_label_crop, png_image, rasterise_first_page

from labels import FitError, builtin_stocks, builtin_templates, layout_label
from labels.elements import BarElement, QrElement
from labels.render import render_pdf, render_png

STOCKS = builtin_stocks()
TEMPLATES = builtin_templates()
# Refused on purpose: a 12 mm tape prints 9.9 mm high, too little for a QR code above or
# beside a Code 128 at legible sizes.
REFUSED = {("ptouch-tze-12mm", "asset")}
# Where each template must fit (what it is meant for); the full matrix is checked below.
MEANT_FOR = {
    "asset": ["avery-5160", "avery-l7160", "avery-l7163", "zebra-2x1", "dymo-30334"],
    "qr": ["avery-5167", "ptouch-tze-12mm", "dymo-11355", "brother-dk11204"],
    "code128": ["avery-5167", "ptouch-tze-12mm", "dymo-30336"],
    "location": ["avery-l7163", "brother-dk11201", "zebra-3x2", "zebra-4x6"],
    "badge": ["dymo-30334", "brother-dk22205", "avery-l7160"],
    "blank": ["avery-l6145", "avery-5167", "ptouch-tze-24mm"],
}
COMBOS = [(s, t) for s in STOCKS for t in TEMPLATES]


def expected(template_key: str) -> dict[str, list[str]]:
    template = TEMPLATES[template_key]
    data = SAMPLES[template.kinds[0]]
    out: dict[str, list[str]] = {}
    if template.qr:
        out["QRCode"] = [data.url]
    if template.code128:
        out["Code128"] = [data.tag]
    return out


@pytest.mark.parametrize(("stock_key", "template_key"), COMBOS)
def test_png_and_pdf_decode_to_the_payloads_or_are_refused(stock_key: str, template_key: str):
    stock, template = STOCKS[stock_key], TEMPLATES[template_key]
    data = SAMPLES[template.kinds[0]]
    if (stock_key, template_key) in REFUSED:
        with pytest.raises(FitError, match=stock_key) as info:
            render_png(data, stock, template)
        assert info.value.field in {"qr", "code128", "lines"}
        return
    image = png_image(render_png(data, stock, template))
    assert image.size == (stock.width_dots, stock.height_dots)
    assert decode(image) == expected(template_key)
    pdf = render_pdf([data], stock, template)
    crop = first_label_crop(stock) if stock.media == "sheet" else ()
    assert decode(rasterise_first_page(pdf, stock.dpi, crop)) == expected(template_key)


@pytest.mark.parametrize(("template_key", "stock_keys"), MEANT_FOR.items())
def test_each_template_fits_the_stocks_it_is_meant_for(template_key: str, stock_keys: list[str]):
    template = TEMPLATES[template_key]
    for key in stock_keys:
        layout = layout_label(SAMPLES[template.kinds[0]], STOCKS[key], template)
        assert layout.elements


@pytest.mark.parametrize("stock_key", list(STOCKS))
def test_modules_are_whole_dots_of_legible_size(stock_key: str):
    stock = STOCKS[stock_key]
    dot_mm = 25.4 / stock.dpi
    template = TEMPLATES["qr" if stock_key in {k for k, _ in REFUSED} else "asset"]
    layout = layout_label(SAMPLES["unit"], stock, template)
    for el in layout.elements:
        if isinstance(el, QrElement):
            assert isinstance(el.module, int) and el.module >= 2
            assert el.module * dot_mm >= 0.25 - dot_mm / 2
        if isinstance(el, BarElement):
            assert isinstance(el.module, int) and el.module >= 2


def test_refusal_names_the_stock_and_the_reason():
    with pytest.raises(FitError) as info:
        render_png(SAMPLES["unit"], STOCKS["ptouch-tze-12mm"], TEMPLATES["asset"])
    message = str(info.value)
    assert "ptouch-tze-12mm" in message and "asset" in message and "mm" in message
