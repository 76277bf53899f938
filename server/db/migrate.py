"""Apply Piccolo migrations to the database named by DATABASE_URL."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
from collections.abc import Iterator

from server.settings import Settings

PICCOLO_CONF = "server.db.piccolo_conf"


@contextlib.contextmanager
def _migration_lock(settings: Settings) -> Iterator[None]:
    """Several processes may start at once on one SQLite file: one migrates, the others
    wait and then find nothing left to do."""
    if settings.engine != "sqlite":
        yield
        return
    lock_path = settings.sqlite_path.with_suffix(".migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def known_migrations() -> list[str]:
    """The IDs of the migrations this code has, in order."""
    import importlib
    import pkgutil

    from server.db import migrations

    ids = [importlib.import_module(f"{migrations.__name__}.{m.name}").ID
           for m in pkgutil.iter_modules(migrations.__path__)]
    return sorted(str(i) for i in ids)


async def migrate(settings: Settings, *, verbose: bool = False, upto: str = "all") -> None:
    """Apply the migrations not applied yet: all, or those up to and including `upto`."""
    os.environ["PICCOLO_CONF"] = PICCOLO_CONF
    os.environ["DATABASE_URL"] = settings.database_url
    from piccolo.apps.migrations.commands.forwards import run_forwards

    from server.db import piccolo_conf

    # piccolo_conf builds its engine at import: make sure it points at this database.
    from server.db.engine import make_engine, stop

    piccolo_conf.DB = make_engine(settings.database_url)
    # Piccolo's own migration table keeps the engine it first found: a second migrate in
    # one process (a restore's target) must not record its migrations in the first
    from piccolo.apps.migrations.tables import Migration

    Migration._meta.db = piccolo_conf.DB
    with _migration_lock(settings):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                result = await run_forwards(app_name="tagtrack", migration_id=upto)
        finally:
            await stop(piccolo_conf.DB)
    if verbose:
        print(out.getvalue().strip())
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}\n{out.getvalue()}")
