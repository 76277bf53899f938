"""Label rendering benchmark: 1,000 asset labels (QR + Code 128 + three lines).

Prints pdf_1000_s (judged against DESIGN.md's 1.5 s), zpl_1000_s and png_1_ms (warm, median).
Run: .venv/bin/python bench/bench_labels.py [--stock avery-5160] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from labels import LabelData, builtin_stocks, builtin_templates, render_pdf, render_png, render_zpl

PDF_TARGET_S = 1.5


def demo_labels(count: int) -> list[LabelData]:
    names = ["Cordless drill Makita DDF485", "Espresso machine La Marzocco Linea Mini", "Laptop"]
    return [
        LabelData(
            "unit",
            f"U-{i:07d}",
            f"https://tagtrack.example.com/u/U-{i:07d}",
            {"name": names[i % 3], "serial": f"SN{i * 7919:09d}", "org": "Acme Coffee Co."},
        )
        for i in range(count)
    ]


def median_s(
    fn: Callable[[], object], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    times = []
    for _ in range(repeat):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stock", default="avery-5160")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    stocks, template = builtin_stocks(), builtin_templates()["asset"]
    labels = demo_labels(1000)
    render_png(labels[0], stocks["zebra-2x1"], template)  # warm fonts and caches
    pdf_s = median_s(lambda: render_pdf(labels, stocks[args.stock], template), args.repeat)
    # CPU time too: on a shared 2-core machine, wall time also measures the neighbours.
    pdf_cpu_s = median_s(
        lambda: render_pdf(labels, stocks[args.stock], template), args.repeat, time.process_time
    )
    zpl_s = median_s(lambda: render_zpl(labels, stocks["zebra-2x1"], template), args.repeat)
    png_s = median_s(lambda: render_png(labels[1], stocks["zebra-2x1"], template), 50)
    size = len(render_pdf(labels, stocks[args.stock], template))
    print(f"stock={args.stock} labels=1000 pdf_bytes={size}")
    print(f"pdf_1000_s={pdf_s:.3f} target={PDF_TARGET_S} ratio={pdf_s / PDF_TARGET_S:.2f}")
    print(f"pdf_1000_cpu_s={pdf_cpu_s:.3f}")
    print(f"zpl_1000_s={zpl_s:.3f}")
    print(f"png_1_ms={png_s * 1000:.2f}")


if __name__ == "__main__":
    main()
