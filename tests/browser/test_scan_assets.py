"""The scanning page's files: what the server serves to whom, the weight budget, and the
service worker's list of files to keep offline."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import httpx

from tests.browser.conftest import Server

WEB = Path(__file__).resolve().parents[2] / "web"
BUDGET_GZIP = 60 * 1024  # the page's own JS and CSS, the decoder excluded


def test_the_page_own_js_and_css_stay_under_60_kb_gzipped() -> None:
    files = sorted((WEB / "static" / "scan").glob("*.[jc]s*"))
    sizes = {f.name: len(gzip.compress(f.read_bytes(), 9)) for f in files}
    total = sum(sizes.values())
    print(f"\nscan page JS + CSS: {total / 1024:.1f} KB gzipped ({len(files)} files)")
    assert {"app.js", "scan.css"} <= set(sizes)
    assert total < BUDGET_GZIP


def test_the_service_worker_keeps_every_file_of_the_shell_and_the_decoder(
    server: Server,
) -> None:
    worker = httpx.get(f"{server.base}/sw.js", timeout=10)
    assert worker.status_code == 200  # public: the browser fetches it without a session
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "__VERSION__" not in worker.text
    # the worker asks the server which files to keep (server/http/static.py makes the list)
    assert '"/static/offline.json"' in worker.text
    listed = httpx.get(f"{server.base}/static/offline.json", timeout=10).json()["urls"]
    assert "/static/vendor/zxing_reader.wasm" in listed
    scan_files = {f"scan/{f.name}" for f in (WEB / "static" / "scan").iterdir()}
    assert scan_files <= {re.sub(r"^/static/v/[0-9a-f]+/", "", url) for url in listed}
    for path in listed:
        answer = httpx.get(server.base + path, timeout=10)
        assert answer.status_code == 200, path
    wasm = httpx.get(f"{server.base}/static/vendor/zxing_reader.wasm", timeout=10)
    assert wasm.headers["content-type"] == "application/wasm"


def test_the_scan_page_asks_for_a_login_first(server: Server) -> None:
    answer = httpx.get(f"{server.base}/scan", headers={"Accept": "text/html"}, timeout=10)
    assert answer.status_code in (302, 303)
    assert answer.headers["location"] == "/login?next=/scan"
