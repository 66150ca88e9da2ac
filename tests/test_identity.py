"""National ID / resident certificate checksums, normalisation and masking (docs/rules/identity.md)."""
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.demo.cli import national_id
from portal.registry.identity import (
    LETTER_CODES,
    IdNumberError,
    classify,
    mask_id,
    mask_name,
    normalise,
    sex_from_national_id,
)


@pytest.mark.parametrize("text,kind,number", [
    ("A123456789", "national", "A123456789"),
    ("a123456789", "national", "A123456789"),                 # lower case
    ("Ａ１２３４５６７８９", "national", "A123456789"),         # full-width letters and digits
    (" A 123 456 789 ", "national", "A123456789"),            # spaces
    ("A800000014", "resident", "A800000014"),                 # new resident certificate [A-Z][89]
    ("A900000016", "resident", "A900000016"),
    ("AC01234567", "resident", "AC01234567"),                 # old two-letter resident certificate
])
def test_valid_numbers_are_normalised(text, kind, number):
    assert classify(text) == (kind, number)


@pytest.mark.parametrize("text,reason", [
    ("A123456788", "checksum"),
    ("A800000015", "checksum"),
    ("A323456789", "format"),      # second digit must be 1, 2, 8 or 9
    ("A12345678", "format"),       # too short
    ("1234567890", "format"),
    ("", "format"),
    ("A12345678X", "format"),
])
def test_invalid_numbers_say_why(text, reason):
    with pytest.raises(IdNumberError) as err:
        classify(text)
    assert err.value.reason == reason


def test_passport_only_when_allowed():
    with pytest.raises(IdNumberError):
        classify("X12345678")
    assert classify("x12345678", allow_passport=True) == ("passport", "X12345678")


@settings(max_examples=200, derandomize=True)
@given(seed=st.integers(min_value=0, max_value=10**9), position=st.integers(min_value=1, max_value=9),
       delta=st.integers(min_value=1, max_value=9))
def test_a_single_digit_change_is_caught_unless_the_weights_hide_it(seed, position, delta):
    """The official weights (8, 7 … 1, 1) miss a change only when weight × change ≡ 0 (mod 10),
    e.g. +2 on the digit of weight 5; every other single-digit change fails the checksum."""
    number = national_id(random.Random(seed), "M" if seed % 2 else "F")
    assert classify(number)[0] == "national"
    digit = (int(number[position]) + delta) % 10
    changed = number[:position] + str(digit) + number[position + 1:]
    if position == 1 and changed[1] not in "12":
        return  # the sex digit changes the format, not only the checksum
    weight = [None, 8, 7, 6, 5, 4, 3, 2, 1, 1][position]
    if (weight * delta) % 10 == 0:
        assert classify(changed)[1] == changed
    else:
        with pytest.raises(IdNumberError):
            classify(changed)


def test_letter_table_is_the_official_one():
    assert (LETTER_CODES["I"], LETTER_CODES["O"], LETTER_CODES["W"], LETTER_CODES["X"]) == (34, 35, 32, 30)


def test_sex_digit():
    assert sex_from_national_id("A123456789") == "M"
    assert sex_from_national_id("A800000014") is None


def test_masking_follows_the_one_pattern():
    assert mask_id("A123456789") == "A12345****"
    assert mask_name("王小明") == "王○明"
    assert mask_name("王明") == "王○"
    assert mask_name("歐陽美玲") == "歐○○玲"
    assert mask_name("Wang Hsiao-Ming") == "W. H."
    assert mask_name("𠀋小明") == "𠀋○明"


def test_a_refusal_says_its_reason():
    with pytest.raises(IdNumberError) as err:
        classify("A123456788")
    assert str(err.value) == err.value.reason == "checksum"


def test_nothing_typed_normalises_to_nothing():
    assert normalise(None) == normalise("") == ""
    assert normalise(" a-1２３－4 ") == "A1234"


def test_ten_characters_that_only_look_like_a_resident_number_are_a_passport_or_refused():
    """Two letters then letters, not digits: neither an old resident certificate nor a checksum to compute."""
    assert classify("ABCDEFGHIJ", allow_passport=True) == ("passport", "ABCDEFGHIJ")
    with pytest.raises(IdNumberError) as err:
        classify("AC0123456X")
    assert err.value.reason == "format"


def test_sex_only_from_a_national_id():
    assert sex_from_national_id("A223456789") == "F"
    assert sex_from_national_id("A12345678") is None       # too short: not a national ID
    assert sex_from_national_id("A1") is None


@pytest.mark.parametrize("number,masked", [
    ("", ""), (None, ""),
    ("A1234567", "A12345**"),          # 7 characters or more: the first 6 shown
    ("A123456", "A12345*"),
    ("A12345", "A*****"),              # 6 or fewer (short passports): only the first shown
    ("X12", "X**"),
    ("X", "X"),
])
def test_short_numbers_show_only_their_first_character(number, masked):
    assert mask_id(number) == masked


def test_empty_and_one_character_names():
    assert mask_name(None) == mask_name("") == mask_name("  ") == ""
    assert mask_name("王") == "王"
