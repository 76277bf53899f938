"""One settings object, read from the environment once."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    public_url: str
    old_public_urls: tuple[str, ...] = ()
    session_days: int = 14
    secure_cookies: bool = False
    label_org: str = ""
    label_stocks_file: str = ""
    printers: dict[str, tuple[str, int]] = field(default_factory=dict)
    cpu_workers: int = 1  # processes for CPU-heavy work (label batches); see services/offload
    cpu_queue: int = 4  # such jobs that may wait for a worker before more are refused (503)
    public_url_given: bool = True  # False: PUBLIC_URL unset, `serve` derives it from --host/--port
    certfile: str = ""  # TAGTRACK_CERTFILE / TAGTRACK_KEYFILE: `serve` speaks HTTPS itself
    keyfile: str = ""
    loan_days: int = 7  # TAGTRACK_LOAN_DAYS: a check-out's due date when neither it nor its
    # item gives one (0: no due date)
    kiosk_pin: str = ""  # TAGTRACK_KIOSK_PIN: leaves kiosk mode (else a manager's login only)
    time_zone: str = "UTC"  # TAGTRACK_TIME_ZONE: times for users with no zone of their own
    # (and no browser that said its zone), and plain dates given to the API
    import_max_bytes: int = 100_000_000  # TAGTRACK_IMPORT_MAX_BYTES: the largest upload to
    # import (413 beyond it, before the rest is read)
    high_value: Decimal = Decimal("500")  # TAGTRACK_HIGH_VALUE: a unit cost from which the
    # tracking advisor calls an item high value (in the site's currency)

    @property
    def public_url_is_loopback(self) -> bool:
        """Labels made now would hold an address only this computer can open."""
        return is_loopback(urlsplit(self.public_url).hostname or "")

    @property
    def engine(self) -> str:
        return "postgres" if self.database_url.startswith(("postgres://", "postgresql://")) \
            else "sqlite"

    @property
    def sqlite_path(self) -> Path:
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix):
            raise ValueError(
                f"DATABASE_URL must start with sqlite:/// or postgresql://, "
                f"not {self.database_url.split(':', 1)[0]!r}"
            )
        return Path(self.database_url[len(prefix):])


def _from_env(env: os._Environ[str] | dict[str, str]) -> Settings:
    data_dir = Path(env.get("TAGTRACK_DATA_DIR") or "data").resolve()
    url = env.get("DATABASE_URL") or f"sqlite:///{data_dir / 'tagtrack.db'}"
    public = (env.get("PUBLIC_URL") or "http://127.0.0.1:8000").rstrip("/")
    old = tuple(u.strip().rstrip("/") for u in env.get("OLD_PUBLIC_URLS", "").split(",")
                if u.strip())
    return Settings(
        label_org=env.get("LABEL_ORG", ""),
        label_stocks_file=env.get("LABEL_STOCKS_FILE", ""),
        printers=_printers(env.get("TAGTRACK_PRINTERS", "")),
        cpu_workers=_count(env, "TAGTRACK_CPU_WORKERS", max(1, (os.cpu_count() or 1) - 1), 1),
        cpu_queue=_count(env, "TAGTRACK_CPU_QUEUE", 4, 0),
        database_url=url,
        data_dir=data_dir,
        public_url=public,
        old_public_urls=old,
        public_url_given=bool(env.get("PUBLIC_URL")),
        certfile=env.get("TAGTRACK_CERTFILE", ""),
        keyfile=env.get("TAGTRACK_KEYFILE", ""),
        loan_days=_loan_days(env),
        kiosk_pin=env.get("TAGTRACK_KIOSK_PIN", "").strip(),
        time_zone=_time_zone(env),
        import_max_bytes=_count(env, "TAGTRACK_IMPORT_MAX_BYTES", 100_000_000, 1),
        high_value=_high_value(env),
        secure_cookies=public.startswith("https://"),
    )


def _count(env: os._Environ[str] | dict[str, str], name: str, default: int, least: int) -> int:
    text = env.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {text!r}")
    return int(text)


def _loan_days(env: os._Environ[str] | dict[str, str]) -> int:
    days = _count(env, "TAGTRACK_LOAN_DAYS", 7, 0)
    if days > 3650:
        raise ValueError(f"TAGTRACK_LOAN_DAYS must be at most 3650 days, not {days}")
    return days


def _time_zone(env: os._Environ[str] | dict[str, str]) -> str:
    from server.domain.timezones import is_zone

    name = env.get("TAGTRACK_TIME_ZONE", "").strip() or "UTC"
    if not is_zone(name):
        raise ValueError(f"TAGTRACK_TIME_ZONE must be a time zone name like Europe/Berlin or "
                         f"America/Los_Angeles, not {name!r}")
    return name


def _high_value(env: os._Environ[str] | dict[str, str]) -> Decimal:
    text = env.get("TAGTRACK_HIGH_VALUE", "").strip() or "500"
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"TAGTRACK_HIGH_VALUE must be an amount of money, zero or more, "
                         f"not {text!r}")
    return amount


def is_loopback(host: str) -> bool:
    """localhost, 127.x.x.x or ::1 (a host name or an address, without brackets)."""
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _printers(text: str) -> dict[str, tuple[str, int]]:
    """`dock=10.0.0.7:9100,crib=zebra-crib.local` -> {"dock": ("10.0.0.7", 9100), ...}"""
    out: dict[str, tuple[str, int]] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, _, address = part.partition("=")
        host, _, port = address.partition(":")
        if not name or not host:
            raise ValueError(f"TAGTRACK_PRINTERS: {part!r} must look like name=host[:port]")
        out[name.strip()] = (host.strip(), int(port or 9100))
    return out


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _from_env(os.environ)


def reload_settings() -> Settings:
    """Tests and the CLI change the environment, then call this once."""
    get_settings.cache_clear()
    return get_settings()
