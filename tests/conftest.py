"""Test fixtures, layered: a migrated database per session (SQLite file or PostgreSQL,
chosen by TAGTRACK_TEST_DB), emptied before each test; an app client; clients logged in
as each role. Every test that touched the database ends with `verify` passing."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from server.settings import Settings, reload_settings
from tests.sync import run_sync

ENGINE = os.environ.get("TAGTRACK_TEST_DB", "sqlite")
PG_BASE = os.environ.get("TAGTRACK_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
ROLES = ("admin", "manager", "operator", "viewer", "kiosk")
TABLES = ["service_record", "service_rule",
          "unit_custody", "unit_activity", "import_run", "import_mapping",
          "audit_line", "audit", "loan", "scan_log", "event", "web_session", "api_token",
          "app_user", "stock", "unit", "lot", "item_barcode", "item", "person", "location",
          "counter", "auth_failure"]


def token_for(role: str) -> str:
    return f"tt_test_{role}_token"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "sqlite_only" in item.keywords and ENGINE != "sqlite":
            item.add_marker(pytest.mark.skip(reason="SQLite-only test"))
        if "postgres_only" in item.keywords and ENGINE != "postgres":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL-only test"))


async def _pg(sql: str, dsn: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if ENGINE == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"tagtrack_test_{uuid.uuid4().hex[:10]}"
    run_sync(_pg(f"CREATE DATABASE {name}", f"{PG_BASE}/postgres"))
    try:
        yield f"{PG_BASE}/{name}"
    finally:
        run_sync(_pg(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"{PG_BASE}/postgres"))


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    os.environ["DATABASE_URL"] = database_url
    os.environ["TAGTRACK_DATA_DIR"] = str(tmp_path_factory.mktemp("data"))
    os.environ["PUBLIC_URL"] = "http://tagtrack.test"
    base = reload_settings()
    from server.db.migrate import migrate

    run_sync(migrate(base))
    return replace(base)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing() -> Iterator[None]:
    """argon2id with tiny parameters in process, so that logins stay fast; the production
    parameters are checked by tests/api/test_login_throttle.py, and servers started as
    processes (browser and integration tests) use them."""
    from argon2 import PasswordHasher

    from server.services import passwords

    old = passwords.use_hasher(PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    old_bucket = passwords.use_bucket(None)  # no rate bound on cheap hashes
    from server.services import auth

    old_pause, auth.pause = auth.pause, _no_pause  # a refused login answers at once here
    yield
    passwords.use_hasher(old)
    passwords.use_bucket(old_bucket)
    auth.pause = old_pause


async def _no_pause(_seconds: float) -> None:
    return None


def _password_hash() -> str:
    from server.services.passwords import hash_now

    return hash_now("correct horse")


def page_login(client: TestClient[Any], username: str, password: str = "correct horse",
               next_: str = "/") -> Any:
    """Log in through the login form as a browser does: open it (its CSRF cookie and
    token), then post it."""
    import re

    form = client.get("/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    return client.post("/login", data={"username": username, "password": password,
                                       "next": next_, "csrf": token.group(1) if token else ""},
                       follow_redirects=False)


@pytest.fixture(scope="session")
def seed_sql(settings: Settings) -> list[tuple[str, tuple[Any, ...]]]:
    pw = _password_hash()
    rows = []
    for i, role in enumerate(ROLES, start=1):
        # their passwords are their own: no change asked at login (must_change_password)
        rows.append(("INSERT INTO app_user (id, username, role, password_hash, active, "
                     "must_change_password, created_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, CURRENT_TIMESTAMP)",
                     (i, role, role, pw, True, False)))
        rows.append(("INSERT INTO api_token (user, name, prefix, token_hash, created_at) "
                     "VALUES (?, ?, ?, ?, CURRENT_TIMESTAMP)",
                     (i, "test", token_for(role)[:10],
                      hashlib.sha256(token_for(role).encode()).hexdigest())))
    return rows


def reset_database(settings: Settings, seed: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Empty every table and add one user (and API token) per role."""
    if settings.engine == "sqlite":
        conn = sqlite3.connect(settings.sqlite_path, timeout=30)
        try:
            for table in TABLES:
                conn.execute(f"DELETE FROM {table}")
            has_sequence = "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'"
            if conn.execute(has_sequence).fetchone():
                conn.execute("DELETE FROM sqlite_sequence")
            for sql, args in seed:
                conn.execute(sql, args)
            conn.commit()
        finally:
            conn.close()
        return

    async def pg() -> None:
        import asyncpg

        conn = await asyncpg.connect(settings.database_url)
        try:
            await conn.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
            for sql, args in seed:
                n = iter(range(1, 100))
                pg_sql = "".join(f"${next(n)}" if c == "?" else c for c in sql)
                await conn.execute(pg_sql.replace("(user,", '("user",'), *args)
            await conn.execute("SELECT setval('app_user_id_seq', 100)")
        finally:
            await conn.close()

    run_sync(pg())


@pytest.fixture(scope="session")
def app_client(settings: Settings) -> Iterator[TestClient[Any]]:
    from server.http.app import create_app

    app = create_app(settings, run_migrations=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


@pytest.fixture
def client(app_client: TestClient[Any], settings: Settings,
           seed_sql: list[tuple[str, tuple[Any, ...]]]) -> Iterator[TestClient[Any]]:
    """An anonymous client on an empty database; the test ends with verify passing."""
    reset_database(settings, seed_sql)
    app_client.headers.pop("Authorization", None)
    app_client.cookies.clear()
    yield app_client
    answer = app_client.get("/api/v1/admin/verify",
                            headers={"Authorization": f"Bearer {token_for('admin')}"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"ok": True, "problems": []}


class As:
    """Calls the API as one role: `api.post(path, json=...)` returns the response."""

    def __init__(self, client: TestClient[Any], role: str) -> None:
        self.client, self.role = client, role
        self.headers = {"Authorization": f"Bearer {token_for(role)}"}

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.client, method)

        def send(path: str, **kw: Any) -> Any:
            return call(path, headers={**self.headers, **kw.pop("headers", {})}, **kw)
        return send


@pytest.fixture
def admin(client: TestClient[Any]) -> As:
    return As(client, "admin")


@pytest.fixture
def manager(client: TestClient[Any]) -> As:
    return As(client, "manager")


@pytest.fixture
def operator(client: TestClient[Any]) -> As:
    return As(client, "operator")


@pytest.fixture
def viewer(client: TestClient[Any]) -> As:
    return As(client, "viewer")


@pytest.fixture
def tmp_out(tmp_path: Path) -> Path:
    return tmp_path
