"""Security headers on every kind of answer (page, API JSON, problem, static file, error
page, unknown address), a strict CSP, no-store on pages and on the page that shows a new
token, HSTS only over HTTPS, and templates with nothing inline for the CSP to refuse."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from server.http.headers import CSP, DOCS_CSP, PDF_CSP, security_headers
from tests.conftest import As
from tests.sync import run_sync

TEMPLATES = Path(__file__).resolve().parents[2] / "server" / "http" / "templates"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}


def login(client, role="viewer"):
    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    answer = client.post("/login", data={"username": role, "password": "correct horse",
                                         "next": "/", "csrf": token.group(1) if token else ""},
                         follow_redirects=False)
    assert answer.status_code == 303, answer.text


def csrf_of(html):
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def assert_protected(answer, what):
    for name, value in ALWAYS.items():
        assert answer.headers.get(name) == value, (what, name, answer.headers.get(name))
    assert answer.headers.get("content-security-policy") == CSP, what
    assert "camera=(self)" in answer.headers.get("permissions-policy", ""), what
    assert "strict-transport-security" not in answer.headers, what  # plain http here


def directives(policy):
    return {part.split()[0]: part.split()[1:] for part in policy.split("; ")}


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere():
    csp = directives(CSP)
    assert csp["script-src"] == ["'self'", "'wasm-unsafe-eval'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["default-src"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["form-action"] == ["'self'"] and csp["connect-src"] == ["'self'"]
    assert not any(s.startswith(("http", "*")) for v in csp.values() for s in v)


def test_every_kind_of_answer_carries_the_headers(client):
    viewer = As(client, "viewer")
    kinds = {
        "login page": client.get("/login"),
        "API JSON": viewer.get("/api/v1/items"),
        "API problem 401": client.get("/api/v1/items"),
        "API problem 404": viewer.get("/api/v1/units/U-NOPE"),
        "unknown API address": viewer.get("/api/v1/nothing-here"),
        "static file": client.get("/static/app.css"),
        "decoder": client.get("/static/vendor/zxing_reader.wasm"),
        "service worker": client.get("/sw.js"),
        "health": client.get("/healthz"),
        "error page": client.get("/no/such/page", headers={"Accept": "text/html"}),
        "redirect to login": client.get("/items", headers={"Accept": "text/html"},
                                        follow_redirects=False),
    }
    login(client)
    kinds["page"] = client.get("/items")
    kinds["scanning page"] = client.get("/scan")
    statuses = {what: answer.status_code for what, answer in kinds.items()}
    assert statuses["page"] == statuses["scanning page"] == statuses["static file"] == 200
    assert statuses["error page"] == statuses["unknown API address"] == 404
    for what, answer in kinds.items():
        assert_protected(answer, what)


def test_pages_and_api_answers_are_not_stored_but_static_files_may_be(client):
    viewer = As(client, "viewer")
    assert viewer.get("/api/v1/items").headers["cache-control"] == "no-store"
    assert client.get("/login").headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/app.css").headers.get("cache-control", "")
    login(client)
    assert client.get("/items").headers["cache-control"] == "no-store"
    # the scanning page says no-cache itself: its service worker keeps an offline copy
    assert client.get("/scan").headers["cache-control"] == "no-cache"


def test_the_page_that_shows_a_new_token_is_never_stored(client):
    login(client)
    form = client.get("/tokens")
    assert form.headers["cache-control"] == "no-store"
    shown = client.post("/tokens", data={"name": "laptop", "csrf": csrf_of(form.text)})
    assert shown.status_code == 200
    assert re.search(r"tt_[A-Za-z0-9_-]{20,}", shown.text), "the new token is on the page"
    assert shown.headers["cache-control"] == "no-store"
    assert_protected(shown, "new token page")


def test_a_pdf_label_keeps_the_headers_but_lets_the_browser_show_it(manager, viewer):
    shelf = manager.post("/api/v1/locations", json={"name": "Shelf B3"}).json()
    answer = viewer.get(f"/api/v1/labels/{shelf['tag']}", params={"format": "pdf"})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    assert answer.headers["content-security-policy"] == PDF_CSP == "frame-ancestors 'none'"
    for name, value in ALWAYS.items():
        assert answer.headers[name] == value


def test_the_api_documentation_alone_may_load_its_viewer_from_a_cdn(client):
    docs = As(client, "viewer").get("/schema/swagger")
    assert docs.status_code == 200
    assert docs.headers["content-security-policy"] == DOCS_CSP
    assert directives(DOCS_CSP)["frame-ancestors"] == ["'none'"]


def _start(public_url, scheme, headers=()):
    message = {"type": "http.response.start", "status": 200,
               "headers": [(k.encode(), v.encode()) for k, v in headers]}
    scope = {"type": "http", "scheme": scheme, "path": "/"}
    run_sync(security_headers(public_url)(message, scope))
    return {k.decode().lower(): v.decode() for k, v in message["headers"]}


@pytest.mark.parametrize(("public_url", "scheme", "hsts"), [
    ("http://127.0.0.1:8000", "http", False),
    ("http://127.0.0.1:8000", "https", True),  # tagtrack serve --certfile
    ("https://tagtrack.example", "http", True),  # TLS ended at a proxy
])
def test_hsts_only_when_the_browser_talks_https(public_url, scheme, hsts):
    sent = _start(public_url, scheme)
    assert ("strict-transport-security" in sent) is hsts
    if hsts:
        assert sent["strict-transport-security"] == "max-age=31536000"


def test_a_header_the_handler_set_itself_is_kept():
    sent = _start("http://x", "http", [("Cache-Control", "no-cache"),
                                       ("Content-Type", "text/html; charset=utf-8")])
    assert sent["cache-control"] == "no-cache"


INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler"),
    (re.compile(r"javascript:", re.I), "a javascript: address"),
]


def test_templates_hold_nothing_inline_that_the_policy_refuses():
    found = [f"{path.name}: {what}" for path in sorted(TEMPLATES.glob("*.html"))
             for pattern, what in INLINE if pattern.search(path.read_text(encoding="utf-8"))]
    assert found == []
