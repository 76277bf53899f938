"""PDF output: sheets of labels, or one page per label at the exact roll size.

Codes are vector rectangles at whole-dot positions and sizes of the stock's resolution, so the
PDF rasterised at that resolution gives crisp modules.
"""

from __future__ import annotations

from collections.abc import Sequence

from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from labels.codes import dark_runs
from labels.data import LabelData
from labels.elements import BarElement, Layout, LogoElement, QrElement, TextElement
from labels.errors import LabelError
from labels.layout import layout_label
from labels.stocks import MM_PER_INCH, LabelStock
from labels.templates import LabelTemplate, logo_image
from labels.text import pdf_font

POINTS_PER_INCH = 72


def _pt(mm: float) -> float:
    return mm / MM_PER_INCH * POINTS_PER_INCH


def render_pdf(
    labels: Sequence[LabelData],
    stock: LabelStock,
    template: LabelTemplate,
    start_at: int = 1,
    cut_borders: bool = False,
) -> bytes:
    """All labels in one PDF. On a sheet, printing starts at position `start_at` (1-based,
    row by row) so a part-used sheet can be reused; on a roll each label is one page."""
    if not labels:
        raise LabelError("labels", "nothing to print")
    sheet = stock.media == "sheet"
    if not 1 <= start_at <= stock.per_page:
        raise LabelError("start_at", f"must be between 1 and {stock.per_page} for {stock.key!r}")
    if sheet:
        page = (_pt(stock.page_width_mm), _pt(stock.page_height_mm))
    else:
        page = (_pt(stock.width_mm), _pt(stock.height_mm))
    # reportlab wraps compressed streams in ASCII85 by default, in pure Python: a third of the
    # run time for 1,000 labels, and only useful over 7-bit channels. Binary streams are plain
    # PDF; the setting is process-wide and any value gives a valid file, so it is never restored.
    rl_config.useA85 = 0
    # getpdfdata() hands back the document reportlab builds anyway; save() into a BytesIO
    # would copy those bytes once more (a 5,000-label file is built once and held once).
    canvas = Canvas("labels.pdf", pagesize=page, pageCompression=1, invariant=1)
    canvas.setTitle(f"Labels on {stock.name}")
    slot = start_at - 1 if sheet else 0
    for i, data in enumerate(labels):
        layout = layout_label(data, stock, template)
        if i and (not sheet or slot % stock.per_page == 0):
            canvas.showPage()
        index = slot % stock.per_page
        row, col = divmod(index, stock.columns)
        if sheet:
            x = stock.dots(stock.margin_left_mm + col * stock.pitch_x_mm)
            y = stock.dots(stock.margin_top_mm + row * stock.pitch_y_mm)
        else:
            x = y = 0
        _draw(canvas, layout, x, y, page[1], cut_borders)
        slot += 1
    canvas.showPage()
    pdf: bytes = canvas.getpdfdata()
    return pdf


def _draw(canvas: Canvas, layout: Layout, x0: int, y0: int, page_h: float, borders: bool) -> None:
    """Draw in printer dots with a y-down origin at the label's top-left corner."""
    s = POINTS_PER_INCH / layout.stock.dpi
    canvas.saveState()
    canvas.addLiteral(f"{s:.6f} 0 0 {-s:.6f} 0 {page_h:.4f} cm 1 0 0 1 {x0} {y0} cm 0 g")
    if borders:
        canvas.setStrokeGray(0.6)
        canvas.setLineWidth(layout.stock.dpi / 300)
        radius = layout.stock.dots(layout.stock.corner_radius_mm)
        canvas.roundRect(0, 0, layout.width, layout.height, radius, stroke=1, fill=0)
    for el in layout.elements:
        if isinstance(el, QrElement):
            parts = [f"q {el.module} 0 0 {el.module} {el.x} {el.y} cm"]
            for r, row in enumerate(el.symbol.rows):
                parts.extend([f"{a} {r} {b - a} 1 re" for a, b in dark_runs(row)])
            parts.append("f Q")
            canvas.addLiteral("\n".join(parts))
        elif isinstance(el, BarElement):
            parts = [f"q {el.module} 0 0 {el.height} {el.x} {el.y} cm"]
            parts.extend([f"{a} 0 {b - a} 1 re" for a, b in dark_runs(el.modules)])
            parts.append("f Q")
            canvas.addLiteral("\n".join(parts))
        elif isinstance(el, TextElement):
            text = canvas.beginText()
            text.setFont(pdf_font(el.bold), el.size)
            text.setTextTransform(1, 0, 0, -1, el.x, el.baseline)  # upright again in y-down space
            text.textOut(el.text)
            canvas.drawText(text)
        elif isinstance(el, LogoElement):
            canvas.saveState()
            canvas.transform(1, 0, 0, -1, el.x, el.y + el.height)
            image = ImageReader(logo_image(el.png).convert("RGBA"))
            canvas.drawImage(image, 0, 0, el.width, el.height, mask="auto")
            canvas.restoreState()
    canvas.restoreState()
