"""The search box in every page's header: what a typed or scanned text names.

First the resolver chain, exactly as a scan reads it (resolve.py): a tag or a label's URL,
a serial, a badge code, a SKU, a barcode or GS1 string, a lot code. A code names one record
(or a few, when a serial or lot code is shared by several items), and a code that names
something wins: "DRL-1" opens the item with that SKU even when other names contain it.
Otherwise the text is a part of a name: items (name or SKU), people (name or email) and
locations (name), a few of each kind.

One hit: the page opens it. Several: listed by kind. None: said so, the text kept."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.db import search_repo
from server.domain.errors import InvalidInput
from server.services import resolve

MAX_QUERY = 200
PER_KIND = 10
# the order the kinds are listed in, and their headings
KINDS = {"unit": "Units", "item": "Items", "lot": "Lots", "person": "People",
         "location": "Locations"}


@dataclass(frozen=True)
class Hit:
    kind: str  # unit | item | lot | person | location
    url: str
    title: str
    code: str  # the tag, SKU or lot code shown next to the title
    note: str = ""  # "archived", "inactive", the item of a unit


@dataclass
class Found:
    query: str
    hits: list[Hit] = field(default_factory=list)
    more: set[str] = field(default_factory=set)  # kinds with more hits than shown
    by_code: bool = False  # the hits are what a code names, not parts of names
    hint: str = ""  # why a code-shaped text named nothing ("No unit has the tag ...")

    @property
    def only(self) -> Hit | None:
        return self.hits[0] if len(self.hits) == 1 and not self.more else None

    def groups(self) -> list[tuple[str, str, list[Hit]]]:
        """(kind, heading, hits) in the order of KINDS, kinds without hits left out."""
        return [(k, title, [h for h in self.hits if h.kind == k])
                for k, title in KINDS.items() if any(h.kind == k for h in self.hits)]


def url_of(kind: str, record_id: int, tag: str | None) -> str:
    if kind == "unit":
        return f"/units/{tag}"
    if kind == "location":
        return f"/locations/{tag}"
    if kind == "person":
        return f"/people/{tag}"
    if kind == "item":
        return f"/items/{record_id}"
    return f"/lots/{record_id}"


async def search(text: str) -> Found:
    query = text.strip()
    if len(query) > MAX_QUERY:
        raise InvalidInput(f"type at most {MAX_QUERY} characters", field="q")
    if not query:
        return Found(query)
    found = await _by_code(query)
    if found.hits:
        return found
    by_name = await _by_name(query)
    by_name.hint = found.hint
    return by_name


async def _by_code(query: str) -> Found:
    r = await resolve.resolve(query)
    if not r.found and r.kind != resolve.AMBIGUOUS and query != query.upper():
        # serials and lot codes are matched as printed, mostly upper case; people type
        # them in lower case on a phone
        upper = await resolve.resolve(query.upper())
        if upper.found or upper.kind == resolve.AMBIGUOUS:
            r = upper
    if r.kind == resolve.AMBIGUOUS:
        hits = [Hit(c.kind, url_of(c.kind, c.id, c.tag), c.label, c.tag or "")
                for c in r.candidates]
        return Found(query, hits, by_code=True)
    if not r.found or r.id is None:
        # a tag nobody has, a mistyped check digit, a foreign link: worth saying why
        coded = r.tag is not None or r.message.startswith(("Not a valid", "This is a link"))
        return Found(query, hint=r.message if coded else "")
    row = r.row or {}
    title = str(row.get("name") or row.get("item_name") or r.tag or "")
    return Found(query, [Hit(r.kind, url_of(r.kind, r.id, r.tag), title, r.tag or "")],
                 by_code=True)


async def _by_name(query: str) -> Found:
    found = Found(query)
    take = PER_KIND + 1  # one more than shown says whether there are more

    def add(kind: str, rows: list[dict[str, Any]], make: Any) -> None:
        if len(rows) > PER_KIND:
            found.more.add(kind)
        found.hits.extend(make(r) for r in rows[:PER_KIND])

    add("item", await search_repo.items(query, take),
        lambda r: Hit("item", f"/items/{r['id']}", r["name"], r["sku"],
                      "archived" if r["archived"] else ""))
    add("person", await search_repo.people(query, take),
        lambda r: Hit("person", f"/people/{r['tag']}", r["name"], r["tag"],
                      "" if r["active"] else "inactive"))
    add("location", await search_repo.locations(query, take),
        lambda r: Hit("location", f"/locations/{r['tag']}", r["name"], r["tag"],
                      "archived" if r["archived"] else ""))
    return found
