"""Draws the scanning page's app icons (run once; the PNGs are committed):
python web/tools/make_icons.py"""

from pathlib import Path

from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "static" / "icons"
BLUE, WHITE, INK, AMBER = (16, 42, 92), (255, 255, 255), (17, 17, 17), (255, 196, 0)
BARS = [3, 1, 1, 2, 3, 1, 2, 1, 1, 3, 2, 1, 1, 2, 3]  # bar/space widths, Code 128-ish


def icon(size: int, *, maskable: bool) -> Image.Image:
    scale = 4  # draw large, shrink: smooth edges without antialiasing support
    s = size * scale
    img = Image.new("RGB", (s, s), BLUE)
    d = ImageDraw.Draw(img)
    if not maskable:
        img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s // 5, fill=BLUE)
    pad = s * (0.2 if maskable else 0.13)  # maskable icons keep to the inner safe circle
    left, top, right, bottom = pad, pad + s * 0.1, s - pad, s - pad - s * 0.1
    d.rounded_rectangle((left, top, right, bottom), radius=s // 16, fill=WHITE)
    hole_r = s * 0.035
    hx, hy = left + s * 0.09, (top + bottom) / 2
    d.ellipse((hx - hole_r, hy - hole_r, hx + hole_r, hy + hole_r), fill=BLUE)
    unit = (right - left - s * 0.24) / sum(BARS)
    x = left + s * 0.18
    for i, width in enumerate(BARS):
        if i % 2 == 0:
            d.rectangle((x, top + s * 0.08, x + width * unit - 1, bottom - s * 0.08), fill=INK)
        x += width * unit
    d.rectangle((left, bottom - s * 0.045, right, bottom), fill=AMBER)
    return img.resize((size, size), Image.Resampling.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    icon(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    icon(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    icon(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)
    icon(180, maskable=True).save(OUT / "apple-touch-icon.png", optimize=True)


if __name__ == "__main__":
    main()
