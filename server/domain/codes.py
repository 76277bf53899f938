"""What a scanned string is: the pure half of scan resolution.

`parse_scan` classifies a code read by a camera or a keyboard-wedge scanner into a typed
query; a service then looks it up (tag, then GTIN/serial/lot, then candidates_text). The
order of the checks is the resolver chain:

1. an AIM symbology identifier (``]C1``, ``]E0``...) is stripped and says how to read the rest;
2. GS1 element strings (bracketed, with GS separators, or after a GS1 identifier) -> biip;
3. http(s) URLs: a label URL of a trusted base gives a tag; a GS1 Digital Link gives GS1
   data; any other URL is flagged untrusted;
4. something shaped like a tag gives a tag, or tag_error when the check digit fails;
5. 8/12/13/14 digits with a valid check digit give a GTIN;
6. whatever is left is candidates_text, to try as serial, SKU, lot or badge code.

parse_scan never raises: a scan that fits nothing is still a scan, logged as a miss.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementStrings
from biip.gs1_messages import GS1Message
from biip.symbology import GS1Symbology, SymbologyIdentifier

from server.domain.barcodes import GTIN_LENGTHS, gtin_problem
from server.domain.errors import DomainError
from server.domain.tags import Tag, TagKind

GROUP_SEPARATOR = "\x1d"
_SEGMENTS = {kind.url_segment: kind for kind in TagKind}
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class ScanCode:
    raw: str
    text: str
    tag: Tag | None = None
    tag_error: str | None = None
    url_untrusted: bool = False
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: date | None = None
    gs1: bool = False
    candidates_text: str | None = None
    # Why a barcode or GS1 string was not read, for the "not found" message.
    gtin_error: str | None = None
    gs1_error: str | None = None


class _Base(NamedTuple):
    scheme: str
    host: str
    port: int | None
    path: str  # lower case, no trailing slash


def parse_scan(raw: str, *, trusted_bases: Sequence[str]) -> ScanCode:
    """Classify one scanned string. Never raises."""
    text = raw.strip()  # also drops the \r, \n or \t a keyboard-wedge scanner appends
    symbology = _symbology(text)
    if symbology is not None:
        text = text[len(symbology.value) :].strip()
    scan = ScanCode(raw=raw, text=text)
    if not text:
        return scan
    bases = _parse_bases(tuple(trusted_bases))
    kind = symbology.gs1_symbology if symbology is not None else None
    if kind in GS1Symbology.with_gs1_messages() and not _is_url(text):
        return _gs1_message(scan, text)
    if kind in GS1Symbology.with_gtin():
        return _digits(scan, text)
    return _plain(scan, text, bases)


def _plain(scan: ScanCode, text: str, bases: tuple[_Base, ...]) -> ScanCode:
    if text.startswith("(") or GROUP_SEPARATOR in text:
        return _gs1_message(scan, text)
    if _is_url(text):
        return _url(scan, text, bases)
    if Tag.looks_like_tag(text):
        try:
            return replace(scan, tag=Tag.parse(text))
        except DomainError as error:
            return replace(scan, tag_error=error.message, candidates_text=text)
    if text.isascii() and text.isdigit() and len(text) in GTIN_LENGTHS:
        return _digits(scan, text)
    if text.startswith("01") and len(text) >= 16 and text[:16].isascii() and text[:16].isdigit():
        # GS1-128 read by a scanner that sends no symbology identifier. Only trusted when
        # it opens with a valid AI 01, since any string can happen to parse as some AI.
        gs1 = _gs1_message(scan, text)
        if gs1.gtin is not None:
            return replace(gs1, candidates_text=text)
    return replace(scan, candidates_text=text)


def _digits(scan: ScanCode, text: str) -> ScanCode:
    """An EAN/UPC/GTIN, kept as candidates_text too: a serial can be all digits."""
    problem = gtin_problem(text)
    if problem is None:
        return replace(scan, gtin=text.zfill(14), candidates_text=text)
    return replace(scan, gtin_error=problem, candidates_text=text)


def _gs1_message(scan: ScanCode, text: str) -> ScanCode:
    try:
        if text.startswith("("):
            message = GS1Message.parse_hri(text)
        else:
            message = GS1Message.parse(text.strip(GROUP_SEPARATOR))
    except Exception as error:  # biip on arbitrary input: any failure is "not GS1"
        return replace(scan, gs1_error=str(error), candidates_text=text)
    return _with_element_strings(scan, message.element_strings, text)


def _with_element_strings(scan: ScanCode, elements: GS1ElementStrings, text: str) -> ScanCode:
    if not elements:
        return replace(scan, gs1_error="no GS1 element strings", candidates_text=text)
    values = {element.ai.ai: element for element in elements}
    scan = replace(scan, gs1=True)
    if (ai_01 := values.get("01")) is not None:
        problem = gtin_problem(ai_01.value)
        if problem is None:
            scan = replace(scan, gtin=ai_01.value)
        else:
            # A GS1 string with a bad GTIN is damaged or misread; let the rest still be tried.
            scan = replace(scan, gtin_error=problem, candidates_text=text)
    if (ai_21 := values.get("21")) is not None:
        scan = replace(scan, serial=ai_21.value)
    if (ai_10 := values.get("10")) is not None:
        scan = replace(scan, lot=ai_10.value)
    if (ai_17 := values.get("17")) is not None:
        # biip reads DD=00 as the last day of the month, as the GS1 specification says.
        scan = replace(scan, expiry=ai_17.date)
    return scan


def _is_url(text: str) -> bool:
    return text[:8].lower().startswith(("http://", "https://"))


def _url(scan: ScanCode, text: str, bases: tuple[_Base, ...]) -> ScanCode:
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return replace(scan, url_untrusted=True, candidates_text=text)
    scheme, host = parts.scheme.lower(), (parts.hostname or "")
    port = port if port is not None else _DEFAULT_PORTS.get(scheme)
    # Compared case-insensitively: a QR code in alphanumeric mode upper-cases the whole URL.
    path = unquote(parts.path).lower()
    for base in bases:
        if (base.scheme, base.host, base.port) != (scheme, host, port):
            continue
        if path == base.path or path.startswith(base.path + "/"):
            return _label_path(scan, path[len(base.path) :])
    try:
        link = GS1DigitalLinkURI.parse(text)
    except Exception:  # biip on arbitrary input: any failure is "not a Digital Link"
        return replace(scan, url_untrusted=True, candidates_text=text)
    return _with_element_strings(scan, link.element_strings, text)


def _label_path(scan: ScanCode, rest: str) -> ScanCode:
    """``/u/U-0004175`` after the base. The tag's own prefix names its kind (the check
    digit covers it), so a tag under the wrong segment is still that tag."""
    segments = [segment for segment in rest.split("/") if segment]
    if len(segments) != 2 or segments[0].lower() not in _SEGMENTS:
        return replace(
            scan,
            tag_error="this link points to this server but not to a label "
            "(expected /u/, /l/ or /p/ and a tag)",
        )
    try:
        return replace(scan, tag=Tag.parse(segments[1]))
    except DomainError as error:
        return replace(scan, tag_error=error.message)


def _symbology(text: str) -> SymbologyIdentifier | None:
    if not text.startswith("]") or len(text) < 3:
        return None
    try:
        return SymbologyIdentifier.extract(text)
    except Exception:  # biip on arbitrary input: any failure is "no identifier"
        return None


@lru_cache(maxsize=32)
def _parse_bases(bases: tuple[str, ...]) -> tuple[_Base, ...]:
    parsed = []
    for base in bases:
        try:
            parts = urlsplit(base.strip())
            port = parts.port
        except ValueError:
            continue
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            continue
        port = port if port is not None else _DEFAULT_PORTS[scheme]
        parsed.append(_Base(scheme, parts.hostname, port, unquote(parts.path).rstrip("/").lower()))
    # Longest path first, so that a base nested in another one wins.
    return tuple(sorted(parsed, key=lambda base: len(base.path), reverse=True))
