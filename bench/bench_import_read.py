"""Import, the reading side: how fast and in how much memory a spreadsheet is read.

1. CSV, 1,000,000 rows x 30 columns (a units file with its items' columns and 16 custom
   fields): open_table + rows() streamed, in a fresh process; prints rows/s and the
   process's peak RSS (VmHWM), against the 300 MB bar.
2. CSV, 100,000 rows: read and typed (parse_row for every row): rows/s and the seconds
   against the 15 s a whole 100,000-unit dry run may take (this is only its reading part).
3. XLSX, 100,000 rows x 30 columns: python-calamine and openpyxl read-only (each library
   alone), then open_table through calamine and through the streamed reader (the one used
   above CALAMINE_MAX_XML): seconds and peak RSS each, in a fresh process each.

Run: .venv/bin/python bench/bench_import_read.py [--csv-rows 1000000] [--xlsx-rows 100000]
     [--parse-rows 100000] [--skip-openpyxl] [--quick]
Prints key=value lines. Files are made in a temporary directory and removed.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RSS_BAR_MB = 300
DRY_RUN_BAR_S = 15.0
HEADERS = (["SKU", "Item name", "Category", "Unit of measure", "Tracking", "Tag", "Serial",
            "Location", "Custodian", "Status", "Condition", "Purchase date", "Purchase cost",
            "Warranty end"] + [f"Field {i}" for i in range(16)])


def _tag(number: int) -> str:
    from bench.common import tag

    return tag("U", number)


def make_csv(path: Path, rows: int) -> None:
    d0 = dt.date(2024, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADERS)
        for r in range(1, rows + 1):
            w.writerow([f"SKU-{r % 500:04d}", f"Drill model {r % 500}", "Tools", "each",
                        "serial", _tag(r), f"SN-{r:08d}",
                        f"Main warehouse > Aisle {r % 40} > Shelf {r % 7}", "", "available",
                        "working", (d0 + dt.timedelta(days=r % 700)).isoformat(),
                        f"{100 + r % 1000}.{r % 100:02d}",
                        (d0 + dt.timedelta(days=800 + r % 700)).isoformat(),
                        *(f"v{c}-{r % 997}" for c in range(16))])


def make_xlsx(path: Path, rows: int) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Units")
    day = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, HEADERS)
    d0 = dt.datetime(2024, 1, 1)
    for r in range(1, rows + 1):
        for c, v in enumerate((f"SKU-{r % 500:04d}", f"Drill model {r % 500}", "Tools", "each",
                               "serial", _tag(r), f"SN-{r:08d}",
                               f"Main warehouse > Aisle {r % 40} > Shelf {r % 7}", "",
                               "available", "working")):
            ws.write_string(r, c, v)
        ws.write_datetime(r, 11, d0 + dt.timedelta(days=r % 700), day)
        ws.write_number(r, 12, 100 + (r % 1000) / 100)
        ws.write_datetime(r, 13, d0 + dt.timedelta(days=800 + r % 700), day)
        for c in range(16):
            ws.write_string(r, 14 + c, f"v{c}-{r % 997}")
    wb.close()


# --- what a child process runs (one measurement, fresh memory) ----------------------------

def _peak_mb() -> tuple[float, float]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM", "VmRSS")):
                key, value = line.split(":")
                out[key] = int(value.split()[0]) / 1024
    return out["VmHWM"], out["VmRSS"]


def child(what: str, path: str) -> None:
    from server.domain.imports import Options, ParsedRow, guess_mapping, parse_row
    from server.services import import_files

    base, _ = _peak_mb()
    start, cpu = time.perf_counter(), time.process_time()
    rows = cells = problems = 0
    if what == "calamine":
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_path(path)
        for row in book.get_sheet_by_name(book.sheet_names[0]).iter_rows():
            rows += 1
            cells += len(row)
    elif what == "openpyxl":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
        for row in wb.worksheets[0].iter_rows(values_only=True):
            rows += 1
            cells += len(row)
    else:
        if what == "streamed":
            import_files.CALAMINE_MAX_XML = 0
        options = Options()
        with import_files.open_table(Path(path), options) as table:
            custom = {f"field {i}": f"custom:f{i}" for i in range(16)}
            mapping = guess_mapping("units", table.headers, custom)
            for number, row in table.rows():
                rows += 1
                cells += len(row)
                if what == "parse":
                    parsed = parse_row("units", number, row, mapping, options,
                                       headers=table.headers)
                    problems += not isinstance(parsed, ParsedRow)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak, _ = _peak_mb()
    print(json.dumps({"rows": rows, "cells": cells, "seconds": seconds, "cpu_s": cpu,
                      "peak_mb": peak,
                      "base_mb": base, "problems": problems}))


def measure(what: str, path: Path) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", what, str(path)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def report(name: str, m: dict[str, float]) -> None:
    print(f"{name}_rows={int(m['rows']):,} {name}_s={m['seconds']:.2f} "
          f"{name}_cpu_s={m['cpu_s']:.2f} "
          f"{name}_rows_per_s={m['rows'] / m['seconds']:,.0f} "
          f"{name}_peak_rss_mb={m['peak_mb']:.0f} (interpreter alone {m['base_mb']:.0f})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--csv-rows", type=int, default=1_000_000)
    ap.add_argument("--parse-rows", type=int, default=100_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--skip-openpyxl", action="store_true")
    ap.add_argument("--quick", action="store_true", help="10x fewer rows everywhere")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.quick:
        args.csv_rows //= 10
        args.parse_rows //= 10
        args.xlsx_rows //= 10
    with tempfile.TemporaryDirectory(prefix="tagtrack-bench-import-") as tmp:
        big = Path(tmp) / "units-big.csv"
        t = time.perf_counter()
        make_csv(big, args.csv_rows)
        print(f"made_csv rows={args.csv_rows:,} mb={big.stat().st_size / 1e6:.0f} "
              f"s={time.perf_counter() - t:.1f}")
        m = measure("read", big)
        report("csv_read", m)
        print(f"csv_read_peak_rss_mb={m['peak_mb']:.0f} target={RSS_BAR_MB} "
              f"ratio={m['peak_mb'] / RSS_BAR_MB:.2f}")
        big.unlink()

        small = Path(tmp) / "units.csv"
        make_csv(small, args.parse_rows)
        m = measure("parse", small)
        report("csv_read_parse", m)
        scaled = m["cpu_s"] * 100_000 / max(m["rows"], 1)  # CPU: the machine is shared
        print(f"csv_read_parse_100k_cpu_s={scaled:.2f} target={DRY_RUN_BAR_S} "
              f"ratio={scaled / DRY_RUN_BAR_S:.2f} problems={int(m['problems'])}")

        if args.xlsx_rows <= 0:
            return
        book = Path(tmp) / "units.xlsx"
        t = time.perf_counter()
        make_xlsx(book, args.xlsx_rows)
        print(f"made_xlsx rows={args.xlsx_rows:,} mb={book.stat().st_size / 1e6:.0f} "
              f"s={time.perf_counter() - t:.1f}")
        results = {}
        for what in ("calamine", "openpyxl", "table", "streamed"):
            if what == "openpyxl" and args.skip_openpyxl:
                continue
            results[what] = measure(what, book)
            report(f"xlsx_{what}", results[what])
        if "openpyxl" in results:
            cal, opx = results["calamine"], results["openpyxl"]
            print(f"xlsx_calamine_vs_openpyxl_speed={opx['cpu_s'] / cal['cpu_s']:.1f}x (CPU) "
                  f"memory={cal['peak_mb'] / opx['peak_mb']:.1f}x")


if __name__ == "__main__":
    main()
