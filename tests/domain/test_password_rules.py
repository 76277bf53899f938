import pytest

from server.domain.errors import InvalidInput
from server.domain.password_rules import MIN_LENGTH, check_new_password, must_change_after


def refusal(password: str, username: str = "dana", field: str = "password",
            current: str | None = None) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, username=username, field=field, current=current)
    return refused.value


def test_a_password_needs_twelve_characters_and_at_most_a_thousand() -> None:
    assert MIN_LENGTH == 12
    assert refusal("x" * 11).field == "password"
    assert "at least 12" in refusal("x" * 11).message
    assert "at most 1000" in refusal("x" * 1001).message
    assert check_new_password("x" * 12, username="dana") == "x" * 12


def test_a_password_is_not_the_username_whatever_the_case() -> None:
    assert "username" in refusal("Warehouse-Lead", username="warehouse-lead").message


def test_a_new_password_differs_from_the_current_one_and_the_refusal_names_the_field() -> None:
    refused = refusal("correct horse", field="new_password", current="correct horse")
    assert refused.field == "new_password" and "the new password must differ" in refused.message


def test_a_password_set_by_someone_else_must_be_changed_and_ones_own_need_not() -> None:
    assert must_change_after(None, 7)  # the CLI
    assert must_change_after(1, 7)  # an admin
    assert not must_change_after(7, 7)
