"""A cold /scan on a slow phone link: how many requests, how many bytes, how long until the
page is usable (its body says data-ready="true"). Before and after a change of the static
assets, by pointing --tree at a checkout of each (`git worktree add /tmp/static-before
<commit>`; copy web/static/vendor into it, it is not in git).

Each run: a fresh SQLite database with the demo catalog, the tree's own server (uvicorn,
PYTHONPATH and TAGTRACK_WEB_DIR pointing into the tree), one login in a throw-away browser
context, then --runs fresh contexts (empty HTTP cache, service workers blocked so that only
the page's own loading is counted) that open /scan under Chromium's network emulation
(CDP Network.emulateNetworkConditions: --rtt ms of latency per request, --down/--up
kbit/s). Then a return visit in the same context (what a second open costs), and the
service worker's install (unthrottled: emulation applies to the page, not the worker).

    .venv/bin/python bench/bench_cold_scan.py                        # this tree
    .venv/bin/python bench/bench_cold_scan.py --tree /tmp/static-before
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("TAGTRACK_CHROMIUM", "/usr/bin/chromium")
USER, PASSWORD = "bench", "correct horse battery"
READY = "body[data-ready=true]"
# records when the page set data-ready (init scripts run outside the page's CSP)
READY_PROBE = """
new MutationObserver((_, observer) => {
  if (document.body && document.body.dataset.ready === "true") {
    window.__readyAt = performance.now();
    observer.disconnect();
  }
}).observe(document, {subtree: true, attributes: true, attributeFilter: ["data-ready"]});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(tree: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "server.cli", *args], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode:
        raise SystemExit(f"tagtrack {args[0]} failed: {done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def server(tree: Path) -> Iterator[str]:
    data = Path(tempfile.mkdtemp(prefix="bench-cold-scan-"))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_URL")}
    env.update(DATABASE_URL=f"sqlite:///{data / 'tagtrack.db'}", TAGTRACK_DATA_DIR=str(data),
               PUBLIC_URL=base, PYTHONPATH=str(tree), TAGTRACK_WEB_DIR=str(tree / "web"))
    cli(tree, env, "migrate")
    # trees from before forced password changes have no such option (nor need it)
    keep = ["--no-password-change"] if "no-password-change" in (
        tree / "server" / "cli.py").read_text() else []
    cli(tree, env, "createuser", USER, "--role", "operator", "--password", PASSWORD, *keep)
    cli(tree, env, "demo")
    log = (data / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "server.http.asgi:app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        cwd=tree, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit((data / "server.log").read_text())
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        shutil.rmtree(data, ignore_errors=True)


class Traffic:
    """What the page's network did, from the DevTools protocol: requests sent, bytes
    received on the wire (headers included), answers served from the browser's cache."""

    def __init__(self, cdp: Any) -> None:
        self.requests: list[str] = []
        self.bytes = 0
        self.from_cache = 0
        self.statuses: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.responseReceived", self._received)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.on("Network.requestServedFromCache", self._cached)

    def _sent(self, event: dict[str, Any]) -> None:
        self.requests.append(event["request"]["url"])

    def _received(self, event: dict[str, Any]) -> None:
        self.statuses[event["response"]["url"]] = event["response"]["status"]

    def _finished(self, event: dict[str, Any]) -> None:
        self.bytes += int(event.get("encodedDataLength", 0))

    def _cached(self, event: dict[str, Any]) -> None:
        self.from_cache += 1


def cold_load(browser: Any, base: str, cookies: list[dict[str, Any]], args: Any
              ) -> dict[str, float]:
    context = browser.new_context(base_url=base, service_workers="block",
                                  viewport={"width": 390, "height": 844}, is_mobile=True)
    context.add_cookies(cookies)
    context.add_init_script(READY_PROBE)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": args.rtt,
        "downloadThroughput": args.down * 1000 / 8, "uploadThroughput": args.up * 1000 / 8,
    })
    traffic = Traffic(cdp)
    page.goto("/scan", wait_until="commit")
    page.wait_for_selector(READY, timeout=120_000)
    ready_ms = page.evaluate("() => window.__readyAt")
    page.wait_for_load_state("networkidle")
    cold = {"requests": len(traffic.requests), "kbytes": traffic.bytes / 1024,
            "ready_ms": float(ready_ms)}
    # a return visit: what is still asked of the server when the cache is warm
    again = Traffic(cdp)
    page.goto("about:blank")
    page.goto("/scan", wait_until="commit")
    page.wait_for_selector(READY, timeout=120_000)
    page.wait_for_load_state("networkidle")
    static_asked = [u for u in again.requests if "/static/" in u]
    revalidated = sum(1 for u in static_asked if again.statuses.get(u) == 304)
    cold.update(again_requests=len(again.requests) - again.from_cache,
                again_static_revalidated=revalidated, again_kbytes=again.bytes / 1024,
                again_ready_ms=float(page.evaluate("() => window.__readyAt")))
    context.close()
    return cold


