"""Who is doing something: the user behind a request, with their role."""

from __future__ import annotations

from dataclasses import dataclass

from server.domain.errors import Forbidden
from server.domain.vocab import Role


@dataclass(frozen=True, slots=True)
class Actor:
    user_id: int | None
    name: str
    role: Role

    def require(self, needed: Role) -> None:
        if not self.role.allows(needed):
            raise Forbidden(f"this needs the {needed} role; {self.name} is {self.role}")


SYSTEM = Actor(user_id=None, name="system", role=Role.ADMIN)
