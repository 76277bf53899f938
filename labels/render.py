"""The output formats, one import away. Each renders labels.layout.layout_label's result."""

from __future__ import annotations

from collections.abc import Sequence

from labels.data import LabelData
from labels.errors import LabelError
from labels.pdf import render_pdf
from labels.raster import render_png
from labels.stocks import LabelStock
from labels.svg import render_svg
from labels.templates import LabelTemplate
from labels.zpl import render_zpl

FORMATS = ("pdf", "zpl", "png", "svg")

__all__ = ["FORMATS", "render_file", "render_pdf", "render_png", "render_svg", "render_zpl"]


def render_file(
    fmt: str,
    labels: Sequence[LabelData],
    stock: LabelStock,
    template: LabelTemplate,
    start_at: int = 1,
    cut_borders: bool = False,
) -> bytes:
    """One file of `fmt` holding `labels`: PDF and ZPL hold many, PNG and SVG exactly one.
    A plain top-level function of picklable arguments, so a process pool can run it."""
    if fmt == "pdf":
        return render_pdf(labels, stock, template, start_at=start_at, cut_borders=cut_borders)
    if fmt == "zpl":
        return render_zpl(labels, stock, template).encode()
    if fmt not in FORMATS:
        raise LabelError("format", f"must be one of: {', '.join(FORMATS)}")
    if len(labels) != 1:
        raise LabelError("format", f"{fmt} holds one label; ask for pdf or zpl")
    if fmt == "png":
        return render_png(labels[0], stock, template)
    return render_svg(labels[0], stock, template).encode()
