"""The dashboards' tables: one list of plain values per table, shown on the page (beside its chart) and
written to CSV and XLSX from the same rows, so the three always carry the same numbers.

A value is an int, a float (one decimal: a percentage or half an hour), text, a bool (yes/no) or None
("n/a": a growth over no volunteers, a month not recorded). `cell_text` is how the page and the
downloads print them.
"""
import calendar
from dataclasses import dataclass, field
from decimal import Decimal

from flask_babel import gettext as _
from markupsafe import Markup

from portal.platform.charts import number_text
from portal.platform.i18n import is_chinese, month_label, year_label
from portal.records.completeness import Rate

NUMBER, PCT, TEXT = "number", "pct", "text"


@dataclass
class Table:
    name: str                   # the download's name: /stats/<name>.csv
    title: str
    header: list[str]
    kinds: list[str]            # NUMBER, PCT or TEXT per column (numbers align right)
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)   # per row: where its first cell leads
    charts: list[Markup] = field(default_factory=list)
    note: str = ""
    keys: list = field(default_factory=list)    # per row: what it is (a year, a county code, a unit id), not shown
    row_kinds: dict = field(default_factory=dict)   # row index -> its own kinds (a list of figures of mixed kinds)

    def kind(self, row: int, column: int) -> str:
        return self.row_kinds.get(row, self.kinds)[column]

    def by_key(self) -> dict:
        """key -> the row's values after its label (for readers and tests that do not go by words)."""
        return {k: row[1:] for k, row in zip(self.keys, self.rows, strict=True)}

    def link(self, index: int) -> str | None:
        return self.links[index] if index < len(self.links) else None


def pct(part: int | None, whole: int | None) -> float | None:
    """part of whole in percent to one decimal; None without a whole."""
    if not whole or part is None:
        return None
    return round(100 * part / whole, 1)


def decimal(value) -> float | None:
    """A Decimal of the KPI definitions as a plain number (None stays None)."""
    if value is None:
        return None
    return float(value) if isinstance(value, Decimal) else value


def hours(half_hours: int | None) -> int | float:
    """Half-hours as hours: whole numbers stay whole, half hours keep their .5."""
    half_hours = int(half_hours or 0)
    return half_hours // 2 if half_hours % 2 == 0 else half_hours / 2


def complete_pct(rate: Rate | None) -> float | None:
    return pct(rate.complete, rate.people) if rate else None


def insured_pct(rate: Rate | None) -> float | None:
    return pct(rate.items.get("insurance", 0), rate.people) if rate else None


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")


def cell_text(value, kind: str = TEXT) -> str:
    """A value as the page prints it (thousands grouped, one decimal, n/a)."""
    if value is None:
        return _("n/a")
    if isinstance(value, bool):
        return yes_no(value)
    if isinstance(value, (int, float)):
        return number_text(value, "%" if kind == PCT else "")
    return str(value)


def export_value(value):
    """A value as the downloads write it: numbers stay numbers, n/a and yes/no as words."""
    if value is None:
        return _("n/a")
    if isinstance(value, bool):
        return yes_no(value)
    return value


def period_label(year: int, month: int | None = None) -> str:
    return month_label(year, month, "long") if month else year_label(year)


def short_month(month: int) -> str:
    """A month on a chart's axis: 3月 / Mar."""
    return f"{month}月" if is_chinese() else calendar.month_abbr[month]
