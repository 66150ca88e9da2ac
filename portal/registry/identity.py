"""National ID / resident certificate / passport numbers: normalising, checksums, masking.

Rules: docs/rules/identity.md (checksums ID1–ID5, masking ID6–ID7).
"""
import re
import unicodedata

# Letter → two-digit area code. Not alphabetical: I, O, W, X, Y sit out of order.
LETTER_CODES = {
    "A": 10, "B": 11, "C": 12, "D": 13, "E": 14, "F": 15, "G": 16, "H": 17, "J": 18,
    "K": 19, "L": 20, "M": 21, "N": 22, "P": 23, "Q": 24, "R": 25, "S": 26, "T": 27,
    "U": 28, "V": 29, "X": 30, "Y": 31, "W": 32, "Z": 33, "I": 34, "O": 35,
}

NATIONAL = "national"
RESIDENT = "resident"
PASSPORT = "passport"

_NATIONAL = re.compile(r"^[A-Z][12]\d{8}$")
_RESIDENT_NEW = re.compile(r"^[A-Z][89]\d{8}$")
# ID3: the old format's second letter is A-D only (A, B: nationals without household registration, people
# of the mainland, Hong Kong or Macao; C, D: foreigners and stateless people; men and women in turn).
_RESIDENT_OLD = re.compile(r"^[A-Z][A-D]\d{8}$")
_PASSPORT = re.compile(r"^[A-Z0-9]{5,20}$")


class IdNumberError(ValueError):
    """Why a number was refused: `reason` is 'format' or 'checksum'."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def normalise(text: str | None) -> str:
    """Full-width to ASCII (NFKC), spaces and dashes removed, upper case."""
    text = unicodedata.normalize("NFKC", text or "")
    return re.sub(r"[\s\-‐－]", "", text).upper()


def _checksum_ok(number: str) -> bool:
    head = LETTER_CODES[number[0]]
    total = head // 10 + (head % 10) * 9
    if number[1].isalpha():   # old resident certificate: the units digit of the letter's code (A 0 … D 3)
        total += (LETTER_CODES[number[1]] % 10) * 8
    else:
        total += int(number[1]) * 8
    total += sum(int(d) * w for d, w in zip(number[2:9], range(7, 0, -1), strict=True))
    total += int(number[9])
    return total % 10 == 0


def classify(text: str | None, allow_passport: bool = False) -> tuple[str, str]:
    """Return (kind, normalised number) or raise IdNumberError."""
    number = normalise(text)
    if number[:1] in LETTER_CODES and len(number) == 10:
        if _NATIONAL.match(number):
            kind = NATIONAL
        elif _RESIDENT_NEW.match(number) or _RESIDENT_OLD.match(number):
            kind = RESIDENT
        else:
            kind = None
        if kind:
            if not _checksum_ok(number):
                raise IdNumberError("checksum")
            return kind, number
    if allow_passport and _PASSPORT.match(number):
        return PASSPORT, number
    raise IdNumberError("format")


def sex_from_national_id(number: str) -> str | None:
    return {"1": "M", "2": "F"}.get(number[1]) if _NATIONAL.match(number) else None


def mask_id(number: str | None) -> str:
    """First 6 shown, the rest masked (A12345****), as the NDC rule asks."""
    if not number:
        return ""
    return number[:6] + "*" * max(len(number) - 6, 0) if len(number) > 6 else number[:1] + "*" * (len(number) - 1)


def mask_name(name: str | None) -> str:
    """王○明, 王○ for two characters; Latin names keep the first letter of each part."""
    name = (name or "").strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "." for part in name.split())
    chars = list(name)
    if len(chars) == 1:
        return chars[0]
    if len(chars) == 2:
        return chars[0] + "○"
    return chars[0] + "○" * (len(chars) - 2) + chars[-1]


def mask_email(address: str) -> str:
    """w***@example.com: enough for the person to recognise it, too little to learn it."""
    local, _at, domain = (address or "").partition("@")
    if not domain:
        return ""
    return f"{local[:1]}***@{domain}"


def mask_phone(number: str) -> str:
    """The last three digits only: ******678."""
    digits = re.sub(r"\D", "", number or "")
    return "*" * max(len(digits) - 3, 3) + digits[-3:] if digits else ""
