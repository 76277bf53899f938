"""The Import page through a logged-in manager's browser session: upload, columns with a
preview of the first rows, the dry run's report, the commit; operators see no page."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from server.services.demo import load_demo
from tests.api.import_helpers import threads  # noqa: F401
from tests.conftest import page_login

pytestmark = pytest.mark.usefixtures("threads")
SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "samples" / "stock-2026.csv"
HTML = {"Accept": "text/html"}


def csrf_of(client, path: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def settle(client, url: str) -> str:
    for _ in range(200):
        text = client.get(url, headers=HTML).text
        if 'http-equiv="refresh"' not in text:
            return text
        time.sleep(0.05)
    raise AssertionError("the import did not finish")


def test_a_manager_uploads_checks_and_commits_the_sample(client, manager):
    with client.portal() as portal:
        portal.call(load_demo)
    assert page_login(client, "manager").status_code == 303
    token = csrf_of(client, "/imports")
    answer = client.post("/imports", data={"csrf": token, "kind": "units",
                                           "create_locations": "on"},
                         files={"file": ("stock-2026.csv", SAMPLE.read_bytes(), "text/csv")},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text[:300]
    columns = answer.headers["location"]
    page = client.get(columns, headers=HTML).text
    assert "LM-24-00873" in page  # the preview of the first rows
    assert re.search(r'<option value="serial" selected>', page)
    chosen = dict(re.findall(r'name="(col_\d+)">.*?<option value="([^"]*)" selected>', page,
                             re.S))
    answer = client.post(columns, data={"csrf": token, **chosen}, headers=HTML,
                         follow_redirects=False)
    assert answer.status_code == 303
    report = settle(client, answer.headers["location"])
    assert "Ready to commit" in report and "Changes to existing records" in report
    run_id = answer.headers["location"].rsplit("/", 1)[1]
    answer = client.post(f"/imports/{run_id}/commit", data={"csrf": token}, headers=HTML,
                         follow_redirects=False)
    assert answer.status_code == 303
    applied = settle(client, answer.headers["location"])
    assert "Applied" in applied and "written in one transaction" in applied


def test_operators_are_not_shown_the_import_page(client, operator):
    assert page_login(client, "operator").status_code == 303
    assert client.get("/imports", headers=HTML).status_code == 403
    assert 'href="/imports"' not in client.get("/", headers=HTML).text


def test_the_page_refuses_a_file_over_the_limit_before_reading_the_form(client, monkeypatch):
    """The announced length is enough: the form (and its CSRF field) is not even read, so a
    200 MB upload costs nothing (here: a 1,000-byte limit and no CSRF token at all)."""
    from dataclasses import replace

    from server import settings as settings_module

    small = replace(settings_module.get_settings(), import_max_bytes=1000)
    monkeypatch.setattr("server.http.upload.get_settings", lambda: small)
    assert page_login(client, "manager").status_code == 303
    answer = client.post("/imports", files={"file": ("big.csv", b"x" * 200_000, "text/csv")},
                         data={"kind": "units"}, headers=HTML)
    assert answer.status_code == 413, answer.text
    assert "1,000 bytes" in answer.text and "TAGTRACK_IMPORT_MAX_BYTES" in answer.text
