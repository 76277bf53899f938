"""A fake camera clip: labels rendered by `labels/` (the print path, not a screenshot),
centred on a grey desk in a YUV4MPEG2 file that Chromium plays as its camera."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

import labels

WIDTH, HEIGHT, FPS = 640, 480, 10
STOCK = "zebra-3x2"  # 3 x 2 in at 203 dpi: 609 x 406 dots, about the frame's size
SHOW_FRAMES, GAP_FRAMES = 15, 8  # 1.5 s on view, 0.8 s of empty desk


def label_png(base: str, tag: str, template: str, name: str) -> Image.Image:
    data = labels.LabelData("unit", tag, f"{base}/u/{tag}",
                            {"name": name, "serial": "", "location": "Drill rack"})
    png = labels.render_png(data, labels.builtin_stocks()[STOCK],
                            labels.builtin_templates()[template])
    return Image.open(io.BytesIO(png)).convert("L")


def frame(label: Image.Image | None) -> bytes:
    desk = Image.new("L", (WIDTH, HEIGHT), 96)
    if label is not None:
        scale = min((WIDTH - 40) / label.width, (HEIGHT - 40) / label.height, 1.0)
        shown = label.resize((round(label.width * scale), round(label.height * scale)),
                             Image.Resampling.LANCZOS)
        desk.paste(shown, ((WIDTH - shown.width) // 2, (HEIGHT - shown.height) // 2))
    chroma = bytes([128]) * (WIDTH // 2 * HEIGHT // 2)  # grey: no colour in U and V
    return b"FRAME\n" + desk.tobytes() + chroma + chroma


def write_label_clip(path: Path, base: str, qr_unit: str, code128_unit: str) -> None:
    """The QR label of one unit, an empty desk, the Code 128 label of another, a desk."""
    qr = frame(label_png(base, qr_unit, "qr", "Cordless drill Makita DDF485"))
    bars = frame(label_png(base, code128_unit, "code128", "Cordless drill"))
    empty = frame(None)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for shown in (qr, empty, bars, empty):
            count = SHOW_FRAMES if shown is not empty else GAP_FRAMES
            out.write(shown * count)
