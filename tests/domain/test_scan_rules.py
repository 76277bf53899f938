import datetime as dt

import pytest

from server.domain.errors import InvalidInput
from server.domain.scans import (
    MAX_CODE,
    MAX_DEVICE_ID,
    MAX_IDEMPOTENCY_KEY,
    actions_for,
    check_action,
    check_scan,
    count_of,
    when,
)

NOW = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)


def test_an_unknown_action_is_refused_naming_the_field() -> None:
    with pytest.raises(InvalidInput) as caught:
        check_action("fly")
    assert caught.value.field == "action"


def test_what_can_be_done_follows_the_units_status() -> None:
    assert actions_for("unit", status="available") == ("move", "check_out", "audit")
    assert actions_for("unit", status="checked_out") == ("check_in", "audit")
    assert actions_for("unit", status="retired") == ()
    assert actions_for("unit", status="available", collapsed=True) == ()


def test_a_counted_item_offers_stock_actions_and_a_serial_item_claim() -> None:
    assert "consume" in actions_for("item", tracking="quantity")
    assert actions_for("item", tracking="serial") == ("claim", "audit")
    assert actions_for("unknown", blank_tag=True) == ("claim",)


def test_times_read_short_for_a_phone() -> None:
    assert when(dt.datetime(2026, 11, 26, 9, 12, tzinfo=dt.UTC), NOW) == "09:12"
    assert when(dt.datetime(2026, 11, 20, 9, 12, tzinfo=dt.UTC), NOW) == "20 Nov"
    assert when(dt.datetime(2025, 11, 20, 9, 12, tzinfo=dt.UTC), NOW) == "20 Nov 2025"


def test_a_count_names_its_unit_of_measure_unless_each() -> None:
    assert count_of(3, "Zip ties") == "3 Zip ties"
    assert count_of(2, "Coffee", "kg") == "2 kg Coffee"


@pytest.mark.parametrize(("field", "most"), [("code", MAX_CODE), ("device_id", MAX_DEVICE_ID),
                                             ("idempotency_key", MAX_IDEMPOTENCY_KEY)])
def test_scan_fields_longer_than_what_is_stored_are_refused_by_name(field: str, most: int) -> None:
    fields = {"code": "U-0000019", "device_id": "phone-1", "idempotency_key": "k1"}
    check_scan("lookup", **{**fields, field: "x" * most})
    with pytest.raises(InvalidInput) as refused:
        check_scan("lookup", **{**fields, field: "x" * (most + 1)})
    assert refused.value.field == field
    assert str(most) in refused.value.message
