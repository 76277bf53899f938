import pytest

from server.domain.errors import Conflict
from server.domain.users import keep_an_admin


def change(role: str = "admin", active: bool = True, new_role: str | None = None,
           new_active: bool | None = None, others: int = 0) -> None:
    keep_an_admin("ada", role=role, active=active, new_role=new_role, new_active=new_active,
                  other_active_admins=others)


def test_the_last_active_admin_cannot_be_demoted() -> None:
    with pytest.raises(Conflict) as refused:
        change(new_role="manager")
    assert refused.value.code == "last_admin" and refused.value.field == "role"
    assert "ada is the last active admin" in refused.value.message


def test_the_last_active_admin_cannot_be_deactivated() -> None:
    with pytest.raises(Conflict) as refused:
        change(new_active=False)
    assert refused.value.field == "active"


def test_an_admin_may_be_demoted_or_deactivated_while_another_admin_is_active() -> None:
    change(new_role="viewer", others=1)
    change(new_active=False, others=1)


def test_changes_that_keep_the_admin_or_concern_other_users_are_allowed() -> None:
    change(new_role="admin", new_active=True)
    change()  # a password change only
    change(role="manager", new_role="viewer")
    change(role="admin", active=False, new_role="viewer")  # already inactive
