"""Static files (web/static): versioned URLs cached for a year, compressed once, and the
list of what the scanning page needs offline.

Versions. A page names an asset through the `asset()` Jinja global, which answers
`/static/v/<version>/<path>`. A file's version is a hash of its contents, except for ES
modules: they import their siblings by relative URL ("./api.js"), so app.js at
/static/v/<v>/scan/ finds api.js under the same <v>, and all the modules of a folder share
one version, a hash of them all (one changed module gives the folder's modules new URLs;
the CSS and the icons keep theirs). An answer whose URL names
the current version is `immutable` for a year; any other answer (a plain /static/<path>,
an old or unknown version) is the current file with `no-cache`, revalidated by ETag or
Last-Modified, so a stale URL is never cached as if it were current.

The files are read and hashed once (about 1.3 MB, a few milliseconds), then checked for
changes at most once a second (a stat of each file) so an edited file shows on the next
reload while developing. `modules()` walks the static imports of an entry module, for
<link rel="modulepreload">: the browser then asks for every module of the scanning page
at once instead of discovering them level by level (an import waterfall costs one round
trip per level on a slow link).

Compression. Text and WebAssembly are compressed once per content (gzip 9; brotli when the
`brotli` package is there: quality 11 for small files, 9 for the 1 MB decoder, whose
quality 11 takes ten seconds), off the event loop, and kept in memory; Litestar's own
CompressionConfig would compress the decoder again on every request. Each encoding has
its own ETag. A Range request gets the identity bytes (a range of a gzip stream is of no
use to anyone); HEAD answers the headers of the same GET.

/static/offline.json is made here, not read from disk: the URLs the service worker (web/
sw.js) keeps for the scanning page to open offline, as the page names them."""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import importlib
import json
import mimetypes
import posixpath
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path, PurePath
from typing import Any

import anyio.to_thread
from litestar import Request, Response, Router, get, head
from litestar.exceptions import NotFoundException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response.base import ASGIResponse

try:  # optional: gzip alone is fine, brotli is about 12 % smaller on the decoder
    brotli: Any = importlib.import_module("brotli")
except ImportError:  # pragma: no cover
    brotli = None

PREFIX = "/static"
OFFLINE = "offline.json"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
RECHECK_S = 1.0
MIN_COMPRESS = 1024
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".svg": "image/svg+xml",
    ".txt": "text/plain; charset=utf-8",
}
COMPRESSIBLE = ("text/", "application/json", "application/manifest+json", "application/wasm",
                "image/svg+xml")
# What the scanning page (scan.html) loads besides its modules, and the decoder that
# camera.js imports on first use from the fixed address /static/vendor/.
SCAN_ENTRY = "scan/app.js"
SCAN_FILES = ("scan/scan.css", "manifest.webmanifest", "icons/icon-192.png",
              "icons/apple-touch-icon.png")
DECODER_ENTRY = "vendor/ponyfill.js"
_IMPORT = re.compile(r"""(?:\bfrom|^\s*import)\s*["'](\.{1,2}/[^"']+)["']""", re.MULTILINE)


@dataclass(frozen=True)
class Asset:
    path: str  # relative to the static folder, with "/"
    body: bytes
    etag: str  # of the identity bytes; an encoding adds its name
    media_type: str
    modified: str  # an HTTP date
    mtime: int

    @property
    def compressible(self) -> bool:
        return len(self.body) >= MIN_COMPRESS and self.media_type.startswith(COMPRESSIBLE)


def _folder(path: str) -> str:
    return posixpath.dirname(path)


def _is_module(path: str) -> bool:
    return path.endswith((".js", ".mjs"))


def _stamp(root: Path) -> tuple[tuple[str, int, int], ...]:
    found = []
    for file in sorted(root.rglob("*")):
        relative = file.relative_to(root).as_posix()
        if file.is_file() and not any(part.startswith(".") for part in relative.split("/")):
            info = file.stat()
            found.append((relative, info.st_mtime_ns, info.st_size))
    return tuple(found)


