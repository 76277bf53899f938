"""Scan benchmark: POST /api/v1/scans from 16 devices against one real server process.

1. A fresh database (SQLite file in a temp dir, or a throw-away PostgreSQL database), the
   real migrations, then a bulk load with plain SQL (sqlite3 executemany in one transaction
   / asyncpg COPY): 210 locations, 500 people, 500 serial items, 100,000 units (available,
   working, in a room) and one `unit.created` event per unit, hash-chained as the ledger
   writes them, so the ledger explains every row and `tagtrack verify` passes. A user
   (operator) and an API token are made with the CLI (`tagtrack createuser`, `tagtrack
   token`), as a user would.
2. `tagtrack serve --host 127.0.0.1 --port N` (one process) in a subprocess.
3. A load generator in a separate process (so its CPU is not the server's), raw asyncio
   streams with HTTP/1.1 keep-alive, one connection per virtual device (16 by default):
   - phase `healthz`: GET /healthz in a loop (the server's ceiling for a trivial route
     that still touches the database);
   - phase `scans`: each device repeatedly picks a random unit of its own share (devices
     never race for a unit, so every refusal is a finding) and sends lookup -> move (to a
     random room) -> check_out (to a random person) -> check_in (to a random room), each
     with a unique idempotency key; the code is the unit's tag, or 1 in 10 times its label
     URL `{PUBLIC_URL}/u/{tag}`.
   Each phase has a warm-up (not counted) and then a fixed measured window; a request
   counts in the window it completed in. The generator reports its own CPU use and the
   server's (from /proc), and samples the server's RSS.
4. The server is stopped; the events written are compared with the successful changes
   the clients saw; then `tagtrack verify`.

Output (key=value), the headline being
    scans_per_s=... target=2000 ratio_to_target=... p50_ms=... p99_ms=... p99_target_ms=25
    healthz_per_s=... scans_to_healthz=... (target 0.5)
plus errors by status/code, server_rss_mb_peak (target 200), client and server CPU.

Run: .venv/bin/python bench/bench_scans.py --engine sqlite|postgres [--units 100000]
     [--clients 16] [--duration 20] [--healthz-duration 10] [--warmup 2]
     [--api scans|units] [--py-spy PATH] [--keep] [--serve-arg=--flag ...]
`--api units` drives the older unit endpoints (GET /api/v1/units/{tag}, POST .../move,
.../check-out, .../check-in) instead of /api/v1/scans, for comparison.
`--py-spy PATH` records the server with py-spy during the measured scans window and
prints the top functions (own time and inclusive time).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import resource
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from common import (
    ROOT,
    TAGTRACK,
    bench_database,
    free_port,
    percentiles,
    proc_cpu_s,
    proc_rss_mb,
    server_env,
    settings_for,
    tag,
    tagtrack_cli,
)

SITES, ROOMS_PER_SITE, PEOPLE, ITEMS = 10, 20, 500, 500
TARGET_SCANS = {"sqlite": 2000.0, "postgres": 1000.0}
TARGET_P99_MS = 25.0
TARGET_RATIO = 0.5
TARGET_RSS_MB = 200.0
PUBLIC_URL = "http://tagtrack.bench"
BASE_TIME = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
CHANGES = ("move", "check_out", "check_in")

# ---------------------------------------------------------------------------- data


def rooms() -> range:
    return range(SITES + 1, SITES + SITES * ROOMS_PER_SITE + 1)


def locations() -> Iterator[tuple[Any, ...]]:
    for site in range(1, SITES + 1):
        yield site, tag("L", site), f"Site {site}", None
    for room in rooms():
        yield room, tag("L", room), f"Room {room}", (room - SITES - 1) // ROOMS_PER_SITE + 1


def people() -> Iterator[tuple[Any, ...]]:
    for p in range(1, PEOPLE + 1):
        yield p, tag("P", p), f"Person {p}", f"p{p}@example.com"


def items() -> Iterator[tuple[Any, ...]]:
    for i in range(1, ITEMS + 1):
        sku = f"SKU-{i:06d}"
        yield i, sku, sku.lower(), f"Tool model {i}", f"Category {i % 40}", "serial"


def units(n_units: int) -> Iterator[tuple[Any, ...]]:
    """(id, tag, item, serial, location): all available and working."""
    all_rooms = rooms()
    for uid in range(1, n_units + 1):
        yield uid, tag("U", uid), (uid % ITEMS) + 1, f"SN{uid:09d}", all_rooms[uid % len(all_rooms)]


def created_details(unit_tag: str, serial: str) -> str:
    # what server.services.units._created writes, through ledger._row's json.dumps
    return json.dumps({"condition": "working", "serial": serial, "status": "available",
                       "tag": unit_tag}, sort_keys=True)


LOC_COLS = ("id", "tag", "name", "parent")
PERSON_COLS = ("id", "tag", "name", "email")
ITEM_COLS = ("id", "sku", "sku_key", "name", "category", "tracking")
UNIT_COLS = ("id", "tag", "item", "serial", "location", "created_at", "updated_at")
EVENT_COLS = ("id", "at", "actor", "kind", "item_id", "unit_id", "to_location_id", "note",
              "details", "prev_hash", "hash")


def created_events(n_units: int, at: Any) -> Iterator[tuple[Any, ...]]:
    """One `unit.created` event per unit, hash-chained as server/db/ledger.py would."""
    from server.domain import chain

    prev = chain.GENESIS
    for uid, utag, item, serial, loc in units(n_units):
        event = dict.fromkeys(chain.FIELDS)
        event.update(id=uid, at=at, actor="system", kind="unit.created", item_id=item,
                     unit_id=uid, to_location_id=loc, note="bench load",
                     details=created_details(utag, serial))
        sealed = chain.seal(prev, event)
        yield (*(event[c] for c in EVENT_COLS[:-2]), prev, sealed)
        prev = sealed


def load_sqlite(path: str, n_units: int) -> None:
    stamp = BASE_TIME.isoformat(sep=" ", timespec="microseconds")  # as Piccolo stores it
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous = OFF")

    def put(table: str, cols: tuple[str, ...], rows: Any) -> None:
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)

    with conn:  # one transaction
        put("location", LOC_COLS, locations())
        put("person", PERSON_COLS, people())
        put("item", ITEM_COLS, items())
        put("unit", UNIT_COLS, ((*u, stamp, stamp) for u in units(n_units)))
        put("event", EVENT_COLS, created_events(n_units, stamp))
        put("counter", ("name", "value"),
            [("U", n_units), ("L", SITES + SITES * ROOMS_PER_SITE), ("P", PEOPLE)])
    conn.close()


async def load_postgres(dsn: str, n_units: int) -> None:
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            async def put(table: str, cols: tuple[str, ...], rows: Any) -> None:
                await conn.copy_records_to_table(table, records=rows, columns=list(cols))

            await put("location", LOC_COLS, locations())
            await put("person", PERSON_COLS, people())
            await put("item", ITEM_COLS, items())
            await put("unit", UNIT_COLS,
                      [(*u, BASE_TIME, BASE_TIME) for u in units(n_units)])
            await put("event", EVENT_COLS, list(created_events(n_units, BASE_TIME)))
            await conn.executemany(
                "INSERT INTO counter (name, value) VALUES ($1, $2)",
                [("U", n_units), ("L", SITES + SITES * ROOMS_PER_SITE), ("P", PEOPLE)])
            for table in ("location", "person", "item", "unit", "event"):
                await conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                   f"(SELECT MAX(id) FROM {table}))")
        await conn.execute("VACUUM ANALYZE")  # what autovacuum would do after a bulk load
    finally:
        await conn.close()


async def count_rows(engine: str, url: str, settings: Any) -> dict[str, int]:
    sql = {"events": "SELECT COUNT(*) FROM event",
           "scan_log": "SELECT COUNT(*) FROM scan_log"}
    if engine == "sqlite":
        conn = sqlite3.connect(str(settings.sqlite_path))
        try:
            return {k: conn.execute(q).fetchone()[0] for k, q in sql.items()}
        finally:
            conn.close()
    import asyncpg

    pg = await asyncpg.connect(url)
    try:
        return {k: await pg.fetchval(q) for k, q in sql.items()}
    finally:
        await pg.close()


# ---------------------------------------------------------------------------- load generator
# Runs in its own process (`bench_scans.py --client`, config as JSON on stdin). Raw HTTP/1.1
# over asyncio streams: requests are pre-rendered bytes, responses are read by
# Content-Length, bodies parsed only for refusals.


def machine_busy_s() -> float:
    """CPU seconds all cores spent busy so far (Linux /proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class Http:
    def __init__(self, host: str, port: int, token: str) -> None:
        self.host, self.port = host, port
        self.auth = f"Authorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    def request(self, method: str, path: str, body: bytes | None = None,
                auth: bool = True) -> bytes:
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n".encode()
        if auth:
            head += self.auth
        if body is None:
            return head + b"\r\n"
        return (head + b"Content-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode() + b"\r\n\r\n" + body)

    async def send(self, raw: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        low = head.lower()
        i = low.find(b"\r\ncontent-length:")
        if i >= 0:
            end = low.index(b"\r\n", i + 2)
            body = await self.reader.readexactly(int(low[i + 17:end]))
        elif b"\r\ntransfer-encoding: chunked" in low:
            body = b""
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = b""
        if b"\r\nconnection: close" in low:
            self.writer.close()
            self.writer = self.reader = None
        return status, body


class Phase:
    """Samples of one phase's measured window."""

    def __init__(self) -> None:
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[str] = Counter()
        self.done = 0


def refusal(status: int, body: bytes) -> str:
    try:
        err = json.loads(body).get("error") or {}
        return f"{status}:{err.get('code', '?')}"
    except (ValueError, AttributeError):
        return f"{status}:?"


async def run_client(cfg: dict[str, Any]) -> dict[str, Any]:
    rng = random.Random(cfg["seed"])
    run_id = uuid.uuid4().hex[:8]
    n_units, n_conn = cfg["units"], cfg["clients"]
    room_tags = [tag("L", r) for r in rooms()]
    person_tags = [tag("P", p) for p in range(1, PEOPLE + 1)]
    server_pid = cfg["server_pid"]
    totals: Counter[str] = Counter()  # every answer, warm-up included (for the event check)

    def scans(d: int, http: Http) -> Iterator[tuple[str, bytes]]:
        own = range(d + 1, n_units + 1, n_conn)  # this device's share of the units
        where: dict[int, str] = {}  # units this device moved: where they are now
        seq = 0

        def elsewhere(uid: int) -> str:
            # a room other than the unit's own (moving a unit where it is is refused)
            here = where.get(uid) or room_tags[uid % len(room_tags)]
            while (room := rng.choice(room_tags)) == here:
                pass
            where[uid] = room
            return room

        while True:
            uid = rng.choice(own)
            unit_tag = tag("U", uid)
            code = f"{PUBLIC_URL}/u/{unit_tag}" if rng.random() < 0.1 else unit_tag
            for action in ("lookup", "move", "check_out", "check_in"):
                seq += 1
                if cfg["api"] == "scans":
                    scan: dict[str, Any] = {
                        "code": code, "action": action, "device_id": f"bench-{d}",
                        "scanned_at": dt.datetime.now(dt.UTC).isoformat(),
                        "idempotency_key": f"{run_id}-{d}-{seq}"}
                    if action in ("move", "check_in"):
                        scan["location"] = elsewhere(uid)
                    elif action == "check_out":
                        scan["person"] = rng.choice(person_tags)
                    yield action, http.request("POST", "/api/v1/scans",
                                               json.dumps(scan).encode())
                elif action == "lookup":
                    yield action, http.request("GET", f"/api/v1/units/{unit_tag}")
                else:
                    path = f"/api/v1/units/{unit_tag}/{action.replace('_', '-')}"
                    body = ({"person": rng.choice(person_tags)} if action == "check_out"
                            else {"location": elsewhere(uid)})
                    yield action, http.request("POST", path, json.dumps(body).encode())

    def healthz(d: int, http: Http) -> Iterator[tuple[str, bytes]]:
        raw = http.request("GET", "/healthz", auth=False)
        while True:
            yield "healthz", raw

    async def phase(name: str, gen: Any, warmup: float, duration: float) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        t0, t1 = start + warmup, start + warmup + duration
        out = Phase()
        rss: list[float] = []
        marks: dict[str, Any] = {}

        async def device(d: int) -> None:
            http = Http(cfg["host"], cfg["port"], cfg["token"])
            await http.connect()
            for action, raw in gen(d, http):
                sent = time.perf_counter()
                status, body = await http.send(raw)
                took = time.perf_counter() - sent
                now = loop.time()
                ok = 200 <= status < 300
                key = f"{status}" if ok else refusal(status, body)
                totals[f"{action} {key}"] += 1
                if t0 <= now <= t1:
                    out.done += 1
                    out.latency[action].append(took)
                    out.statuses[f"{action} {key}"] += 1
                if now > t1:
                    break
            assert http.writer is not None
            http.writer.close()

        async def watch() -> None:
            await asyncio.sleep(max(0.0, t0 - loop.time()))
            print(f"phase {name}", flush=True)  # the parent starts py-spy on this line
            marks["c0"], marks["s0"] = resource.getrusage(resource.RUSAGE_SELF), \
                proc_cpu_s(server_pid)
            marks["m0"] = machine_busy_s()
            while loop.time() < t1:
                rss.append(proc_rss_mb(server_pid))
                await asyncio.sleep(min(0.25, max(0.0, t1 - loop.time())))
            marks["c1"], marks["s1"] = resource.getrusage(resource.RUSAGE_SELF), \
                proc_cpu_s(server_pid)
            marks["m1"] = machine_busy_s()

        await asyncio.gather(watch(), *(device(d) for d in range(n_conn)))
        c0, c1 = marks["c0"], marks["c1"]
        client_cpu = (c1.ru_utime + c1.ru_stime) - (c0.ru_utime + c0.ru_stime)
        all_lat = [x for lat in out.latency.values() for x in lat]
        return {
            "rate": out.done / duration,
            "n": out.done,
            "all": percentiles(all_lat) if all_lat else {},
            "by_action": {a: {"n": len(v), **percentiles(v)} for a, v in out.latency.items()},
            "statuses": dict(out.statuses),
            "client_cpu": client_cpu / duration,
            "server_cpu": (marks["s1"] - marks["s0"]) / duration,
            "server_cpu_ms_per_req": 1000 * (marks["s1"] - marks["s0"]) / max(1, out.done),
            # CPU used by everything else on the machine (other programs), in cores
            "others_cpu": ((marks["m1"] - marks["m0"]) - client_cpu
                           - (marks["s1"] - marks["s0"])) / duration,
            "rss_peak_mb": max(rss, default=0.0),
            "rss_mean_mb": sum(rss) / len(rss) if rss else 0.0,
        }

    result = {"healthz": await phase("healthz", healthz, cfg["warmup"], cfg["healthz_duration"])}
    result["scans"] = await phase("scans", scans, cfg["warmup"], cfg["duration"])
    result["totals"] = dict(totals)
    return result


def client_main() -> None:
    cfg = json.loads(sys.stdin.read())
    result = asyncio.run(run_client(cfg))
    print("result " + json.dumps(result), flush=True)


# ---------------------------------------------------------------------------- orchestration


def start_server(env: dict[str, str], port: int, extra: list[str], log: Path,
                 command: list[str] = TAGTRACK) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*command, "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    stop_server(proc)
    raise SystemExit(f"server did not answer /healthz in 60 s:\n{log.read_text()}")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def run_load(cfg: dict[str, Any], py_spy: str | None, spy_out: Path) -> dict[str, Any]:
    client = subprocess.Popen([sys.executable, __file__, "--client"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert client.stdin is not None and client.stdout is not None
    client.stdin.write(json.dumps(cfg))
    client.stdin.close()
    spy: subprocess.Popen[bytes] | None = None
    result: dict[str, Any] | None = None
    budget = cfg["healthz_duration"] + cfg["duration"] + 2 * cfg["warmup"] + 60
    deadline = time.monotonic() + budget
    try:
        for line in client.stdout:  # the client ends by itself; the deadline is a backstop
            if line.startswith(f"phase {cfg['profile_phase']}") and py_spy:
                spy = subprocess.Popen(
                    [py_spy, "record", "--pid", str(cfg["server_pid"]), "--duration",
                     str(int(cfg["duration"] if cfg["profile_phase"] == "scans"
                             else cfg["healthz_duration"])), "--rate", "250", "--format", "raw",
                     "--nonblocking", "--threads", "--output", str(spy_out)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            elif line.startswith("result "):
                result = json.loads(line[7:])
            if time.monotonic() > deadline:
                break
        client.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
        if spy is not None:
            try:
                spy.wait(timeout=30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait()
    if result is None:
        raise SystemExit(f"the load generator gave no result (exit {client.returncode})")
    return result


IDLE_LEAVES = ("EpollSelector.select (selectors.py",
               "_connection_worker_thread (aiosqlite/core.py:59)",
               "_worker (concurrent/futures/thread.py:81)")


def package_of(frame: str) -> str:
    """'func (path/to/file.py:12)' -> 'litestar', 'asyncio', 'server.db', ..."""
    path = frame.rsplit(" (", 1)[-1]
    if "site-packages/" in path:
        return path.split("site-packages/")[1].split("/")[0].split(".")[0]
    if "/server/" in path or path.startswith("server/"):
        parts = path.split("server/", 1)[1].split("/")
        return "server." + parts[0] if len(parts) > 1 else "server"
    return path.split("/")[0].split(".py")[0].split(":")[0] or "?"


def print_profile(raw: Path, top: int = 22) -> None:
    """py-spy's raw format with --threads: 'thread (id): name;frame;...;frame count' per
    line, root first. Samples whose innermost frame is a wait (the event loop's select, an
    aiosqlite or executor thread waiting for work) are counted as idle and left out."""
    if not raw.exists():
        print("profile: py-spy wrote nothing (is ptrace allowed?)")
        return
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    busy = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        frames = stack.split(";")
        if len(frames) < 2:
            continue
        count = int(n)
        if any(frames[-1].startswith(leaf) for leaf in IDLE_LEAVES):
            idle += count
            continue
        busy += count
        thread = "main" if "MainThread" in frames[0] else frames[0].split(": ", 1)[-1]
        threads["main" if thread == "main" else
                "aiosqlite threads" if "connection_worker" in thread else "other threads"] += count
        names = [f.split(" (")[0] + " (" + f.rsplit(" (", 1)[-1].split("site-packages/")[-1]
                 if " (" in f else f for f in frames[1:]]
        own[names[-1]] += count
        packages[package_of(frames[-1])] += count
        for f in set(names):
            incl[f] += count
    if not busy:
        print("profile: no busy samples")
        return
    print(f"profile: {busy} busy samples ({idle} idle left out); by thread: "
          + ", ".join(f"{t} {100 * c / busy:.0f}%" for t, c in threads.most_common()))
    print("profile: own time by package: " + ", ".join(
        f"{p} {100 * c / busy:.0f}%" for p, c in packages.most_common(14)))
    print("profile: top own time (% of busy samples)")
    for f, c in own.most_common(top):
        print(f"  own {100 * c / busy:5.1f}%  {f}")
    print("profile: top inclusive time")
    for f, c in incl.most_common(top + 30):
        print(f"  incl {100 * c / busy:5.1f}%  {f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=20.0,
                        help="measured seconds of the scans phase")
    parser.add_argument("--healthz-duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before each phase")
    parser.add_argument("--api", choices=["scans", "units"], default="scans")
    parser.add_argument("--py-spy", help="path of a py-spy binary: profile the server")
    parser.add_argument("--profile-phase", choices=["scans", "healthz"], default="scans")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="extra argument for `tagtrack serve` (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--no-chain", action="store_true",
                        help="serve through bench/nochain_serve.py: events without the hash "
                             "chain, to measure what the chain costs (bench_chain_cost.py)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.duration > 300 or args.healthz_duration > 300:
        raise SystemExit("keep each phase under 300 s")

    from server.db.migrate import migrate

    async with bench_database(args.engine, keep=args.keep) as (url, data_dir):
        settings = settings_for(url, data_dir)
        start = time.perf_counter()
        await migrate(settings)
        if args.engine == "sqlite":
            await asyncio.to_thread(load_sqlite, str(settings.sqlite_path), args.units)
        else:
            await load_postgres(url, args.units)
        loaded = time.perf_counter()
        env = server_env(url, data_dir, PUBLIC_URL)
        tagtrack_cli(env, "createuser", "bench", "--role", "operator",
                     "--password", "bench-password-not-secret")
        token = tagtrack_cli(env, "token", "bench", "--label", "bench").strip().splitlines()[-1]
        print(f"engine={args.engine} units={args.units} clients={args.clients} api={args.api} "
              f"duration_s={args.duration:g} load_s={loaded - start:.1f} cpus={os.cpu_count()} "
              f"loadavg_1m={os.getloadavg()[0]:.1f}")
        before = await count_rows(args.engine, url, settings)

        port = free_port()
        command = ([sys.executable, str(Path(__file__).parent / "nochain_serve.py")]
                   if args.no_chain else TAGTRACK)
        server = start_server(env, port, args.serve_arg, data_dir / "server.log", command)
        try:
            cfg = {"host": "127.0.0.1", "port": port, "token": token, "api": args.api,
                   "units": args.units, "clients": args.clients, "duration": args.duration,
                   "healthz_duration": args.healthz_duration, "warmup": args.warmup,
                   "server_pid": server.pid, "seed": args.seed,
                   "profile_phase": args.profile_phase}
            result = run_load(cfg, args.py_spy, data_dir / "profile.txt")
        finally:
            stop_server(server)
        log = (data_dir / "server.log").read_text(errors="replace").strip()
        after = await count_rows(args.engine, url, settings)

        h, s = result["healthz"], result["scans"]
        for name, ph in (("healthz", h), ("scans", s)):
            print(f"[{name}] per_s={ph['rate']:.0f} n={ph['n']} "
                  + " ".join(f"{k}_ms={v:.1f}" for k, v in ph["all"].items())
                  + f" server_cpu={ph['server_cpu']:.2f} client_cpu={ph['client_cpu']:.2f}"
                  f" others_cpu={ph['others_cpu']:.2f}"
                  f" server_cpu_ms_per_req={ph['server_cpu_ms_per_req']:.2f}"
                  f" server_rss_mb_peak={ph['rss_peak_mb']:.0f}")
        for action, st in s["by_action"].items():
            print(f"  {action:<10} n={st['n']:<6} p50_ms={st['p50']:.1f} p95_ms={st['p95']:.1f} "
                  f"p99_ms={st['p99']:.1f}")
        errors = {k: v for k, v in result["totals"].items() if not k.split()[1].startswith("2")}
        print("errors_by_status: " + (" ".join(f"{k.replace(' ', '=')}:{v}"
                                               for k, v in sorted(errors.items())) or "none")
              + " (whole run, warm-up included)")
        target = TARGET_SCANS[args.engine]
        ratio = s["rate"] / h["rate"] if h["rate"] else 0.0
        print(f"scans_per_s={s['rate']:.0f} target={target:.0f} "
              f"ratio_to_target={s['rate'] / target:.2f} p50_ms={s['all'].get('p50', 0):.1f} "
              f"p99_ms={s['all'].get('p99', 0):.1f} p99_target_ms={TARGET_P99_MS:.0f} "
              f"healthz_per_s={h['rate']:.0f} scans_to_healthz={ratio:.2f} "
              f"ratio_target={TARGET_RATIO}")
        print(f"server_rss_mb_peak={max(h['rss_peak_mb'], s['rss_peak_mb']):.0f} "
              f"target={TARGET_RSS_MB:.0f} client_cpu_scans={s['client_cpu']:.2f} "
              f"server_cpu_scans={s['server_cpu']:.2f}")
        changes = sum(v for k, v in result["totals"].items()
                      if k.split()[0] in CHANGES and k.split()[1].startswith("2"))
        answers = sum(v for k, v in result["totals"].items() if not k.startswith("healthz"))
        written = after["events"] - before["events"]
        print(f"events_written={written} successful_changes={changes} "
              f"{'OK' if written == changes else 'MISMATCH'} "
              f"scan_log_rows={after['scan_log'] - before['scan_log']} scan_answers={answers}")
        if log:
            print("server log (last lines):\n  " + "\n  ".join(log.splitlines()[-15:]))
        if args.py_spy:
            print_profile(data_dir / "profile.txt")
        if args.no_chain:
            print("verify: skipped (events written without the chain)")
        else:
            out = tagtrack_cli(env, "verify", timeout=600, check=False).strip().splitlines()
            print(f"verify: {out[-1] if out else '?'}")
        print(f"total_s={time.perf_counter() - start:.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client_main()
    else:
        asyncio.run(main())
