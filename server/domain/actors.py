"""Who is doing something: the user behind a request, with their role."""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.errors import Forbidden
from server.domain.vocab import Role

# What a kiosk account may scan: borrowing and returning at the door, nothing else.
KIOSK_ACTIONS = ("lookup", "check_out", "check_in")


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    name: str
    role: Role
    # the zone this actor reads times in: the user's own setting, else (on a request) the
    # browser's; None: the site's (TAGTRACK_TIME_ZONE)
    time_zone: str | None = None

    def require(self, needed: Role, *, kiosk: bool = False) -> None:
        """`kiosk`: the route is one a kiosk account may use (the scanning page and what it
        needs); every other route refuses it, whatever role it asks for."""
        if self.role is Role.KIOSK:
            if not kiosk:
                raise Forbidden(f"{self.name} is a kiosk account: the kiosk role can only look "
                                "up, check out and check in on the scanning page")
            return
        if not self.role.allows(needed):
            raise Forbidden(f"this needs the {needed} role; {self.name} is {self.role}")

    def require_scan(self, action: str) -> None:
        if self.role is Role.KIOSK and action not in KIOSK_ACTIONS:
            raise Forbidden(f"the kiosk role cannot {action.replace('_', ' ')}: it can only "
                            "look up, check out and check in", field="action",
                            details={"role": self.role.value})


SYSTEM = Actor(user_id=None, name="system", role=Role.ADMIN)
