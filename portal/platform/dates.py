"""Dates as people in Taiwan write them: ROC years, 7-digit import dates, full-width digits."""
import re
import unicodedata
from datetime import date, timedelta

ROC_OFFSET = 1911

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_ROC_SEP = re.compile(r"^(?:民國)?(\d{1,3})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_COMPACT = re.compile(r"^\d{6,8}$")


class DateFormatError(ValueError):
    """The text is not a date in any accepted form."""


def _roc(year: int) -> int:
    """The western year of ROC year `year`; there is no ROC year 0 (year 1 is 1912)."""
    if year < 1:
        raise DateFormatError("ROC year 0")
    return year + ROC_OFFSET


def _to_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise DateFormatError(str(exc)) from exc


def parse_date(text) -> date:
    """Read ISO (2025-03-05), ROC (114/03/05, 民國114年3月5日) or compact (1140305, 901020, 20250305)."""
    if isinstance(text, date):
        return text
    raw = unicodedata.normalize("NFKC", str(text or "")).strip().replace(" ", "")
    if not raw:
        raise DateFormatError("empty")
    if m := _ISO.match(raw):
        return _to_date(int(m[1]), int(m[2]), int(m[3]))
    if m := _ROC_SEP.match(raw):
        return _to_date(_roc(int(m[1])), int(m[2]), int(m[3]))
    if _COMPACT.match(raw):
        if len(raw) == 8:
            return _to_date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        year = int(raw[:-4])  # 7 digits: YYYMMDD, 6 digits: YYMMDD (ROC years before 100)
        return _to_date(_roc(year), int(raw[-4:-2]), int(raw[-2:]))
    raise DateFormatError(raw)


def roc_year(d: date) -> int:
    return d.year - ROC_OFFSET


def format_roc_long(d: date) -> str:
    return f"民國{roc_year(d)}年{d.month}月{d.day}日"


def format_roc_short(d: date) -> str:
    return f"{roc_year(d):03d}/{d.month:02d}/{d.day:02d}"


def format_roc_compact(d: date) -> str:
    return f"{roc_year(d):03d}{d.month:02d}{d.day:02d}"


# --- calendar arithmetic ---------------------------------------------------------------------

def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 2, 28)


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return add_months(day, 1) - timedelta(days=1)
