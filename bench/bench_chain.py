"""Concurrent event appends on PostgreSQL: how many changes per second the ledger lets
through when every change writes one event (the hash chain serialises the appends).

`--writers` tasks (16), spread over `--processes` processes (1), each run write
transactions shaped like a scan's, on rows of their own (writers never wait for each
other's rows, only for the chain): lock a row (SELECT ... FOR UPDATE), update it, append
one event with `ledger.record`, then `--after` more statements (2: a scan reads its record
back and writes its scan-log row), commit. After `--warmup` seconds (2), `--duration`
seconds (10) are measured.

It imports `server` from the current directory, so run it from the root of the tree to
measure; comparing two trees:

    .venv/bin/python bench/bench_chain.py
    (cd /tmp/other-tree && /work/main/.venv/bin/python /work/main/bench/bench_chain.py)

Output (key=value): `events_per_s`, latency of a whole change `p50_ms` / `p99_ms`, CPU per
change in the writer processes (`client_cpu_ms_per_event`) and in the PostgreSQL backends
serving them (`pg_cpu_ms_per_event`), `loadavg_1m` (the machine's other load), and
`chain=intact|broken|none` (`none`: a tree without the hash chain). PostgreSQL base URL:
`TAGTRACK_BENCH_PG` (default postgresql://postgres@127.0.0.1:5432); a database
`tagtrack_chain_<pid>` is created and dropped."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, os.getcwd())  # the tree to measure

PG_BASE = os.environ.get("TAGTRACK_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")


def cpu_s(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None  # a backend that has gone
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _admin(sql: str, dsn: str = f"{PG_BASE}/postgres") -> list[Any]:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        if ";" in sql:  # several statements: no rows
            await conn.execute(sql)
            return []
        return list(await conn.fetch(sql))
    finally:
        await conn.close()


async def _writers(url: str, first: int, count: int, after: int, start: float, stop: float,
                   out: Any) -> None:
    os.environ["DATABASE_URL"] = url
    from server.db import engine as db
    from server.db import ledger
    from server.domain.actors import SYSTEM
    from server.domain.events import EventDraft
    from server.domain.vocab import EventKind

    engine = db.make_engine(url)
    db.bind(engine)
    await db.start(engine)
    done, latencies = 0, []

    async def writer(row: int) -> None:
        nonlocal done
        draft = EventDraft(kind=EventKind.UNIT_MOVED, item_id=1, unit_id=row,
                           from_location_id=1, to_location_id=2,
                           details={"status": "available", "tag": f"U-{row:07d}"})
        while (now := time.time()) < stop:
            async with db.write_transaction():
                n = (await db.fetch("SELECT n FROM bench_row WHERE id = {} FOR UPDATE",
                                    row))[0]["n"]
                await db.fetch("UPDATE bench_row SET n = {} WHERE id = {}", n + 1, row)
                await ledger.record(SYSTEM, draft)
                for i in range(after):
                    if i % 2:
                        await db.fetch("INSERT INTO bench_log (writer, n) VALUES ({}, {})", row,
                                       n + 1)
                    else:
                        await db.fetch("SELECT n FROM bench_row WHERE id = {}", row)
            if now >= start:
                done += 1
                latencies.append(time.time() - now)

    cpu0 = None  # the CPU used up to the start of the measured window

    async def mark() -> None:
        nonlocal cpu0
        await asyncio.sleep(max(0.0, start - time.time()))
        cpu0 = time.process_time()

    marker = asyncio.ensure_future(mark())
    await asyncio.gather(*(writer(first + i) for i in range(count)))
    await marker
    cpu = time.process_time() - (cpu0 if cpu0 is not None else 0.0)
    await db.stop(engine)
    out.put((done, cpu, latencies))


def _process(url: str, first: int, count: int, after: int, start: float, stop: float,
             out: Any) -> None:
    asyncio.run(_writers(url, first, count, after, start, stop, out))


def _chain(rows: list[Any]) -> str:
    if not rows or "prev_hash" not in rows[0]:
        return "none"
    prev = "0" * 64
    for row in rows:
        if row["prev_hash"] != prev:
            return f"broken_at_{row['id']}"
        prev = row["hash"]
    return "intact"


async def main(args: argparse.Namespace) -> None:
    name = f"tagtrack_chain_{os.getpid()}"
    url = f"{PG_BASE}/{name}"
    await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await _admin(f"CREATE DATABASE {name}")
    try:
        os.environ["DATABASE_URL"] = url
        os.environ["TAGTRACK_DATA_DIR"] = tempfile.mkdtemp(prefix="tagtrack-chain-")
        from server.db.migrate import migrate
        from server.settings import reload_settings

        await migrate(reload_settings())
        await _admin("CREATE TABLE bench_row (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); "
                     f"INSERT INTO bench_row SELECT g, 0 FROM generate_series(1, {args.writers}) g;"
                     "CREATE TABLE bench_log (id SERIAL PRIMARY KEY, writer INTEGER, n INTEGER)",
                     url)
        ctx = multiprocessing.get_context("spawn")
        out = ctx.Queue()
        start = time.time() + args.warmup + 1.0  # +1 s: the processes start and connect
        stop = start + args.duration
        share = [args.writers // args.processes + (i < args.writers % args.processes)
                 for i in range(args.processes)]
        procs, first = [], 1
        for count in share:
            p = ctx.Process(target=_process,
                            args=(url, first, count, args.after, start, stop, out))
            p.start()
            procs.append(p)
            first += count
        time.sleep(max(0.0, start - time.time()))
        backends = [r["pid"] for r in await _admin(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()", url)]
        before = {pid: cpu_s(pid) for pid in backends}
        time.sleep(max(0.0, stop - time.time()))
        after = {pid: cpu_s(pid) for pid in backends}
        # backends alive through the window (the pools keep theirs)
        pg_cpu = sum(after[p] - before[p] for p in backends  # type: ignore[operator]
                     if before[p] is not None and after[p] is not None)
        results = [out.get(timeout=120) for _ in procs]
        for p in procs:
            p.join(timeout=60)
        done = sum(r[0] for r in results)
        client_cpu = sum(r[1] for r in results)
        latencies = sorted(x for r in results for x in r[2])
        events = await _admin("SELECT * FROM event ORDER BY id", url)
        p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] if latencies else 0
        print(f"tree={os.getcwd()} writers={args.writers} processes={args.processes} "
              f"after={args.after} duration_s={args.duration} "
              f"loadavg_1m={os.getloadavg()[0]:.1f}")
        print(f"events_per_s={done / args.duration:.0f} "
              f"p50_ms={1000 * statistics.median(latencies) if latencies else 0:.1f} "
              f"p99_ms={1000 * p99:.1f} "
              f"client_cpu_ms_per_event={1000 * client_cpu / max(1, done):.3f} "
              f"pg_cpu_ms_per_event={1000 * pg_cpu / max(1, done):.3f} "
              f"events={len(events)} chain={_chain([dict(r) for r in events])}")
    finally:
        await _admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--after", type=int, default=2,
                        help="statements after the event, before the commit")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    asyncio.run(main(parser.parse_args()))
