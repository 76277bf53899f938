"""The one QR matrix builder and the one Code 128 module builder used by every output format."""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass
from functools import lru_cache

import barcode
import qrcode
from qrcode import LUT, base, constants, util

from labels.errors import FitError

QR_QUIET = 4  # modules each side (ISO/IEC 18004)
CODE128_QUIET = 10  # modules each side (ISO/IEC 15417)
# Strongest first: with room to spare, the symbol gets more error correction.
EC_LEVELS: tuple[str, ...] = ("H", "Q", "M", "L")
_EC = {
    "L": constants.ERROR_CORRECT_L,
    "M": constants.ERROR_CORRECT_M,
    "Q": constants.ERROR_CORRECT_Q,
    "H": constants.ERROR_CORRECT_H,
}
# A fixed mask skips qrcode's scoring of all 8 masks (3/4 of its run time); any mask is valid
# and decodes the same, the scoring only makes rare pathological patterns less likely.
_MASK = 2


@dataclass(frozen=True, slots=True)
class QrSymbol:
    payload: str
    ec: str
    version: int
    rows: tuple[str, ...]  # one string per row, "1" = dark module, no quiet zone

    @property
    def size(self) -> int:
        return len(self.rows)


class _Bits:
    """A bit accumulator with the `put` interface qrcode's QRData.write expects."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | num
        self.length += length


def _data_bits(chunks: list[util.QRData], version: int) -> _Bits:
    sizes = util.mode_sizes_for_version(version)
    bits = _Bits()
    for chunk in chunks:
        bits.put(chunk.mode, 4)
        bits.put(len(chunk), sizes[chunk.mode])
        chunk.write(bits)
    return bits


def _chunks(payload: str) -> list[util.QRData]:
    return list(util.optimal_data_chunks(payload.encode("utf-8")))


@lru_cache(maxsize=256)
def qr_versions(payload: str) -> dict[str, int]:
    """Smallest QR version for each EC level, without building any symbol."""
    chunks = _chunks(payload)
    needed: dict[int, int] = {}  # data bits by version class: the length fields widen at 10, 27
    out: dict[str, int] = {}
    for ec in EC_LEVELS:
        table = util.BIT_LIMIT_TABLE[_EC[ec]]
        for first, last in ((1, 9), (10, 26), (27, 40)):
            if first not in needed:
                needed[first] = _data_bits(chunks, first).length
            version = bisect_left(table, needed[first], first)
            if version <= last:
                out[ec] = version
                break
    return out


@lru_cache(maxsize=64)
def _rs_products(ec_count: int) -> tuple[tuple[int, ...], ...]:
    """For each byte value f, the generator polynomial's tail multiplied by f in GF(256)."""
    log, exp = base.LOG_TABLE, base.EXP_TABLE
    gen_logs = [log[g] for g in LUT.rsPoly_LUT[ec_count][1:]]
    zero = (0,) * ec_count
    return (zero, *(tuple(exp[(gl + log[f]) % 255] for gl in gen_logs) for f in range(1, 256)))


def _rs_remainder(data: list[int], ec_count: int) -> list[int]:
    products = _rs_products(ec_count)
    remainder = [0] * ec_count
    for byte in data:
        row = products[byte ^ remainder[0]]
        remainder = [a ^ b for a, b in zip([*remainder[1:], 0], row, strict=True)]
    return remainder


