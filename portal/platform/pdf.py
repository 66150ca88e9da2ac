"""The shared PDF engine: WeasyPrint with Noto Serif/Sans TC from pip, A4, tagged, glyph-checked.

Every PDF the portal issues goes through render_pdf(): it refuses text that the fonts cannot
print (a name with a character outside the font would otherwise come out as an empty box),
renders an HTML template under templates/pdf/ in the document's own language, and returns
the bytes of a tagged PDF whose title and language are set. QR codes are SVG data URIs made
with segno, so no image files and no network access are involved.

The fonts come from the pip package pylopdf-fonts-zh-tw (docs/rules/platform.md#pl7), not from the system;
one FontConfiguration is kept per process because the first render is about twice as slow.
"""
import os
import threading
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import segno
from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from .i18n import join_list

FONT_FAMILIES = {"serif": "Portal Serif TC", "sans": "Portal Sans TC"}
# Characters that never reach the fonts as glyphs (layout only).
IGNORED = {"\n", "\r", "\t", "\u200b", "\u200c", "\u200d", "\ufeff"}


def font_paths() -> dict[str, Path]:
    import pylopdf_fonts_zh_tw as fonts
    return {"serif": Path(fonts.serif_path()), "sans": Path(fonts.sans_path())}


@lru_cache(maxsize=None)
def _cmap(font: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont
    with TTFont(str(font_paths()[font]), lazy=True) as ttf:
        return frozenset(ttf.getBestCmap())


def missing_glyphs(text: str, font: str = "serif") -> list[str]:
    """The distinct characters of `text` (NFC) that `font` has no glyph for, in order of appearance."""
    cmap = _cmap(font)
    seen = []
    for ch in unicodedata.normalize("NFC", text or ""):
        if ch not in IGNORED and ord(ch) not in cmap and ch not in seen:
            seen.append(ch)
    return seen


@dataclass(frozen=True)
class GlyphProblem:
    label: str
    text: str
    chars: tuple[str, ...]

    def message(self) -> str:
        chars = join_list(f"{ch} (U+{ord(ch):04X})" for ch in self.chars)
        return _("%(label)s “%(text)s” contains %(chars)s, which the certificate font cannot print. "
                 "Please check the spelling or ask the system administrator to add a font for it.",
                 label=self.label, text=self.text, chars=chars)


class MissingGlyphError(ValueError):
    """Text that would print as empty boxes; the PDF is not made."""

    def __init__(self, problems: list[GlyphProblem]):
        super().__init__("; ".join(f"{p.label}: {''.join(p.chars)}" for p in problems))
        self.problems = problems

    def messages(self) -> list[str]:
        return [p.message() for p in self.problems]


def glyph_problems(texts: Mapping[str, str], font: str = "serif") -> list[GlyphProblem]:
    """Check labelled texts (names, unit names, ...) against the font; one problem per text."""
    problems = []
    for label, text in texts.items():
        chars = missing_glyphs(text, font)
        if chars:
            problems.append(GlyphProblem(str(label), text, tuple(chars)))
    return problems


def check_glyphs(texts: Mapping[str, str], font: str = "serif"):
    problems = glyph_problems(texts, font)
    if problems:
        raise MissingGlyphError(problems)


def qr_data_uri(data: str) -> str:
    """A QR code as an SVG data URI (error correction M, quiet zone of 4 modules)."""
    return segno.make(data, error="m", micro=False).svg_data_uri(scale=4, border=4)


def css_string(text: str) -> Markup:
    """A quoted CSS string (for `content:` in a page-margin box) that cannot end the <style> element."""
    escaped = "".join(ch if ch.isalnum() or ch in " .,:;/-_()·@" else f"\\{ord(ch):x} " for ch in str(text))
    return Markup(f'"{escaped}"')


def font_face_css() -> str:
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; src: url("{font_paths()[key].as_uri()}"); }}'
        for key, family in FONT_FAMILIES.items())


_lock = threading.Lock()
_state: dict = {}


def font_config():
    """One FontConfiguration per process (re-created after a fork, e.g. in an RQ work horse)."""
    from weasyprint.text.fonts import FontConfiguration
    if _state.get("pid") != os.getpid():
        _state.update(pid=os.getpid(), config=FontConfiguration())
    return _state["config"]


def html_to_pdf(html: str) -> bytes:
    """HTML (fonts via file:// URLs, images as data URIs) to a tagged PDF."""
    from weasyprint import HTML
    with _lock:
        return HTML(string=html, base_url=str(font_paths()["serif"].parent)).write_pdf(
            font_config=font_config(), pdf_tags=True, uncompressed_pdf=False)


def render_pdf(template: str, *, title: str, language: str, check: Mapping[str, str] | None = None,
               **context) -> bytes:
    """Render templates/<template> in `language` ('zh_TW' or 'en') and return PDF bytes.

    `check` holds the labelled texts (names above all) that must have a glyph in the font;
    MissingGlyphError is raised before anything is rendered when one does not.
    """
    check_glyphs(check or {})
    with force_locale(language):
        html = render_template(template, pdf_title=title, pdf_lang="zh-Hant-TW" if language.startswith("zh") else "en",
                               font_css=font_face_css(), font_families=FONT_FAMILIES, css_string=css_string,
                               **context)
    return html_to_pdf(html)
