"""/api/v1/admin: checks an administrator can run without a shell."""

from __future__ import annotations

from litestar import Controller, get
from msgspec import Struct

from server.http.auth import ADMIN
from server.services.verify import verify


class VerifyOut(Struct):
    ok: bool
    problems: list[str]


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["admin"]

    @get(
        "/verify",
        opt=ADMIN,
        summary="Rebuild the state from the events and compare "
        "(the same check as `tagtrack verify`)",
    )
    async def run_verify(self) -> VerifyOut:
        problems = await verify()
        return VerifyOut(ok=not problems, problems=problems)
