"""A phone on HTTPS: `tagtrack serve --certfile --keyfile` with a throw-away certificate made
here, no PUBLIC_URL (so the labels' address follows what is served: https and this port),
and the scanning page moving two drills with the fake camera, one by its QR label whose URL
starts https://, one by its Code 128 label."""

from __future__ import annotations

import os
import ssl
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.clip import write_label_clip
from tests.browser.conftest import (
    CHROMIUM,
    ENGINE,
    PASSWORD,
    PG_BASE,
    PHONE,
    USER,
    Server,
    _cli,
    _free_port,
    _pg,
    open_scan,
    running_server,
    wait_row,
    wait_until,
)
from tests.sync import run_sync


def throwaway_certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:tagtrack.test,DNS:localhost,IP:127.0.0.1",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    data = tmp_path_factory.mktemp("https-server")
    cert, key = throwaway_certificate(data)
    trust = ssl.create_default_context(cafile=str(cert))
    port = _free_port()
    pg_name = None
    if ENGINE == "postgres":
        pg_name = f"tagtrack_https_{uuid.uuid4().hex[:10]}"
        run_sync(_pg(f"CREATE DATABASE {pg_name}"))
        database_url = f"{PG_BASE}/{pg_name}"
    else:
        database_url = f"sqlite:///{data / 'tagtrack.db'}"
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PUBLIC_URL", "TAGTRACK_CERTFILE", "TAGTRACK_KEYFILE")}
    env.update(DATABASE_URL=database_url, TAGTRACK_DATA_DIR=str(data), PYTHONUNBUFFERED="1")
    _cli(env, "migrate")
    _cli(env, "createuser", USER, "--role", "operator", "--password", PASSWORD,
         "--no-password-change")
    _cli(env, "demo")
    token = _cli(env, "token", USER, "--label", "https-test").strip().splitlines()[-1]
    try:
        with running_server(env, data, port, tls=(cert, key, trust)):
            log = (data / "server.log").read_text()
            assert f"labels point at https://127.0.0.1:{port}" in log, log
            yield Server(f"https://127.0.0.1:{port}", token, verify=trust)
    finally:
        if pg_name:
            run_sync(_pg(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)"))


def test_the_camera_scans_labels_on_a_page_served_over_https(
    playwright_session: Any, https_server: Server, tmp_path: Path
) -> None:
    drills = https_server.drills()
    qr_unit, code128_unit = drills[1], drills[3]
    clip = tmp_path / "labels.y4m"
    write_label_clip(clip, https_server.base, qr_unit, code128_unit)  # QR: https://.../u/TAG
    shelf = https_server.location("Shelf B3")
    browser = playwright_session.chromium.launch(
        executable_path=CHROMIUM,
        args=["--no-sandbox", "--disable-gpu", "--use-fake-device-for-media-stream",
              "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}",
              "--disable-background-networking", "--disable-component-update",
              "--disable-sync", "--disable-quic", "--no-first-run", "--no-proxy-server"],
        timeout=30_000)
    try:
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True,
                                      has_touch=True, base_url=https_server.base,
                                      ignore_https_errors=True)  # nobody trusts our own CA
        context.set_default_timeout(45_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/login?next=/scan")
        page.fill("#username", USER)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/scan")
        # PUBLIC_URL followed the https address served: the session cookie is Secure
        assert all(c["secure"] for c in context.cookies() if c["name"].startswith("tagtrack"))

        open_scan(page, f"?mode=move&location={shelf}")
        assert page.evaluate("window.isSecureContext") is True
        assert page.locator("#camera-blocked").is_hidden()
        page.click("#camera")
        page.wait_for_function("() => document.body.dataset.decoder", timeout=30_000)
        for tag in (qr_unit, code128_unit):
            wait_until(page, lambda tag=tag: https_server.unit(tag)["location"]["tag"] == shelf,
                       f"{tag} to reach Shelf B3 by camera over https")
        assert wait_row(page, "ok", qr_unit).is_visible()
        assert wait_row(page, "ok", code128_unit).is_visible()
        assert not errors, errors
    finally:
        browser.close()
