"""What the stock, value and loan reports decide, in plain Python: the filters every report
takes, the reorder suggestion, days overdue, and a person's loan figures.

The queries that gather the rows are in server/db/reports_repo.py; these rules are applied
to what they return, so that a test can check them without a database."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Iterable, Mapping

from server.domain.errors import InvalidInput

DEFAULT_DAYS = 90
MAX_DAYS = 366 * 5
TEXT_MAX = 200


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a report: the row's key, the header people read, and its kind
    ("text", "int", "money", "date", "datetime", "share") for display and spreadsheets."""

    key: str
    header: str
    kind: str = "text"


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    """Every report's filters: the period [start, end] (whole days, both included), a
    location and everything under it (its tag), a category, an item (its SKU)."""

    start: dt.date
    end: dt.date
    location: str = ""
    category: str = ""
    item: str = ""

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links: next page, exports)."""
        out = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        out.update({k: v for k, v in (("location", self.location), ("category", self.category),
                                      ("item", self.item)) if v})
        return out


def _date(text: str, name: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a date like 2026-11-29", field=name) from None


def _text(params: Mapping[str, str], name: str) -> str:
    value = (params.get(name) or "").strip()
    if len(value) > TEXT_MAX:
        raise InvalidInput(f"{name} takes at most {TEXT_MAX} characters", field=name)
    return value


def parse_filter(params: Mapping[str, str], today: dt.date) -> ReportFilter:
    """The filters from a query string; the period defaults to the last 90 days to today."""
    end = _date(_text(params, "end"), "end") or today
    start = _date(_text(params, "start"), "start") or end - dt.timedelta(days=DEFAULT_DAYS - 1)
    if start > end:
        raise InvalidInput("start must be on or before end", field="start")
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(f"the period may span at most {MAX_DAYS} days", field="start")
    return ReportFilter(start=start, end=end, location=_text(params, "location").upper(),
                        category=_text(params, "category"), item=_text(params, "item"))


def suggested_order(on_hand: int, reorder_point: int) -> int:
    """How many to order when an item is at or below its reorder point: enough to bring it
    up to twice the reorder point (the min-max rule: max = 2 x min), at least one."""
    return max(1, 2 * reorder_point - on_hand)


def days_overdue(due: dt.datetime, now: dt.datetime) -> int:
    """Whole days past due (a loan due an hour ago is 0 days overdue, yet overdue)."""
    return max(0, math.floor((now - due).total_seconds() / 86400))


@dataclasses.dataclass(frozen=True)
class LoanSpan:
    """One loan of one person: when it began, when it ended (None: still out), when due."""

    lent_at: dt.datetime
    returned_at: dt.datetime | None
    due_at: dt.datetime | None
    quantity: int = 1


@dataclasses.dataclass(frozen=True)
class PersonLoans:
    """One person's loans in a period, as tallies that add up (units counted in the
    database, quantities here): `on_time_share` is on_time / dated_returns."""

    check_outs: int = 0
    returns: int = 0
    days_held: float = 0.0  # summed over the loans, open ones up to now
    dated_returns: int = 0  # returned loans that had a due date
    on_time: int = 0  # of those, back by their due date
    overdue_now: int = 0
    out_now: int = 0

    def __add__(self, other: PersonLoans) -> PersonLoans:
        return PersonLoans(*(a + b for a, b in zip(dataclasses.astuple(self),
                                                   dataclasses.astuple(other), strict=True)))

    @property
    def on_time_share(self) -> float | None:
        return self.on_time / self.dated_returns if self.dated_returns else None


def person_loans(spans: Iterable[LoanSpan], now: dt.datetime) -> PersonLoans:
    check_outs = returns = overdue = out = on_time = dated_returns = 0
    held = 0.0
    for span in spans:
        check_outs += 1
        end = span.returned_at or now
        held += max(0.0, (end - span.lent_at).total_seconds()) / 86400
        if span.returned_at is None:
            out += 1
            overdue += span.due_at is not None and span.due_at < now
            continue
        returns += 1
        if span.due_at is not None:
            dated_returns += 1
            on_time += span.returned_at <= span.due_at
    return PersonLoans(check_outs, returns, held, dated_returns, on_time, overdue, out)


def month_key(moment: dt.datetime | dt.date) -> str:
    """2026-11: the month a shrinkage figure is counted in (UTC)."""
    return f"{moment.year:04d}-{moment.month:02d}"


def months_between(start: dt.date, end: dt.date) -> list[str]:
    out, year, month = [], start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
