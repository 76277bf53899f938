"""Label stocks: the physical media (sheets and rolls), built in or from a TOML/JSON file."""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from labels.errors import StockError

MM_PER_INCH = 25.4
MEDIA = ("sheet", "roll")
PRINTERS = ("laser", "zebra", "dymo", "brother", "ptouch", "other")
SHEET_DPI = 300  # nominal raster resolution for sheets printed on office printers
_SLACK_MM = 0.05  # tolerance for published dimensions that are rounded to 0.1 mm


@dataclass(frozen=True, slots=True)
class LabelStock:
    """One label medium. Sizes in mm, in reading orientation (width across, height down)."""

    key: str
    name: str
    media: str
    width_mm: float
    height_mm: float
    dpi: int = SHEET_DPI
    printer: str = "laser"
    inset_x_mm: float = 1.5  # unprintable or unsafe border inside the label, left and right
    inset_y_mm: float = 1.5  # same, top and bottom (e.g. tape width minus print head height)
    corner_radius_mm: float = 0.0  # preview and cut borders only
    continuous: bool = False  # a roll cut to length: height_mm or width_mm is a default
    page_width_mm: float = 0.0
    page_height_mm: float = 0.0
    margin_left_mm: float = 0.0
    margin_top_mm: float = 0.0
    pitch_x_mm: float = 0.0
    pitch_y_mm: float = 0.0
    columns: int = 1
    rows: int = 1
    source: str = ""

    def __post_init__(self) -> None:
        _validate(self)

    @property
    def width_dots(self) -> int:
        return self.dots(self.width_mm)

    @property
    def height_dots(self) -> int:
        return self.dots(self.height_mm)

    @property
    def per_page(self) -> int:
        return self.columns * self.rows if self.media == "sheet" else 1

    def dots(self, mm: float) -> int:
        """Millimetres to whole printer dots at this stock's resolution."""
        return round(mm / MM_PER_INCH * self.dpi)

    def with_length(self, length_mm: float) -> LabelStock:
        """A continuous roll cut to another length (along the feed, i.e. the label width)."""
        if not self.continuous:
            raise StockError("length_mm", f"stock {self.key!r} is die-cut, its length is fixed")
        return replace(self, width_mm=float(length_mm))


def _fail(stock_key: str, field: str, reason: str) -> StockError:
    return StockError(field, f"stock {stock_key!r}: {reason}")


def _validate(s: LabelStock) -> None:
    if not s.key or not all(c.isalnum() or c in "-_." for c in s.key):
        raise _fail(s.key, "key", "must be letters, digits, '-', '_' or '.'")
    if s.media not in MEDIA:
        raise _fail(s.key, "media", f"must be one of {', '.join(MEDIA)}")
    if s.printer not in PRINTERS:
        raise _fail(s.key, "printer", f"must be one of {', '.join(PRINTERS)}")
    if not 100 <= s.dpi <= 1200:
        raise _fail(s.key, "dpi", "must be between 100 and 1200 (typical: 203, 300, 600)")
    for name in ("width_mm", "height_mm"):
        value = getattr(s, name)
        if not (math.isfinite(value) and 5.0 <= value <= 1000.0):
            raise _fail(s.key, name, "must be between 5 and 1000 mm")
    for name in ("inset_x_mm", "inset_y_mm", "corner_radius_mm"):
        if not (math.isfinite(getattr(s, name)) and getattr(s, name) >= 0):
            raise _fail(s.key, name, "must be zero or more")
    if 2 * s.inset_x_mm >= s.width_mm or 2 * s.inset_y_mm >= s.height_mm:
        raise _fail(s.key, "inset_x_mm", "insets leave no printable area")
    if s.media == "sheet":
        _validate_sheet(s)


def _validate_sheet(s: LabelStock) -> None:
    if s.page_width_mm <= 0 or s.page_height_mm <= 0:
        raise _fail(s.key, "page_width_mm", "a sheet needs page_width_mm and page_height_mm")
    if s.columns < 1 or s.rows < 1:
        raise _fail(s.key, "columns", "a sheet needs at least one column and one row")
    if s.columns > 1 and s.pitch_x_mm < s.width_mm - _SLACK_MM:
        raise _fail(s.key, "pitch_x_mm", "must be at least the label width (labels overlap)")
    if s.rows > 1 and s.pitch_y_mm < s.height_mm - _SLACK_MM:
        raise _fail(s.key, "pitch_y_mm", "must be at least the label height (labels overlap)")
    if s.margin_left_mm < 0 or s.margin_top_mm < 0:
        raise _fail(s.key, "margin_left_mm", "margins must be zero or more")
    right = s.margin_left_mm + (s.columns - 1) * s.pitch_x_mm + s.width_mm
    bottom = s.margin_top_mm + (s.rows - 1) * s.pitch_y_mm + s.height_mm
    if right > s.page_width_mm + _SLACK_MM:
        raise _fail(s.key, "columns", f"labels end at {right:.2f} mm, past the page width")
    if bottom > s.page_height_mm + _SLACK_MM:
        raise _fail(s.key, "rows", f"labels end at {bottom:.2f} mm, past the page height")


_BUILTIN_FILE = Path(__file__).with_name("stocks.json")


@lru_cache(maxsize=1)
def _builtin() -> dict[str, LabelStock]:
    return load_stocks(_BUILTIN_FILE)


def builtin_stocks() -> dict[str, LabelStock]:
    """The built-in stocks by key, from stocks.json (docs/labels.md gives the sources)."""
    return dict(_builtin())


Mapping_ = dict[str, Any]
_FIELD_TYPES = {f.name: f.type for f in fields(LabelStock)}


def parse_stock(key: str, raw: Mapping_) -> LabelStock:
    """Build one stock from a mapping (a TOML table or JSON object), checking names and types."""
    if not isinstance(raw, dict):
        raise StockError(key, "a stock must be a table of fields")
    values: dict[str, Any] = {"key": key}
    for name, value in raw.items():
        kind = _FIELD_TYPES.get(name)
        if kind is None or name == "key":
            raise _fail(key, name, "unknown field")
        values[name] = _coerce(key, name, str(kind), value)
    for required in ("name", "media", "width_mm", "height_mm"):
        if required not in values:
            raise _fail(key, required, "is required")
    return LabelStock(**values)


def _coerce(key: str, name: str, kind: str, value: Any) -> Any:
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _fail(key, name, f"must be a number, got {value!r}")
        return float(value)
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(key, name, f"must be a whole number, got {value!r}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise _fail(key, name, f"must be true or false, got {value!r}")
        return value
    if not isinstance(value, str):
        raise _fail(key, name, f"must be a string, got {value!r}")
    return value


def load_stocks(path: str | Path) -> dict[str, LabelStock]:
    """Read custom stocks from a .toml or .json file: a `stocks` table keyed by stock key."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        doc = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except OSError as exc:
        raise StockError("path", f"cannot read {path}: {exc.strerror}") from exc
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise StockError("path", f"{path} is not valid {path.suffix[1:] or 'TOML'}: {exc}") from exc
    stocks = doc.get("stocks") if isinstance(doc, dict) else None
    if not isinstance(stocks, dict) or not stocks:
        raise StockError("stocks", f"{path} must define a non-empty 'stocks' table")
    return {key: parse_stock(key, raw) for key, raw in stocks.items()}
