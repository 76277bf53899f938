import pytest

from server.domain.errors import InvalidInput
from server.domain.items import check_custom_fields, check_custom_values, check_sku


def fields():
    return check_custom_fields([
        {"key": "voltage", "type": "choice", "choices": ["120V", "230V"], "required": True},
        {"key": "descaled", "type": "date"},
        {"key": "cups", "type": "number"},
        {"key": "plumbed", "type": "boolean"},
        {"key": "notes", "type": "text"},
    ])


def test_custom_values_are_checked_against_their_definitions():
    values = check_custom_values(fields(), {"voltage": "230V", "descaled": "2026-01-31",
                                            "cups": "12", "plumbed": True})
    assert values == {"voltage": "230V", "descaled": "2026-01-31", "cups": 12,
                      "plumbed": True}


@pytest.mark.parametrize(("values", "field"), [
    ({}, "custom.voltage"),
    ({"voltage": "110V"}, "custom.voltage"),
    ({"voltage": "230V", "descaled": "31/01/2026"}, "custom.descaled"),
    ({"voltage": "230V", "cups": "many"}, "custom.cups"),
    ({"voltage": "230V", "plumbed": "yes"}, "custom.plumbed"),
    ({"voltage": "230V", "colour": "red"}, "custom.colour"),
])
def test_a_bad_custom_value_names_its_field(values, field):
    with pytest.raises(InvalidInput) as err:
        check_custom_values(fields(), values)
    assert err.value.field == field


def test_a_choice_field_needs_choices():
    with pytest.raises(InvalidInput) as err:
        check_custom_fields([{"key": "size", "type": "choice"}])
    assert err.value.field == "custom_fields[0].choices"


def test_a_field_key_defined_twice_is_refused():
    with pytest.raises(InvalidInput, match="twice"):
        check_custom_fields([{"key": "a", "type": "text"}, {"key": "a", "type": "date"}])


@pytest.mark.parametrize("sku", ["", " ", "-lead", "has space", "x" * 65])
def test_a_malformed_sku_is_refused(sku):
    with pytest.raises(InvalidInput):
        check_sku(sku)
