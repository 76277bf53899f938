"""An event is one entry of the history. The domain drafts events; the one writer in
server/db/ledger.py stores them in the same transaction as the change they describe."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from server.domain.fields import check_length
from server.domain.vocab import EventKind


@dataclass(frozen=True, slots=True)
class EventDraft:
    """What changed. For stock events `quantity` (always > 0) leaves `from_location_id`
    and arrives at `to_location_id`; None on either side means outside the system
    (received from a supplier, consumed, written off). For unit events `to_location_id`
    is where the unit is afterwards, and `details` carries the new status/condition."""

    kind: EventKind
    item_id: int | None = None
    unit_id: int | None = None
    lot_id: int | None = None
    quantity: int | None = None
    from_location_id: int | None = None
    to_location_id: int | None = None
    from_person_id: int | None = None
    to_person_id: int | None = None
    note: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.note:  # what a person wrote: as long as the pages' note inputs take
            check_length("note", self.note)

    @property
    def quantity_delta(self) -> int | None:
        """Signed change of the item's on-hand count (a move is 0)."""
        return quantity_delta(self.quantity, self.from_location_id, self.to_location_id)


def quantity_delta(quantity: int | None, from_id: int | None, to_id: int | None) -> int | None:
    if quantity is None:
        return None
    return (quantity if to_id is not None else 0) - (quantity if from_id is not None else 0)
