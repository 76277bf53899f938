"""Contention benchmark: scan latency while a 5,000-label PDF and a login flood run
(DESIGN.md's bar: scan p99 under that load stays within 2x of idle).

1. A fresh database with bench_scans.py's data (rooms, people, items, `--units` units with
   their hash-chained `unit.created` events), an admin and its API token made with the CLI.
2. `tagtrack serve` (one process) as a user starts it; through its API: a serial item with
   5,000 units (the label batch), and four users whose passwords the flood knows.
3. A load generator in a separate process (raw HTTP/1.1 keep-alive, as bench_scans.py):
   - 16 scanning devices for the whole run, each on its own units: lookup -> move ->
     check_out -> check_in, fresh idempotency keys. By default they scan at a fixed pace
     (`--scan-rate` scans/s in all): latency is counted from when a scan was due, so a
     stalled server shows as the queue it builds, not as fewer samples. `--scan-rate 0`
     drives them flat out (a closed loop: then any other work shows as less throughput
     and more queueing, whatever the isolation).
   - one /healthz probe 20 times a second;
   - phase `idle`: nothing else; phase `loaded`: also (a) `--pdf-clients` managers asking
     again and again for the 5,000 labels of that item as one PDF (POST /api/v1/labels),
     (b) `--flood-clients` login floods through the login form (its CSRF cookie and
     field, as a browser sends them): four in five tries are wrong passwords, half against
     the admin (soon throttled for that account: 429), half spraying new usernames (each
     costs a hash: unknown users cost the same as known ones); one in five is the good
     password of one of four users. By default each try comes from another address, as through
     a reverse proxy (X-Forwarded-For, trusted from 127.0.0.1), so the per-address limit
     does not stop the flood and hashing really happens; `--flood-addresses one` sends
     all from one address.
   Idle and loaded windows of `--duration` seconds (4) take turns `--rounds` times (3),
   so that the neighbours' load on a shared machine falls on both alike. The load runs
   `--load-warmup` seconds before its first window (the first PDF starts the worker
   process), 1 s before the others; an idle window starts when the load has ended and
   the devices have caught up with their pace.
4. The server is stopped and `tagtrack verify` runs.

Output (key=value): per phase, scans per second and p50/p95/p99, /healthz p50/p99, server
CPU; the PDFs (answers by status, seconds each), the logins (answers by status); and
    scan_p99_idle_ms=... scan_p99_loaded_ms=... ratio_p99=... target=2.0
The whole run takes about a minute (under two) with the defaults.

Run: .venv/bin/python bench/bench_contention.py [--engine sqlite|postgres] [--units 20000]
     [--clients 16] [--scan-rate 200] [--duration 4] [--rounds 3] [--pdf-clients 1]
     [--flood-clients 8]
     [--flood-addresses many|one] [--serve-arg=--flag ...] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench_scans import (
    PEOPLE,
    PUBLIC_URL,
    Http,
    load_postgres,
    load_sqlite,
    refusal,
    rooms,
    start_server,
    stop_server,
)
from common import (
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

LABELS = 5000
TARGET_RATIO = 2.0
FLOOD_USERS = 4
PASSWORD = "flood-users-password-1"
TOKEN_RE = re.compile(rb'name="csrf" value="([^"]+)"')

# ---------------------------------------------------------------------------- load generator


class Recorder:
    """What the clients saw, by phase (`idle`, `loaded`, or None between windows)."""

    def __init__(self) -> None:
        self.phase: str | None = None
        self.latency: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.statuses: dict[str, Counter[str]] = defaultdict(Counter)
        self.cpu: dict[str, float] = {}
        self.rss: list[float] = []
        self.totals: Counter[str] = Counter()  # every answer, warm-ups included
        self.behind: dict[int, float] = {}  # device -> how late its last scan was sent (s)

    def add(self, what: str, took: float, key: str) -> None:
        self.totals[f"{what} {key}"] += 1
        if self.phase is not None:
            self.latency[self.phase][what].append(took)
            self.statuses[self.phase][f"{what} {key}"] += 1


def scans(cfg: dict[str, Any], d: int, http: Http, rng: random.Random
          ) -> Iterator[tuple[str, bytes]]:
    """Device d's scans, as in bench_scans.py: its own units, every change with a key."""
    own = range(d + 1, cfg["units"] + 1, cfg["clients"])
    room_tags = [tag("L", r) for r in rooms()]
    person_tags = [tag("P", p) for p in range(1, PEOPLE + 1)]
    where: dict[int, str] = {}
    run, seq = uuid.uuid4().hex[:8], 0
    while True:
        uid = rng.choice(own)
        unit = tag("U", uid)
        for action in ("lookup", "move", "check_out", "check_in"):
            seq += 1
            scan: dict[str, Any] = {
                "code": unit, "action": action, "device_id": f"bench-{d}",
                "scanned_at": dt.datetime.now(dt.UTC).isoformat(),
                "idempotency_key": f"{run}-{d}-{seq}"}
            if action in ("move", "check_in"):
                here = where.get(uid) or room_tags[uid % len(room_tags)]
                while (room := rng.choice(room_tags)) == here:
                    pass
                where[uid] = scan["location"] = room
            elif action == "check_out":
                scan["person"] = rng.choice(person_tags)
            yield action, http.request("POST", "/api/v1/scans", json.dumps(scan).encode())


