"""The tag: the short, scannable code printed on every unit, location and person label.

Canonical form is ``<K>-<digits><check>``, for example ``U-0004175``:

- ``K`` says what kind of thing the tag names (``U`` unit, ``L`` location, ``P`` person),
  so a scanner can tell a location label from a unit label before any lookup;
- ``digits`` is the sequence number, zero-padded to at least six digits;
- ``check`` is one Damm check digit computed over ``str(ord(K)) + digits`` (``"85000417"``
  for ``U-000417``). Folding the kind into the checksum means that a unit number retyped
  under a location prefix fails the check too, not only a mistyped digit. Damm catches
  every single-digit substitution and every adjacent transposition.

Only upper-case letters, digits and a hyphen are used, so every tag is Code 128 friendly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from stdnum import damm

from server.domain.errors import InvalidInput

MIN_DIGITS = 6

_SHAPE = re.compile(r"([A-Za-z])(-?)([0-9]+)")
_LOOSE = re.compile(r"([A-Za-z])-?([^A-Za-z\s-]\S*)?")


class TagKind(StrEnum):
    UNIT = "U"
    LOCATION = "L"
    PERSON = "P"

    @property
    def noun(self) -> str:
        return _NOUNS[self]

    @property
    def url_segment(self) -> str:
        """The path segment of a label URL: ``{public_url}/u/{tag}``."""
        return self.value.lower()


_NOUNS = {TagKind.UNIT: "unit", TagKind.LOCATION: "location", TagKind.PERSON: "person"}
_PREFIXES = frozenset(kind.value for kind in TagKind)


class InvalidTag(InvalidInput):
    code = "invalid_tag"

    def __init__(self, message: str, *, text: str | None = None) -> None:
        super().__init__(message, field="tag", details={} if text is None else {"value": text})


def _check_digit(kind: TagKind, digits: str) -> str:
    return str(damm.calc_check_digit(str(ord(kind.value)) + digits))


def _digits(number: int) -> str:
    return str(number).zfill(MIN_DIGITS)


@dataclass(frozen=True, slots=True)
class Tag:
    kind: TagKind
    number: int

    def __post_init__(self) -> None:
        if not isinstance(self.kind, TagKind):
            raise TypeError(f"kind must be a TagKind, not {self.kind!r}")
        if isinstance(self.number, bool) or not isinstance(self.number, int):
            raise TypeError(f"number must be an int, not {self.number!r}")
        if self.number < 1:
            raise InvalidTag(f"a tag number starts at 1, got {self.number}")

    def __str__(self) -> str:
        digits = _digits(self.number)
        return f"{self.kind.value}-{digits}{_check_digit(self.kind, digits)}"

    @classmethod
    def parse(cls, text: str) -> Tag:
        """Read a tag as printed or typed: surrounding whitespace, lower case and a missing
        hyphen are accepted; everything else raises InvalidTag saying what is wrong."""
        cleaned = text.strip()
        if not cleaned:
            raise InvalidTag("a tag is required", text=text)
        loose = _LOOSE.fullmatch(cleaned)
        if loose is None:
            raise InvalidTag(f"{cleaned!r} is not a tag: a tag looks like U-0004175", text=text)
        letter, rest = loose.group(1).upper(), loose.group(2) or ""
        try:
            kind = TagKind(letter)
        except ValueError:
            known = ", ".join(f"{k.value} ({k.noun})" for k in TagKind)
            raise InvalidTag(
                f"unknown tag prefix {letter!r}: expected one of {known}", text=text
            ) from None
        if not rest:
            raise InvalidTag(f"a {kind.noun} tag needs digits after {letter}-", text=text)
        if not (rest.isascii() and rest.isdigit()):
            raise InvalidTag(
                f"a {kind.noun} tag has only digits after {letter}-, got {rest!r}", text=text
            )
        if len(rest) < MIN_DIGITS + 1:
            raise InvalidTag(
                f"{kind.noun} tag is too short: {letter}- is followed by at least "
                f"{MIN_DIGITS + 1} digits (the last one is a check digit), got {len(rest)}",
                text=text,
            )
        digits, check = rest[:-1], rest[-1]
        number = int(digits)
        if number == 0:
            raise InvalidTag("a tag number starts at 1", text=text)
        if digits != _digits(number):
            # The check digit alone would not always catch an extra leading zero.
            raise InvalidTag(
                f"{kind.noun} tag has too many leading zeros: did you mean {cls(kind, number)}?",
                text=text,
            )
        if _check_digit(kind, digits) != check:
            raise InvalidTag("check digit does not match: mistyped?", text=text)
        return cls(kind, number)

    @classmethod
    def looks_like_tag(cls, text: str) -> bool:
        """Shape only, no check digit: a known prefix letter, then digits. With the hyphen
        any number of digits counts (``U-0417`` is a tag someone got wrong); without it at
        least six, so that short codes like ``P123`` stay serials and SKUs."""
        match = _SHAPE.fullmatch(text.strip())
        if match is None or match.group(1).upper() not in _PREFIXES:
            return False
        return bool(match.group(2)) or len(match.group(3)) >= MIN_DIGITS
