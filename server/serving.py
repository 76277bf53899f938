"""What `tagtrack serve` settles before it listens: HTTPS from a certificate and key, and the
public URL that labels will carry.

Phones give the camera and the service worker (the offline queue) only to secure origins,
so a site either puts a proxy with certificates in front (README: Caddy) or lets `serve`
speak HTTPS itself. A bad certificate must stop the start with a sentence that names the
file, not with an OpenSSL trace from inside uvicorn.

The public URL goes into every QR label, and labels stay stuck on for years. Left unset,
it follows the address served (`--host`, `--port`, https with a certificate), so `--port
9000` never prints labels for port 8000. A loopback public URL while the server listens
for the network (0.0.0.0 or a LAN address) is the classic mistake: phones cannot open such
labels, so the start warns and the Labels page warns again before anything is printed."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from server.settings import is_loopback

ALL_INTERFACES = ("0.0.0.0", "::", "")


class ServeError(ValueError):
    """`serve` cannot start as asked; the message says what to change."""


@dataclass(frozen=True)
class Tls:
    certfile: str
    keyfile: str


class _EncryptedKey(Exception):
    pass


def _no_passphrase() -> str:
    # without a callback OpenSSL would stop and prompt on the terminal
    raise _EncryptedKey


def check_tls(certfile: str, keyfile: str) -> Tls | None:
    """None without either file; both files, readable and matching, for HTTPS."""
    if not certfile and not keyfile:
        return None
    if not certfile or not keyfile:
        given, missing = ("--keyfile", "--certfile") if keyfile else ("--certfile", "--keyfile")
        raise ServeError(f"HTTPS needs a certificate and its key: {given} was given without "
                         f"{missing} (or TAGTRACK_CERTFILE / TAGTRACK_KEYFILE)")
    for what, path in (("certificate", certfile), ("key", keyfile)):
        file = Path(path)
        if not file.exists():
            raise ServeError(f"the {what} file {path} does not exist")
        if not file.is_file():
            raise ServeError(f"the {what} file {path} is not a file")
        try:
            file.read_bytes()
        except OSError as exc:
            raise ServeError(f"cannot read the {what} file {path}: {exc.strerror}") from None
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_verify_locations(cafile=certfile)
    except ssl.SSLError:
        raise ServeError(f"{certfile} holds no PEM certificate (a text file starting with "
                         "-----BEGIN CERTIFICATE-----)") from None
    try:
        context.load_cert_chain(certfile, keyfile, password=_no_passphrase)
    except _EncryptedKey:
        raise ServeError(f"the key {keyfile} is protected by a passphrase: give a key without "
                         "one (mkcert makes such keys; or `openssl pkey -in KEY -out "
                         "plain.pem`), readable only by the user that runs tagtrack") from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise ServeError(f"the key {keyfile} does not belong to the certificate "
                             f"{certfile}: give the key made with that certificate") from None
        raise ServeError(f"{keyfile} holds no PEM private key (a text file starting with "
                         "-----BEGIN PRIVATE KEY-----)") from None
    return Tls(certfile, keyfile)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def address_served(host: str, port: int, tls: Tls | None) -> str:
    scheme = "https" if tls else "http"
    shown = "127.0.0.1" if host in ALL_INTERFACES else host
    default_port = 443 if tls else 80
    return f"{scheme}://{_url_host(shown)}" + ("" if port == default_port else f":{port}")


def public_url_for(public_url: str, given: bool, host: str, port: int,
                   tls: Tls | None) -> str:
    """PUBLIC_URL when set; otherwise the address served (loopback for all interfaces)."""
    return public_url if given else address_served(host, port, tls)


def _lan_address() -> str | None:
    """This machine's address on the network its default route leads to (a UDP connect
    sends nothing), to suggest a PUBLIC_URL; None when there is no such network."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if is_loopback(address) or address == "0.0.0.0" else address


def public_url_warning(public_url: str, given: bool, host: str, port: int,
                       tls: Tls | None) -> str | None:
    """A sentence for the start when labels would hold an address phones cannot open:
    a loopback public URL while the server listens on another address, port or scheme."""
    parts = urlsplit(public_url)
    if not is_loopback(parts.hostname or ""):
        return None  # a real name: perhaps a proxy in front; nothing to compare with
    scheme = "https" if tls else "http"
    url_port = parts.port or (443 if parts.scheme == "https" else 80)
    if is_loopback(host) and url_port == port and parts.scheme == scheme:
        return None  # served and labelled for this computer alone: consistent
    example = f"{scheme}://{_lan_address() or '192.168.1.20'}" + (
        "" if port == (443 if tls else 80) else f":{port}")
    where = ("all network addresses" if host in ALL_INTERFACES
             else f"{_url_host(host)}:{port}")
    source = "PUBLIC_URL is" if given else "PUBLIC_URL is not set, so it defaults to"
    return (f"warning: {source} {public_url} but the server listens on {where}: labels "
            f"printed now would point phones at an address they cannot open, and labels "
            f"stay stuck on. Set PUBLIC_URL to the address phones use (for example "
            f"PUBLIC_URL={example}, or the proxy's https:// name) and restart.")
