"""What every report page and report API answer shares: the filters read from the query
string (period, location subtree, category, item), the filter form's choices, a report as
JSON, and the export of exactly the filtered rows as CSV or XLSX.

Other report pages include the form with
`{% include "reports_filters.html" %}` after putting `filter_context(...)` in their
context, and answer `?format=csv|xlsx` with `export(...)`."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any
from urllib.parse import urlencode

from litestar import Response

from server.db.engine import fetch
from server.domain import reports as rules
from server.domain.errors import InvalidInput
from server.domain.reports import Column, ReportFilter
from server.http import downloads
from server.http.pages.common import Req, location_choices
from server.services import reports, spreadsheets

FORMATS = ("json", "csv", "xlsx")


def read_filter(request: Req) -> ReportFilter:
    params = {k: str(v) for k, v in request.query_params.items()}
    return rules.parse_filter(params, dt.datetime.now(dt.UTC).date())


def read_format(request: Req, default: str = "json") -> str:
    fmt = request.query_params.get("format") or default
    if fmt not in (*FORMATS, default):
        raise InvalidInput("format must be json, csv or xlsx", field="format")
    return str(fmt)


async def category_choices() -> list[tuple[str, str]]:
    rows = await fetch("SELECT DISTINCT category FROM item WHERE archived = {} AND "
                       "category <> '' ORDER BY category", False)
    return [(r["category"], r["category"]) for r in rows]


def link(path: str, f: ReportFilter, **extra: str) -> str:
    return f"{path}?{urlencode({**f.query(), **{k: v for k, v in extra.items() if v}})}"


async def filter_context(request: Req, f: ReportFilter, *, extra: dict[str, str] | None = None,
                         show_period: bool = True) -> dict[str, Any]:
    """What reports_filters.html needs: the filter, the choices, the export links (the
    same query with format=csv / xlsx), and `extra` query fields the report keeps."""
    extra = extra or {}
    path = request.url.path
    return {
        "rf": f,
        "rf_extra": extra,
        "rf_show_period": show_period,
        "rf_locations": await location_choices(),
        "rf_categories": await category_choices(),
        "rf_csv": link(path, f, **extra, format="csv"),
        "rf_xlsx": link(path, f, **extra, format="xlsx"),
    }


def cell(value: Any) -> Any:
    """A report value as JSON: money and dates as text, the rest as it is."""
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def as_json(name: str, columns: list[Column], rows: list[dict[str, Any]], f: ReportFilter,
            *, limit: int, offset: int, totals: dict[str, Any] | None = None,
            total: int | None = None) -> dict[str, Any]:
    """`total` given: `rows` is already the page at `offset`, else every row."""
    page = rows if total is not None else rows[offset:offset + limit]
    return {
        "report": name,
        "filters": f.query(),
        "columns": [{"key": c.key, "header": c.header, "kind": c.kind} for c in columns],
        "total": total if total is not None else len(rows),
        "limit": limit,
        "offset": offset,
        "rows": [{c.key: cell(r.get(c.key)) for c in columns}
                 for r in page],
        "totals": {k: cell(v) for k, v in (totals or {}).items() if not isinstance(v, dict)},
    }


def _sheet_cell(value: Any) -> spreadsheets.Cell:
    if value is None or isinstance(value, str | int | float | decimal.Decimal | dt.date):
        return value  # type: ignore[no-any-return]
    return str(value)


async def export(name: str, columns: list[Column], rows: list[dict[str, Any]],
                 f: ReportFilter, fmt: str) -> Response[Any]:
    """Every filtered row, in the JSON's columns and order, as CSV or XLSX."""
    headers = [c.header for c in columns]
    table = [[_sheet_cell(r.get(c.key)) for c in columns] for r in rows]
    filename = f"{name}-{f.start.isoformat()}-{f.end.isoformat()}.{fmt}"
    if fmt == "csv":
        return downloads.download(spreadsheets.write_csv(headers, table), filename, "csv")

    async def chunks() -> Any:
        for start in range(0, len(table), 2000):
            yield table[start:start + 2000]

    path = await spreadsheets.build_xlsx(headers, chunks(), sheet_name=name)
    return downloads.file_download(path, filename, "xlsx")


async def run_report(name: str, request: Req, f: ReportFilter, *, limit: int | None = None,
                     offset: int = 0) -> Any:
    """The report called `name` with the request's filters and its own options
    (low-stock: by=location; stock-value: by=item|category|location, as_of=DATE).
    `limit`: the reports that page in the database return that page only (an export
    passes None: every row)."""
    now = dt.datetime.now(dt.UTC)
    q = request.query_params
    if name == "low-stock":
        return await reports.low_stock(f, by_location=q.get("by") == "location")
    if name == "stock-value":
        as_of = None
        if q.get("as_of"):
            try:
                as_of = dt.date.fromisoformat(str(q.get("as_of")))
            except ValueError:
                raise InvalidInput("as_of must be a date like 2026-11-29",
                                   field="as_of") from None
            if as_of > now.date():
                raise InvalidInput("as_of must not be in the future", field="as_of")
            if as_of >= now.date():
                as_of = None
        return await reports.stock_value(f, as_of=as_of, by=str(q.get("by") or "item"))
    if name == "loans-by-person":
        return await reports.loans_by_person(f, now)
    if name == "overdue":
        return await reports.overdue(f, now, limit=limit, offset=offset)
    if name == "no-due-date":
        return await reports.no_due_date(f, limit=limit, offset=offset)
    if name == "repairs":
        return await reports.repairs(f, limit=limit, offset=offset)
    if name == "shrinkage":
        return await reports.shrinkage(f)
    raise InvalidInput(f"no report {name}", field="report")
