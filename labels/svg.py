"""SVG preview of one label, in printer dots (viewBox) at the stock's physical size (mm)."""

from __future__ import annotations

import base64
from xml.sax.saxutils import escape, quoteattr

from labels.codes import dark_runs
from labels.data import LabelData
from labels.elements import BarElement, LogoElement, QrElement, TextElement
from labels.layout import layout_label
from labels.stocks import LabelStock
from labels.templates import LabelTemplate

FONT_FAMILY = "'Bitstream Vera Sans', 'DejaVu Sans', Verdana, sans-serif"


def render_svg(data: LabelData, stock: LabelStock, template: LabelTemplate) -> str:
    layout = layout_label(data, stock, template)
    w, h = layout.width, layout.height
    radius = stock.dots(stock.corner_radius_mm)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{stock.width_mm:.2f}mm" '
        f'height="{stock.height_mm:.2f}mm" viewBox="0 0 {w} {h}">',
        f"<title>{escape(data.tag)} on {escape(stock.name)}</title>",
        f'<rect width="{w}" height="{h}" rx="{radius}" fill="#fff" stroke="#bbb" '
        f'stroke-width="{max(1, stock.dpi // 150)}"/>',
    ]
    path: list[str] = []
    for el in layout.elements:
        if isinstance(el, QrElement):
            m = el.module
            for r, row in enumerate(el.symbol.rows):
                path.extend(
                    f"M{el.x + a * m},{el.y + r * m}h{(b - a) * m}v{m}h{(a - b) * m}z"
                    for a, b in dark_runs(row)
                )
        elif isinstance(el, BarElement):
            m = el.module
            path.extend(
                f"M{el.x + a * m},{el.y}h{(b - a) * m}v{el.height}h{(a - b) * m}z"
                for a, b in dark_runs(el.modules)
            )
        elif isinstance(el, TextElement):
            weight = ' font-weight="bold"' if el.bold else ""
            out.append(
                f'<text x="{el.x}" y="{el.baseline}" font-family="{FONT_FAMILY}" '
                f'font-size="{el.size}"{weight}>{escape(el.text)}</text>'
            )
        elif isinstance(el, LogoElement):
            href = "data:image/png;base64," + base64.b64encode(el.png).decode("ascii")
            out.append(
                f'<image x="{el.x}" y="{el.y}" width="{el.width}" height="{el.height}" '
                f"href={quoteattr(href)}/>"
            )
    if path:
        out.append(f'<path d="{"".join(path)}" fill="#000" shape-rendering="crispEdges"/>')
    out.append("</svg>")
    return "\n".join(out)
