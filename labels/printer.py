"""Send raw ZPL to a network label printer (the 'raw' JetDirect port, 9100)."""

from __future__ import annotations

import socket

from labels.errors import PrinterError

DEFAULT_PORT = 9100


def send_zpl(host: str, zpl: str | bytes, port: int = DEFAULT_PORT, timeout: float = 5.0) -> None:
    """Send ZPL over TCP; raises PrinterError naming the printer if it cannot be reached."""
    if not host:
        raise PrinterError("host", "printer host is empty")
    if not 1 <= port <= 65535:
        raise PrinterError("port", f"must be 1 to 65535, got {port}")
    if timeout <= 0:
        raise PrinterError("timeout", "must be positive")
    payload = zpl.encode("utf-8") if isinstance(zpl, str) else zpl
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.sendall(payload)
            conn.shutdown(socket.SHUT_WR)
    except TimeoutError as exc:
        raise PrinterError("host", f"printer {host}:{port} did not answer in {timeout} s") from exc
    except OSError as exc:
        raise PrinterError("host", f"cannot send to printer {host}:{port}: {exc}") from exc
