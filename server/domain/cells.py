"""Spreadsheet cells that a spreadsheet program must not run as formulas (CSV injection).

A text cell that begins with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets when it comes from a CSV file. Exports write such a
cell with a leading apostrophe (the spreadsheet's own "this is text" mark, which it shows
without the apostrophe); imports take the apostrophe off again, so that an export read back
gives exactly what was exported. A cell that itself begins with an apostrophe gets a second
one, so the rule is reversible for every string.

XLSX exports write every text cell as a string cell, which no spreadsheet evaluates, so they
need no apostrophe; a cell read back from XLSX is taken as it is."""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """The text to write in a CSV cell so that no spreadsheet runs it."""
    if value.startswith(TRIGGERS) or value.startswith("'"):
        return "'" + value
    return value


def restore(value: str) -> str:
    """What `neutralize` was given: the inverse, for a CSV cell read back."""
    if value.startswith("'") and len(value) > 1 and (value[1] in TRIGGERS or value[1] == "'"):
        return value[1:]
    return value
