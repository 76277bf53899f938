"""Security headers on every answer: pages, API, static files, errors, unknown addresses.

The Content-Security-Policy allows nothing inline and nothing from elsewhere: scripts,
styles, images, fetches, the camera stream and the service worker come from this server.
`'wasm-unsafe-eval'` lets the scanning page compile the zxing WebAssembly decoder (it
allows WebAssembly.instantiate, not JavaScript's eval); `blob:` images are the decoder's
still-image input and `mediastream:` the camera. Templates therefore carry no inline
<script>, <style> or style="" (locations.html sets its tree depth with a data attribute).

A PDF (labels) gets `frame-ancestors 'none'` alone: Chrome shows a PDF in its own viewer,
an <embed> with inline styles on a page made from the PDF's answer, which `object-src
'none'` and `style-src 'self'` would leave blank (crbug.com/271452).

The API documentation under /schema is Litestar's: Redoc, Swagger and friends load from
their CDNs and start with inline code, so those pages alone get a policy naming the CDNs.
They show the public schema only, to logged-in users.

HTML and JSON answers without a Cache-Control of their own get `no-store`: pages are per
user and carry CSRF tokens, the tokens page shows a new token once, and API answers are
per user too. (/scan says `no-cache` itself: its service worker keeps a copy in the Cache
API for offline use, which HTTP caching rules do not touch.)

Strict-Transport-Security is sent when the request came over HTTPS or PUBLIC_URL is https
(TLS ended at a proxy): a browser honours it only over HTTPS anyway.

Registered as a before_send hook, not as route middleware: Litestar runs middleware only
for a matched route, and a 404 for an unknown address must carry the headers too."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

_COMMON = {
    "default-src": "'self'",
    "img-src": "'self' data: blob:",
    "media-src": "'self' blob: mediastream:",
    "connect-src": "'self'",
    "worker-src": "'self' blob:",
    "manifest-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "object-src": "'none'",
}
_DOCS_CDNS = "https://cdn.jsdelivr.net https://unpkg.com https://cdn.redoc.ly"


def _policy(**directives: str) -> str:
    merged = {**_COMMON, **{k.replace("_", "-"): v for k, v in directives.items()}}
    return "; ".join(f"{name} {value}" for name, value in merged.items())


CSP = _policy(script_src="'self' 'wasm-unsafe-eval'", style_src="'self'")
DOCS_CSP = _policy(
    script_src=f"'self' 'unsafe-inline' {_DOCS_CDNS}",
    style_src=f"'self' 'unsafe-inline' {_DOCS_CDNS} https://fonts.googleapis.com",
    font_src="'self' data: https://fonts.gstatic.com",
    img_src="'self' data: blob: https:",
)
DOCS_PREFIX = "/schema"
PDF_CSP = "frame-ancestors 'none'"
HSTS = "max-age=31536000"
FIXED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
}
NO_STORE_TYPES = ("text/html", "application/json", "application/problem+json")


def security_headers(public_url: str) -> BeforeMessageSendHookHandler:
    """The hook that adds the headers to each answer's start; a header the handler set
    itself (a Cache-Control, say) is left as it is."""
    https_behind_proxy = public_url.startswith("https://")

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in FIXED.items():
            if name not in headers:
                headers[name] = value
        media_type = (headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if "Content-Security-Policy" not in headers:
            docs = scope.get("path", "").startswith(DOCS_PREFIX)
            pdf = media_type == "application/pdf"
            headers["Content-Security-Policy"] = DOCS_CSP if docs else PDF_CSP if pdf else CSP
        if https_behind_proxy or scope.get("scheme") == "https":
            headers["Strict-Transport-Security"] = HSTS
        if media_type in NO_STORE_TYPES and "Cache-Control" not in headers:
            headers["Cache-Control"] = "no-store"

    return add_headers
