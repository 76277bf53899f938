"""Server-rendered SVG charts for the reports and the dashboard: no script, nothing from
elsewhere, nothing inline that the Content-Security-Policy forbids.

Three shapes cover what the reports draw:
- `bar_chart`: horizontal bars with a label and a value each (utilization per unit, value
  by category); a bar may link to the rows behind it.
- `step_chart`: one or two series over dates, drawn as steps (units out over time) or
  lines, with an optional reference line (units owned).
- `column_chart`: stacked columns per category (shrinkage by month).

How they stay readable and allowed:
- Each SVG has a viewBox `WIDTH` units wide and is sized by CSS (`.chart svg`: width 100%,
  a max-width), so 12-unit text is about 11 px on a 390 px phone and never grows past what
  the max-width allows on a desktop. Long labels are cut with an ellipsis; the full text is
  the label's <title> (a tooltip) and is in the figures table.
- Colours are SVG presentation attributes (fill="#..."), which `style-src 'self'` does not
  govern (only style="" and <style> are refused), plus classes (`chart-s0`...) that
  app.css may restyle. There is no style attribute anywhere.
- Accessibility: `role="img"` labelled by the chart's <title> and <desc>, and every figure
  the chart draws is also in a table in a <details> below it ("Figures"), for a screen
  reader, a keyboard, or a person who would rather read numbers.

Each function returns Markup (safe to put in a template with `{{ chart }}`); every text
that comes from data is escaped here. Values are drawn from zero up: a negative value is
shown as a number but drawn as an empty bar (the reports chart amounts, not balances).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from server.domain.chart_scale import date_ticks, nice_ticks

WIDTH = 360
FONT = 12
SMALL = 11
CHAR = 0.6  # average glyph width of the sans-serif face, in font sizes
PALETTE = ("#0b57b8", "#c2570c", "#17603a", "#7a3db8")
INK, MUTED, GRID, REFERENCE = "#17202e", "#566173", "#dde2ea", "#a3001b"

Fmt = Callable[[float], str]


@dataclasses.dataclass(frozen=True)
class Bar:
    label: str
    value: float
    href: str = ""


@dataclasses.dataclass(frozen=True)
class Series:
    """Values over time: (date, value) pairs; for a step chart each value holds until the
    next date."""

    name: str
    points: Sequence[tuple[dt.date, float]]


@dataclasses.dataclass(frozen=True)
class Stack:
    """One layer of a column chart: a value per category, in the categories' order."""

    name: str
    values: Sequence[float]


