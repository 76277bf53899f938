"""Shared data for the labels tests: realistic records and a decoder helper."""

from __future__ import annotations

import io

import pypdfium2
import pytest
import zxingcpp
from PIL import Image

from labels import LabelData, LabelStock

BASE = "https://tagtrack.example.com"


def unit(i: int = 4171, **fields: str) -> LabelData:
    values = {
        "name": "Espresso machine La Marzocco Linea Mini",
        "serial": "LM-2231-X",
        "org": "Acme Coffee Co.",
        "location": "Main warehouse > Room 2 > Shelf B3",
    }
    values.update(fields)
    return LabelData("unit", f"U-{i:07d}", f"{BASE}/u/U-{i:07d}", values)


SAMPLES = {
    "unit": unit(),
    "location": LabelData(
        "location",
        "L-0000123",
        f"{BASE}/l/L-0000123",
        {"name": "Shelf B3", "path": "Main warehouse > Room 2 > Shelf B3"},
    ),
    "person": LabelData(
        "person", "P-0000042", f"{BASE}/p/P-0000042", {"name": "Ada Lovelace", "org": "Acme"}
    ),
    "blank": LabelData("blank", "U-0009999", f"{BASE}/u/U-0009999", {"org": "Acme Coffee Co."}),
}


@pytest.fixture
def samples() -> dict[str, LabelData]:
    return SAMPLES


def decode(image: Image.Image) -> dict[str, list[str]]:
    """Texts found by zxing-cpp, by format name ("QRCode", "Code128")."""
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image.convert("L")):
        found.setdefault(result.format.name, []).append(result.text)
    return found


def png_image(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


def rasterise_first_page(pdf: bytes, dpi: int, crop_pt: tuple[float, ...] = ()) -> Image.Image:
    """First page at `dpi`, optionally cropped (left, bottom, right, top margins in points)."""
    doc = pypdfium2.PdfDocument(pdf)
    try:
        page = doc[0]
        bitmap = page.render(scale=dpi / 72, crop=crop_pt or (0, 0, 0, 0), grayscale=True)
        return bitmap.to_pil()
    finally:
        doc.close()


def page_sizes(pdf: bytes) -> list[tuple[float, float]]:
    doc = pypdfium2.PdfDocument(pdf)
    try:
        return [tuple(doc[i].get_mediabox()[2:]) for i in range(len(doc))]  # type: ignore[misc]
    finally:
        doc.close()


def first_label_crop(stock: LabelStock) -> tuple[float, float, float, float]:
    """Crop margins (points) that keep the first label position of a sheet, plus 2 mm."""
    pt = 72 / 25.4
    left = max(0.0, stock.margin_left_mm - 2) * pt
    top = max(0.0, stock.margin_top_mm - 2) * pt
    right = max(0.0, stock.page_width_mm - stock.margin_left_mm - stock.width_mm - 2) * pt
    bottom = max(0.0, stock.page_height_mm - stock.margin_top_mm - stock.height_mm - 2) * pt
    return (left, bottom, right, top)
