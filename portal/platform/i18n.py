"""Locale choice, the HTML lang tag, and date/label formatting for both languages."""
from datetime import date, datetime, timezone

from flask import has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user

from .dates import format_roc_long, format_roc_short
from .timeutil import TAIPEI

# Keys are what Babel accepts and Werkzeug's best_match understands; the catalog folder
# is still zh_Hant_TW because Babel normalises zh_TW to that (style.md §5.1, §5.3).
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


def is_chinese() -> bool:
    return get_locale().language == "zh"


def current_language() -> str:
    return DEFAULT if is_chinese() else "en"


def html_lang() -> str:
    return "zh-Hant-TW" if is_chinese() else "en"


def format_date(value, style: str = "short") -> str:
    """ROC calendar in Chinese (114/03/05 or 民國114年3月5日), ISO 8601 in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        return str(value)
    if is_chinese():
        return format_roc_long(value) if style == "long" else format_roc_short(value)
    return value.isoformat()


def hours_text(half_hours: int) -> str:
    """Half-hours as hours with thousands separators: 3000 -> "1,500", 85 -> "42.5"."""
    return f"{half_hours // 2:,}" if half_hours % 2 == 0 else f"{half_hours // 2:,}.5"


def format_datetime(value: datetime | None) -> str:
    """A stored naive-UTC timestamp shown in Taipei time."""
    if value is None:
        return ""
    local = value.replace(tzinfo=timezone.utc).astimezone(TAIPEI)
    return f"{format_date(local.date())} {local:%H:%M}"


def localized(entry, attr: str = "name") -> str:
    """The English variant of a bilingual name when the UI is English and it exists."""
    if entry is None:
        return ""
    if not is_chinese():
        english = getattr(entry, f"{attr}_en", "") or ""
        if english:
            return english
    return getattr(entry, attr, "") or ""
