"""`tagtrack export`: a kind to a file (CSV or XLSX) or stdout, the history as JSON Lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from server.cli import main
from server.settings import Settings
from tests import export_catalog
from tests.factories import event_count


def tagtrack(settings: Settings, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "DATABASE_URL": settings.database_url}
    return subprocess.run([sys.executable, "-m", "server.cli", "export", *args], env=env,
                          capture_output=True, timeout=120, check=False)


def test_export_cli_writes_each_format(manager: Any, settings: Settings,
                                       tmp_path: Path) -> None:
    export_catalog.build(manager)
    out = tagtrack(settings, "items")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(b"\xef\xbb\xbfSKU,Name,")
    assert out.stdout.count(b"\r\n") == 5
    target = tmp_path / "units.xlsx"
    done = tagtrack(settings, "units", "-o", str(target))
    assert done.returncode == 0, done.stderr
    rows = list(openpyxl.load_workbook(target)["Units"].iter_rows(values_only=True))
    assert len(rows) == 6 and rows[0][0] == "SKU"
    assert not list(tmp_path.glob("*.part"))
    history = tmp_path / "events.jsonl"
    assert tagtrack(settings, "events", "-o", str(history)).returncode == 0
    lines = history.read_text().splitlines()
    assert len(lines) == event_count(manager)
    assert json.loads(lines[-1])["hash"] == manager.get("/api/v1/events/head").json()["hash"]


def test_export_cli_xlsx_needs_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "units", "--format", "xlsx"]) == 2  # refused before any database
    assert "needs a file" in capsys.readouterr().err
