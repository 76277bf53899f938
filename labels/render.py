"""The output formats, one import away. Each renders labels.layout.layout_label's result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from labels.data import LabelData
from labels.errors import FitError, LabelError
from labels.pdf import render_pdf
from labels.raster import render_png
from labels.stocks import LabelStock
from labels.svg import render_svg
from labels.templates import LabelTemplate
from labels.zpl import render_zpl

FORMATS = ("pdf", "zpl", "png", "svg")
# LabelData's arguments as a plain tuple: (kind, tag, url, fields). A batch crosses to a
# worker process as a pickle, and 5,000 tuples pickle ten times faster than 5,000 LabelData.
LabelRow = tuple[str, str, str, Mapping[str, str]]

__all__ = ["FORMATS", "LabelRow", "render_file", "render_pdf", "render_png", "render_rows",
           "render_svg", "render_zpl"]


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


def render_rows(
    fmt: str,
    rows: Sequence[LabelRow],
    stock: LabelStock,
    template: LabelTemplate | Sequence[LabelTemplate],
    start_at: int = 1,
    cut_borders: bool = False,
) -> bytes:
    """render_file of LabelData(*row) for each row: the data is checked where it is drawn.
    Given several templates (templates.builtin_for(kind) when none was chosen), the first
    that fits every label on this stock; when none fits, the first one's reason."""
    labels = [LabelData(*row) for row in rows]  # type: ignore[arg-type]
    candidates = (template,) if isinstance(template, LabelTemplate) else tuple(template)
    if not candidates:
        raise LabelError("template", "no template for this kind of label")
    refused: FitError | None = None
    for candidate in candidates:
        try:
            return render_file(fmt, labels, stock, candidate, start_at, cut_borders)
        except FitError as exc:  # too big for this stock: a smaller template may fit
            refused = refused or exc
    assert refused is not None
    raise refused
