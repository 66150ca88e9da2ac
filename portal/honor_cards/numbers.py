"""Honor-card numbers as the counties write them (docs/rules/honor-cards.md#hc13), pure.

The portal numbers its own cards HC-<county>-<ROC year>-<serial>; cards issued before it carry the counties'
numbers: 北市榮字第00123號, 高市榮字第123號, with full-width digits, with or without 第 and 號, with spaces. A
number is kept exactly as given (it is printed on the card the volunteer holds) and compared through its key:
full-width forms folded, spaces and the words 第 / 號 dropped, 台 written 臺, leading zeros of each run of
digits dropped, letters in capitals. Two numbers with the same key are the same card number.
"""
import re
import unicodedata

MAX_LENGTH = 30
# The portal's own form (and other letter-digit-hyphen forms counties used), after folding.
_LATIN = re.compile(r"^[A-Z0-9][A-Z0-9\-]{2,29}$")
# A county's form: a Chinese prefix (county abbreviation and 榮字), optionally 第, the serial, optionally 號.
_COUNTY = re.compile(r"^(?!第)[\u3400-\u9fff]{1,12}?第?\d[\d\-]{0,14}[號号]?$")
_DROPPED = str.maketrans("", "", "第號号")
_DIGITS = re.compile(r"\d+")


def fold(text) -> str:
    """Full-width forms folded (NFKC), every space removed, letters in capitals."""
    return "".join(unicodedata.normalize("NFKC", str(text or "")).split()).upper()


def accepted(text) -> bool:
    """The number is in one of the forms above and at most MAX_LENGTH characters as given."""
    given = str(text or "").strip()
    folded = fold(given)
    return 0 < len(given) <= MAX_LENGTH and bool(_LATIN.match(folded) or _COUNTY.match(folded))


def number_key(text) -> str:
    """The number's key for search and duplicates: 北市榮字第００１２３號 and 北市榮字123 give 北市榮字123."""
    folded = fold(text).translate(_DROPPED).replace("台", "臺")
    return _DIGITS.sub(lambda m: m.group().lstrip("0") or "0", folded)
