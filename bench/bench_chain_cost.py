"""What the hash chain costs the scan path: bench_scans.py with the chain and without it
(bench/nochain_serve.py: the same server with events appended as before the chain: one
INSERT, no lock, no read of the last hash, a commit that waits for its own flush), run
alternately so that both see the same machine, several rounds, medians compared.

Prints per round and variant: scans/s, p99, the server process's CPU per scan and the
database's (others_cpu: PostgreSQL's backends on this machine) per scan; then the medians
and the judged figure `chain_cost` = 1 - (scans/s with chain) / (scans/s without), target
under 0.10 (issue 9). CPU per scan is printed too: it moves less than throughput when the
machine is not quiet.

  python bench/bench_chain_cost.py [--engine postgres|sqlite] [--rounds 3] [--duration 8]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent
TARGET = 0.10


def run(engine: str, units: int, duration: float, chain: bool) -> dict[str, float]:
    cmd = [sys.executable, str(HERE / "bench_scans.py"), "--engine", engine, "--units",
           str(units), "--duration", str(duration), "--healthz-duration", "1",
           "--warmup", "1"]
    if not chain:
        cmd.append("--no-chain")
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=True).stdout
    scans = re.search(r"^\[scans\] per_s=(\d+).*? p99_ms=([\d.]+).*? others_cpu=([\d.]+)"
                      r" server_cpu_ms_per_req=([\d.]+)", out, re.M)
    ok = re.search(r"events_written=\d+ successful_changes=\d+ (\w+)", out)
    if not scans or not ok or ok.group(1) != "OK":
        raise SystemExit(f"bench_scans output not understood or events mismatch:\n{out}")
    rate = float(scans.group(1))
    return {"rate": rate, "p99": float(scans.group(2)),
            "server_ms": float(scans.group(4)),
            "db_ms": 1000 * float(scans.group(3)) / rate if rate else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--units", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=8.0)
    args = parser.parse_args()
    if args.rounds * args.duration > 600:
        raise SystemExit("keep rounds x duration under 600 s")
    results: dict[bool, list[dict[str, float]]] = {True: [], False: []}
    for n in range(args.rounds):
        for chain in (False, True) if n % 2 == 0 else (True, False):
            r = run(args.engine, args.units, args.duration, chain)
            results[chain].append(r)
            print(f"round={n + 1} chain={'yes' if chain else 'no '} scans_per_s={r['rate']:.0f} "
                  f"p99_ms={r['p99']:.1f} server_cpu_ms_per_scan={r['server_ms']:.2f} "
                  f"db_and_other_cpu_ms_per_scan={r['db_ms']:.2f}", flush=True)
    med = {c: {k: statistics.median(r[k] for r in rs) for k in rs[0]}
           for c, rs in results.items()}
    with_chain, without = med[True], med[False]
    cost = 1 - with_chain["rate"] / without["rate"]
    cpu = ((with_chain["server_ms"] + with_chain["db_ms"])
           / (without["server_ms"] + without["db_ms"]) - 1)
    print(f"engine={args.engine} median scans_per_s: no_chain={without['rate']:.0f} "
          f"chain={with_chain['rate']:.0f}; p99_ms: {without['p99']:.1f} -> "
          f"{with_chain['p99']:.1f}; cpu_ms_per_scan (server+db): "
          f"{without['server_ms'] + without['db_ms']:.2f} -> "
          f"{with_chain['server_ms'] + with_chain['db_ms']:.2f} ({cpu:+.1%})")
    print(f"chain_cost={cost:.3f} target<{TARGET:.2f} {'OK' if cost < TARGET else 'OVER'}")


if __name__ == "__main__":
    main()
