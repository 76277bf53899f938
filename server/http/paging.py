"""Shared parameters and helpers of the API controllers: paging, sorting, the caller."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.params import Parameter

from server.domain.actors import Actor
from server.domain.errors import InvalidInput

Limit = Annotated[int, Parameter(ge=1, le=500, description="page size (1-500)")]
Offset = Annotated[int, Parameter(ge=0, le=1_000_000_000, description="rows to skip")]
Sort = Annotated[str, Parameter(description="field to sort by; prefix - for descending")]
Req = Request[Any, Any, Any]


def parse_sort(sort: str, allowed: dict[str, str]) -> tuple[str, bool]:
    field = sort.lstrip("-")
    if field not in allowed:
        raise InvalidInput(
            f"sort must be one of: {', '.join(allowed)} (prefix - for descending)", field="sort"
        )
    return field, sort.startswith("-")


def actor_of(request: Req) -> Actor:
    """The caller; the auth middleware and role guard have already checked it."""
    user = request.scope.get("user")
    assert isinstance(user, Actor)
    return user
