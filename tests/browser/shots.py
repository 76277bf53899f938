"""Screenshots of the browser tests: where they go, and the page widths they are taken at.

A test saves its screenshots in pytest's tmp_path, in TAGTRACK_SHOTS_DIR when set, or,
with TAGTRACK_SCREENSHOTS=1, in its folder under docs/img (the README's pictures)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

DOCS_IMG = Path(__file__).resolve().parents[2] / "docs" / "img"
SIZES = {"phone": {"width": 390, "height": 844}, "laptop": {"width": 1280, "height": 800}}


def shots_dir(tmp_path: Path, docs_img: Path = DOCS_IMG) -> Path:
    if os.environ.get("TAGTRACK_SCREENSHOTS") == "1":
        docs_img.mkdir(parents=True, exist_ok=True)
        return docs_img
    chosen = os.environ.get("TAGTRACK_SHOTS_DIR")
    return Path(chosen) if chosen else tmp_path


def fits(page: Any, width: int) -> None:
    """Nothing makes the page wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width
