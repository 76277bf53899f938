"""CSV injection: an exported cell never starts a formula, and reading it back gives the value."""

from hypothesis import given
from hypothesis import strategies as st

from server.domain.cells import TRIGGERS, neutralize, restore


@given(st.text(max_size=20))
def test_restore_undoes_neutralize(value: str) -> None:
    assert restore(neutralize(value)) == value


@given(st.sampled_from(TRIGGERS), st.text(max_size=10))
def test_no_neutralized_cell_starts_a_formula(first: str, rest: str) -> None:
    assert not neutralize(first + rest).startswith(TRIGGERS)


def test_examples() -> None:
    assert neutralize("=HYPERLINK(\"http://evil\")") == "'=HYPERLINK(\"http://evil\")"
    assert neutralize("-5") == "'-5"
    assert neutralize("'quoted") == "''quoted"
    assert neutralize("Drill") == "Drill"
    assert restore("'=1+1") == "=1+1"
    assert restore("'plain") == "'plain"  # an apostrophe a person typed stays
