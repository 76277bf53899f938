"""Text lines (and the optional logo) stacked in a box: sized by weight, shrunk, then cut."""

from __future__ import annotations

import math
from collections.abc import Sequence

from labels.elements import LINE_SPACING, Box, LogoElement, Rules, TextElement
from labels.errors import FitError
from labels.templates import LineSpec, logo_image
from labels.text import fit_size, fit_text, text_width

LOGO_WEIGHT = 1.4
# Lines shrink together (keeping their size ratios) down to this share of their nominal size;
# a line still too wide then shrinks alone down to the minimum size, then is cut with an ellipsis.
_MIN_SHARED_SCALE = 0.7


def lines_in(
    box: Box,
    lines: Sequence[tuple[LineSpec, str]],
    rules: Rules,
    logo: bytes | None = None,
    valign: str = "center",
) -> list[TextElement | LogoElement]:
    """Place the lines in box; optional lines are dropped from the end when there is no room."""
    items = list(lines)
    while True:
        weights = [spec.weight for spec, _ in items] + ([LOGO_WEIGHT] if logo else [])
        if not weights:
            return []
        unit = box.h / (sum(weights) * LINE_SPACING)
        nominal = [min(math.floor(unit * w), round(rules.text_max * w)) for w in weights]
        if box.w > 0 and min(nominal) >= rules.text_min:
            break
        if logo:
            logo = None
            continue
        optional = [i for i, (spec, _) in enumerate(items) if not spec.required]
        if not optional:
            need = round(rules.text_min * LINE_SPACING * len(items))
            raise FitError(
                "lines",
                f"text needs {rules.mm(need)} of height and some width, "
                f"only {rules.mm(box.h)} x {rules.mm(max(box.w, 0))} left",
            )
        del items[optional[-1]]
    rows: list[tuple[int, TextElement | LogoElement]] = []
    if logo:
        rows.append(_logo_row(logo, box, nominal.pop()))
    pairs = zip(items, nominal, strict=False)  # nominal may hold the logo's size last
    scale = min((box.w / text_width(t, size, spec.bold) for (spec, t), size in pairs), default=1.0)
    scale = max(_MIN_SHARED_SCALE, min(1.0, scale))
    for (spec, text), size in zip(items, nominal, strict=True):
        size = max(rules.text_min, math.floor(size * scale))
        size = fit_size(text, box.w, size, rules.text_min, spec.bold)
        fitted = fit_text(text, box.w, size, rules.text_min, spec.bold)
        element = TextElement(box.left, 0, size, box.w, fitted, spec.bold)
        rows.append((round(size * LINE_SPACING), element))
    used = sum(h for h, _ in rows)
    y = box.top + ((box.h - used) // 2 if valign == "center" else 0)
    out: list[TextElement | LogoElement] = []
    for h, el in rows:
        if isinstance(el, TextElement):
            pad = (h - el.size) // 2
            out.append(TextElement(el.x, y + pad, el.size, el.width, el.text, el.bold))
        else:
            out.append(LogoElement(box.left, y, el.width, el.height, el.png))
        y += h
    return out


def lines_height(lines: Sequence[tuple[LineSpec, str]], rules: Rules) -> int:
    """Height the lines take at their largest size."""
    return sum(round(rules.text_max * spec.weight * LINE_SPACING) for spec, _ in lines)


def _logo_row(png: bytes, box: Box, height: int) -> tuple[int, LogoElement]:
    image = logo_image(png)
    width = min(box.w, round(height * image.width / max(1, image.height)))
    height = min(height, round(width * image.height / max(1, image.width)))
    return round(height * 1.1), LogoElement(0, 0, width, height, png)
