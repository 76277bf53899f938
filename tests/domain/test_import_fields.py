"""Import columns: every kind has the columns the issue lists, and a file's headers find them
by label, key, synonym or custom field, whatever their case and punctuation."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from server.domain import fields as limits
from server.domain.imports import (
    FIELDS,
    KINDS,
    guess_mapping,
    normalize_header,
    required_missing,
)

EXPECTED = {
    "items": {"sku", "name", "category", "unit_of_measure", "tracking", "barcodes",
              "reorder_point", "unit_cost", "custom_fields"},
    "units": {"sku", "name", "category", "unit_of_measure", "tracking", "serial", "tag",
              "location", "custodian", "condition", "status", "purchase_date",
              "purchase_cost", "warranty_end"},
    "stock": {"sku", "location", "lot", "expires_on", "quantity"},
    "locations": {"location"},
    "people": {"name", "email", "badge_code"},
}


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_the_columns_the_issue_lists(kind: str) -> None:
    keys = [f.key for f in FIELDS[kind]]
    assert EXPECTED[kind] <= set(keys)
    assert len(keys) == len(set(keys))
    labels = [normalize_header(f.label) for f in FIELDS[kind]]
    assert len(labels) == len(set(labels)), "two columns share a header"


def test_units_carry_their_items_columns() -> None:
    unit_keys = {f.key for f in FIELDS["units"]}
    assert {f.key for f in FIELDS["items"]} <= unit_keys


@pytest.mark.parametrize("kind", KINDS)
def test_text_keys_have_the_systems_length_limits(kind: str) -> None:
    for f in FIELDS[kind]:
        if f.type in ("text", "name", "serial", "email", "lot_code"):
            assert limits.max_chars(f.key if f.type != "lot_code" else "lot"), f.key


@pytest.mark.parametrize("kind", KINDS)
def test_a_label_matches_no_other_columns_synonym(kind: str) -> None:
    """An export's header must come back to its own column."""
    labels = {normalize_header(f.label): f.key for f in FIELDS[kind]}
    assert guess_mapping(kind, [f.label for f in FIELDS[kind]]) == {
        i: f.key for i, f in enumerate(FIELDS[kind])}
    for f in FIELDS[kind]:
        for s in f.synonyms:
            owner = labels.get(normalize_header(s))
            assert owner in (None, f.key), f"{s!r} of {f.key} is the label of {owner}"


def _mangle(text: str, rnd: random.Random) -> str:
    out = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)
    return rnd.choice(["", " ", "  "]) + out.replace(" ", rnd.choice([" ", "_", "-", ". "])) + \
        rnd.choice(["", ":", " ", "."])


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(KINDS), seed=st.integers(0, 10**6))
def test_shuffled_mangled_labels_map_back(kind: str, seed: int) -> None:
    rnd = random.Random(seed)
    chosen = rnd.sample(FIELDS[kind], rnd.randint(1, len(FIELDS[kind])))
    headers = [_mangle(f.label, rnd) for f in chosen]
    extra = rnd.randint(0, len(headers))
    headers.insert(extra, "Zzz unrelated column")
    mapping = guess_mapping(kind, headers)
    expected = {}
    for i, h in enumerate(headers):
        if h != "Zzz unrelated column":
            expected[i] = chosen[i if i < extra else i - 1].key
    assert mapping == expected


@pytest.mark.parametrize(("header", "key"), [
    ("Serial Number", "serial"), ("S/N", "serial"), ("Serial No.", "serial"),
    ("serial #", "serial"), ("Asset Tag", "tag"), ("Location", "location"), ("Bin", "location"),
    ("Where", "location"), ("Owner", "custodian"), ("Assigned to", "custodian"),
    ("Cost", "purchase_cost"), ("Price", "purchase_cost"), ("Unit cost", "unit_cost"),
    ("Item SKU", "sku"), ("Part number", "sku"), ("Purchased", "purchase_date"),
    ("Warranty", "warranty_end"), ("Item", "name"), ("UoM", "unit_of_measure"),
])
def test_unit_synonyms(header: str, key: str) -> None:
    assert guess_mapping("units", [header]) == {0: key}


@pytest.mark.parametrize(("kind", "header", "key"), [
    ("stock", "Qty", "quantity"), ("stock", "Quantity", "quantity"),
    ("stock", "Batch", "lot"), ("stock", "Best before", "expires_on"),
    ("stock", "Item code", "sku"), ("items", "Cost", "unit_cost"), ("items", "Price", "unit_cost"),
    ("items", "EAN", "barcodes"), ("items", "Tracking mode", "tracking"),
    ("items", "Reorder level", "reorder_point"), ("people", "E-mail", "email"),
    ("people", "Badge", "badge_code"), ("locations", "Path", "location"),
])
def test_other_synonyms(kind: str, header: str, key: str) -> None:
    assert guess_mapping(kind, [header]) == {0: key}


def test_first_column_wins_and_labels_beat_synonyms() -> None:
    assert guess_mapping("units", ["S/N", "Serial"]) == {1: "serial"}
    assert guess_mapping("units", ["S/N", "Serial number"]) == {0: "serial"}
    assert guess_mapping("units", ["Cost", "Price"]) == {0: "purchase_cost"}


def test_custom_fields_by_label_or_key() -> None:
    custom = {"voltage": "custom:voltage", "supply voltage": "custom:voltage",
              "owner": "custom:owner_team", "owner_team": "custom:owner_team"}
    assert guess_mapping("units", ["Supply Voltage", "Owner", "Assigned to"], custom) == {
        0: "custom:voltage", 1: "custom:owner_team", 2: "custodian"}
    assert guess_mapping("units", ["VOLTAGE", "custom:owner_team"], custom) == {
        0: "custom:voltage", 1: "custom:owner_team"}


def test_unmatched_and_empty_headers_are_left_out() -> None:
    assert guess_mapping("people", ["", "Shoe size", "Name"]) == {2: "name"}
    with pytest.raises(ValueError):
        guess_mapping("cars", ["Name"])


def test_required_missing() -> None:
    assert [f.key for f in required_missing("stock", {0: "sku"})] == ["location", "quantity"]
    assert required_missing("items", {3: "sku"}) == []
