"""ROC and ISO dates: parsing what people type and showing dates per language."""
from datetime import date

import pytest

from portal.platform.dates import (
    DateFormatError,
    format_roc_compact,
    format_roc_long,
    format_roc_short,
    parse_date,
    roc_year,
)


@pytest.mark.parametrize("text,expected", [
    ("2025-03-05", date(2025, 3, 5)),
    ("2025/3/5", date(2025, 3, 5)),
    ("114/03/05", date(2025, 3, 5)),
    ("114-3-5", date(2025, 3, 5)),
    ("民國114年3月5日", date(2025, 3, 5)),
    ("1140305", date(2025, 3, 5)),
    ("１１４０３０５", date(2025, 3, 5)),       # full-width digits
    ("１１４／０３／０５", date(2025, 3, 5)),
    ("901020", date(2001, 10, 20)),             # two-digit ROC year
    ("0901020", date(2001, 10, 20)),
    ("20250305", date(2025, 3, 5)),
    ("76/04/05", date(1987, 4, 5)),
])
def test_accepted_forms(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "abc", "114/02/30", "2023-02-29", "113/13/01", "1141305", "12"])
def test_refused_forms(text):
    with pytest.raises(DateFormatError):
        parse_date(text)


def test_roc_formats():
    assert format_roc_long(date(2025, 3, 5)) == "民國114年3月5日"
    assert format_roc_short(date(2025, 3, 5)) == "114/03/05"
    assert format_roc_short(date(2001, 10, 20)) == "090/10/20"


@pytest.mark.parametrize("text,expected", [
    ("20251120", date(2025, 11, 20)),           # 8 digits with a 2-digit month and day
    ("1141120", date(2025, 11, 20)),            # 7 digits
    ("901120", date(2001, 11, 20)),             # 6 digits
    ("114 / 3 / 5", date(2025, 3, 5)),          # spaces anywhere are ignored
    (" 2025-03-05 ", date(2025, 3, 5)),
    (date(2025, 3, 5), date(2025, 3, 5)),       # already a date
])
def test_every_digit_is_read_from_its_place(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text,message", [("", "empty"), (None, "empty"), ("  ", "empty"), ("abc", "abc"),
                                          ("12 3", "123")])
def test_a_refusal_says_what_was_read(text, message):
    with pytest.raises(DateFormatError) as err:
        parse_date(text)
    assert str(err.value) == message


def test_a_day_that_does_not_exist_keeps_the_calendar_reason():
    """platform.forms and imports.values tell 'no such day' from 'not a date' by the cause."""
    with pytest.raises(DateFormatError) as err:
        parse_date("114/02/30")
    assert isinstance(err.value.__cause__, ValueError)
    assert str(err.value) == str(err.value.__cause__) == "day is out of range for month"


def test_compact_roc_format():
    assert format_roc_compact(date(2025, 3, 5)) == "1140305"
    assert format_roc_compact(date(2001, 10, 20)) == "0901020"
    assert roc_year(date(2026, 1, 1)) == 115
