"""Values from the address bar and from forms, parsed and never trusted (docs/rules/platform.md#pl12).

Every value a client sends is text, and any text can arrive: blank, 5,000 characters, NUL, full-width or
superscript digits, 20-digit numbers that overflow the database's integers, NaN, the year 9999. The
converters below turn text into an id, a page number, a date, a choice, a yes/no or a bounded number, or
refuse it with `BadValue`, whose message is translated (Chinese first). They never raise anything else.

Three ways in:
- plain functions (`to_id`, `to_page`, `to_date`, ...) for code that holds the text;
- `arg(name, converter, ...)` for a query-string value: a refusal answers 400 with the message;
- the `int` route converter (`BoundedInt`, installed by `init_app` in place of Werkzeug's): an id in a path
  outside 1..2^31-1, or written with other than ASCII digits, is a page that does not exist (404), never an
  integer the database cannot hold.

`unsafe_character` is the character rule of names, codes and numbers (people, units, courses, policy and
certificate numbers): one line, no control, invisible or direction-changing characters. The form validator
(`portal.platform.forms.single_line`) and the import readers (`portal.imports.values`) both apply it.
"""
import math
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

from flask import request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest
from werkzeug.routing import BaseConverter, ValidationError

from .dates import DateFormatError, parse_date

MAX_ID = 2**31 - 1          # PostgreSQL `integer`, the type of every id column
MAX_PAGE = 10_000           # offset lists: 10,000 pages of 100 rows; further is a search, not paging
MAX_CURSOR = 1_000          # a signed keyset cursor is about 100 characters
EARLIEST_DAY = date(1900, 1, 1)   # birth dates; nothing the portal keeps is older
LATEST_DAY = date(2199, 12, 31)   # validity ends and deadlines; a day after it still fits every date type
_DIGITS = re.compile(r"[0-9]+")
_CURSOR = re.compile(r"[A-Za-z0-9_.\-]+")
TRUE, FALSE = frozenset({"1", "true", "yes", "on", "y"}), frozenset({"0", "false", "no", "off", "n"})


class BadValue(ValueError):
    """A value refused; `message` says why in the user's language."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class BadParameter(BadRequest):
    """400 for a query-string value: the error page shows `message` instead of the generic text."""

    def __init__(self, name: str, message):
        super().__init__(description=f"{name}: {message}")
        self.param, self.message = name, message


def folded(text) -> str:
    """The text as typed, width variants folded (full-width digits and letters), trimmed; "" for None."""
    if text is None:
        return ""
    text = str(text)
    return (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip()


def to_int(text, low: int, high: int, message=None) -> int | None:
    """A whole number from `low` to `high` (digits only, full-width allowed, a leading minus when `low` < 0);
    None when blank."""
    raw = folded(text)
    if not raw:
        return None
    digits = raw[1:] if raw[:1] == "-" and low < 0 else raw
    # The length check comes first: int() of a 5,000-digit text is slow, and no bound needs more than 19.
    if len(digits) > 19 or not _DIGITS.fullmatch(digits):
        raise BadValue(message or _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high))
    number = -int(digits) if digits is not raw else int(digits)
    if not low <= number <= high:
        raise BadValue(message or _l("Enter a whole number from %(low)s to %(high)s.", low=low, high=high))
    return number


def to_id(text) -> int | None:
    """A record's number (1 to 2^31-1); None when blank."""
    return to_int(text, 1, MAX_ID, _l("This is not the number of any record."))


def int_or_none(text, low: int, high: int) -> int | None:
    """`to_int` for code that treats anything else as nothing chosen (a blank, a stale or a forged value)."""
    try:
        return to_int(text, low, high)
    except BadValue:
        return None


def id_or_none(text) -> int | None:
    """`to_id` for code that treats anything else as no record (a foreign or stale link finds nothing)."""
    return int_or_none(text, 1, MAX_ID)


def ids_in(values: Iterable) -> list[int]:
    """The record numbers among `values` (ticked boxes, hidden fields), in order and each once; the rest
    (letters, superscript digits, 0, numbers beyond 2^31-1) is left out."""
    return list(dict.fromkeys(n for n in map(id_or_none, values) if n is not None))


def to_page(text) -> int:
    """A page number (1 to MAX_PAGE); 1 when blank."""
    return to_int(text, 1, MAX_PAGE, _l("Enter a page number from 1 to %(max)s.", max=f"{MAX_PAGE:,}")) or 1


def to_number(text, low: float, high: float) -> float | None:
    """A decimal number within bounds (NaN, infinities and exponents refused); None when blank."""
    raw = folded(text)
    if not raw:
        return None
    if len(raw) > 30 or not re.fullmatch(r"-?[0-9]+(?:\.[0-9]+)?", raw):
        raise BadValue(_l("Enter a number such as 2 or 2.5."))
    number = float(raw)
    if not math.isfinite(number) or not low <= number <= high:
        raise BadValue(_l("Enter a number from %(low)s to %(high)s.", low=low, high=high))
    return number


