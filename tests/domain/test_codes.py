from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from server.domain.codes import ScanCode, parse_scan
from server.domain.tags import Tag, TagKind

BASES = ["https://tags.example.com/app/", "http://old.example.com:8080"]
UNIT_417 = Tag(TagKind.UNIT, 417)  # U-0004175


def scan(raw: str) -> ScanCode:
    return parse_scan(raw, trusted_bases=BASES)


# Tags


@pytest.mark.parametrize("raw", ["U-0004175", "u0004175", " U-0004175\r\n", "U-0004175\t"])
def test_a_bare_tag_resolves_to_the_tag(raw: str) -> None:
    code = scan(raw)
    assert code.tag == UNIT_417
    assert code.text == raw.strip()
    assert code.candidates_text is None


def test_a_code_128_identifier_in_front_of_a_tag_is_stripped() -> None:
    code = scan("]C0U-0004175\r\n")
    assert (code.text, code.tag) == ("U-0004175", UNIT_417)


def test_a_mistyped_tag_gives_a_tag_error_and_stays_a_candidate() -> None:
    code = scan("U-0004176")
    assert code.tag is None
    assert code.tag_error == "check digit does not match: mistyped?"
    assert code.candidates_text == "U-0004176"


def test_a_serial_is_not_mistaken_for_a_tag() -> None:
    code = scan("SN-AbC123")
    assert (code.tag, code.tag_error, code.gtin) == (None, None, None)
    assert code.candidates_text == "SN-AbC123"


# Label URLs


@pytest.mark.parametrize(
    "raw",
    [
        "https://tags.example.com/app/u/U-0004175",
        "https://tags.example.com/app/u/U-0004175/",
        "https://tags.example.com/app/u/U-0004175?src=qr#top",
        "https://Tags.Example.COM:443/app/u/u-0004175",
        "HTTPS://TAGS.EXAMPLE.COM/APP/U/U-0004175",  # QR alphanumeric mode upper-cases
        "http://old.example.com:8080/u/U-0004175",
    ],
)
def test_a_label_url_of_a_trusted_base_resolves_to_its_tag(raw: str) -> None:
    code = scan(raw)
    assert code.tag == UNIT_417
    assert not code.url_untrusted
    assert code.candidates_text is None


@pytest.mark.parametrize(
    "raw",
    [
        "https://evil.example.com/app/u/U-0004175",
        "http://tags.example.com/app/u/U-0004175",  # another scheme
        "https://tags.example.com:8443/app/u/U-0004175",  # another port
        "https://tags.example.com/other/u/U-0004175",  # another path prefix
        "https://tags.example.com/application/u/U-0004175",  # prefix is per segment
        "http://old.example.com/u/U-0004175",
    ],
)
def test_a_url_of_an_untrusted_base_gives_no_tag(raw: str) -> None:
    code = scan(raw)
    assert code.url_untrusted
    assert code.tag is None


def test_a_label_url_with_a_mistyped_tag_gives_a_tag_error() -> None:
    code = scan("https://tags.example.com/app/l/L-0004170")
    assert code.tag is None
    assert code.tag_error is not None
    assert "check digit" in code.tag_error


def test_a_trusted_url_that_is_not_a_label_says_so() -> None:
    code = scan("https://tags.example.com/app/items/42")
    assert (code.tag, code.url_untrusted) == (None, False)
    assert code.tag_error is not None
    assert "not to a label" in code.tag_error


def test_the_longest_matching_trusted_base_wins() -> None:
    nested = ["https://a.example", "https://a.example/tags"]
    assert parse_scan("https://a.example/tags/u/U-0004175", trusted_bases=nested).tag == UNIT_417
    assert parse_scan("https://a.example/u/U-0004175", trusted_bases=nested).tag == UNIT_417


def test_without_trusted_bases_every_url_is_untrusted() -> None:
    assert parse_scan("https://tags.example.com/app/u/U-0004175", trusted_bases=[]).url_untrusted


# GS1


def test_a_bracketed_gs1_element_string_gives_gtin_serial_lot_and_expiry() -> None:
    code = scan("(01)09501101530003(21)AbC(10)L42(17)270615")
    assert code.gs1
    assert (code.gtin, code.serial, code.lot) == ("09501101530003", "AbC", "L42")
    assert code.expiry == date(2027, 6, 15)
    assert code.tag is None


def test_a_gs1_128_scan_with_group_separators_is_read() -> None:
    code = scan("]C101095011015300032112345\x1d10L42\x1d17270600\r\n")
    assert code.text == "01095011015300032112345\x1d10L42\x1d17270600"
    assert code.gs1
    assert (code.gtin, code.serial, code.lot) == ("09501101530003", "12345", "L42")


@pytest.mark.parametrize(
    ("ai_17", "expiry"),
    [
        ("270600", date(2027, 6, 30)),
        ("240200", date(2024, 2, 29)),  # leap year
        ("270200", date(2027, 2, 28)),
        ("271200", date(2027, 12, 31)),
    ],
)
def test_an_expiry_day_of_00_means_the_last_day_of_the_month(ai_17: str, expiry: date) -> None:
    assert scan(f"(01)09501101530003(17){ai_17}").expiry == expiry


