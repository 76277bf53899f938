"""The elements a layout places, in printer dots with the origin at the label's top-left."""

from __future__ import annotations

import math
from dataclasses import dataclass

from labels.codes import QrSymbol, qr_symbol
from labels.stocks import MM_PER_INCH, LabelStock
from labels.text import ascent

LINE_SPACING = 1.2
POINT_MM = MM_PER_INCH / 72


@dataclass(frozen=True, slots=True)
class QrElement:
    x: int
    y: int
    module: int
    payload: str
    ec: str
    version: int

    @property
    def size(self) -> int:
        """Modules per side, known without building the symbol (ZPL never needs its matrix)."""
        return 17 + 4 * self.version

    @property
    def symbol(self) -> QrSymbol:
        return qr_symbol(self.payload, self.ec, self.version)


@dataclass(frozen=True, slots=True)
class BarElement:
    x: int
    y: int
    module: int
    height: int
    modules: str
    payload: str


@dataclass(frozen=True, slots=True)
class TextElement:
    x: int
    y: int  # top of the line box
    size: int  # em size in dots
    width: int  # the box the text was fitted to
    text: str
    bold: bool

    @property
    def baseline(self) -> int:
        return self.y + round(ascent(self.size))


@dataclass(frozen=True, slots=True)
class LogoElement:
    x: int
    y: int
    width: int
    height: int
    png: bytes


Element = QrElement | BarElement | TextElement | LogoElement


@dataclass(frozen=True, slots=True)
class Layout:
    stock: LabelStock
    width: int
    height: int
    elements: tuple[Element, ...]


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def w(self) -> int:
        return self.right - self.left

    @property
    def h(self) -> int:
        return self.bottom - self.top


class Rules:
    """Legibility limits for one stock, in dots."""

    def __init__(self, stock: LabelStock) -> None:
        def dots(mm: float) -> float:
            return mm / MM_PER_INCH * stock.dpi

        self.qr_min = max(2, math.ceil(dots(0.25) - 0.05))
        self.qr_pref = max(self.qr_min, round(dots(0.4)))
        self.qr_max = max(self.qr_pref, round(dots(1.0)))
        self.bar_min = max(2, math.ceil(dots(0.165) - 0.05))
        self.bar_max = max(self.bar_min, round(dots(0.38)))
        self.bar_h_min = round(dots(5.0))
        self.bar_h_max = round(dots(15.0))
        self.text_min = round(dots(6 * POINT_MM))
        self.text_max = round(dots(12 * POINT_MM))
        self.gap = round(dots(1.0))
        self.dpi = stock.dpi

    def mm(self, dots: int) -> str:
        return f"{dots / self.dpi * MM_PER_INCH:.1f} mm"
