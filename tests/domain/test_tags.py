import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from server.domain.errors import InvalidInput
from server.domain.tags import InvalidTag, Tag, TagKind

kinds = st.sampled_from(list(TagKind))
numbers = st.integers(min_value=1, max_value=10**9)
tags = st.builds(Tag, kinds, numbers)


def digit_part(tag: Tag) -> str:
    return str(tag)[2:]


def test_a_unit_tag_is_the_kind_letter_a_hyphen_six_digits_and_a_check_digit() -> None:
    assert str(Tag(TagKind.UNIT, 417)) == "U-0004175"


def test_the_check_digit_is_damm_over_the_kind_code_point_and_the_digits() -> None:
    from stdnum import damm

    assert damm.calc_check_digit("85" + "000417") == "5"
    assert str(Tag(TagKind.LOCATION, 417)).endswith(damm.calc_check_digit("76000417"))
    assert str(Tag(TagKind.PERSON, 417)).endswith(damm.calc_check_digit("80000417"))


def test_numbers_past_six_digits_grow_the_tag() -> None:
    assert str(Tag(TagKind.LOCATION, 1234567)).startswith("L-1234567")
    assert len(str(Tag(TagKind.LOCATION, 1234567))) == len("L-") + 7 + 1


def test_kinds_name_their_noun_and_url_segment() -> None:
    assert [(k.value, k.noun, k.url_segment) for k in TagKind] == [
        ("U", "unit", "u"),
        ("L", "location", "l"),
        ("P", "person", "p"),
    ]


@pytest.mark.parametrize("text", ["U-0004175", " u-0004175\n", "u0004175", "U0004175"])
def test_parse_accepts_whitespace_lower_case_and_a_missing_hyphen(text: str) -> None:
    assert Tag.parse(text) == Tag(TagKind.UNIT, 417)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "required"),
        ("   ", "required"),
        ("X-0004175", "unknown tag prefix 'X'"),
        ("U-", "needs digits"),
        ("U-00A4175", "only digits"),
        ("U-٠٠٠٤١٧٥", "only digits"),
        ("U-00041", "too short"),
        ("U-0000000", "starts at 1"),
        ("U-00004175", "too many leading zeros"),
        ("U-0004176", "check digit does not match: mistyped?"),
        ("UU-0004175", "not a tag"),
        ("U-0004 175", "not a tag"),
    ],
)
def test_parse_says_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(InvalidTag) as caught:
        Tag.parse(text)
    assert reason in caught.value.message
    assert caught.value.code == "invalid_tag"
    assert caught.value.field == "tag"
    assert isinstance(caught.value, InvalidInput)


def test_a_tag_number_starts_at_one() -> None:
    with pytest.raises(InvalidTag):
        Tag(TagKind.UNIT, 0)


def test_a_tag_is_a_hashable_value() -> None:
    assert {Tag(TagKind.UNIT, 1), Tag(TagKind.UNIT, 1)} == {Tag(TagKind.UNIT, 1)}
    assert Tag(TagKind.UNIT, 1) != Tag(TagKind.PERSON, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("U-0004175", True),
        ("u0004176", True),  # wrong check digit: still shaped like a tag
        ("L-12", True),  # hyphenated: someone meant a tag
        ("P123", False),  # short and unhyphenated: a serial or SKU
        ("P1234567", True),
        ("X-0004175", False),
        ("U-00A4175", False),
        ("SN-12345", False),
        ("", False),
    ],
)
def test_looks_like_tag_judges_the_shape_only(text: str, expected: bool) -> None:
    assert Tag.looks_like_tag(text) is expected


@given(tags)
def test_parse_reads_back_what_str_writes(tag: Tag) -> None:
    assert Tag.parse(str(tag)) == tag
    assert Tag.parse(str(tag).lower().replace("-", "")) == tag
    assert Tag.looks_like_tag(str(tag))


def single_substitutions(digits: str) -> list[str]:
    return [
        digits[:i] + d + digits[i + 1 :]
        for i in range(len(digits))
        for d in "0123456789"
        if d != digits[i]
    ]


def adjacent_transpositions(digits: str) -> list[str]:
    return [
        digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :]
        for i in range(len(digits) - 1)
        if digits[i] != digits[i + 1]
    ]


@given(tags)
def test_every_single_digit_substitution_is_rejected(tag: Tag) -> None:
    for typo in single_substitutions(digit_part(tag)):
        with pytest.raises(InvalidTag):
            Tag.parse(f"{tag.kind.value}-{typo}")


@given(tags)
def test_every_adjacent_transposition_is_rejected(tag: Tag) -> None:
    for typo in adjacent_transpositions(digit_part(tag)):
        with pytest.raises(InvalidTag):
            Tag.parse(f"{tag.kind.value}-{typo}")


@given(tags, kinds)
def test_the_same_digits_under_another_kind_are_rejected(tag: Tag, other: TagKind) -> None:
    assume(other is not tag.kind)
    with pytest.raises(InvalidTag, match="check digit does not match"):
        Tag.parse(f"{other.value}-{digit_part(tag)}")
