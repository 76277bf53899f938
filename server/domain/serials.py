"""Serial numbers for bulk unit creation: an explicit list or a pattern like SN-{0001..0050}."""

from __future__ import annotations

import re

from server.domain.errors import InvalidInput
from server.domain.fields import MAX_BULK, check_length, max_chars

_RANGE = re.compile(r"\{(\d+)\.\.(\d+)\}")


def check_serial(serial: str | None, field: str = "serial") -> str | None:
    """Serials keep their case; surrounding space is dropped; empty means pending."""
    if serial is None:
        return None
    serial = serial.strip()
    if not serial:
        return None
    most = max_chars("serial") or 100
    if len(serial) > most or any(ord(c) < 32 for c in serial):
        raise InvalidInput(f"{field} must be at most {most} printable characters", field=field)
    return serial


def expand_pattern(pattern: str) -> list[str]:
    """`SN-{0001..0050}` -> SN-0001 ... SN-0050. The width of the first bound is kept, so
    `{8..12}` gives 8, 9, 10, 11, 12 and `{08..12}` gives 08 ... 12."""
    ranges = _RANGE.findall(check_length("serial_pattern", pattern))
    if len(ranges) != 1:
        raise InvalidInput(
            "serial_pattern must hold exactly one range such as {0001..0050}",
            field="serial_pattern",
        )
    start_s, end_s = ranges[0]
    start, end = int(start_s), int(end_s)
    if end < start:
        raise InvalidInput("serial_pattern range runs backwards", field="serial_pattern")
    if end - start + 1 > MAX_BULK:
        raise InvalidInput(f"serial_pattern gives more than {MAX_BULK} serials",
                           field="serial_pattern")
    width = len(start_s) if start_s.startswith("0") else 0
    prefix, suffix = _RANGE.split(pattern, maxsplit=1)[0], _RANGE.split(pattern)[-1]
    return [f"{prefix}{str(n).zfill(width)}{suffix}" for n in range(start, end + 1)]


def plan_serials(count: int | None, serials: list[str] | None,
                 pattern: str | None) -> list[str | None]:
    """Decide the serials of a bulk creation: one entry per unit, None where pending."""
    given = [s is not None for s in (serials, pattern)]
    if all(given):
        raise InvalidInput("give serials or serial_pattern, not both", field="serials")
    if serials is not None:
        planned = [check_serial(s, f"serials[{i}]") for i, s in enumerate(serials)]
    elif pattern is not None:
        planned = list(expand_pattern(pattern))
    else:
        planned = []
    if count is None:
        count = len(planned)
    if count <= 0 or count > MAX_BULK:
        raise InvalidInput(f"count must be between 1 and {MAX_BULK}", field="count")
    if planned and len(planned) != count:
        raise InvalidInput(f"count is {count} but {len(planned)} serials were given",
                           field="count")
    real = [s for s in planned if s is not None]
    dupes = sorted({s for s in real if real.count(s) > 1})
    if dupes:
        raise InvalidInput(f"serial {dupes[0]} is given twice", field="serials")
    return planned or [None] * count