def to_date(text) -> date | None:
    """A date written in ISO (2025-03-05), ROC (114/03/05, 民國114年3月5日) or compact (1140305) form, from
    1900 to 2199; None when blank."""
    raw = folded(text)
    if not raw:
        return None
    try:
        day = parse_date(raw[:40])
    except DateFormatError:
        raise BadValue(_l("Enter a date such as 114/03/05 or 2025-03-05.")) from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise BadValue(_l("Enter a date between 1900 and 2199."))
    return day


def to_search(text, limit: int = 60) -> str:
    """A search text: folded, control and invisible characters left out (PostgreSQL refuses a NUL in any
    text), at most `limit` characters; "" when blank."""
    raw = "".join(ch for ch in folded(text) if unicodedata.category(ch) not in _REFUSED_CATEGORIES)
    return raw.strip()[:limit]


def to_choice(text, allowed: Iterable[str]) -> str | None:
    """One of `allowed` (exactly as offered); None when blank."""
    raw = folded(text)
    if not raw:
        return None
    if raw not in set(allowed):
        raise BadValue(_l("Choose one of the offered options."))
    return raw


def to_bool(text) -> bool | None:
    """Yes (1, true, yes, on) or no (0, false, no, off), any case; None when blank."""
    raw = folded(text).lower()
    if not raw:
        return None
    if raw in TRUE:
        return True
    if raw in FALSE:
        return False
    raise BadValue(_l("Choose yes or no."))


def to_cursor(text) -> str | None:
    """A keyset cursor's text, or None. A cursor is opaque and signed (`pagination.decode_cursor` refuses a
    forged one and starts the list at its first page), so a malformed one is simply no cursor."""
    raw = (text or "").strip()
    if not raw or len(raw) > MAX_CURSOR or not _CURSOR.fullmatch(raw):
        return None
    return raw


def arg(name: str, converter: Callable, *args, default=None):
    """The query-string value `name` through `converter`; `default` when missing or blank; a refusal
    answers 400 with its message."""
    try:
        value = converter(request.args.get(name), *args)
    except BadValue as exc:
        raise BadParameter(name, exc.message) from None
    return default if value is None else value


# --- names, codes and numbers -------------------------------------------------------------------------

# Line and paragraph separators, controls (tab, CR, LF, NUL), format characters (bidi embeddings, overrides
# and isolates, zero-width space/joiners, BOM, soft hyphen), surrogates and unassigned code points.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"})
LINE_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


def unsafe_character(text) -> str | None:
    """The first character of `text` that a name, code or number may not contain, or None.

    One line of visible characters: a line break would split a row of the ministry's export or a line of
    a PDF, and invisible or direction-changing characters make two different names look the same.
    Ordinary spaces (also the ideographic space) are fine; rare CJK characters (Extension B and beyond) and
    the private-use characters some agencies use for characters outside Unicode are kept."""
    if not text:
        return None
    text = str(text)
    if text.isascii() and text.isprintable():
        return None     # the common case
    return next((ch for ch in text if unicodedata.category(ch) in _REFUSED_CATEGORIES), None)


def one_line(text) -> str:
    """`text` with line breaks turned into spaces and the other refused characters left out: for writing a
    value stored before the rule (or free text) where one line is all there is (the ministry's export)."""
    if not text:
        return text
    text = str(text)
    if text.isascii() and text.isprintable():
        return text
    text = text.replace("\r\n", "\n")
    return "".join(" " if ch in LINE_BREAKS else ch for ch in text
                   if ch in LINE_BREAKS or unicodedata.category(ch) not in _REFUSED_CATEGORIES)


def character_message(ch: str):
    """Why `ch` (from `unsafe_character`) is refused, translated."""
    if ch in LINE_BREAKS:
        return _l("Line breaks are not allowed here: write it on one line.")
    return _l("Invisible or control characters (U+%(code)s) are not allowed here: type the text again "
              "instead of pasting it.", code=f"{ord(ch):04X}")


# --- route converter ----------------------------------------------------------------------------------

class BoundedInt(BaseConverter):
    """`<int:...>` of every route: ASCII digits, 1 to 2^31-1 (a leading zero or an 11th digit does not
    match), so an id the database cannot hold is a 404 like any missing record.

    Werkzeug's own converter matches any Unicode digit (`\\d`) and any length."""
    regex = r"[1-9][0-9]{0,9}"
    weight = 50
    part_isolating = True

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map)

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def init_app(app):
    """Install the bounded converter; must run before the blueprints add their routes."""
    app.url_map.converters["int"] = BoundedInt