def qr_codewords(payload: str, ec: str, version: int) -> list[int]:
    """Data plus Reed-Solomon codewords, interleaved: what qrcode's util.create_data returns.

    qrcode computes the same with a polynomial class at about 1 ms per symbol; this table-driven
    remainder is what lets 1,000 labels fit the PDF time budget. A test checks both agree.
    """
    bits = _data_bits(_chunks(payload), version)
    blocks = base.rs_blocks(version, _EC[ec])
    limit = sum(block.data_count for block in blocks) * 8
    if bits.length > limit:
        raise FitError("url", f"QR payload of {len(payload)} characters exceeds version 40")
    bits.put(0, min(limit - bits.length, 4))
    bits.put(0, -bits.length % 8)
    data = list(bits.value.to_bytes(bits.length // 8, "big"))
    data += [util.PAD0, util.PAD1] * ((limit // 8 - len(data)) // 2 + 1)
    data = data[: limit // 8]
    dc_blocks: list[list[int]] = []
    ec_blocks: list[list[int]] = []
    offset = 0
    for block in blocks:
        dc = data[offset : offset + block.data_count]
        offset += block.data_count
        dc_blocks.append(dc)
        ec_blocks.append(_rs_remainder(dc, block.total_count - block.data_count))
    out: list[int] = []
    for group in (dc_blocks, ec_blocks):
        for i in range(max(len(b) for b in group)):
            out.extend(b[i] for b in group if i < len(b))
    return out


@dataclass(frozen=True, slots=True)
class _Frame:
    """A symbol's fixed parts and where its data bits go, for one (version, EC, mask).

    `source` is the row-major matrix with data cells blank, as "0"/"1" bytes; `order[k]` says
    where cell k's value comes from: its own position in `source`, or (for a data cell) the
    position after it of the data bit qrcode's zig-zag puts there. Placing a symbol's data is
    then one C-level pass (map over bytes) instead of qrcode's per-cell Python loop.
    """

    source: bytes
    order: tuple[int, ...]
    mask: int  # the mask's value for each data cell, in zig-zag order, as bits
    cells: int


class _Recorder(qrcode.QRCode):  # type: ignore[misc]
    """Runs qrcode's own setup (finders, timing, format and version info), then records."""

    def map_data(self, data: list[int], mask_pattern: int) -> None:
        count, cells = len(self.modules), list[tuple[int, int]]()
        row, step = count - 1, -1
        for col in range(count - 1, 0, -2):  # the same walk as qrcode.QRCode.map_data
            col = col - 1 if col <= 6 else col  # skip the vertical timing pattern
            while 0 <= row < count:
                cells.extend((row, c) for c in (col, col - 1) if self.modules[row][c] is None)
                row += step
            row, step = row - step, -step
        self.recorded = cells


@lru_cache(maxsize=64)
def _frame(version: int, ec: str, mask: int) -> _Frame:
    code = _Recorder(version=version, error_correction=_EC[ec], border=0, mask_pattern=mask)
    code.data_cache = []
    code.make(fit=False)
    cells: list[tuple[int, int]] = code.recorded
    size = len(code.modules)
    total = size * size
    data_index = {(r, c): total + i for i, (r, c) in enumerate(cells)}
    source = bytes(48 + bool(code.modules[r][c]) for r in range(size) for c in range(size))
    order = tuple(data_index.get(divmod(k, size), k) for k in range(total))
    mask_func = util.mask_func(mask)
    mask_bits = "".join("1" if mask_func(r, c) else "0" for r, c in cells)
    return _Frame(source, order, int(mask_bits, 2), len(cells))


@lru_cache(maxsize=256)
def qr_symbol(payload: str, ec: str, version: int) -> QrSymbol:
    if not payload:
        raise FitError("url", "the QR payload (url) is empty")
    frame = _frame(version, ec, _MASK)
    data = qr_codewords(payload, ec, version)
    value, have = int.from_bytes(bytes(data), "big"), len(data) * 8
    # Bits beyond the codewords (remainder bits) are zero; qrcode drops none, nor do we.
    value = value >> (have - frame.cells) if have >= frame.cells else value << (frame.cells - have)
    placed = frame.source + format(value ^ frame.mask, f"0{frame.cells}b").encode("ascii")
    flat = bytes(map(placed.__getitem__, frame.order)).decode("ascii")
    size = 17 + 4 * version
    rows = tuple(flat[i : i + size] for i in range(0, size * size, size))
    return QrSymbol(payload, ec, version, rows)


@lru_cache(maxsize=4096)
def code128_modules(data: str) -> str:
    """Code 128 as a module string ('1' = bar), start to stop, no quiet zone."""
    if not data or not all(" " <= c <= "~" for c in data):
        raise FitError("tag", "Code 128 needs printable ASCII")
    return str(barcode.get("code128", data).build()[0])


_RUN = re.compile("1+")


def dark_runs(row: str) -> list[tuple[int, int]]:
    """(start, end) of each dark run: one rectangle per run keeps PDF and SVG small."""
    return [m.span() for m in _RUN.finditer(row)]
