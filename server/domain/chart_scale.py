"""Axis layout for the report charts: "nice" ticks (0, 5, 10, 15 rather than 0, 4.3, 8.6)
and a few dates along a time axis. Pure arithmetic; the SVG is drawn in
server/http/charts.py."""

from __future__ import annotations

import datetime as dt
import math

_STEPS = (1.0, 2.0, 2.5, 5.0, 10.0)


def nice_step(span: float, max_ticks: int) -> float:
    """The smallest step of the form {1, 2, 2.5, 5} x 10^k that covers `span` with at most
    `max_ticks` intervals."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / max(1, max_ticks)
    if raw <= 0:  # a span too small for a float to divide
        return 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    for step in _STEPS:
        if step * power >= raw * (1 - 1e-9):
            return step * power
    return 10.0 * power  # pragma: no cover - the last step always covers raw


def nice_ticks(low: float, high: float, max_ticks: int = 5, *, whole: bool = False) -> list[float]:
    """Ticks from a round number at or below `low` to one at or above `high`; never empty.
    An all-zero (or empty) range gets 0..1 so that a chart still has an axis. `whole`
    keeps the step a whole number (counts of things: no "2.5 units")."""
    low, high = min(low, high, 0.0), max(low, high, 0.0)
    if high - low < 1e-9:  # nothing (or a rounding speck) to show
        high = low + 1.0
    step = nice_step(high - low, max_ticks)
    if whole and step < 1:
        step = 1.0
    elif whole and not step.is_integer():
        step = math.ceil(step)
    first = math.floor(low / step + 1e-9) * step
    last = math.ceil(high / step - 1e-9) * step
    count = round((last - first) / step)
    return [_tidy(first + i * step) for i in range(count + 1)]


def _tidy(value: float) -> float:
    """0.30000000000000004 -> 0.3; an integral value becomes an exact float."""
    rounded = float(f"{value:.12g}")
    return 0.0 if rounded == 0 else rounded


def date_ticks(start: dt.date, end: dt.date, max_ticks: int = 5) -> list[dt.date]:
    """Dates to label along [start, end]: month starts when the range spans two months or
    more, otherwise evenly spread days; always within the range, at most `max_ticks`."""
    if end < start:
        start, end = end, start
    days = (end - start).days
    if days == 0:
        return [start]
    months = _month_starts(start, end)
    if len(months) >= 2:
        every = math.ceil(len(months) / max_ticks)
        return months[::every]
    count = min(max_ticks, days + 1)
    step = days / max(1, count - 1)
    picked = [start + dt.timedelta(days=round(i * step)) for i in range(count)]
    return sorted(set(picked))


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    out: list[dt.date] = []
    year, month = start.year, start.month
    if start.day != 1:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    while (day := dt.date(year, month, 1)) <= end:
        out.append(day)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
