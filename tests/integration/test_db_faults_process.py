"""Issue 9, item 3, as it was reported: a real server process started on a read-only
SQLite file answers 503 (read-only) and reports it on /healthz, and once the file is
writable again its next write works, without a restart. The PostgreSQL counterpart (a
database that turns read-only, then writable again) is in test_db_faults.py."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.servers import START_TIMEOUT, Servers, database, env_for
from tests.integration.test_db_faults import read_only

pytestmark = [pytest.mark.slow, pytest.mark.sqlite_only]


class LiveServers(Servers):
    """Waits on /livez: /healthz rightly answers 503 while the database is read-only."""

    def _wait_healthy(self, url: str, proc: object) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{url}/livez", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise TimeoutError(f"server {url} did not answer /livez: {self.logs()}")


def test_a_server_started_on_a_read_only_file_writes_again_once_it_is_writable(
    tmp_path: Path,
) -> None:
    with database("sqlite", tmp_path) as url:
        data = tmp_path / "data"
        data.mkdir()
        servers = LiveServers(env=env_for(url, data), log_dir=tmp_path)
        servers.prepare()
        path = Path(url.removeprefix("sqlite:///"))
        try:
            with read_only(path):
                servers.start(1)
                api = httpx.Client(base_url=servers.urls[0], timeout=30,
                                   headers={"Authorization": f"Bearer {servers.token}"})
                health = api.get("/healthz")
                assert (health.status_code, health.json()["database"]) == (503, "read-only")
                for _ in range(3):
                    refused = api.post("/api/v1/locations", json={"name": "Dock"})
                    assert refused.status_code == 503, refused.text
                    assert refused.json()["code"] == "database_read_only"
                    assert int(refused.headers["retry-after"]) > 0
            made = api.post("/api/v1/locations", json={"name": "Dock"})  # the first try
            assert made.status_code == 201, made.text
            assert api.get("/healthz").json()["database"] == "ok"
            names = [loc["name"] for loc in api.get("/api/v1/locations").json()["locations"]]
            assert names == ["Dock"]
            api.close()
        finally:
            servers.stop()
        done = servers.verify()
        assert done.returncode == 0, done.stdout + done.stderr
