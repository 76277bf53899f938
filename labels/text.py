"""Fonts and text fitting. Bitstream Vera ships inside reportlab, so every install has it."""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import reportlab
from PIL import ImageFont
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from labels.errors import FitError

FONT_DIR = Path(reportlab.__file__).parent / "fonts"
_FILES = {False: "Vera.ttf", True: "VeraBd.ttf"}
_NAMES = {False: "TagtrackVera", True: "TagtrackVeraBold"}
ELLIPSIS = "\u2026"
# Measured widths get this much headroom so hinting in raster output never overflows the box.
_SAFETY = 1.03


def font_path(bold: bool) -> Path:
    return FONT_DIR / _FILES[bold]


@lru_cache(maxsize=2)
def pdf_font(bold: bool) -> str:
    """Register the TTF with reportlab once; returns the font name to use on a canvas."""
    name = _NAMES[bold]
    pdfmetrics.registerFont(TTFont(name, str(font_path(bold))))
    return name


@lru_cache(maxsize=256)
def pil_font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(bold)), size, layout_engine=ImageFont.Layout.BASIC)


def ascent(size: float) -> float:
    """Distance from the top of a line box to the baseline (Vera's ascender)."""
    return size * 0.76


@lru_cache(maxsize=2)
def _advances(bold: bool) -> tuple[dict[int, float], float]:
    """Glyph advances in 1/1000 em by code point, and the width of a missing glyph."""
    face = pdfmetrics.getFont(pdf_font(bold)).face
    return dict(face.charWidths), float(face.defaultWidth)


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Advance width in the same unit as size, with headroom for raster hinting."""
    advances, default = _advances(bold)
    get = advances.get
    return sum(get(ord(c), default) for c in text) * size / 1000 * _SAFETY


def fit_text(text: str, box_width: int, max_size: int, min_size: int, bold: bool = False) -> str:
    """Cut `text` with an ellipsis so it fits box_width at min_size. Whitespace is collapsed."""
    text = " ".join(text.split())
    if not text or text_width(text, min_size, bold) <= box_width:
        return text
    if text_width(ELLIPSIS, min_size, bold) > box_width:
        raise FitError("text", f"a {box_width}-dot wide box cannot hold any text")
    low, high = 0, len(text)  # text[:low] + ellipsis fits; text[:high] + ellipsis does not
    while high - low > 1:
        mid = (low + high) // 2
        if text_width(text[:mid].rstrip() + ELLIPSIS, min_size, bold) <= box_width:
            low = mid
        else:
            high = mid
    return text[:low].rstrip() + ELLIPSIS


def fit_size(text: str, box_width: int, max_size: int, min_size: int, bold: bool = False) -> int:
    """Largest size in [min_size, max_size] at which `text` fits box_width (min_size if none)."""
    unit = text_width(text, 1.0, bold)
    if unit <= 0:
        return max_size
    return max(min_size, min(max_size, math.floor(box_width / unit)))