async def scan_device(cfg: dict[str, Any], d: int, rec: Recorder, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    rng = random.Random(cfg["seed"] * 1000 + d)
    http = Http(cfg["host"], cfg["port"], cfg["token"])
    await http.connect()
    gap = cfg["clients"] / cfg["scan_rate"] if cfg["scan_rate"] else 0.0
    due = loop.time() + rng.random() * gap  # devices out of step with each other
    for _, raw in scans(cfg, d, http, rng):
        if stop.is_set():
            break
        if gap:
            await asyncio.sleep(max(0.0, due - loop.time()))
            rec.behind[d] = loop.time() - due
            start, due = due, due + gap  # latency counts from when the scan was due
        else:
            start = loop.time()
        status, body = await http.send(raw)
        rec.add("scan", loop.time() - start, "2xx" if 200 <= status < 300 else
                refusal(status, body))


async def healthz_probe(cfg: dict[str, Any], rec: Recorder, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    http = Http(cfg["host"], cfg["port"], "")
    raw = http.request("GET", "/healthz", auth=False)
    while not stop.is_set():
        start = loop.time()
        status, _ = await http.send(raw)
        rec.add("healthz", loop.time() - start, str(status))
        await asyncio.sleep(0.05)


async def pdf_client(cfg: dict[str, Any], rec: Recorder, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    http = Http(cfg["host"], cfg["port"], cfg["token"])
    body = json.dumps({"stock": "avery-5160", "format": "pdf", "item": cfg["label_item"]})
    raw = http.request("POST", "/api/v1/labels", body.encode())
    while not stop.is_set():
        start = loop.time()
        status, pdf = await http.send(raw)
        took = loop.time() - start
        rec.add("pdf", took, str(status))
        if status == 200:
            rec.cpu["pdf_bytes"] = len(pdf)
        elif status == 503:
            await asyncio.sleep(1.0)  # as Retry-After asks, roughly


class FormClient(Http):
    """Http that also keeps the last answer's head (for the login form's cookie)."""

    async def send_head(self, raw: bytes) -> tuple[int, bytes, bytes]:
        assert self.reader is not None or self.writer is None
        if self.writer is None:
            await self.connect()
        assert self.reader is not None and self.writer is not None
        self.writer.write(raw)
        head = await self.reader.readuntil(b"\r\n\r\n")
        low = head.lower()
        i = low.find(b"\r\ncontent-length:")
        size = int(low[i + 17:low.index(b"\r\n", i + 2)]) if i >= 0 else 0
        body = await self.reader.readexactly(size)
        if b"\r\nconnection: close" in low:
            self.writer.close()
            self.writer = self.reader = None
        return int(head[9:12]), head, body


async def flood_client(cfg: dict[str, Any], k: int, rec: Recorder, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    http = FormClient(cfg["host"], cfg["port"], "")
    host = f"Host: {cfg['host']}:{cfg['port']}\r\n"
    _, _, form = await http.send_head(f"GET /login HTTP/1.1\r\n{host}\r\n".encode())
    found = TOKEN_RE.search(form)
    token = found.group(1).decode() if found else ""
    cookie = f"Cookie: tagtrack_login_csrf={token}\r\n" if token else ""
    n = 0
    while not stop.is_set():
        n += 1
        if n % 5 == 0:  # the flood's users log in (a success clears their failures)
            kind, user, password = "good", f"flood-{(k + n) % FLOOD_USERS}", PASSWORD
        elif n % 2:  # a new username each time: a hash each time, never throttled per account
            kind, user, password = "spray", f"guess-{k}-{n}", "Summer2026!"
        else:  # guessing the admin's password: throttled per account after a few
            kind, user, password = "bad", "bench", "wrong-password"
        address = (f"198.51.{100 + k}.{n % 250 + 1}" if cfg["flood_addresses"] == "many"
                   else "198.51.100.7")
        form_body = urlencode({"username": user, "password": password, "csrf": token,
                               "next": "/"}).encode()
        raw = (f"POST /login HTTP/1.1\r\n{host}{cookie}X-Forwarded-For: {address}\r\n"
               "Content-Type: application/x-www-form-urlencoded\r\n"
               f"Content-Length: {len(form_body)}\r\n\r\n").encode() + form_body
        start = loop.time()
        status, _, _ = await http.send_head(raw)
        rec.add("login", loop.time() - start, f"{kind}:{status}")


async def run_client(cfg: dict[str, Any]) -> dict[str, Any]:
    rec = Recorder()
    stop_scans, stop_load = asyncio.Event(), asyncio.Event()
    pid = cfg["server_pid"]
    background = [asyncio.create_task(scan_device(cfg, d, rec, stop_scans))
                  for d in range(cfg["clients"])]
    background.append(asyncio.create_task(healthz_probe(cfg, rec, stop_scans)))

    async def window(name: str) -> None:
        rec.phase, wall0 = name, time.perf_counter()
        cpu0, kids0, me0 = proc_cpu_s(pid), children_cpu_s(pid), proc_cpu_s(os.getpid())
        end = time.monotonic() + cfg["duration"]
        while time.monotonic() < end:
            rec.rss.append(proc_rss_mb(pid))
            await asyncio.sleep(0.25)
        rec.phase = None
        wall = time.perf_counter() - wall0
        rec.cpu[name] = rec.cpu.get(name, 0.0) + (proc_cpu_s(pid) - cpu0) / wall
        rec.cpu[f"{name}_workers"] = (rec.cpu.get(f"{name}_workers", 0.0)
                                      + (children_cpu_s(pid) - kids0) / wall)
        rec.cpu[f"{name}_client"] = (rec.cpu.get(f"{name}_client", 0.0)
                                     + (proc_cpu_s(os.getpid()) - me0) / wall)

    async def settle() -> None:
        """Until the devices have caught up with their pace (at most 5 s): a backlog left
        by the load is not the idle window's."""
        end = time.monotonic() + 5
        while time.monotonic() < end and max(rec.behind.values(), default=0.0) > 0.05:
            await asyncio.sleep(0.1)

    await asyncio.sleep(cfg["warmup"])
    for round_ in range(cfg["rounds"]):
        # idle and loaded windows take turns, so the neighbours' load on a shared machine
        # falls on both alike
        await settle()
        await window("idle")
        stop_load.clear()
        load = [asyncio.create_task(pdf_client(cfg, rec, stop_load))
                for _ in range(cfg["pdf_clients"])]
        load += [asyncio.create_task(flood_client(cfg, k, rec, stop_load))
                 for k in range(cfg["flood_clients"])]
        await asyncio.sleep(cfg["load_warmup"] if round_ == 0 else 1.0)
        await window("loaded")
        stop_load.set()
        # the next idle window starts when the load has ended (a PDF in flight included)
        await asyncio.wait(load, timeout=60)
    stop_scans.set()
    await asyncio.wait(background, timeout=30)
    for phase in ("idle", "loaded"):
        for key in (phase, f"{phase}_workers", f"{phase}_client"):
            rec.cpu[key] = rec.cpu.get(key, 0.0) / cfg["rounds"]
    return {"latency": rec.latency, "statuses": rec.statuses, "cpu": rec.cpu,
            "totals": rec.totals, "rss_peak_mb": max(rec.rss, default=0.0)}


def children_cpu_s(pid: int) -> float:
    """CPU seconds of the server's child processes (its label workers) so far."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                total += proc_cpu_s(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue  # gone meanwhile
    return total


def client_main() -> None:
    cfg = json.loads(sys.stdin.read())
    result = asyncio.run(run_client(cfg))
    print("result " + json.dumps(result), flush=True)
    os._exit(0)  # leave tasks still waiting on a PDF behind


# ---------------------------------------------------------------------------- orchestration


def api(port: int, token: str, method: str, path: str, body: dict[str, Any]) -> Any:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        return json.loads(answer.read())


def prepare(port: int, token: str) -> int:
    """Through the API, as a manager would: the flood's users, and an item with 5,000
    units (the label batch). Returns the item's id."""
    for i in range(FLOOD_USERS):
        api(port, token, "POST", "/api/v1/users",
            {"username": f"flood-{i}", "role": "viewer", "password": PASSWORD})
    item = api(port, token, "POST", "/api/v1/items",
               {"sku": "LABEL-BATCH", "name": "Asset tag test item", "tracking": "serial"})
    api(port, token, "POST", "/api/v1/units",
        {"item": item["id"], "location": tag("L", rooms()[0]), "count": LABELS})
    return int(item["id"])


def run_load(cfg: dict[str, Any]) -> dict[str, Any]:
    budget = cfg["warmup"] + cfg["load_warmup"] + cfg["rounds"] * (2 * cfg["duration"] + 20) + 60
    done = subprocess.run([sys.executable, __file__, "--client"], input=json.dumps(cfg),
                          capture_output=True, text=True, timeout=budget, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("result "):
            result: dict[str, Any] = json.loads(line[7:])
            return result
    raise SystemExit(f"the load generator gave no result ({done.returncode}):\n"
                     f"{done.stdout[-2000:]}{done.stderr[-2000:]}")


def summary(samples: list[float]) -> str:
    if not samples:
        return "n=0"
    p = percentiles(samples)
    return f"n={len(samples)} p50_ms={p['p50']:.1f} p95_ms={p['p95']:.1f} p99_ms={p['p99']:.1f}"


def report(result: dict[str, Any], cfg: dict[str, Any]) -> None:
    lat, st, cpu = result["latency"], result["statuses"], result["cpu"]
    kept_pace = True
    for phase in ("idle", "loaded"):
        scans_ = lat.get(phase, {}).get("scan", [])
        rate = len(scans_) / (cfg["duration"] * cfg["rounds"])
        print(f"[{phase}] scans_per_s={rate:.0f} {summary(scans_)} "
              f"server_cpu={cpu.get(phase, 0):.2f} "
              f"worker_cpu={cpu.get(f'{phase}_workers', 0):.2f} "
              f"client_cpu={cpu.get(f'{phase}_client', 0):.2f}")
        if cfg["scan_rate"] and rate < 0.9 * cfg["scan_rate"]:
            kept_pace = False
            print(f"[{phase}] WARNING: the devices fell behind {cfg['scan_rate']:g} scans/s: "
                  "this machine is too busy for that rate (try a lower --scan-rate)")
        print(f"[{phase}] healthz {summary(lat.get(phase, {}).get('healthz', []))}")
        bad = {k: v for k, v in st.get(phase, {}).items()
               if k.startswith(("scan", "healthz")) and not k.endswith((" 2xx", " 200"))}
        if bad:
            print(f"[{phase}] scan/healthz refusals: "
                  + " ".join(f"{k.replace(' ', '=')}:{v}" for k, v in sorted(bad.items())))
    totals = result["totals"]  # the load's answers, its warm-up and wind-down included
    pdfs = {k.split()[1]: v for k, v in totals.items() if k.startswith("pdf ")}
    print(f"[load] pdf_answers={json.dumps(pdfs)} pdf_labels={LABELS} "
          f"pdf_bytes={cpu.get('pdf_bytes', 0)} "
          f"pdf_ms_in_window {summary(lat.get('loaded', {}).get('pdf', []))}")
    logins = Counter({k.split()[1]: v for k, v in totals.items() if k.startswith("login ")})
    in_window = sum(v for k, v in st.get("loaded", {}).items() if k.startswith("login "))
    print(f"[load] login_attempts={sum(logins.values())} per_s_in_window="
          f"{in_window / (cfg['duration'] * cfg['rounds']):.0f} by_kind_status="
          + json.dumps(dict(sorted(logins.items()))))
    p99 = [percentiles(lat[p]["scan"])["p99"] if lat.get(p, {}).get("scan") else 0.0
           for p in ("idle", "loaded")]
    ratio = p99[1] / p99[0] if p99[0] else float("inf")
    print(f"server_rss_mb_peak={result['rss_peak_mb']:.0f}")
    # behind its pace, a window measures the backlog: no verdict from it
    verdict = "INVALID" if not kept_pace else "OK" if ratio <= TARGET_RATIO else "OVER"
    print(f"scan_p99_idle_ms={p99[0]:.1f} scan_p99_loaded_ms={p99[1]:.1f} "
          f"ratio_p99={ratio:.2f} target={TARGET_RATIO} {verdict}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--scan-rate", type=float, default=200.0,
                        help="scans per second from all devices; 0: as fast as they can")
    parser.add_argument("--duration", type=float, default=4.0,
                        help="measured seconds of each window")
    parser.add_argument("--rounds", type=int, default=3,
                        help="idle and loaded windows, taking turns")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--load-warmup", type=float, default=3.0)
    parser.add_argument("--pdf-clients", type=int, default=1)
    parser.add_argument("--flood-clients", type=int, default=8)
    parser.add_argument("--flood-addresses", choices=["many", "one"], default="many")
    parser.add_argument("--serve-arg", action="append", default=[],
                        help="extra argument for `tagtrack serve` (repeatable)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    if args.duration * args.rounds > 60:
        raise SystemExit("keep each phase (--duration x --rounds) under 60 s")

    from server.db.migrate import migrate

    began = time.perf_counter()
    async with bench_database(args.engine, keep=args.keep) as (url, data_dir):
        settings = settings_for(url, data_dir)
        await migrate(settings)
        if args.engine == "sqlite":
            await asyncio.to_thread(load_sqlite, str(settings.sqlite_path), args.units)
        else:
            await load_postgres(url, args.units)
        env = server_env(url, data_dir, PUBLIC_URL)
        tagtrack_cli(env, "createuser", "bench", "--role", "admin",
                     "--password", "bench-password-not-secret")
        token = tagtrack_cli(env, "token", "bench", "--label", "bench").strip().splitlines()[-1]
        port = free_port()
        server = start_server(env, port, args.serve_arg, data_dir / "server.log")
        try:
            label_item = await asyncio.to_thread(prepare, port, token)
            print(f"engine={args.engine} units={args.units} clients={args.clients} "
                  f"scan_rate={args.scan_rate:g} windows={args.rounds}x{args.duration:g}s "
                  f"pdf_clients={args.pdf_clients} flood_clients={args.flood_clients} "
                  f"flood_addresses={args.flood_addresses} cpus={os.cpu_count()} "
                  f"cpu_workers={os.environ.get('TAGTRACK_CPU_WORKERS', 'default')} "
                  f"loadavg_1m={os.getloadavg()[0]:.1f} setup_s={time.perf_counter() - began:.1f}")
            cfg = {"host": "127.0.0.1", "port": port, "token": token, "units": args.units,
                   "clients": args.clients, "scan_rate": args.scan_rate,
                   "duration": args.duration, "rounds": args.rounds, "warmup": args.warmup,
                   "load_warmup": args.load_warmup, "pdf_clients": args.pdf_clients,
                   "flood_clients": args.flood_clients,
                   "flood_addresses": args.flood_addresses, "label_item": label_item,
                   "server_pid": server.pid, "seed": args.seed}
            result = await asyncio.to_thread(run_load, cfg)
        finally:
            stop_server(server)
        report(result, cfg)
        log = (data_dir / "server.log").read_text(errors="replace")
        errors = [line for line in log.splitlines() if "Traceback" in line or " ERROR" in line]
        print(f"server_log_errors={len(errors)}")
        verify_out = tagtrack_cli(env, "verify", timeout=300, check=False).strip().splitlines()
        print(f"verify: {verify_out[-1] if verify_out else '?'}")
    print(f"total_s={time.perf_counter() - began:.1f}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--client"]:
        client_main()
    else:
        asyncio.run(main())
