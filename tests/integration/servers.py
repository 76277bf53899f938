"""Start N real Tagtrack server processes on one database, on 127.0.0.1 only.

The database is migrated once with `tagtrack migrate`, a user and an API token are made
with the CLI, then each process runs uvicorn on its own port. Every wait is bounded, and
stop() kills exactly the processes started here."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.sync import run_sync

BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
PG_BASE = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
CLI_TIMEOUT = 60
START_TIMEOUT = 30


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def env_for(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(
        DATABASE_URL=database_url,
        TAGTRACK_DATA_DIR=str(data_dir),
        PUBLIC_URL="http://tagtrack.test",
        PYTHONUNBUFFERED="1",
    )
    return env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "tagtrack"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT,
        check=False,
    )


@dataclass
class Servers:
    env: dict[str, str]
    log_dir: Path
    token: str = ""
    urls: list[str] = field(default_factory=list)
    procs: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def prepare(self, user: str = "racer") -> None:
        for args in (
            ("migrate",),
            ("createuser", user, "--role", "manager", "--password", "correct horse battery",
             "--no-password-change"),
        ):
            done = cli(self.env, *args)
            assert done.returncode == 0, (args, done.stdout, done.stderr)
        done = cli(self.env, "token", user)
        assert done.returncode == 0, done.stderr
        self.token = done.stdout.strip().splitlines()[-1]

    def start(self, n: int) -> None:
        for i in range(n):
            port = free_port()
            log = (self.log_dir / f"server-{i}.log").open("wb")
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "server.http.asgi:app",
                        "--host",
                        HOST,
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                        "--no-access-log",
                    ],
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            log.close()
            self.urls.append(f"http://{HOST}:{port}")
        for url, proc in zip(self.urls, self.procs, strict=True):
            self._wait_healthy(url, proc)

    def _wait_healthy(self, url: str, proc: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server {url} exited with {proc.returncode}: {self.logs()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"server {url} did not answer /healthz in {START_TIMEOUT}s")

    def logs(self) -> str:
        return "\n".join(
            p.read_text(errors="replace") for p in sorted(self.log_dir.glob("server-*.log"))
        )

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        self.procs.clear()

    def verify(self) -> subprocess.CompletedProcess[str]:
        return cli(self.env, "verify")


async def _pg(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(f"{PG_BASE}/postgres", timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextlib.contextmanager
def database(engine: str, tmp: Path) -> Iterator[str]:
    """A throw-away database URL: a SQLite file in `tmp`, or a PostgreSQL database that is
    created here and dropped afterwards."""
    if engine == "sqlite":
        yield f"sqlite:///{tmp / 'race.db'}"
        return
    name = f"tagtrack_race_{uuid.uuid4().hex[:10]}"
    run_sync(_pg(f"CREATE DATABASE {name}"))
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        run_sync(_pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@contextlib.contextmanager
def running(engine: str, tmp: Path, n: int = 2) -> Iterator[Servers]:
    with database(engine, tmp) as url:
        data = tmp / "data"
        data.mkdir(exist_ok=True)
        servers = Servers(env=env_for(url, data), log_dir=tmp)
        try:
            servers.prepare()
            servers.start(n)
            yield servers
        finally:
            servers.stop()
