"""Manufacturer barcodes: EAN-8, UPC-A, EAN-13 and GTIN-14, all one GTIN.

Every form is the same number left-padded with zeros, so Tagtrack stores the canonical
14-digit GTIN and looks a scan up by all the shorter forms it may also carry.
"""

from __future__ import annotations

from stdnum import ean

from server.domain.errors import InvalidInput

GTIN_LENGTHS = (8, 12, 13, 14)
# Printed human-readable digits often come with spaces or hyphens between groups.
_GROUPING = str.maketrans("", "", " -")


class InvalidBarcode(InvalidInput):
    code = "invalid_barcode"

    def __init__(self, message: str, *, text: str) -> None:
        super().__init__(message, field="barcodes", details={"value": text})


def gtin_problem(digits: str) -> str | None:
    """Why `digits` is not a GTIN, or None if it is one. Does not raise."""
    if not digits:
        return "a barcode is required"
    if not (digits.isascii() and digits.isdigit()):
        return "a barcode has only digits"
    if len(digits) not in GTIN_LENGTHS:
        return f"wrong length: {len(digits)} digits, a barcode has 8, 12, 13 or 14"
    expected = ean.calc_check_digit(digits[:-1])
    if digits[-1] != expected:
        return f"check digit is wrong: expected {expected}"
    return None


def normalize_gtin(text: str) -> str:
    """The canonical 14-digit GTIN of an EAN-8, UPC-A, EAN-13 or GTIN-14.

    Raises InvalidBarcode (field "barcodes") saying what is wrong."""
    digits = text.strip().translate(_GROUPING)
    problem = gtin_problem(digits)
    if problem is not None:
        raise InvalidBarcode(problem, text=text)
    return digits.zfill(14)


def gtin_variants(gtin: str) -> set[str]:
    """Every form a scan of this GTIN might carry: the 14-digit form and those of the
    8, 12 and 13-digit forms that only drop leading zeros. Used for lookups, so that a
    barcode stored as an EAN-13 is found from a GTIN-14 in a GS1 string and vice versa.
    Accepts any form; raises InvalidBarcode like normalize_gtin."""
    canonical = normalize_gtin(gtin)
    return {canonical[14 - n :] for n in GTIN_LENGTHS if not canonical[: 14 - n].strip("0")}
