"""The input of one label: what the server knows about a record."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

from labels.errors import LabelError

Kind = Literal["unit", "location", "person", "blank"]
KINDS: tuple[str, ...] = ("unit", "location", "person", "blank")
MAX_TAG = 40
MAX_URL = 500


@dataclass(frozen=True, slots=True)
class LabelData:
    """One label's data. `url` is the QR payload, `tag` the Code 128 payload (printable ASCII)."""

    kind: Kind
    tag: str
    url: str = ""
    fields: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise LabelError("kind", f"must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if not self.tag or len(self.tag) > MAX_TAG:
            raise LabelError("tag", f"must be 1 to {MAX_TAG} characters long")
        if not all(" " <= c <= "~" for c in self.tag):
            raise LabelError("tag", "must be printable ASCII (Code 128 set B)")
        if len(self.url) > MAX_URL:
            raise LabelError("url", f"must be at most {MAX_URL} characters long")
        for key, value in self.fields.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise LabelError(f"fields.{key}", "keys and values must be strings")
        object.__setattr__(self, "fields", MappingProxyType(dict(self.fields)))

    def __reduce__(self) -> tuple[type[LabelData], tuple[str, str, str, dict[str, str]]]:
        # a mappingproxy cannot be pickled; batches travel to a worker process as pickles
        return LabelData, (self.kind, self.tag, self.url, dict(self.fields))
