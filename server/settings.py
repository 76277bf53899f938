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
    extra: dict[str, str] = field(default_factory=dict)

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
        database_url=url,
        data_dir=data_dir,
        public_url=public,
        old_public_urls=old,
        secure_cookies=public.startswith("https://"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return _from_env(os.environ)


def reload_settings() -> Settings:
    """Tests and the CLI change the environment, then call this once."""
    get_settings.cache_clear()
    return get_settings()
