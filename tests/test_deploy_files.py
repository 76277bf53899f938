"""deploy/: the compose file and the Caddyfile agree with each other and with the image (the
site name in PUBLIC_URL is the one Caddy serves, Caddy proxies to the port Tagtrack listens
on), and Caddy reads the Caddyfile as meant (when caddy is installed: `apt install caddy`).
There is no Docker engine in the test environment: the compose file is checked as YAML."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def test_compose_runs_tagtrack_behind_caddy_with_the_same_site_name() -> None:
    services = compose()["services"]
    tagtrack, caddy = services["tagtrack"], services["caddy"]
    assert (DEPLOY / tagtrack["build"] / "Dockerfile").is_file()
    site = caddy["environment"]["TAGTRACK_SITE"]
    assert tagtrack["environment"]["PUBLIC_URL"] == f"https://{site}"
    assert "ports" not in tagtrack  # reached through Caddy only
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    mounted = {v.split(":")[0]: v.split(":")[1] for v in caddy["volumes"]}
    assert (DEPLOY / mounted["./Caddyfile"].replace("/etc/caddy/", "")).name == "Caddyfile"
    assert (DEPLOY / "Caddyfile").is_file()
    assert mounted["caddy-data"] == "/data"  # the local CA's root survives a new container


def test_caddy_proxies_to_the_port_the_image_serves() -> None:
    upstream = compose()["services"]["caddy"]["environment"]["TAGTRACK_UPSTREAM"]
    served = re.search(r'CMD \[.*"--port", "(\d+)"\]', (ROOT / "Dockerfile").read_text())
    assert served
    assert upstream == f"tagtrack:{served.group(1)}"


def _adapt(**env: str) -> dict[str, Any]:
    caddy = shutil.which("caddy")
    if caddy is None:
        pytest.skip("caddy is not installed (apt install caddy)")
    done = subprocess.run([caddy, "adapt", "--config", str(DEPLOY / "Caddyfile")],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=30, check=True)
    adapted: dict[str, Any] = json.loads(done.stdout)
    return adapted


def _site(config: dict[str, Any]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    route = config["apps"]["http"]["servers"]["srv0"]["routes"][0]
    handlers = route["handle"][0]["routes"][0]["handle"]
    proxy = next(h for h in handlers if h["handler"] == "reverse_proxy")
    issuers = config["apps"]["tls"]["automation"]["policies"][0]["issuers"]
    return route["match"][0]["host"], [u["dial"] for u in proxy["upstreams"]], issuers


def test_caddy_serves_the_lan_name_from_its_own_ca_by_default() -> None:
    env = compose()["services"]["caddy"]["environment"]
    hosts, upstreams, issuers = _site(_adapt(TAGTRACK_UPSTREAM=env["TAGTRACK_UPSTREAM"]))
    assert hosts == ["tagtrack.lan"]
    assert env["TAGTRACK_SITE"] == "${TAGTRACK_SITE:-tagtrack.lan}"  # the same default
    assert upstreams == ["tagtrack:8000"]
    assert [i["module"] for i in issuers] == ["internal"]


def test_caddy_takes_a_public_domain_to_acme_with_an_email() -> None:
    hosts, upstreams, issuers = _site(_adapt(TAGTRACK_SITE="tags.example.com",
                                             TAGTRACK_TLS="ops@example.com"))
    assert hosts == ["tags.example.com"]
    assert upstreams == ["127.0.0.1:8000"]  # `tagtrack serve` on the same machine
    assert issuers[0] == {"module": "acme", "email": "ops@example.com"}
