"""One settings object, read from the environment once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path


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
        database_url=url,
        data_dir=data_dir,
        public_url=public,
        old_public_urls=old,
        secure_cookies=public.startswith("https://"),
    )


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
