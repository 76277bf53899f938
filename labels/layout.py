"""One layout computation: where every element of a label goes, in whole printer dots.

Every output format (PNG, PDF, SVG, ZPL) renders a Layout; none of them decides positions.
Each template has a few arrangements, tried in order; the first that fits legibly wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from labels.codes import CODE128_QUIET, EC_LEVELS, QR_QUIET, code128_modules, qr_versions
from labels.data import LabelData
from labels.elements import BarElement, Box, Element, Layout, QrElement, Rules
from labels.errors import FitError, LabelError
from labels.lines import lines_height, lines_in
from labels.stocks import LabelStock
from labels.templates import LabelTemplate, LineSpec, render_lines


@dataclass(slots=True)
class _Ctx:
    data: LabelData
    lines: list[tuple[LineSpec, str]]
    logo: bytes | None
    rules: Rules
    label: Box
    content: Box

    def lines_in(self, box: Box, valign: str = "center") -> list[Element]:
        return list(lines_in(box, self.lines, self.rules, self.logo, valign))


def layout_label(data: LabelData, stock: LabelStock, template: LabelTemplate) -> Layout:
    """Place the template's elements for this data on this stock, or raise FitError."""
    texts = render_lines(template, data)
    width, height = stock.width_dots, stock.height_dots
    inset_x, inset_y = stock.dots(stock.inset_x_mm), stock.dots(stock.inset_y_mm)
    ctx = _Ctx(
        data,
        [(spec, text) for spec, text in zip(template.lines, texts, strict=True) if text],
        template.logo_png,
        Rules(stock),
        Box(0, 0, width, height),
        Box(inset_x, inset_y, width - inset_x, height - inset_y),
    )
    error: LabelError | None = None
    for arrange in _arrangements(template, ctx.content):
        try:
            return Layout(stock, width, height, tuple(arrange(ctx)))
        except FitError as exc:
            error = exc
    assert error is not None
    size = f"{stock.width_mm:.1f} x {stock.height_mm:.1f} mm at {stock.dpi} dpi"
    raise FitError(
        error.field,
        f"template {template.key!r} does not fit stock {stock.key!r} ({size}): {error.message}",
    )


def _arrangements(t: LabelTemplate, c: Box) -> list[Callable[[_Ctx], list[Element]]]:
    if t.qr and t.code128:
        return [_qr_side_bars_right, _bars_bottom_qr_side]
    if t.qr:
        return [_qr_side, _qr_top] if c.w >= c.h * 1.2 else [_qr_top, _qr_side]
    if t.code128:
        return [_bars_top]
    return [lambda ctx: ctx.lines_in(ctx.content)]


def _alone(ctx: _Ctx) -> bool:
    return not ctx.lines and not ctx.logo