def worker_install(browser: Any, base: str, cookies: list[dict[str, Any]]) -> dict[str, float]:
    """The service worker's first install (the offline shell and the decoder): the
    requests it makes and the bytes of the answers' bodies as received."""
    context = browser.new_context(base_url=base)
    context.add_cookies(cookies)
    page = context.new_page()
    seen: list[Any] = []
    context.on("requestfinished", lambda request: seen.append(request))
    page.goto("/scan")
    page.wait_for_selector(READY)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=120_000)
    worker = [r for r in seen if r.service_worker is not None]
    size = 0
    for request in worker:
        with contextlib.suppress(Exception):
            size += request.sizes()["responseBodySize"]
    context.close()
    return {"requests": len(worker), "kbytes": size / 1024}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=ROOT, help="the checkout to serve")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rtt", type=float, default=150, help="ms added to each request")
    parser.add_argument("--down", type=float, default=1600, help="kbit/s")
    parser.add_argument("--up", type=float, default=750, help="kbit/s")
    parser.add_argument("--touch", action="store_true",
                        help="set the mtime of the tree's static files to now first (a fresh "
                        "deploy, or a cache older than a tenth of the files' age: browsers "
                        "then revalidate files sent without Cache-Control)")
    args = parser.parse_args()
    tree = args.tree.resolve()
    if not (tree / "web/static/vendor/zxing_reader.wasm").exists():
        raise SystemExit(f"{tree}/web/static/vendor is missing: copy it from a set-up tree")

    from playwright.sync_api import sync_playwright

    if args.touch:
        for file in (tree / "web/static").rglob("*"):
            if file.is_file():
                os.utime(file)
    print(f"tree={tree} touch={args.touch} rtt_ms={args.rtt:g} down_kbit={args.down:g} "
          f"up_kbit={args.up:g} runs={args.runs}")
    with server(tree) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"])
        login = browser.new_context(base_url=base)
        page = login.new_page()
        page.goto("/login")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/")
        cookies = login.cookies()
        login.close()
        runs = [cold_load(browser, base, cookies, args) for _ in range(args.runs)]
        for i, run in enumerate(runs, 1):
            print(f"run={i} " + " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}"
                                          for k, v in run.items()))
        sw = worker_install(browser, base, cookies)
        browser.close()

    def median(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    print(f"cold_requests={median('requests'):.0f} cold_kbytes={median('kbytes'):.1f} "
          f"cold_ready_ms={median('ready_ms'):.0f}")
    print(f"again_requests={median('again_requests'):.0f} "
          f"again_static_revalidated={median('again_static_revalidated'):.0f} "
          f"again_kbytes={median('again_kbytes'):.1f} "
          f"again_ready_ms={median('again_ready_ms'):.0f}")
    print(f"worker_install_requests={sw['requests']:.0f} worker_install_kbytes={sw['kbytes']:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