@pytest.mark.parametrize(
    "raw",
    [
        "]d2010950110153000321ABC",  # GS1 DataMatrix
        "]Q3010950110153000321ABC",  # GS1 QR
        "]e0010950110153000321ABC",  # GS1 DataBar
        "\x1d010950110153000321ABC",  # FNC1 sent as a leading GS
        "010950110153000321ABC",  # no identifier at all
    ],
)
def test_gs1_element_strings_are_read_after_any_gs1_identifier(raw: str) -> None:
    code = scan(raw)
    assert code.gs1
    assert (code.gtin, code.serial) == ("09501101530003", "ABC")


def test_a_gs1_digital_link_is_welcome() -> None:
    code = scan("https://id.gs1.org/01/09501101530003/10/L42/21/ABC")
    assert code.gs1
    assert not code.url_untrusted
    assert (code.gtin, code.serial, code.lot) == ("09501101530003", "ABC", "L42")


def test_a_malformed_digital_link_is_an_untrusted_url() -> None:
    code = scan("https://id.gs1.org/01/09501101530003/21/ABC/10/L42")  # 10 must precede 21
    assert (code.gs1, code.url_untrusted) == (False, True)


def test_a_gs1_string_with_a_wrong_gtin_check_digit_gives_no_gtin() -> None:
    code = scan("(01)09501101530004(21)ABC")
    assert code.gtin is None
    assert code.gtin_error == "check digit is wrong: expected 3"
    assert code.serial == "ABC"
    assert code.candidates_text == "(01)09501101530004(21)ABC"


def test_a_broken_gs1_string_is_only_a_candidate() -> None:
    code = scan("]C1not gs1 at all")
    assert not code.gs1
    assert code.gs1_error is not None
    assert code.candidates_text == "not gs1 at all"


# Retail barcodes


@pytest.mark.parametrize(
    ("raw", "gtin"),
    [
        ("4006381333931", "04006381333931"),  # EAN-13
        ("]E04006381333931", "04006381333931"),
        ("036000291452", "00036000291452"),  # UPC-A
        ("73513537", "00000073513537"),  # EAN-8
        ("09501101530003", "09501101530003"),  # GTIN-14
    ],
)
def test_a_retail_barcode_is_a_gtin_and_still_a_candidate(raw: str, gtin: str) -> None:
    code = scan(raw)
    assert code.gtin == gtin
    assert not code.gs1
    assert code.candidates_text == code.text


def test_digits_with_a_wrong_check_digit_are_not_a_gtin() -> None:
    code = scan("4006381333932")
    assert code.gtin is None
    assert code.gtin_error == "check digit is wrong: expected 1"
    assert code.candidates_text == "4006381333932"


# Anything


def test_an_empty_scan_is_nothing() -> None:
    code = scan("\r\n")
    assert code == ScanCode(raw="\r\n", text="")


@pytest.mark.parametrize("raw", ["]", "]C", "(", "http://[::1", "https://x:99999/u/a", "\x1d"])
def test_odd_input_is_a_scan_too(raw: str) -> None:
    assert isinstance(scan(raw), ScanCode)


tags = st.builds(Tag, st.sampled_from(list(TagKind)), st.integers(1, 10**9))
bases = st.builds(
    lambda scheme, host, port, path, slash: f"{scheme}://{host}{port}{path}{slash}",
    st.sampled_from(["http", "https"]),
    st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,3}", fullmatch=True),
    st.sampled_from(["", ":8080", ":443", ":80"]),
    st.from_regex(r"(/[A-Za-z0-9_.~-]{1,8}){0,3}", fullmatch=True),
    st.sampled_from(["", "/"]),
)


@given(tags, bases, st.lists(bases, max_size=2))
def test_any_label_url_of_any_trusted_base_gives_its_tag(
    tag: Tag, base: str, others: list[str]
) -> None:
    trusted = [*others, base]
    assert parse_scan(f"{base}/{tag.kind.url_segment}/{tag}", trusted_bases=trusted).tag == tag
    # The tag names its own kind, so the segment cannot mislead.
    assert parse_scan(f"{base}/u/{tag}", trusted_bases=trusted).tag == tag


@given(tags)
def test_any_bare_tag_gives_itself(tag: Tag) -> None:
    assert scan(f"{tag}\r\n").tag == tag
    assert scan(str(tag).lower()).tag == tag


@given(st.text())
def test_parse_scan_never_raises(raw: str) -> None:
    assert isinstance(scan(raw), ScanCode)


@given(st.text(alphabet="]C1d2Q3e0E0()0123456789\x1dhtps:/.AULP-\r\n", max_size=40))
def test_parse_scan_never_raises_on_code_shaped_text(raw: str) -> None:
    assert isinstance(scan(raw), ScanCode)
