import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import ean

from server.domain.barcodes import InvalidBarcode, gtin_problem, gtin_variants, normalize_gtin
from server.domain.errors import InvalidInput


def with_check_digit(payload: str) -> str:
    return payload + ean.calc_check_digit(payload)


payload_12 = st.text(alphabet="0123456789", min_size=12, max_size=12)
ean_13 = payload_12.map(with_check_digit)


@pytest.mark.parametrize(
    ("text", "gtin"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("036000291452", "00036000291452"),  # UPC-A
        ("73513537", "00000073513537"),  # EAN-8
        ("09501101530003", "09501101530003"),  # GTIN-14
        ("19501101530000", "19501101530000"),  # GTIN-14 of a case (indicator digit 1)
        (" 4 006381 333931\n", "04006381333931"),  # as printed under the bars
    ],
)
def test_every_gtin_form_normalizes_to_fourteen_digits(text: str, gtin: str) -> None:
    assert normalize_gtin(text) == gtin


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "required"),
        ("4006381333932", "check digit is wrong: expected 1"),
        ("036000291453", "check digit is wrong: expected 2"),
        ("40063813339", "wrong length: 11 digits"),
        ("400638133393100", "wrong length: 15 digits"),
        ("4OO6381333931", "only digits"),
        ("٤٠٠٦٣٨١٣٣٣٩٣١", "only digits"),
    ],
)
def test_a_bad_barcode_is_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidBarcode) as caught:
        normalize_gtin(text)
    assert reason in caught.value.message
    assert caught.value.code == "invalid_barcode"
    assert caught.value.field == "barcodes"
    assert isinstance(caught.value, InvalidInput)


def test_gtin_problem_answers_without_raising() -> None:
    assert gtin_problem("4006381333931") is None
    assert gtin_problem("4006381333932") == "check digit is wrong: expected 1"


def test_variants_of_an_ean_8_include_every_zero_padded_form() -> None:
    assert gtin_variants("00000073513537") == {
        "73513537",
        "000073513537",
        "0000073513537",
        "00000073513537",
    }


def test_variants_of_a_upc_a_include_its_ean_13_form() -> None:
    assert gtin_variants("00036000291452") == {
        "036000291452",
        "0036000291452",
        "00036000291452",
    }


def test_a_gtin_14_with_an_indicator_digit_has_only_one_form() -> None:
    assert gtin_variants("19501101530000") == {"19501101530000"}


def test_variants_refuse_an_invalid_gtin() -> None:
    with pytest.raises(InvalidBarcode):
        gtin_variants("04006381333932")


@given(ean_13)
def test_any_valid_ean_13_normalizes_and_round_trips(code: str) -> None:
    gtin = normalize_gtin(code)
    assert gtin == "0" + code
    assert code in gtin_variants(gtin)
    assert all(normalize_gtin(variant) == gtin for variant in gtin_variants(gtin))


@given(ean_13, st.data())
def test_any_single_digit_change_is_rejected(code: str, data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(code) - 1))
    digit = data.draw(st.sampled_from([d for d in "0123456789" if d != code[position]]))
    with pytest.raises(InvalidBarcode, match="check digit is wrong"):
        normalize_gtin(code[:position] + digit + code[position + 1 :])
