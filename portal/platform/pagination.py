"""One paginator for every list of the portal: a page of a SELECT with the parts the templates use
(items, page, pages, total, has_prev/has_next, prev_num/next_num; templates/_macros/ui.html page_links).

Pages are counted by offset. When a list grows to national size, the keyset variant belongs here,
behind the same Page, so that no view or template changes."""
from collections.abc import Callable
from dataclasses import dataclass
from math import ceil

from sqlalchemy import Select, func, select

from .extensions import db


@dataclass
class Page:
    items: list
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None


def paginate(query: Select, page: int | None, per_page: int, *, rows: Callable | None = None) -> Page:
    """Page `page` (1 when missing or below 1; past the end: no items) of `query`.

    By default the items are the first column's objects, de-duplicated as joined eager loads need;
    `rows` turns the executed result of a multi-column query into items instead."""
    page = max(1, page or 1)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    items = list(rows(result)) if rows else list(result.unique().scalars())
    return Page(items, page, per_page, total)