def _qr_side(ctx: _Ctx) -> list[Element]:
    c = ctx.content
    qr = _qr_in(ctx, ctx.label, c, c.w if _alone(ctx) else c.w // 2, center_x=_alone(ctx))
    if _alone(ctx):
        return [qr]
    right = qr.x + (qr.size + QR_QUIET) * qr.module
    return [qr, *ctx.lines_in(Box(right, c.top, c.right, c.bottom))]


def _qr_top(ctx: _Ctx) -> list[Element]:
    c = ctx.content
    box = c if _alone(ctx) else Box(c.left, c.top, c.right, c.top + c.h * 3 // 5)
    qr = _qr_in(ctx, ctx.label, box, c.w, center_x=True)
    if _alone(ctx):
        return [qr]
    below = qr.y + (qr.size + QR_QUIET) * qr.module
    return [qr, *ctx.lines_in(Box(c.left, below, c.right, c.bottom), valign="top")]


def _qr_side_bars_right(ctx: _Ctx) -> list[Element]:
    """QR at the left over the full height; lines above Code 128 in the column to its right."""
    c, r = ctx.content, ctx.rules
    qr = _qr_in(ctx, ctx.label, c, c.w // 2, center_x=False)
    qr_right = qr.x + qr.size * qr.module
    quiet = Box(qr_right, 0, ctx.label.right, ctx.label.bottom)
    column = Box(qr_right + QR_QUIET * qr.module, c.top, c.right, c.bottom)
    error: FitError | None = None
    for h in dict.fromkeys((_clamp(c.h * 2 // 5, r.bar_h_min, r.bar_h_max), r.bar_h_min)):
        bars = _bars_in(ctx, quiet, Box(column.left, c.bottom - h, column.right, c.bottom), False)
        try:
            above = Box(column.left, column.top, column.right, bars.y - r.gap)
            return [qr, bars, *ctx.lines_in(above)]
        except FitError as exc:
            error = exc
    assert error is not None
    raise error


def _bars_bottom_qr_side(ctx: _Ctx) -> list[Element]:
    """Code 128 across the bottom; QR and lines side by side above it."""
    c, r = ctx.content, ctx.rules
    height = _clamp(c.h * 3 // 10, r.bar_h_min, r.bar_h_max)
    bars = _bars_in(ctx, ctx.label, Box(c.left, c.bottom - height, c.right, c.bottom), True)
    top = Box(c.left, c.top, c.right, bars.y - r.gap)
    qr = _qr_in(ctx, Box(0, 0, ctx.label.right, bars.y), top, c.w // 2, center_x=False)
    right = qr.x + (qr.size + QR_QUIET) * qr.module
    return [qr, bars, *ctx.lines_in(Box(right, top.top, top.right, top.bottom))]


def _bars_top(ctx: _Ctx) -> list[Element]:
    """Code 128 across the top, as tall as the lines leave room for; lines below."""
    c, r = ctx.content, ctx.rules
    wanted = c.h - lines_height(ctx.lines, r) - r.gap if ctx.lines else c.h
    height = _clamp(wanted, r.bar_h_min, min(r.bar_h_max, c.h))
    bars = _bars_in(ctx, ctx.label, Box(c.left, c.top, c.right, c.top + height), True)
    if not ctx.lines:
        return [bars]
    return [bars, *ctx.lines_in(Box(c.left, bars.y + bars.height + r.gap, c.right, c.bottom))]


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))


def _qr_in(ctx: _Ctx, quiet: Box, box: Box, max_w: int, center_x: bool) -> QrElement:
    """The largest legible QR whose modules lie in `box` and quiet zone in `quiet`.

    Error correction is the strongest level that still gets the preferred module size; with
    less room, the level that gives the largest modules.
    """
    r, payload = ctx.rules, ctx.data.url
    if not payload:
        raise FitError("url", "the template has a QR code but the label data has no url")
    versions = qr_versions(payload)
    if not versions:
        raise FitError("url", f"{len(payload)} characters are too many for any QR code")
    best: tuple[int, str] | None = None
    for ec in (ec for ec in EC_LEVELS if ec in versions):
        n = 17 + 4 * versions[ec]
        span = n + 2 * QR_QUIET
        m = min(r.qr_max, max_w // n, box.h // n, quiet.w // span, quiet.h // span)
        if best is None or m > best[0] or m >= r.qr_pref:
            best = (m, ec)
        if m >= r.qr_pref:
            break
    assert best is not None
    m, ec = best
    n = 17 + 4 * versions[ec]
    if m < r.qr_min:
        need = (n + 2 * QR_QUIET) * r.qr_min
        raise FitError(
            "qr",
            f"the QR code needs {n}+{2 * QR_QUIET} modules of at least {r.qr_min} dots "
            f"({r.mm(need)} square), only {r.mm(min(box.h, max_w))} available",
        )
    side, quiet_w = n * m, QR_QUIET * m
    x_lo, x_hi = max(box.left, quiet.left + quiet_w), min(box.right, quiet.right - quiet_w)
    y_lo, y_hi = max(box.top, quiet.top + quiet_w), min(box.bottom, quiet.bottom - quiet_w)
    x = (x_lo + x_hi - side) // 2 if center_x else x_lo
    return QrElement(x, (y_lo + y_hi - side) // 2, m, payload, ec, versions[ec])


def _bars_in(ctx: _Ctx, quiet: Box, box: Box, center_x: bool) -> BarElement:
    """The widest legible Code 128 whose bars lie in `box` and quiet zones in `quiet`."""
    r, tag = ctx.rules, ctx.data.tag
    modules = code128_modules(tag)
    n = len(modules)
    m = r.bar_max
    while m >= r.bar_min:
        x_lo = max(box.left, quiet.left + CODE128_QUIET * m)
        x_hi = min(box.right, quiet.right - CODE128_QUIET * m)
        if x_hi - x_lo >= n * m:
            break
        m -= 1
    if m < r.bar_min:
        need = (n + 2 * CODE128_QUIET) * r.bar_min
        raise FitError(
            "code128",
            f"Code 128 of {tag!r} needs {n}+{2 * CODE128_QUIET} modules of at least "
            f"{r.bar_min} dots ({r.mm(need)} wide), only {r.mm(box.w)} available",
        )
    if box.h < r.bar_h_min:
        raise FitError("code128", f"bars need {r.mm(r.bar_h_min)} height, only {r.mm(box.h)}")
    x = (x_lo + x_hi - n * m) // 2 if center_x else x_lo
    return BarElement(x, box.top, m, box.h, modules, tag)
