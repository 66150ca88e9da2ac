"""The hostile values every form field and query parameter is tried with (docs/rules/platform.md#pl12).

Each value is what a hostile or careless client can send; none may produce a server error or reach a page
as markup. `wire(value)` is the value as bytes on the wire: a lone surrogate cannot be encoded as UTF-8, so it
goes out as the bytes a broken client sends (ED A0 80), which the server must read without failing.
"""
from urllib.parse import quote

HOSTILE = [
    # empty, blank and overlong
    "", " ", "\u3000", "x" * 5000,
    # control and invisible characters
    "\x00", "a\r\nb", "\ud800", "\u202e\u0631\u0645\u0632", "a\u200bb", "\ufeff12", "\ue000",
    # numbers: full-width, superscript (str.isdigit() says yes, int() says no), Python-only syntax, signs, the
    # first number beyond PostgreSQL's integer, 20 digits (beyond SQLite's), not numbers
    "１２３４", "²", "1_000", "-1", "0", "2147483648", "99999999999999999999", "-99999999999999999999", "1e309",
    "NaN", "Infinity", "0.25",
    # dates: impossible, far, ROC year 0
    "0000-00-00", "9999-12-31", "000/01/01", "114/02/30",
    # characters outside the basic plane
    "😀👍🏽", "𠀋𠀌",
    # look-alikes of templates, SQL, scripts, formulas and paths
    "{{7*7}}", "'; DROP TABLE people; --", "<script>alert(1)</script>", '"><img src=x onerror=alert(1)>',
    "<div hx-get=/logout hx-trigger=load>x</div>", "javascript:alert(1)", "=cmd|' /C calc'!A0", "%2e%2e%2f",
]

# What must never come back unescaped from any of the values above.
MARKUP = ["<script>alert(1)</script>", "<img src=x onerror", "<div hx-get=/logout"]

def wire(value: str) -> bytes:
    """The value's bytes as a client sends them (lone surrogates included)."""
    return value.encode("utf-8", "surrogatepass")


def query(params: dict) -> str:
    """A query string of `params` ({name: value}), each value percent-encoded from its wire bytes."""
    return "&".join(f"{quote(name)}={quote(wire(value), safe='')}" for name, value in params.items())
