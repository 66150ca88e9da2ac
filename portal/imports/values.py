"""Reading single cell values the way every import kind does: texts, dates and names, and the
messages a refused value gets (a kind adds its own codes and messages on top of these)."""
import functools
import re
import unicodedata
from collections.abc import Callable
from datetime import date, datetime

from flask_babel import gettext as _

from portal.platform.dates import DateFormatError, parse_date
from portal.platform.params import character_message, unsafe_character

# The messages of the refusals below and of the checks every kind makes (ID number, registered
# name), rendered in the language of the moment they are shown.
MESSAGES: dict[str, Callable[..., str]] = {
    "required": lambda **p: _("Please fill in this value."),
    "impossible_date": lambda **p: _("Not a date. Enter a date such as 1130910, 113/09/10 or 2024-09-10."),
    "no_such_day": lambda **p: _("There is no such day in the calendar (for example 30 February)."),
    "checksum": lambda **p: _("The check digit of this ID number does not match. Please compare each character "
                              "with the ID card."),
    "id_format": lambda **p: _("Use 1 letter and 9 digits, e.g. A123456789."),
    # The row is usually right and the roster is missing: say so, so that no one edits a good file.
    "unknown_volunteer": lambda **p: _("This person is not on a roster yet: no volunteer with this ID number is "
                                       "registered. The row can stay as it is; import your unit's roster (or "
                                       "register the volunteer) first, then upload this file again."),
    "name_mismatch": lambda **p: _("The name does not match the name registered with this ID number (%(name)s).",
                                   name=p["name"]),
    "too_long": lambda **p: _("At most %(n)s characters.", n=p["n"]),
    "markup": lambda **p: _("Angle brackets (< >) are not allowed here."),
    # docs/rules/platform.md#pl12: names, codes and numbers are one line of visible characters.
    "characters": lambda **p: str(character_message(p["ch"])),
}


class Refused(ValueError):
    """A value a reader or rule refused: a stable code (for tests and files), the message key when it
    differs from the code, and the message's parameters."""

    def __init__(self, code: str, key: str | None = None, **params):
        super().__init__(code)
        self.code, self.key, self.params = code, key, params


def cell_text(value) -> str:
    """A cell as trimmed text; whole floats (Excel numbers) without ".0", width variants folded."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    if text.isascii():  # nothing for NFKC to fold: the common case in large files
        return text.strip()
    return unicodedata.normalize("NFKC", text).strip()


def read_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = cell_text(value)
    if not text:
        raise Refused("required")
    try:
        return parse_date(text)
    except DateFormatError as exc:
        raise Refused("impossible_date", key="no_such_day" if exc.__cause__ is not None else None) from None


def short_text(value, limit: int, *, single_line: bool = False) -> str:
    """A short text cell. Names, codes and numbers (`single_line`) with a line break or an invisible or
    direction-changing character are refused (the row is reported, the file cannot be confirmed); other texts
    lose such characters."""
    if value is None or value == "":
        return ""
    if single_line and (ch := unsafe_character(cell_text(value))) is not None:
        raise Refused("characters", ch=ch)
    text = "".join(ch for ch in cell_text(value) if unicodedata.category(ch) not in ("Cc", "Cf"))
    if len(text) > limit:
        raise Refused("too_long", n=limit)
    if "<" in text or ">" in text:
        raise Refused("markup")
    return text


@functools.lru_cache(maxsize=65536)
def same_name(a: str, b: str) -> bool:
    """Names compared as docs/rules/imports.md#im6 asks: spaces (and width variants) ignored."""
    def norm(s):
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))
    return norm(a) == norm(b)
