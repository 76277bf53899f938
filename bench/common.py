"""Helpers shared by the database benchmarks: percentiles, throw-away PostgreSQL databases,
fast tag strings, settings for a benchmark database."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from the repo root
    sys.path.insert(0, str(ROOT))

from server.settings import Settings, reload_settings  # noqa: E402

PG_BASE = os.environ.get("TAGTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")

# Damm quasigroup (the same table python-stdnum uses): tags get the same check digit as
# server.domain.tags.Tag, without the per-call overhead (1,000,000 tags in well under 1 s).
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def tag(kind: str, number: int) -> str:
    digits = str(number).zfill(6)
    interim = 0
    for ch in str(ord(kind)) + digits:
        interim = _DAMM[interim][ord(ch) - 48]
    return f"{kind}-{digits}{interim}"


def percentiles(samples_s: Sequence[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds (nearest-rank on the sorted samples)."""
    ordered = sorted(samples_s)

    def rank(p: float) -> float:
        return ordered[min(len(ordered) - 1, max(0, round(p * len(ordered) + 0.5) - 1))] * 1000

    return {"p50": statistics.median(ordered) * 1000, "p95": rank(0.95), "p99": rank(0.99)}


def fmt_ms(stats: dict[str, float]) -> str:
    return " ".join(f"{k}_ms={v:.1f}" for k, v in stats.items())


def settings_for(database_url: str, data_dir: Path) -> Settings:
    """Point the process at this database: the migrations, piccolo_conf and any code that
    calls get_settings() all read the environment."""
    os.environ["DATABASE_URL"] = database_url
    os.environ["TAGTRACK_DATA_DIR"] = str(data_dir)
    return reload_settings()


async def pg_exec(sql: str, dsn: str = f"{PG_BASE}/postgres") -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.asynccontextmanager
async def bench_database(engine: str, keep: bool = False) -> AsyncIterator[tuple[str, Path]]:
    """A fresh, empty database: (DATABASE_URL, a temp data dir). Dropped afterwards."""
    data_dir = Path(tempfile.mkdtemp(prefix="tagtrack-bench-"))
    name = f"tagtrack_bench_{os.getpid()}"
    try:
        if engine == "sqlite":
            yield f"sqlite:///{data_dir / 'bench.db'}", data_dir
        else:
            await pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await pg_exec(f"CREATE DATABASE {name}")
            yield f"{PG_BASE}/{name}", data_dir
    finally:
        if keep:
            print(f"kept: {data_dir}" + ("" if engine == "sqlite" else f" and database {name}"))
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
            if engine == "postgres":
                await pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ---------------------------------------------------------------------------- server processes


def free_port(host: str = "127.0.0.1") -> int:
    import socket

    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def server_env(database_url: str, data_dir: Path, public_url: str) -> dict[str, str]:
    """The environment a `tagtrack` command needs for this database (nothing else changed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(DATABASE_URL=database_url, TAGTRACK_DATA_DIR=str(data_dir),
               PUBLIC_URL=public_url, PYTHONUNBUFFERED="1")
    return env


# `tagtrack ARGS` is `python -m server.cli ARGS` (the console script calls server.cli.main);
# run from ROOT, this uses the code of the checkout the benchmark is in, even when the venv's
# editable install points at another checkout (handy to compare two versions).
TAGTRACK = [sys.executable, "-m", "server.cli"]


def tagtrack_cli(env: dict[str, str], *args: str, timeout: float = 300,
                 check: bool = True) -> str:
    """Run `tagtrack ARGS` from the venv as a user would; its stdout (SystemExit on failure
    when `check`)."""
    import subprocess

    done = subprocess.run([*TAGTRACK, *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise SystemExit(f"tagtrack {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stdout}{done.stderr}")
    return done.stdout + ("" if check else done.stderr)


def proc_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0
