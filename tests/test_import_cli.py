"""`tagtrack import` as a user runs it, on a fresh SQLite file with the demo catalog: the
sample is checked (a dry run, exit 0, nothing written), committed, imported again (nothing
changes), and `tagtrack verify` passes; a file with a bad row exits 1 and writes nothing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "docs" / "samples" / "stock-2026.csv"

pytestmark = [pytest.mark.sqlite_only, pytest.mark.slow]  # six commands, a worker each


def tagtrack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server.cli", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=180, check=False)


def test_the_cli_checks_commits_and_reimports_the_sample(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'cli.db'}", TAGTRACK_DATA_DIR=str(tmp_path),
               TAGTRACK_CPU_WORKERS="1")
    assert tagtrack(env, "demo").returncode == 0
    dry = tagtrack(env, "import", str(SAMPLE), "--kind", "units")
    assert dry.returncode == 0, dry.stderr
    assert "unit      create      11  update       1" in dry.stdout
    assert "a dry run: nothing was written" in dry.stdout
    assert "checking" in dry.stderr and "rows" in dry.stderr  # the progress on stderr
    done = tagtrack(env, "import", str(SAMPLE), "--kind", "units", "--commit")
    assert done.returncode == 0 and "applied: 20 events written" in done.stdout, done.stdout
    again = tagtrack(env, "import", str(SAMPLE), "--kind", "units", "--commit")
    assert "create       0  update       0  unchanged      12" in again.stdout
    assert "applied: 0 events written" in again.stdout
    assert tagtrack(env, "verify").returncode == 0
    bad = tmp_path / "bad.csv"
    bad.write_text(SAMPLE.read_text(encoding="utf-8").replace("230V,,,,\n", "9V,,,,\n", 1),
                   encoding="utf-8")
    refused = tagtrack(env, "import", str(bad), "--kind", "units", "--commit",
                       "--no-create-locations")
    assert refused.returncode == 1, refused.stdout
    assert "column Voltage: 9V is not one of: 120V, 230V" in refused.stdout
    assert "nothing was imported" in refused.stdout
