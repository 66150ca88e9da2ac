"""The PDF fonts cover every character the portal itself prints and the common characters of
Traditional Chinese, so a font upgrade that drops a glyph fails here, not on a certificate.

The fonts come pinned from PyPI (pylopdf-fonts-zh-tw, see pyproject.toml). The common characters are
the 5,401 of Big5's level-1 block (A440–C67E), which is the Ministry of Education's list of frequently
used characters (常用國字) in the order of stroke counts; Python's big5 codec carries it, so no data file
is needed."""
import re
import unicodedata
from importlib.metadata import version
from pathlib import Path

import pytest

from portal.platform.pdf import missing_glyphs

ROOT = Path(__file__).resolve().parent.parent
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")


def big5_level1() -> str:
    chars = []
    for lead in range(0xA4, 0xC7):
        for trail in list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF)):
            if (lead, trail) > (0xC6, 0x7E):
                break
            try:
                chars.append(bytes([lead, trail]).decode("big5"))
            except UnicodeDecodeError:
                continue
    return "".join(chars)


def own_texts() -> str:
    """Every CJK character in the Chinese catalogue, the templates and the Python sources."""
    sources = [ROOT / "translations/zh_Hant_TW/LC_MESSAGES/messages.po"]
    sources += sorted((ROOT / "templates").rglob("*.html"))
    sources += sorted(p for p in (ROOT / "portal").rglob("*.py"))
    text = "".join(path.read_text(encoding="utf-8") for path in sources)
    return "".join(sorted(set(CJK.findall(unicodedata.normalize("NFC", text)))))


def test_the_font_package_is_the_pinned_one():
    pinned = re.search(r'"pylopdf-fonts-zh-tw==([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
    assert version("pylopdf-fonts-zh-tw") == pinned


def test_the_common_character_list_is_complete():
    common = big5_level1()
    assert len(common) == 5401 and common[0] == "一" and common[-1] == "籲"


@pytest.mark.parametrize("font", ["serif", "sans"])
def test_every_common_character_has_a_glyph(font):
    assert missing_glyphs(big5_level1(), font) == []


@pytest.mark.parametrize("font", ["serif", "sans"])
def test_every_character_of_the_portals_own_texts_has_a_glyph(font):
    texts = own_texts()
    assert len(texts) > 500        # the catalogue and templates were read
    assert missing_glyphs(texts, font) == []


def test_the_check_would_see_a_missing_glyph():
    # U+F8FF is a private-use character no CJK font maps: the check must report it.
    assert missing_glyphs("志\uf8ff工", "serif") == ["\uf8ff"]
