"""Property tests: text never overflows; codewords match qrcode; arbitrary payloads decode."""

from __future__ import annotations

import qrcode
from conftest import decode, png_image
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qrcode import util

from labels import LabelData, builtin_stocks, builtin_templates
from labels.codes import _EC, qr_codewords, qr_symbol, qr_versions
from labels.errors import FitError
from labels.render import render_png
from labels.text import ELLIPSIS, fit_text, pil_font, text_width

PRINTABLE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=24)
LATIN = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x17F), max_size=120)


@given(text=LATIN, box=st.integers(20, 900), size=st.integers(12, 60), bold=st.booleans())
def test_fitted_text_is_never_wider_than_its_box(text: str, box: int, size: int, bold: bool):
    try:
        fitted = fit_text(text, box, size, size, bold)
    except FitError:
        assert text_width(ELLIPSIS, size, bold) > box  # refused only when nothing can fit
        return
    assert text_width(fitted, size, bold) <= box
    assert pil_font(bold, size).getlength(fitted) <= box
    if fitted != " ".join(text.split()):
        assert fitted.endswith("\u2026")


@given(payload=st.text(max_size=300), ec=st.sampled_from("LMQH"))
def test_fast_codewords_and_matrix_equal_qrcodes_own(payload: str, ec: str):
    versions = qr_versions(payload)
    if ec not in versions:
        return
    version = versions[ec]
    chunks = list(util.optimal_data_chunks(payload.encode("utf-8")))
    assert qr_codewords(payload, ec, version) == util.create_data(version, _EC[ec], chunks)
    if not payload:
        return
    reference = qrcode.QRCode(version=version, error_correction=_EC[ec], border=0, mask_pattern=2)
    reference.add_data(payload.encode("utf-8"), optimize=4)
    reference.make(fit=False)
    rows = tuple("".join("1" if m else "0" for m in row) for row in reference.modules)
    assert qr_symbol(payload, ec, version).rows == rows


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    # up to 16 characters: any such tag fits the asset template on a 3" label; longer ones
    # may be refused with a FitError, which other tests cover
    tag=st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=16),
    path=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40),
)
def test_arbitrary_printable_tags_and_urls_decode_back(tag: str, path: str):
    data = LabelData("unit", tag, f"https://t.example/u/{path}", {"name": "Drill"})
    image = png_image(render_png(data, builtin_stocks()["zebra-3x2"], builtin_templates()["asset"]))
    assert decode(image) == {"QRCode": [data.url], "Code128": [tag]}
