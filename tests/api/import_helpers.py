"""Shared by the import tests: a thread pool for the reading (so tests need no worker
process), and uploads through the API."""

from __future__ import annotations

import asyncio
import concurrent.futures as cf
import json
from collections.abc import Iterator
from typing import Any

import pytest

from server.services import offload


@pytest.fixture
def threads() -> Iterator[None]:
    made = offload.CpuPool(1, 8, make_executor=lambda n: cf.ThreadPoolExecutor(n))
    old = offload.use_pool(made)
    yield
    offload.use_pool(old)
    asyncio.run(made.close())


def upload(api: Any, text: str | bytes, kind: str = "units", *, name: str = "stock-2026.csv",
           mapping: dict[str, str] | str | None = None, wait: bool = True,
           **fields: Any) -> Any:
    data = {"kind": kind, "wait": "true" if wait else "false",
            **{k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}}
    if mapping is not None:
        data["mapping"] = mapping if isinstance(mapping, str) else json.dumps(mapping)
    body = text.encode() if isinstance(text, str) else text
    return api.post("/api/v1/imports", data=data, files={"file": (name, body, "text/csv")})


def csv_of(*rows: list[Any]) -> str:
    return "\r\n".join(",".join(str(c) for c in row) for row in rows) + "\r\n"