def number(value: float) -> str:
    """1234 -> "1,234"; 12.5 -> "12.5"; 0.333 -> "0.33"."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def short_date(day: dt.date) -> str:
    return f"{day.day} {day:%b}"


def month_label(day: dt.date) -> str:
    return f"{day:%b %Y}"


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    desc: str = "",
    fmt: Fmt = number,
    label_header: str = "",
    value_header: str = "Value",
    empty: str = "Nothing to chart for this choice.",
) -> Markup:
    if not bars:
        return _empty(chart_id, title, desc, empty)
    row, bar_h, top = 24, 16, 4
    value_w = max(_text_w(fmt(b.value), FONT) for b in bars) + 8
    label_w = min(150.0, max(_text_w(b.label, FONT) for b in bars) + 14)
    span = max(1.0, WIDTH - label_w - value_w - 4)
    most = max((b.value for b in bars), default=0.0)
    scale = span / most if most > 0 else 0.0
    height = top + row * len(bars) + 4
    parts: list[str] = [
        f'<line x1="{label_w:.1f}" y1="0" x2="{label_w:.1f}" y2="{height}" '
        f'stroke="{MUTED}" stroke-width="1" class="chart-axis"/>'
    ]
    for i, bar in enumerate(bars):
        y = top + i * row
        length = max(0.0, bar.value) * scale
        label = _text(label_w - 5, y + bar_h - 3, bar.label, label_w - 7, anchor="end")
        shape = (
            f'<rect x="{label_w:.1f}" y="{y}" width="{length:.1f}" height="{bar_h}" '
            f'fill="{PALETTE[0]}" class="chart-s0"><title>{escape(bar.label)}: '
            f"{escape(fmt(bar.value))}</title></rect>"
        )
        value = (
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar_h - 3}" font-size="{FONT}" '
            f'fill="{INK}">{escape(fmt(bar.value))}</text>'
        )
        body = label + shape + value
        parts.append(f'<a href="{escape(bar.href)}">{body}</a>' if bar.href else body)
    rows = [(b.label, [fmt(b.value)]) for b in bars]
    return _figure(
        chart_id, title, desc, height, parts, [label_header or "Label", value_header], rows
    )


def step_chart(
    series: Sequence[Series],
    *,
    chart_id: str,
    title: str,
    desc: str = "",
    reference: tuple[str, float] | None = None,
    steps: bool = True,
    fmt: Fmt = number,
    empty: str = "Nothing to chart for this period.",
) -> Markup:
    dated = [s for s in series if s.points]
    if not dated:
        return _empty(chart_id, title, desc, empty)
    days = sorted({d for s in dated for d, _ in s.points})
    first, last = days[0], days[-1]
    values = [v for s in dated for _, v in s.points] + ([reference[1]] if reference else [])
    ticks = nice_ticks(min(values), max(values), 4, whole=_whole(values))
    height, top, bottom = 200, 26, 22
    left = max(_text_w(fmt(t), SMALL) for t in ticks) + 8
    right = WIDTH - 10
    span_days = max(1, (last - first).days)

    def x_of(day: dt.date) -> float:
        return left + (day - first).days / span_days * (right - left)

    y_of = _y_scale(ticks, top, height - bottom)
    parts = _y_axis(ticks, y_of, left, right, fmt)
    for day in date_ticks(first, last, 4):
        x = x_of(day)
        label = month_label(day) if day.day == 1 and span_days > 60 else short_date(day)
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="{SMALL}" fill="{MUTED}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend: list[tuple[str, str, bool]] = []
    for i, s in enumerate(dated[: len(PALETTE)]):
        colour = PALETTE[i]
        points = sorted(s.points)
        path = _path(points, x_of, y_of, steps, x_of(last))
        dash = ' stroke-dasharray="5 3"' if i else ""
        parts.append(
            f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"{dash} '
            f'class="chart-s{i}"><title>{escape(s.name)}</title></path>'
        )
        legend.append((s.name, colour, bool(i)))
    if reference:
        y = y_of(reference[1])
        parts.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            f'stroke="{REFERENCE}" stroke-width="1.5" stroke-dasharray="2 3" '
            f'class="chart-reference"><title>{escape(reference[0])}: '
            f"{escape(fmt(reference[1]))}</title></line>"
        )
        legend.append((f"{reference[0]} ({fmt(reference[1])})", REFERENCE, True))
    parts.append(_legend(legend))
    header = ["Date", *(s.name for s in dated)]
    rows = [(day.isoformat(), [fmt(_at(s.points, day, steps)) for s in dated]) for day in days]
    if reference:
        header.append(reference[0])
        rows = [(d, [*v, fmt(reference[1])]) for d, v in rows]
    return _figure(chart_id, title, desc, height, parts, header, rows)


def column_chart(
    categories: Sequence[str],
    stacks: Sequence[Stack],
    *,
    chart_id: str,
    title: str,
    desc: str = "",
    fmt: Fmt = number,
    category_header: str = "Month",
    empty: str = "Nothing to chart for this period.",
) -> Markup:
    layers = list(stacks[: len(PALETTE)])
    for layer in layers:
        if len(layer.values) != len(categories):
            raise ValueError(
                f"{layer.name} has {len(layer.values)} values for {len(categories)} categories"
            )
    if not categories or not layers:
        return _empty(chart_id, title, desc, empty)
    totals = [sum(max(0.0, layer.values[i]) for layer in layers) for i in range(len(categories))]
    ticks = nice_ticks(0.0, max(totals), 4, whole=_whole(totals))
    height, top, bottom = 200, 26, 22
    left = max(_text_w(fmt(t), SMALL) for t in ticks) + 8
    right = WIDTH - 6
    band = (right - left) / len(categories)
    width = max(2.0, band * 0.62)
    y_of = _y_scale(ticks, top, height - bottom)
    parts = _y_axis(ticks, y_of, left, right, fmt)
    every = max(1, round(len(categories) * _text_w("Mmm 00", SMALL) / (right - left) + 0.49))
    for i, category in enumerate(categories):
        x = left + i * band + (band - width) / 2
        base = y_of(0.0)
        for n, layer in enumerate(layers):
            value = max(0.0, layer.values[i])
            if value <= 0:
                continue
            y = y_of(sum(max(0.0, lay.values[i]) for lay in layers[: n + 1]))
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" '
                f'height="{base - y:.1f}" fill="{PALETTE[n]}" class="chart-s{n}">'
                f"<title>{escape(category)}, {escape(layer.name)}: "
                f"{escape(fmt(layer.values[i]))}</title></rect>"
            )
            base = y
        if i % every == 0:
            parts.append(
                _text(
                    left + i * band + band / 2,
                    height - 6,
                    category,
                    band * every,
                    anchor="middle",
                    size=SMALL,
                    colour=MUTED,
                )
            )
    parts.append(_legend([(layer.name, PALETTE[n], False) for n, layer in enumerate(layers)]))
    header = [category_header, *(layer.name for layer in layers)]
    if len(layers) > 1:
        header.append("Total")
    rows = []
    for i, category in enumerate(categories):
        cells = [fmt(layer.values[i]) for layer in layers]
        rows.append((category, cells + ([fmt(totals[i])] if len(layers) > 1 else [])))
    return _figure(chart_id, title, desc, height, parts, header, rows)


def _whole(values: Sequence[float]) -> bool:
    return all(float(v).is_integer() for v in values)


def _y_scale(ticks: list[float], top: float, bottom: float) -> Callable[[float], float]:
    low, high = ticks[0], ticks[-1]

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    return y_of


def _y_axis(
    ticks: list[float], y_of: Callable[[float], float], left: float, right: float, fmt: Fmt
) -> list[str]:
    out = []
    for tick in ticks:
        y = y_of(tick)
        out.append(
            f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1" class="chart-grid"/>'
        )
        out.append(
            f'<text x="{left - 4:.1f}" y="{y + 4:.1f}" font-size="{SMALL}" '
            f'fill="{MUTED}" text-anchor="end">{escape(fmt(tick))}</text>'
        )
    return out


def _path(
    points: list[tuple[dt.date, float]],
    x_of: Callable[[dt.date], float],
    y_of: Callable[[float], float],
    steps: bool,
    end_x: float,
) -> str:
    (day, value), rest = points[0], points[1:]
    d = [f"M{x_of(day):.1f} {y_of(value):.1f}"]
    for day, value in rest:
        if steps:
            d.append(f"H{x_of(day):.1f} V{y_of(value):.1f}")
        else:
            d.append(f"L{x_of(day):.1f} {y_of(value):.1f}")
    if steps:
        d.append(f"H{end_x:.1f}")
    return " ".join(d)


def _at(points: Sequence[tuple[dt.date, float]], day: dt.date, steps: bool) -> float:
    """A series' value on `day`: its own point, or for steps the last one before."""
    before = [v for d, v in sorted(points) if d <= day]
    exact = [v for d, v in points if d == day]
    if exact:
        return exact[-1]
    return before[-1] if (steps and before) else 0.0


