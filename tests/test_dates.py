"""ROC and ISO dates: parsing what people type and showing dates per language."""
from datetime import date

import pytest

from portal.platform.dates import DateFormatError, format_roc_long, format_roc_short, parse_date


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
