"""ZPL II for Zebra printers: the printer draws the codes (^BQ, ^BC) where the layout says."""

from __future__ import annotations

from collections.abc import Sequence

from PIL import Image

from labels.data import LabelData
from labels.elements import BarElement, Layout, LogoElement, QrElement, TextElement
from labels.errors import LabelError
from labels.layout import layout_label
from labels.stocks import LabelStock
from labels.templates import LabelTemplate, logo_image

_QR_MAX_MAGNIFICATION = 10  # ^BQ accepts 1..10


def field_data(text: str) -> str:
    """Escape for a ^FH field: the escape char, caret and tilde become _hex (UTF-8 via ^CI28)."""
    return text.replace("_", "_5F").replace("^", "_5E").replace("~", "_7E")


def render_zpl(labels: Sequence[LabelData], stock: LabelStock, template: LabelTemplate) -> str:
    """One ^XA..^XZ block per label, sized by ^PW/^LL from the stock."""
    if stock.media != "roll":
        raise LabelError("stock", f"ZPL is for roll printers; {stock.key!r} is a {stock.media}")
    if not labels:
        raise LabelError("labels", "nothing to print")
    return "".join(_label(layout_label(data, stock, template)) for data in labels)


def _label(layout: Layout) -> str:
    out = ["^XA", "^CI28", f"^PW{layout.width}", f"^LL{layout.height}", "^LH0,0"]
    for el in layout.elements:
        if isinstance(el, QrElement):
            magnification = min(el.module, _QR_MAX_MAGNIFICATION)
            data = field_data(el.payload)
            out.append(f"^FO{el.x},{el.y}^BQN,2,{magnification}^FH^FD{el.ec}A,{data}^FS")
        elif isinstance(el, BarElement):
            out.append(
                f"^FO{el.x},{el.y}^BY{el.module}^BCN,{el.height},N,N,N,A"
                f"^FH^FD{field_data(el.payload)}^FS"
            )
        elif isinstance(el, TextElement):
            out.append(
                f"^FT{el.x},{el.baseline}^A0N,{el.size},{el.size}^FH^FD{field_data(el.text)}^FS"
            )
        elif isinstance(el, LogoElement):
            out.append(f"^FO{el.x},{el.y}{_graphic(el)}^FS")
    out.append("^XZ\n")
    return "\n".join(out)


def _graphic(el: LogoElement) -> str:
    """^GFA hex bitmap of the logo, 1 = black."""
    logo = logo_image(el.png).resize((el.width, el.height), Image.Resampling.LANCZOS)
    white = Image.new("L", logo.size, 255)
    white.paste(logo.getchannel("L"), (0, 0), logo.getchannel("A"))
    bits = white.convert("1", dither=Image.Dither.NONE).point(lambda v: 255 - v)
    row_bytes = (el.width + 7) // 8
    data = bits.tobytes()  # mode "1" rows are padded to whole bytes, 1 = white before inversion
    return f"^GFA,{len(data)},{len(data)},{row_bytes},{data.hex().upper()}"
