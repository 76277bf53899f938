import pytest

from server.domain.errors import Conflict
from server.domain.locations import check_new_parent, path_of, subtree

# site 1 > room 2 > shelf 3 > bin 4; room 5 under site 1
PARENTS = {1: None, 2: 1, 3: 2, 4: 3, 5: 1}
NAMES = {1: "Main", 2: "Stockroom", 3: "Shelf B3", 4: "Bin 1", 5: "Crib"}


def test_a_location_cannot_move_under_its_own_descendant():
    with pytest.raises(Conflict) as err:
        check_new_parent(2, 4, PARENTS)
    assert err.value.field == "parent"


def test_a_subtree_can_move_under_a_sibling():
    check_new_parent(3, 5, PARENTS)


def test_the_path_runs_from_the_site_down():
    assert path_of(4, PARENTS, NAMES) == ["Main", "Stockroom", "Shelf B3", "Bin 1"]


def test_a_subtree_holds_the_root_and_everything_below():
    assert subtree(2, PARENTS) == {2, 3, 4}
