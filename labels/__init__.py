"""Tagtrack labels: label stocks, templates and print-accurate PNG, PDF, SVG and ZPL output.

A pure library: it knows nothing of the server, which hands it LabelData.
"""

from labels.data import LabelData
from labels.elements import Layout
from labels.errors import FitError, LabelError, PrinterError, StockError, TemplateError
from labels.layout import layout_label
from labels.render import (
    LabelRow,
    render_file,
    render_pdf,
    render_png,
    render_rows,
    render_svg,
    render_zpl,
)
from labels.stocks import LabelStock, builtin_stocks, load_stocks
from labels.templates import (
    LabelTemplate,
    LineSpec,
    builtin_for,
    builtin_templates,
    parse_template,
)

__all__ = [
    "FitError",
    "LabelData",
    "LabelError",
    "LabelRow",
    "LabelStock",
    "LabelTemplate",
    "Layout",
    "LineSpec",
    "PrinterError",
    "StockError",
    "TemplateError",
    "builtin_for",
    "builtin_stocks",
    "builtin_templates",
    "layout_label",
    "load_stocks",
    "parse_template",
    "render_file",
    "render_pdf",
    "render_png",
    "render_rows",
    "render_svg",
    "render_zpl",
]