class Snapshot:
    """The static files as they were when read: contents, versions, module imports."""

    def __init__(self, root: Path, stamp: tuple[tuple[str, int, int], ...]) -> None:
        self.stamp = stamp
        self.files: dict[str, Asset] = {}
        digests: dict[str, str] = {}
        modules: dict[str, Any] = {}  # folder -> hash of its modules
        for relative, mtime_ns, _ in stamp:
            body = (root / relative).read_bytes()
            digest = hashlib.sha256(body).hexdigest()
            suffix = PurePath(relative).suffix.lower()
            media = TYPES.get(suffix) or mimetypes.guess_type(relative)[0]
            seconds = mtime_ns // 1_000_000_000
            self.files[relative] = Asset(relative, body, f'"{digest[:20]}"',
                                         media or "application/octet-stream",
                                         email.utils.formatdate(seconds, usegmt=True), seconds)
            digests[relative] = digest[:12]
            if _is_module(relative):
                folder = modules.setdefault(_folder(relative), hashlib.sha256())
                folder.update(f"{posixpath.basename(relative)}\0{digest}\0".encode())
        self.versions = {
            path: modules[_folder(path)].hexdigest()[:12] if _is_module(path) else digest
            for path, digest in digests.items()
        }
        self.newest = max((mtime_ns // 1_000_000_000 for _, mtime_ns, _ in stamp), default=0)

    def get(self, path: str) -> Asset | None:
        if path == OFFLINE and path not in self.files:
            return self.offline_list
        return self.files.get(path)

    @cached_property
    def offline_list(self) -> Asset:
        body = json.dumps({"urls": self.offline()}).encode()
        digest = hashlib.sha256(body).hexdigest()[:20]
        return Asset(OFFLINE, body, f'"{digest}"', "application/json",
                     email.utils.formatdate(self.newest, usegmt=True), self.newest)

    def url(self, path: str) -> str:
        path = path.lstrip("/")
        if path not in self.files:
            raise LookupError(f"no static file {path}")
        return f"{PREFIX}/v/{self.versions[path]}/{path}"

    def imports(self, path: str) -> list[str]:
        """The relative static imports of a module, as paths of the static folder."""
        text = self.files[path].body.decode("utf-8", "replace")
        here = _folder(path)
        found = (posixpath.normpath(posixpath.join(here, m)) for m in _IMPORT.findall(text))
        return [p for p in found if p in self.files]

    def modules(self, entry: str) -> list[str]:
        """Every module `entry` imports, directly or not, in a stable order."""
        seen: dict[str, None] = {}
        todo = [entry]
        while todo:
            for found in self.imports(todo.pop()):
                if found not in seen and found != entry:
                    seen[found] = None
                    todo.append(found)
        return sorted(seen)

    def offline(self) -> list[str]:
        """What the service worker keeps: the scanning page's files as it names them, and
        the decoder at the unversioned address camera.js asks for."""
        if SCAN_ENTRY not in self.files:
            return []
        page = [SCAN_ENTRY, *self.modules(SCAN_ENTRY), *(f for f in SCAN_FILES if f in self.files)]
        decoder = []
        if DECODER_ENTRY in self.files:
            decoder = [DECODER_ENTRY, *self.modules(DECODER_ENTRY)]
            decoder += [p for p in self.files if p.startswith("vendor/") and p.endswith(".wasm")]
        return [self.url(p) for p in page] + [f"{PREFIX}/{p}" for p in decoder]


class Library:
    """The static folder, re-read when a file changes (looked at once a second at most)."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.monotonic) -> None:
        self.root = root
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot = Snapshot(root, _stamp(root))
        self._checked = clock()

    def current(self) -> Snapshot:
        now = self._clock()
        if now - self._checked >= RECHECK_S:
            with self._lock:
                self._checked = now
                stamp = _stamp(self.root)
                if stamp != self._snapshot.stamp:
                    self._snapshot = Snapshot(self.root, stamp)
        return self._snapshot

    def asset(self, path: str) -> str:
        return self.current().url(path)

    def preloads(self, entry: str) -> list[str]:
        snapshot = self.current()
        return [snapshot.url(p) for p in snapshot.modules(entry)]


_encoded: dict[tuple[str, str], bytes] = {}
_encoding_lock = threading.Lock()


def _encode(asset: Asset, encoding: str) -> bytes:
    """The asset's bytes in `encoding`, made once per content and kept (the same bytes in
    every process, so an ETag means one thing)."""
    key = (asset.etag, encoding)
    with _encoding_lock:
        if key in _encoded:
            return _encoded[key]
        if encoding == "br":
            quality = 11 if len(asset.body) < 256 * 1024 else 9
            body = brotli.compress(asset.body, quality=quality)
        else:
            body = gzip.compress(asset.body, compresslevel=9, mtime=0)
        _encoded[key] = body
        return body


def _accepted(header: str) -> list[str]:
    """The encodings we can make that the client takes, best first."""
    weights: dict[str, float] = {}
    for part in header.lower().split(","):
        name, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        weights[name.strip()] = weight
    ours = ["br", "gzip"] if brotli is not None else ["gzip"]
    return [e for e in ours if weights.get(e, weights.get("*", 0.0)) > 0]


def _matches(header: str, etag: str) -> bool:
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in tags or etag in tags


def _not_modified_since(request: Request[Any, Any, Any], asset: Asset) -> bool:
    if "if-none-match" in request.headers:
        return False
    since = request.headers.get("if-modified-since")
    try:
        stamp = email.utils.parsedate_to_datetime(since) if since else None
    except (TypeError, ValueError):
        return False
    return stamp is not None and asset.mtime <= stamp.timestamp()


def _range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(start, end inclusive) of one byte range; None to ignore the header (several
    ranges, or not bytes); False when it cannot be satisfied."""
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    try:
        if not dash:
            return None
        if not first:  # the last N bytes
            length = int(last)
            return (max(0, size - length), size - 1) if length > 0 and size else False
        start, end = int(first), int(last) if last else size - 1
    except ValueError:
        return None
    if start >= size or end < start:
        return False
    return start, min(end, size - 1)


async def _answer(request: Request[Any, Any, Any], library: Library, file_path: str,
                  is_head: bool) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of GET or HEAD /static/<file_path>."""
    snapshot = library.current()
    path = file_path.lstrip("/")
    cache = REVALIDATE
    parts = path.split("/", 2)
    if parts[0] == "v" and len(parts) == 3:
        path = parts[2]
        if path in snapshot.files and parts[1] == snapshot.versions[path]:
            cache = IMMUTABLE
    asset = snapshot.get(path)
    if asset is None:
        raise NotFoundException(f"There is no file /static/{path}.")

    headers = {"Cache-Control": cache, "Last-Modified": asset.modified}
    ranged = request.headers.get("range") if not is_head else None
    encoding = None
    if asset.compressible:
        headers["Vary"] = "Accept-Encoding"
        if not ranged:
            encoding = next(iter(_accepted(request.headers.get("accept-encoding", ""))), None)
    etag = f'{asset.etag[:-1]}-{encoding}"' if encoding else asset.etag
    headers["ETag"] = etag
    if ((inm := request.headers.get("if-none-match")) and _matches(inm, etag)) or (
        _not_modified_since(request, asset)
    ):
        return 304, headers, b""

    body = asset.body
    status = 200
    if encoding:
        kept = _encoded.get((asset.etag, encoding))  # made once; the first time off the loop
        body = kept if kept is not None else await anyio.to_thread.run_sync(_encode, asset,
                                                                            encoding)
        headers["Content-Encoding"] = encoding
    else:
        headers["Accept-Ranges"] = "bytes"
        if_range = request.headers.get("if-range")
        if ranged and (not if_range or if_range in (asset.etag, asset.modified)):
            span = _range(ranged, len(body))
            if span is False:
                headers["Content-Range"] = f"bytes */{len(body)}"
                return 416, headers, b""
            if isinstance(span, tuple):
                start, end = span
                headers["Content-Range"] = f"bytes {start}-{end}/{len(body)}"
                body, status = body[start:end + 1], 206
    headers["Content-Type"] = asset.media_type
    headers["Content-Length"] = str(len(body))
    return status, headers, b"" if is_head else body


def static_router(library: Library) -> Router:
    """GET and HEAD /static/{file_path}: public, outside the API schema."""

    @get("/{file_path:path}", opt={"public": True}, include_in_schema=False, name="static")
    async def get_file(request: Request[Any, Any, Any], file_path: PurePath) -> ASGIResponse:
        status, headers, body = await _answer(request, library, file_path.as_posix(), False)
        return ASGIResponse(body=body, status_code=status, headers=headers)

    # Litestar wants a HEAD handler to declare a body-less answer
    @head("/{file_path:path}", opt={"public": True}, include_in_schema=False,
          name="static/head")
    async def head_file(request: Request[Any, Any, Any], file_path: PurePath) -> Response[None]:
        status, headers, _ = await _answer(request, library, file_path.as_posix(), True)
        return Response(None, status_code=status, headers=headers)

    return Router(path=PREFIX, route_handlers=[get_file, head_file])


@lru_cache(maxsize=8)
def library_for(root: Path) -> Library:
    """One library per static folder and process (an app made per test reads it once)."""
    return Library(root)


def template_globals(library: Library) -> Callable[[JinjaTemplateEngine], None]:
    """For TemplateConfig(engine_callback=...): `asset('scan/app.js')` and
    `module_preloads('scan/app.js')` in every template."""

    def install(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals["asset"] = library.asset
        engine.engine.globals["module_preloads"] = library.preloads

    return install
