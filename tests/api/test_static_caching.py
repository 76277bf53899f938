"""Static files: versioned URLs cached for a year, plain ones revalidated, text and
WebAssembly compressed, ranges, HEAD, and the pages and the service worker naming the
files by their versioned URLs (server/http/static.py)."""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import Any

import brotli
import pytest
from litestar import Litestar
from litestar.testing import TestClient

from server.http import static
from server.http.static import IMMUTABLE, Library, static_router
from tests.conftest import page_login

WEB = Path(__file__).resolve().parents[2] / "web" / "static"
JS = "// a module of the test folder\n" + "export const filler = 'abcdefghij';\n" * 60


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    files = {
        "scan/app.js": 'import { a } from "./a.js";\nimport * as b from "./b.js";\n' + JS,
        "scan/a.js": 'import { b } from "./b.js";\nexport const a = 1;\n' + JS,
        "scan/b.js": 'export { a } from "./a.js";\nexport const b = 2;\n' + JS,  # a cycle
        "scan/scan.css": "body { margin: 0 }\n" * 100,
        "vendor/ponyfill.js": 'import { x } from "./zxing-exported.js";\nexport { x };\n',
        "vendor/zxing-exported.js": JS,
        "vendor/.installed": "",
        "app.css": "p { color: black }\n" * 100,
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    (tmp_path / "vendor/zxing_reader.wasm").write_bytes(b"\0asm\1\0\0\0" + bytes(range(256)) * 64)
    (tmp_path / "icons").mkdir()
    (tmp_path / "icons/icon-192.png").write_bytes(os.urandom(3000))
    return tmp_path


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def library(folder: Path, clock: Clock) -> Library:
    return Library(folder, clock=clock)


@pytest.fixture
def files(library: Library) -> Any:
    with TestClient(Litestar(route_handlers=[static_router(library)])) as client:
        yield client


def test_a_versioned_url_is_cached_for_a_year_and_a_plain_one_is_revalidated(files, library):
    url = library.asset("scan/app.js")
    assert re.fullmatch(r"/static/v/[0-9a-f]{12}/scan/app\.js", url)
    versioned = files.get(url)
    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == IMMUTABLE
    plain = files.get("/static/scan/app.js")
    assert plain.headers["cache-control"] == "no-cache"
    assert plain.headers["etag"] and plain.headers["last-modified"]
    assert plain.content == versioned.content


def test_an_old_or_unknown_version_gets_the_current_file_revalidated(files, library, folder,
                                                                      clock):
    old = library.asset("scan/a.js")
    (folder / "scan/a.js").write_text("export const a = 3;\n")
    clock.now += 0.5  # looked at once a second at most
    assert library.asset("scan/a.js") == old
    clock.now += 1
    assert library.asset("scan/a.js") != old
    answer = files.get(old)
    assert answer.status_code == 200 and answer.text == "export const a = 3;\n"
    assert answer.headers["cache-control"] == "no-cache"
    assert files.get("/static/v/0123456789ab/scan/a.js").headers["cache-control"] == "no-cache"


def test_modules_of_a_folder_share_a_version_that_follows_any_of_them_and_nothing_else(
        library, folder, clock):
    paths = ("scan/app.js", "scan/b.js", "scan/scan.css", "vendor/ponyfill.js")
    before = {p: library.asset(p) for p in paths}
    assert before["scan/app.js"].split("/")[3] == before["scan/b.js"].split("/")[3]
    assert before["scan/app.js"].split("/")[3] != before["scan/scan.css"].split("/")[3]
    (folder / "scan/b.js").write_text('export { a } from "./a.js";\nexport const b = 5;\n')
    clock.now += 2
    after = {p: library.asset(p) for p in paths}
    assert after["scan/app.js"] != before["scan/app.js"]  # app.js imports b.js by "./b.js"
    assert after["scan/scan.css"] == before["scan/scan.css"]
    assert after["vendor/ponyfill.js"] == before["vendor/ponyfill.js"]
    (folder / "scan/scan.css").write_text("body { margin: 1px }\n")
    clock.now += 2
    assert library.asset("scan/scan.css") != before["scan/scan.css"]
    assert library.asset("scan/app.js") == after["scan/app.js"]


def test_an_unchanged_file_answers_304_to_its_etag_and_to_its_date(files):
    first = files.get("/static/app.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["etag"]
    again = files.get("/static/app.css", headers={"Accept-Encoding": "gzip",
                                                  "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag and again.headers["cache-control"] == "no-cache"
    assert again.headers["vary"] == "Accept-Encoding"
    dated = files.get("/static/app.css", headers={
        "If-Modified-Since": first.headers["last-modified"]})
    assert dated.status_code == 304
    other = files.get("/static/app.css", headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


def test_text_and_webassembly_go_compressed_to_clients_that_take_it(files, folder):
    wasm = (folder / "vendor/zxing_reader.wasm").read_bytes()
    tags = set()
    for accept, encoding in (("gzip, deflate, br", "br"), ("gzip", "gzip"),
                             ("br;q=0, gzip;q=0.5", "gzip"), ("*", "br"), ("", None),
                             ("identity", None)):
        answer = files.get("/static/vendor/zxing_reader.wasm",
                           headers={"Accept-Encoding": accept})
        assert answer.headers.get("content-encoding") == encoding, accept
        assert answer.headers["vary"] == "Accept-Encoding"
        assert answer.headers["content-type"] == "application/wasm"
        assert answer.content == wasm  # the client decodes what it was sent
        tags.add((encoding, answer.headers["etag"]))
    assert len({tag for _, tag in tags}) == 3  # one ETag per encoding


def test_the_compressed_bytes_are_the_encodings_themselves(folder, library):
    asset = library.current().files["vendor/zxing_reader.wasm"]
    raw = asset.body
    assert gzip.decompress(static._encode(asset, "gzip")) == raw
    assert brotli.decompress(static._encode(asset, "br")) == raw
    assert len(static._encode(asset, "gzip")) < len(raw) / 2


def test_an_image_goes_as_it_is(files):
    answer = files.get("/static/icons/icon-192.png", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in answer.headers
    assert answer.headers["content-type"] == "image/png"


def test_a_range_is_served_from_the_identity_bytes(files, folder):
    raw = (folder / "vendor/zxing_reader.wasm").read_bytes()
    url = "/static/vendor/zxing_reader.wasm"
    whole = files.get(url, headers={"Accept-Encoding": "identity"})
    assert whole.headers["accept-ranges"] == "bytes"
    part = files.get(url, headers={"Range": "bytes=10-19", "Accept-Encoding": "gzip"})
    assert part.status_code == 206 and part.content == raw[10:20]
    assert "content-encoding" not in part.headers
    assert part.headers["content-range"] == f"bytes 10-19/{len(raw)}"
    tail = files.get(url, headers={"Range": "bytes=-5"})
    assert tail.status_code == 206 and tail.content == raw[-5:]
    assert files.get(url, headers={"Range": f"bytes={len(raw)}-"}).status_code == 416
    moved = files.get(url, headers={"Range": "bytes=0-9", "If-Range": '"not-this-one"'})
    assert moved.status_code == 200 and len(moved.content) == len(raw)
    same = files.get(url, headers={"Range": "bytes=0-9", "If-Range": whole.headers["etag"]})
    assert same.status_code == 206
    several = files.get(url, headers={"Range": "bytes=0-1,5-6", "Accept-Encoding": "identity"})
    assert several.status_code == 200 and several.content == raw


def test_head_answers_the_headers_of_get_without_a_body(files, library):
    url = library.asset("scan/app.js")
    for accept in ("gzip", "br", ""):
        got = files.get(url, headers={"Accept-Encoding": accept})
        headed = files.head(url, headers={"Accept-Encoding": accept})
        assert headed.status_code == 200 and headed.content == b""
        for name in ("content-length", "content-encoding", "etag", "cache-control", "vary",
                     "content-type"):
            assert headed.headers.get(name) == got.headers.get(name), (accept, name)


def test_hidden_files_and_paths_outside_the_folder_are_not_found(files):
    for path in ("/static/vendor/.installed", "/static/../pyproject.toml",
                 "/static/scan/%2e%2e/%2e%2e/etc/passwd", "/static/v/abc/", "/static/nope.js"):
        assert files.get(path).status_code == 404, path


def test_the_module_graph_follows_relative_imports_through_a_cycle(library):
    assert library.current().modules("scan/app.js") == ["scan/a.js", "scan/b.js"]
    assert library.preloads("scan/app.js") == [library.asset("scan/a.js"),
                                              library.asset("scan/b.js")]


def test_the_offline_list_names_the_page_files_versioned_and_the_decoder_as_it_is_asked(
        files, library):
    listed = files.get("/static/offline.json").json()["urls"]
    assert listed[:4] == [library.asset(p) for p in
                          ("scan/app.js", "scan/a.js", "scan/b.js", "scan/scan.css")]
    assert set(listed[4:]) >= {"/static/vendor/ponyfill.js", "/static/vendor/zxing-exported.js",
                               "/static/vendor/zxing_reader.wasm"}


# The real app: its templates and its web/static folder.

def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_name_their_files_by_versioned_urls_cached_for_a_year(client):
    page_login(client, "operator")
    for page in ("/", "/scan"):
        urls = static_urls(client.get(page, headers={"Accept": "text/html"}).text)
        assert urls, page
        for url in urls:
            assert url.startswith("/static/v/"), (page, url)
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert answer.headers["cache-control"] == IMMUTABLE, url


def test_the_scan_page_preloads_every_module_it_imports(client):
    """Checked against the modules themselves: every relative import of every module the
    page loads is preloaded, so no module waits for another to be read first."""
    page_login(client, "operator")
    html = client.get("/scan", headers={"Accept": "text/html"}).text
    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)"', html))
    entry = re.search(r'<script type="module" src="([^"]+)"', html).group(1)
    todo, seen = [entry], {entry}
    while todo:
        url = todo.pop()
        text = client.get(url).text
        for relative in re.findall(r'from\s*"(\./[^"]+)"', text):
            found = url.rsplit("/", 1)[0] + "/" + relative[2:]
            assert found in preloaded, (url, relative)
            if found not in seen:
                seen.add(found)
                todo.append(found)
    assert len(seen) > 10 and preloaded == seen - {entry}


def test_the_offline_list_holds_every_file_the_scan_page_names_and_the_decoder(client):
    page_login(client, "operator")
    html = client.get("/scan", headers={"Accept": "text/html"}).text
    listed = client.get("/static/offline.json").json()["urls"]
    assert set(static_urls(html)) <= set(listed)
    assert "/static/vendor/zxing_reader.wasm" in listed
    for url in listed:
        assert client.head(url).status_code == 200, url


def test_the_decoder_goes_compressed(client):
    size = (WEB / "vendor/zxing_reader.wasm").stat().st_size
    for encoding in ("br", "gzip"):
        answer = client.head("/static/vendor/zxing_reader.wasm",
                             headers={"Accept-Encoding": encoding})
        assert answer.headers["content-encoding"] == encoding
        assert int(answer.headers["content-length"]) < size * 0.45
