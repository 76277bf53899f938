"""PNG output at the printer's exact resolution: one image dot is one printer dot."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw

from labels.data import LabelData
from labels.elements import BarElement, Layout, LogoElement, QrElement, TextElement
from labels.layout import layout_label
from labels.stocks import LabelStock
from labels.templates import LabelTemplate, logo_image
from labels.text import pil_font

_GRAY = bytes.maketrans(b"01", b"\xff\x00")  # module string to 8-bit gray: "1" is black


def _gray(modules: str) -> bytes:
    return modules.encode("ascii").translate(_GRAY)


def draw_layout(layout: Layout) -> Image.Image:
    """A grayscale image of the label; codes are pure black and white, text is anti-aliased."""
    image = Image.new("L", (layout.width, layout.height), 255)
    draw = ImageDraw.Draw(image)
    for el in layout.elements:
        if isinstance(el, QrElement):
            n = el.symbol.size
            cells = Image.frombytes("L", (n, n), _gray("".join(el.symbol.rows)))
            image.paste(
                cells.resize((n * el.module, n * el.module), Image.Resampling.NEAREST), (el.x, el.y)
            )
        elif isinstance(el, BarElement):
            bars = Image.frombytes("L", (len(el.modules), 1), _gray(el.modules))
            size = (len(el.modules) * el.module, el.height)
            image.paste(bars.resize(size, Image.Resampling.NEAREST), (el.x, el.y))
        elif isinstance(el, TextElement):
            font = pil_font(el.bold, el.size)
            draw.text((el.x, el.baseline), el.text, font=font, fill=0, anchor="ls")
        elif isinstance(el, LogoElement):
            logo = logo_image(el.png).resize((el.width, el.height), Image.Resampling.LANCZOS)
            image.paste(logo.getchannel("L"), (el.x, el.y), logo.getchannel("A"))
    return image


def render_png(
    data: LabelData, stock: LabelStock, template: LabelTemplate, monochrome: bool = True
) -> bytes:
    """One label as PNG, `stock.width_dots` x `stock.height_dots`, dpi metadata set.

    monochrome=True thresholds to 1 bit, as a thermal print head prints it.
    """
    image = draw_layout(layout_label(data, stock, template))
    if monochrome:
        image = image.convert("1", dither=Image.Dither.NONE)
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(stock.dpi, stock.dpi))
    return out.getvalue()
