"""/api/v1/kiosk: what the door screen needs besides scans: the names a borrower picks
from when their badge will not scan, and leaving kiosk mode (a PIN or a manager's login).
A kiosk account may use these; a kiosk account that leaves is logged out."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.params import JSONBody
from msgspec import Struct

from server.domain.vocab import Role
from server.http.auth import OPERATE_AT_KIOSK, SESSION_COOKIE, VIEW_AT_KIOSK, client_address
from server.http.paging import Req, actor_of
from server.http.schemas import In
from server.services import auth, kiosk


class KioskPerson(Struct):
    tag: str
    name: str


class KioskPeople(Struct):
    people: list[KioskPerson]


class UnlockIn(In):
    pin: str | None = None
    username: str | None = None
    password: str | None = None


class UnlockOut(Struct):
    ok: bool
    by: str  # the manager's name, or "PIN"
    logged_out: bool  # a kiosk account's session ends when it leaves kiosk mode


class KioskController(Controller):
    path = "/api/v1/kiosk"
    tags = ["kiosk"]

    @get("/people", opt=VIEW_AT_KIOSK,
         summary="Active people by name (tag and name only), for a borrower to pick")
    async def people(self, q: str = "") -> KioskPeople:
        return KioskPeople([KioskPerson(**p) for p in await kiosk.people(q)])

    @post("/unlock", opt=OPERATE_AT_KIOSK, status_code=200,
          summary="Leave kiosk mode: the kiosk PIN, or a manager's username and password",
          description="Wrong PIN or login: 403 `unlock_refused`, throttled like logins "
          "(429 with Retry-After). A kiosk account's session ends here.")
    async def unlock(self, data: JSONBody[UnlockIn], request: Req) -> UnlockOut:
        actor = actor_of(request)
        by = await kiosk.unlock(actor, pin=data.pin, username=data.username,
                                password=data.password, address=client_address(request))
        out = actor.role is Role.KIOSK
        if out and (secret := request.cookies.get(SESSION_COOKIE)):
            await auth.logout(secret)
        return UnlockOut(ok=True, by=by, logged_out=out)
