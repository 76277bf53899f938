"""The output formats, one import away. Each renders labels.layout.layout_label's result."""

from labels.pdf import render_pdf
from labels.raster import render_png
from labels.svg import render_svg
from labels.zpl import render_zpl

__all__ = ["render_pdf", "render_png", "render_svg", "render_zpl"]
