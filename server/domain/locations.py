"""The location tree: site > room > shelf > bin (any depth)."""

from __future__ import annotations

from collections.abc import Mapping

from server.domain.errors import Conflict

MAX_DEPTH = 12


def check_new_parent(location_id: int, new_parent_id: int | None,
                     parents: Mapping[int, int | None]) -> None:
    """Refuse to move a location under itself or one of its descendants.
    `parents` maps every location id to its parent id."""
    node = new_parent_id
    depth = 0
    while node is not None:
        if node == location_id:
            raise Conflict("a location cannot be moved under itself or its own sub-location",
                           field="parent", code="location_cycle")
        node = parents.get(node)
        depth += 1
        if depth > MAX_DEPTH:
            raise Conflict(f"locations nest at most {MAX_DEPTH} deep", field="parent",
                           code="location_too_deep")


def path_of(location_id: int, parents: Mapping[int, int | None],
            names: Mapping[int, str]) -> list[str]:
    out: list[str] = []
    node: int | None = location_id
    while node is not None and len(out) <= MAX_DEPTH:
        out.append(names[node])
        node = parents.get(node)
    return list(reversed(out))


def subtree(root_id: int, parents: Mapping[int, int | None]) -> set[int]:
    children: dict[int | None, list[int]] = {}
    for child, parent in parents.items():
        children.setdefault(parent, []).append(child)
    out, todo = set(), [root_id]
    while todo:
        node = todo.pop()
        if node not in out:
            out.add(node)
            todo.extend(children.get(node, ()))
    return out
