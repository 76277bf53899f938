"""`tagtrack serve` before it listens: HTTPS from a certificate and key (flags or settings),
refusals that name the file, and the public URL that labels will carry (derived from the
address served when PUBLIC_URL is unset, with a warning when phones could not open it).

uvicorn and the database are replaced by recorders: what is checked is what `serve` hands
to uvicorn and to the workers' settings. tests/browser/test_https.py runs the real thing."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from server import cli
from server.settings import get_settings, reload_settings


def _pair(folder: Path, name: str) -> tuple[Path, Path]:
    cert, key = folder / f"{name}.pem", folder / f"{name}-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:tagtrack.test,DNS:localhost,IP:127.0.0.1",
         "-days", "1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


@dataclass
class Pems:
    cert: Path
    key: Path
    other_key: Path
    encrypted_key: Path
    folder: Path


@pytest.fixture(scope="module")
def pems(tmp_path_factory: pytest.TempPathFactory) -> Pems:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = _pair(folder, "site")
    _, other_key = _pair(folder, "other")
    encrypted = folder / "encrypted-key.pem"
    subprocess.run(["openssl", "pkey", "-in", str(key), "-aes256", "-passout", "pass:secret",
                    "-out", str(encrypted)], check=True, capture_output=True, timeout=60)
    return Pems(cert, key, other_key, encrypted, folder)


@dataclass
class Served:
    code: int = -1
    uvicorn: dict[str, Any] = field(default_factory=dict)
    public_url: str = ""  # what the workers' settings hold when uvicorn starts
    database_touched: bool = False
    out: str = ""
    err: str = ""


@pytest.fixture
def serve(monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> Iterator[Any]:
    """serve(*args, **env) runs `tagtrack serve ARGS` with exactly these variables among
    PUBLIC_URL and TAGTRACK_CERTFILE/KEYFILE; returns a Served."""
    with pytest.MonkeyPatch.context() as env:

        def run(*args: str, **variables: str) -> Served:
            served = Served()

            async def no_database(settings: Any, work: Any) -> None:
                served.database_touched = True

            def uvicorn_run(app: str, **kw: Any) -> None:
                served.uvicorn = kw
                served.public_url = get_settings().public_url
                assert os.environ["PUBLIC_URL"] == served.public_url  # what workers read

            monkeypatch.setattr(cli, "_with_db", no_database)
            monkeypatch.setattr("uvicorn.run", uvicorn_run)
            for name in ("PUBLIC_URL", "TAGTRACK_CERTFILE", "TAGTRACK_KEYFILE"):
                env.delenv(name, raising=False)
            for name, value in variables.items():
                env.setenv(name, value)
            # in a thread of its own: `serve` calls asyncio.run, and a browser test of the
            # same session may keep an event loop running in this one
            with ThreadPoolExecutor(1) as thread:
                served.code = thread.submit(cli.main, ["serve", *args]).result(timeout=60)
            served.out, served.err = capsys.readouterr()
            return served

        yield run
    reload_settings()


def test_a_port_without_public_url_makes_labels_for_that_port(serve):
    served = serve("--port", "9000")
    assert served.code == 0
    assert (served.uvicorn["host"], served.uvicorn["port"]) == ("127.0.0.1", 9000)
    assert served.public_url == "http://127.0.0.1:9000"
    assert "labels point at http://127.0.0.1:9000" in served.out
    assert "PUBLIC_URL" not in served.err  # served and labelled for this computer: no warning
    assert served.uvicorn["ssl_certfile"] is None


def test_all_interfaces_without_public_url_warns_that_phones_cannot_open_the_labels(serve):
    served = serve("--host", "0.0.0.0")
    assert served.code == 0
    assert served.public_url == "http://127.0.0.1:8000"
    assert "warning: PUBLIC_URL is not set" in served.err
    assert "listens on all network addresses" in served.err
    assert "Set PUBLIC_URL to the address phones use" in served.err


def test_a_loopback_public_url_for_another_port_warns(serve):
    served = serve("--port", "9000", PUBLIC_URL="http://127.0.0.1:8000")
    assert served.public_url == "http://127.0.0.1:8000"  # set by the admin: kept as is
    assert "warning: PUBLIC_URL is http://127.0.0.1:8000 but the server listens on " \
           "127.0.0.1:9000" in served.err


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20"])
def test_a_public_url_phones_can_reach_starts_without_warning(serve, host):
    served = serve("--host", host, PUBLIC_URL="https://tagtrack.lan")
    assert served.code == 0
    assert served.public_url == "https://tagtrack.lan"
    assert "PUBLIC_URL" not in served.err


def test_a_lan_address_without_public_url_makes_labels_for_that_address(serve):
    served = serve("--host", "192.168.1.20", "--port", "8000")
    assert served.public_url == "http://192.168.1.20:8000"
    assert "PUBLIC_URL" not in served.err


def test_a_certificate_and_key_serve_https_and_labels_say_https(serve, pems):
    served = serve("--port", "8443", "--certfile", str(pems.cert), "--keyfile", str(pems.key))
    assert served.code == 0
    assert served.uvicorn["ssl_certfile"] == str(pems.cert)
    assert served.uvicorn["ssl_keyfile"] == str(pems.key)
    assert served.public_url == "https://127.0.0.1:8443"
    assert get_settings().secure_cookies
    assert "Tagtrack on https://127.0.0.1:8443" in served.out


def test_the_certificate_can_come_from_the_settings_and_port_443_needs_no_port(serve, pems):
    served = serve("--port", "443", TAGTRACK_CERTFILE=str(pems.cert),
                   TAGTRACK_KEYFILE=str(pems.key))
    assert served.code == 0
    assert served.uvicorn["ssl_certfile"] == str(pems.cert)
    assert served.public_url == "https://127.0.0.1"


def test_a_loopback_http_public_url_with_https_served_warns(serve, pems):
    served = serve("--port", "8443", "--certfile", str(pems.cert), "--keyfile", str(pems.key),
                   PUBLIC_URL="http://127.0.0.1:8443")
    assert "warning: PUBLIC_URL is http://127.0.0.1:8443" in served.err


def _refused(served: Served, words: str) -> None:
    assert served.code == 1
    assert words in served.err, served.err
    assert served.err.startswith("tagtrack: ")
    assert "Traceback" not in served.err
    assert not served.database_touched and not served.uvicorn  # refused before anything ran


def test_a_missing_certificate_file_is_named(serve, pems):
    missing = pems.folder / "nope.pem"
    _refused(serve("--certfile", str(missing), "--keyfile", str(pems.key)),
             f"the certificate file {missing} does not exist")


def test_a_missing_key_file_from_the_settings_is_named(serve, pems):
    missing = pems.folder / "nope-key.pem"
    _refused(serve(TAGTRACK_CERTFILE=str(pems.cert), TAGTRACK_KEYFILE=str(missing)),
             f"the key file {missing} does not exist")


def test_a_certificate_without_its_key_is_refused(serve, pems):
    _refused(serve("--certfile", str(pems.cert)), "--certfile was given without --keyfile")
    _refused(serve("--keyfile", str(pems.key)), "--keyfile was given without --certfile")


def test_a_key_that_does_not_belong_to_the_certificate_is_refused(serve, pems):
    _refused(serve("--certfile", str(pems.cert), "--keyfile", str(pems.other_key)),
             f"the key {pems.other_key} does not belong to the certificate {pems.cert}")


def test_files_that_hold_no_pem_are_named(serve, pems, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate\n")
    _refused(serve("--certfile", str(junk), "--keyfile", str(pems.key)),
             f"{junk} holds no PEM certificate")
    _refused(serve("--certfile", str(pems.cert), "--keyfile", str(junk)),
             f"{junk} holds no PEM private key")
    _refused(serve("--certfile", str(pems.key), "--keyfile", str(pems.cert)),
             f"{pems.key} holds no PEM certificate")  # the two swapped


def test_a_key_with_a_passphrase_is_refused_without_a_prompt(serve, pems):
    _refused(serve("--certfile", str(pems.cert), "--keyfile", str(pems.encrypted_key)),
             f"the key {pems.encrypted_key} is protected by a passphrase")


def test_a_folder_given_as_certificate_is_named(serve, pems):
    _refused(serve("--certfile", str(pems.folder), "--keyfile", str(pems.key)),
             f"the certificate file {pems.folder} is not a file")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_key_is_named(serve, pems, tmp_path):
    locked = tmp_path / "locked-key.pem"
    locked.write_bytes(pems.key.read_bytes())
    locked.chmod(0)
    _refused(serve("--certfile", str(pems.cert), "--keyfile", str(locked)),
             f"cannot read the key file {locked}")
