"""The door screen: the names a borrower whose badge will not scan can pick from, and
leaving kiosk mode, which takes the site's PIN (TAGTRACK_KIOSK_PIN) or a manager's
username and password, checked here and throttled like logins (a four-digit PIN must not
be found by trying them all). A kiosk account that leaves kiosk mode is logged out: the
next person at the screen has to log in as themselves."""

from __future__ import annotations

from typing import Any

from server.db import places_repo
from server.domain.actors import Actor
from server.domain.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from server.domain.vocab import Role
from server.services import auth
from server.settings import get_settings

NAMES_SHOWN = 50
MAX_QUERY = 100


async def people(q: str = "") -> list[dict[str, Any]]:
    """Active people whose name has `q` in it (all of them, first NAMES_SHOWN by name,
    without `q`): their tag and name only, nothing else about them."""
    q = q.strip()[:MAX_QUERY]
    rows, _ = await places_repo.list_people(q=q or None, active=True, limit=NAMES_SHOWN,
                                            offset=0)
    found = [{"tag": r["tag"], "name": r["name"]} for r in rows
             if not q or q.lower() in str(r["name"]).lower()]
    return sorted(found, key=lambda p: str(p["name"]).lower())


async def unlock(actor: Actor, *, pin: str | None, username: str | None, password: str | None,
                 address: str) -> str:
    """Who let the screen leave kiosk mode: a manager's name, or "PIN". Refused with
    Forbidden (wrong PIN or login, too low a role), InvalidInput (nothing given)."""
    try:
        if username:
            who = await auth.confirm_login(username, password or "", address)
            if not who.role.allows(Role.MANAGER):
                raise Forbidden(f"{who.name} is {who.role}: leaving kiosk mode needs a "
                                "manager or the kiosk PIN", field="username",
                                code="unlock_refused")
            return who.name
        given = (pin or "").strip()
        if not given:
            raise InvalidInput("give the kiosk PIN, or a manager's username and password",
                               field="pin")
        expected = get_settings().kiosk_pin
        if not expected:
            raise Conflict("no kiosk PIN is set (TAGTRACK_KIOSK_PIN): a manager's username "
                           "and password leave kiosk mode", field="pin", code="no_kiosk_pin")
        await auth.confirm_secret("kiosk PIN", given, expected, address)
        return "PIN"
    except Unauthenticated as wrong:  # not a 401: the screen's own login stays good
        field = wrong.field if wrong.field == "pin" else "password"
        words = "wrong PIN" if field == "pin" else "wrong username or password"
        raise Forbidden(words, field=field, code="unlock_refused") from None