def _legend(entries: list[tuple[str, str, bool]]) -> str:
    out, x = [], 4.0
    for name, colour, dashed in entries:
        dash = ' stroke-dasharray="4 2"' if dashed else ""
        out.append(
            f'<line x1="{x:.1f}" y1="9" x2="{x + 16:.1f}" y2="9" stroke="{colour}" '
            f'stroke-width="3"{dash}/>'
        )
        room = WIDTH - x - 24
        out.append(_text(x + 20, 13, name, min(room, 150), size=SMALL, colour=INK))
        x += 20 + min(_text_w(name, SMALL), 150) + 12
    return "".join(out)


def _text(
    x: float,
    y: float,
    text: str,
    room: float,
    *,
    anchor: str = "start",
    size: int = FONT,
    colour: str = INK,
) -> str:
    """A label cut to fit `room` units, the whole text in its tooltip when cut."""
    shown = _fit(text, room, size)
    tip = f"<title>{escape(text)}</title>" if shown != text else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" '
        f'text-anchor="{anchor}">{escape(shown)}{tip}</text>'
    )


def _fit(text: str, room: float, size: int) -> str:
    most = max(1, int(room / (size * CHAR)))
    return text if len(text) <= most else text[: max(0, most - 1)].rstrip() + "…"


def _text_w(text: str, size: int) -> float:
    return len(text) * size * CHAR


def _safe_id(chart_id: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", chart_id)
    return cleaned if cleaned[:1].isalpha() else f"c-{cleaned}"


def _svg(cid: str, title: str, desc: str, height: float, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}" '
        f'width="100%" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'font-family="system-ui, sans-serif" class="chart-svg">'
        f'<title id="{cid}-title">{escape(title)}</title>'
        f'<desc id="{cid}-desc">{escape(desc)}</desc>{body}</svg>'
    )


def _figure(
    chart_id: str,
    title: str,
    desc: str,
    height: float,
    parts: list[str],
    header: list[str],
    rows: list[tuple[str, list[str]]],
) -> Markup:
    cid = _safe_id(chart_id)
    num = ' class="num"'
    head = "".join(
        f'<th scope="col"{num if i else ""}>{escape(h)}</th>' for i, h in enumerate(header)
    )
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f'<td class="num">{escape(c)}</td>' for c in cells)
        + "</tr>"
        for label, cells in rows
    )
    table = (
        f'<details class="chart-data"><summary>Figures</summary><div class="scroll">'
        f'<table><caption class="sr-only">{escape(title)}</caption><thead><tr>{head}'
        f"</tr></thead><tbody>{body}</tbody></table></div></details>"
    )
    svg = _svg(cid, title, desc, height, "".join(parts))
    return Markup(f'<figure class="chart" id="{cid}">{svg}{table}</figure>')


def _empty(chart_id: str, title: str, desc: str, message: str) -> Markup:
    cid = _safe_id(chart_id)
    body = (
        f'<text x="{WIDTH / 2:.0f}" y="34" font-size="{FONT}" fill="{MUTED}" '
        f'text-anchor="middle">{escape(message)}</text>'
    )
    svg = _svg(cid, title, desc or message, 56, body)
    return Markup(f'<figure class="chart chart-empty" id="{cid}">{svg}</figure>')
