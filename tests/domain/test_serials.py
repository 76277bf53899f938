import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.errors import InvalidInput
from server.domain.serials import expand_pattern, plan_serials


def test_a_pattern_expands_with_the_width_of_its_first_bound():
    assert expand_pattern("SN-{0001..0003}") == ["SN-0001", "SN-0002", "SN-0003"]
    assert expand_pattern("{8..10}-B") == ["8-B", "9-B", "10-B"]


def test_a_pattern_needs_exactly_one_range():
    with pytest.raises(InvalidInput) as err:
        expand_pattern("SN-0001")
    assert err.value.field == "serial_pattern"


def test_a_backwards_range_is_refused():
    with pytest.raises(InvalidInput, match="backwards"):
        expand_pattern("{5..1}")


def test_pending_serials_are_none():
    assert plan_serials(3, None, None) == [None, None, None]


def test_the_count_must_match_the_serials_given():
    with pytest.raises(InvalidInput) as err:
        plan_serials(2, ["A", "B", "C"], None)
    assert err.value.field == "count"


def test_a_serial_given_twice_is_refused():
    with pytest.raises(InvalidInput, match="given twice"):
        plan_serials(None, ["A", "B", "A"], None)


@given(st.integers(0, 5000), st.integers(0, 300), st.text("ABC-", max_size=4))
def test_a_pattern_gives_one_unique_serial_per_number(start, length, prefix):
    serials = expand_pattern(f"{prefix}{{{start:05d}..{start + length:05d}}}")
    assert len(serials) == length + 1 == len(set(serials))
    assert all(s.startswith(prefix) for s in serials)
