"""Values written the way a restore writes them and read back the way a backup reads them
come out exactly as they went in, on the session's engine: timestamps to the microsecond,
dates, NUMERIC(12, 2) with its two decimals (SQLite keeps a float), JSON text byte for
byte, booleans, 64-bit integers. A file made on one engine therefore restores into the
other unchanged (the copy test runs the whole way round)."""

from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.db import snapshot
from server.domain.backup_format import decoder, encoder
from tests.conftest import ENGINE
from tests.domain.test_backup_format import UTC_TIMES
from tests.integration.backup_helpers import throwaway
from tests.sync import run_sync

PROBE = ("CREATE TABLE backup_probe (id INTEGER PRIMARY KEY, n BIGINT, b BOOLEAN, "
         "c NUMERIC(12, 2), d DATE, t TIMESTAMPTZ, j JSON, s TEXT)")
JSON_TEXT = st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5),
                            max_size=3).map(lambda v: json.dumps(v, ensure_ascii=False))
ROW = st.tuples(
    st.none() | st.integers(-(2**63), 2**63 - 1), st.none() | st.booleans(),
    st.none() | st.decimals(min_value=Decimal("-9999999999.99"),
                            max_value=Decimal("9999999999.99"), places=2),
    st.none() | st.dates(), st.none() | UTC_TIMES, JSON_TEXT,
    st.text().map(lambda s: s.replace("\x00", "")))


def test_values_written_by_a_restore_read_back_exactly_by_a_backup(tmp_path):
    with throwaway(ENGINE, tmp_path, "values") as url:
        async def make() -> None:
            if ENGINE == "sqlite":
                import sqlite3

                with sqlite3.connect(snapshot.sqlite_file(url)) as conn:
                    conn.execute(PROBE)
                return
            async with snapshot.writing(url) as db:
                await db.conn.execute(PROBE)
        run_sync(make())

        @settings(max_examples=15, deadline=None,
                  suppress_health_check=[HealthCheck.function_scoped_fixture])
        @given(st.lists(ROW, max_size=4))
        def round_trip(rows):
            portable = [[i, *(encoder(k)(v) for k, v in zip(KINDS, row, strict=True))]
                        for i, row in enumerate(rows, start=1)]
            run_sync(_write(url, portable))
            assert run_sync(_read(url, tmp_path)) == portable

        round_trip()


KINDS = ("int", "bool", "numeric:2", "date", "timestamptz", "json", "text")


async def _write(url, portable):
    async with snapshot.writing(url) as db:
        [shape] = [s for s in await db.shapes() if s.name == "backup_probe"]
        assert shape.kinds == ("int", *KINDS)  # the catalog's types, no Piccolo class
        decoders = [decoder(k) for k in shape.kinds]
        if ENGINE == "sqlite":
            await db.fetch("DELETE FROM backup_probe")
        else:
            await db.conn.execute("DELETE FROM backup_probe")
        values = [[d(v) for d, v in zip(decoders, row, strict=True)] for row in portable]
        if values:
            await db.insert("backup_probe", shape.columns, values)


async def _read(url, tmp):
    async with snapshot.reading(url, tmp) as db:
        [shape] = [s for s in await db.shapes() if s.name == "backup_probe"]
        encoders = [encoder(k) for k in shape.kinds]
        return [[f(v) for f, v in zip(encoders, row, strict=True)]
                async for chunk in db.chunks(shape) for row in chunk]
