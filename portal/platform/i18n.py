"""Locale choice, the HTML lang tag, and date/label formatting for both languages."""
import re
from datetime import date, datetime, timezone

from babel.lists import format_list
from flask import Flask, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations, gettext
from flask_login import current_user
from markupsafe import Markup, escape

from .dates import ROC_OFFSET, format_roc_long, format_roc_short
from .timeutil import TAIPEI, taipei_date

# Keys are what Babel accepts and Werkzeug's best_match understands; the catalog folder
# is still zh_Hant_TW because Babel normalises zh_TW to that (docs/rules/platform.md#pl5).
LANGUAGES = {"zh_TW": "中文", "en": "English"}
DEFAULT = "zh_TW"


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT  # CLI commands and background jobs: the default language unless forced
    if current_user and current_user.is_authenticated and current_user.locale in LANGUAGES:
        return current_user.locale
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    return request.accept_languages.best_match(list(LANGUAGES)) or DEFAULT


def translations():
    """The translations of the locale in force, looked up once per locale and request. Flask-Babel finds them
    by the locale's identifier string at every call (~12 us), and a list page shows 300-500 labels. A locale
    forced for a while (force_locale, bilingual PDFs) is another Locale object, so it is looked up afresh."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    kept = g.get("_translations")
    if kept is None or kept[0] is not locale:
        kept = g._translations = (locale, get_translations())
    return kept[1]


def install_template_gettext(app: Flask):
    """Templates' _(), gettext, ngettext and pgettext through `translations` (what Flask-Babel installs,
    with the lookup kept per request)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)


def is_chinese() -> bool:
    return get_locale().language == "zh"


def current_language() -> str:
    return DEFAULT if is_chinese() else "en"


def html_lang() -> str:
    return "zh-Hant-TW" if is_chinese() else "en"


def format_date(value, style: str = "short", chinese: bool | None = None) -> str:
    """ROC calendar in Chinese (114/03/05 or 民國114年3月5日), ISO 8601 in English. A timestamp is the
    day in Taipei: stored naive UTC, a case filed at 00:30 Taipei time is still that day, not the one before.
    `chinese`: the language already known (an export of 400,000 rows asks once, not twice per row)."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = taipei_date(value.astimezone(timezone.utc).replace(tzinfo=None) if value.tzinfo else value)
    if not isinstance(value, date):
        return str(value)
    if is_chinese() if chinese is None else chinese:
        return format_roc_long(value) if style == "long" else format_roc_short(value)
    return value.isoformat()


def join_list(items) -> str:
    """Names in one phrase, punctuated for the reader: 甲、乙、丙 in Chinese, "a, b, and c" in English
    (a "、" glued into an English sentence reads as a typo)."""
    items = [str(item) for item in items if item not in (None, "")]
    if not items:
        return ""
    return "、".join(items) if is_chinese() else format_list(items, locale="en")


def hours_text(half_hours: int | None, *, grouped: bool = True) -> str:
    """Half-hours (the unit every hour total is stored in) as hours: 3000 -> "1,500", 85 -> "42.5";
    `grouped=False` leaves out the thousands separator (3000 -> "1500"), as printed documents do."""
    half_hours = int(half_hours or 0)
    whole = f"{half_hours // 2:,}" if grouped else str(half_hours // 2)
    return whole if half_hours % 2 == 0 else f"{whole}.5"


def year_label(year: int, style: str = "plain") -> str:
    """A calendar year for people: ROC years on Chinese pages, AD on English ones.
    plain: 115年度 / 2026; with_ad: ROC year 115 (2026), translated / 2026."""
    year = int(year)
    if not is_chinese():
        return str(year)
    if style == "with_ad":
        return gettext("ROC year %(roc)s (%(year)s)", roc=year - ROC_OFFSET, year=year)
    return f"{year - ROC_OFFSET}年度"


def month_label(year: int, month: int, style: str = "short") -> str:
    """A month: short 115/10 (Chinese) or 2026-10; long 115年10月 (Chinese) or 2026-10."""
    year, month = int(year), int(month)
    if not is_chinese():
        return f"{year:04d}-{month:02d}"
    if style == "long":
        return f"{year - ROC_OFFSET}年{month}月"
    return f"{year - ROC_OFFSET}/{month:02d}"


def format_datetime(value: datetime | None) -> str:
    """A stored naive-UTC timestamp shown in Taipei time."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(TAIPEI)
    return f"{format_date(local.date())} {local:%H:%M}"


def localized(entry, attr: str = "name", chinese: bool | None = None) -> str:
    """The English variant of a bilingual name when the UI is English and it exists."""
    if entry is None:
        return ""
    if not (is_chinese() if chinese is None else chinese):
        english = getattr(entry, f"{attr}_en", "") or ""
        if english:
            return english
    return getattr(entry, attr, "") or ""


_CHINESE_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def mark_chinese(text) -> Markup:
    """Escaped text in which, on an English page, each run of Chinese characters (a file's Chinese column names
    in an English help text) is marked lang="zh-Hant-TW", so that screen readers speak it in Chinese
    (WCAG 3.1.2, language of parts). Unchanged on a Chinese page."""
    text = escape(text)
    if is_chinese():
        return text
    return Markup(_CHINESE_RUN.sub(lambda run: f'<span lang="zh-Hant-TW">{run.group(0)}</span>', str(text)))


def chinese_only(name: str) -> str:
    """A Chinese name on an English page, marked so that it does not read as a missing translation.
    Plain text, because names also go into page titles, attributes and options."""
    return gettext("%(name)s (Chinese only)", name=name) if name and not is_chinese() else (name or "")


def localized_shown(entry, attr: str = "name") -> str:
    """localized() for pages: on an English page a bilingual name without its English variant is marked
    (chinese_only). Files and messages keep localized(), which never adds words."""
    name = localized(entry, attr)
    if entry is None or is_chinese() or not hasattr(entry, f"{attr}_en") or getattr(entry, f"{attr}_en", ""):
        return name
    return chinese_only(name)
