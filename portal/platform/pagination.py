"""Pagination of every list of the portal, with the parts the templates use (templates/_macros/ui.html
pagination): items, number, pages (None when unknown), has_prev/has_next, and the URL arguments of the
previous, next and first pages.

Two paginators, neither of which counts a whole table (a COUNT(*) over millions of rows is the slowest part
of a page at national size):
- `keyset` pages long lists by an explicit order of columns ending with a unique tie-breaker: the next page
  is the rows *after* the last row's key (an index range scan, as fast on page 1,000 as on page 1), carried
  in an opaque signed cursor. Its count is exact when the caller knows it (from the hour summaries) and
  otherwise bounded: "1,000+".
- `paginate` pages short lists by offset, with the same bounded count.
`has_next` always comes from fetching one row more than the page shows, never from the count."""
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from math import ceil

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, and_, bindparam, func, or_, select, tuple_
from sqlalchemy.sql.elements import ColumnElement

from .extensions import db
from .params import MAX_CURSOR, MAX_PAGE

COUNT_CAP = 1000
CURSOR_ARG = "cursor"
PAGE_ARG = "page"


def bounded_count(query: Select, cap: int | None = COUNT_CAP) -> tuple[int, bool]:
    """(rows, more): the number of rows of `query` up to `cap`, and whether there are more than `cap`.

    The LIMIT sits inside the sub-query, so the database stops after cap + 1 rows; cap None counts all
    (for lists known to be short)."""
    inner = query.order_by(None)
    if cap is not None:
        inner = inner.limit(cap + 1)
    rows = db.session.scalar(select(func.count()).select_from(inner.subquery())) or 0
    if cap is not None and rows > cap:
        return cap, True
    return rows, False


class _Counted:
    """The count shown with a list: `total` (a lower bound when `more`), `total_text` ("1,000+")."""
    total: int
    more: bool

    @property
    def total_text(self) -> str:
        if self.total is None:
            return ""
        return f"{self.total:,}+" if self.more else f"{self.total:,}"


@dataclass
class Page(_Counted):
    """A page counted by offset (`paginate`)."""
    items: list
    page: int
    per_page: int
    total: int
    more: bool = False
    has_next: bool = False

    offers_first = False  # page numbers: "Previous" walks back; a keyset list also links its first page

    @property
    def number(self) -> int:
        return self.page

    @property
    def pages(self) -> int | None:
        if self.more:
            return None
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def link_args(self, args: dict, which: str) -> dict:
        """The URL arguments of the 'prev', 'next' or 'first' page, from the current ones."""
        number = {"prev": self.prev_num, "next": self.next_num, "first": 1}[which]
        return {**args, PAGE_ARG: number}


def paginate(query: Select, page: int | None, per_page: int, *, rows: Callable | None = None,
             count_cap: int | None = COUNT_CAP) -> Page:
    """Page `page` (1 when missing or below 1; past the end: no items) of `query`.

    By default the items are the first column's objects, de-duplicated as joined eager loads need;
    `rows` turns the executed result of a multi-column query into items (one per row) instead."""
    page = min(max(1, page or 1), MAX_PAGE + 1)   # past MAX_PAGE: an empty page, never a huge OFFSET
    total, more = bounded_count(query, count_cap)
    result = db.session.execute(query.limit(per_page + 1).offset((page - 1) * per_page))
    items = list(rows(result)) if rows else list(result.unique().scalars())
    return Page(items[:per_page], page, per_page, total, more, has_next=len(items) > per_page)


# --- keyset ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One column of a keyset order. The column must be NOT NULL (coalesce it otherwise): NULL compares
    as unknown and would end the list early."""
    column: ColumnElement
    descending: bool = False


def asc(column) -> Key:
    return Key(column)


def desc(column) -> Key:
    return Key(column, True)


def _order_by(keys: Sequence[Key], reverse: bool) -> list:
    return [k.column.desc() if k.descending != reverse else k.column.asc() for k in keys]


def after(keys: Sequence[Key], values: Sequence, reverse: bool = False):
    """The condition 'strictly after `values` in this order' (before it when `reverse`).

    One direction throughout: a row-value comparison, (a, b) > (:a, :b), which PostgreSQL and SQLite
    both answer with one index range scan. Mixed directions: the OR expansion
    a > :a OR (a = :a AND b < :b) ..."""
    params = [bindparam(None, v, type_=k.column.type) for k, v in zip(keys, values, strict=True)]
    first = keys[0]
    # Implied by the rest, but a plain bound on the first column is what an index on that column alone
    # can start from when the columns come from several tables (the row value then is only a filter).
    bound = first.column <= params[0] if first.descending != reverse else first.column >= params[0]
    directions = {k.descending != reverse for k in keys}
    if len(directions) == 1:
        left, right = tuple_(*[k.column for k in keys]), tuple_(*params)
        return and_(bound, left < right if directions.pop() else left > right)
    terms = []
    for i, key in enumerate(keys):
        step = key.column < params[i] if key.descending != reverse else key.column > params[i]
        terms.append(and_(*[keys[j].column == params[j] for j in range(i)], step))
    return and_(bound, or_(*terms))


def _plain(value):
    if isinstance(value, datetime):
        return {"t": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value):
    if isinstance(value, dict):
        if set(value) == {"t"}:
            return datetime.fromisoformat(value["t"])
        if set(value) == {"d"}:
            return date.fromisoformat(value["d"])
        raise ValueError("unknown cursor value")
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    raise ValueError("unknown cursor value")


def _serializer(keys: Sequence[Key]) -> URLSafeSerializer:
    # The salt names the order, so a cursor of another list (other columns) is refused like a forged one.
    salt = "keyset:" + ",".join(f"{k.column}{'-' if k.descending else '+'}" for k in keys)
    return URLSafeSerializer(current_app.secret_key, salt=salt)


def encode_cursor(keys: Sequence[Key], values: Sequence, backward: bool, number: int) -> str:
    return _serializer(keys).dumps([1 if backward else 0, [_plain(v) for v in values], number])


def decode_cursor(keys: Sequence[Key], cursor: str | None) -> tuple[list, bool, int] | None:
    """(values, backward, page number) of a cursor of this order; None for none, or for a tampered,
    foreign or malformed one (the list then starts at its first page; never an error)."""
    if not cursor or len(cursor) > MAX_CURSOR:
        return None
    try:
        backward, values, number = _serializer(keys).loads(cursor)
        values = [_typed(v) for v in values]
    except (BadData, ValueError, TypeError):
        return None
    if len(values) != len(keys) or not isinstance(number, int) or number < 2:
        return None
    return values, bool(backward), number


@dataclass
class KeysetPage(_Counted):
    """A page of a keyset list. `total` is exact (the caller's) or bounded (`more`: at least that many);
    None when counting was not asked for."""
    items: list
    per_page: int
    number: int
    has_prev: bool
    has_next: bool
    prev_cursor: str | None
    next_cursor: str | None
    total: int | None = None
    more: bool = False

    offers_first = True

    @property
    def page(self) -> int:
        return self.number

    @property
    def pages(self) -> int | None:
        if self.total is None or self.more:
            return None
        return max(ceil(self.total / self.per_page), self.number if self.items else 0)

    def link_args(self, args: dict, which: str) -> dict:
        """The URL arguments of the 'prev', 'next' or 'first' page, from the current ones (the first
        page has no cursor; a previous page that is the first has none either, so its URL is the list's)."""
        rest = {k: v for k, v in args.items() if k not in (CURSOR_ARG, PAGE_ARG)}
        cursor = {"prev": self.prev_cursor, "next": self.next_cursor, "first": None}[which]
        return {**rest, CURSOR_ARG: cursor} if cursor else rest


def keyset(query: Select, keys: Sequence[Key], cursor: str | None, per_page: int, *,
           rows: Callable | None = None, total: int | None = None,
           count_cap: int | None = COUNT_CAP, count: bool = True) -> KeysetPage:
    """The page of `query` (without ORDER BY; `keys` order it, the last one unique) that `cursor`
    points at, or the first page.

    Items are the first column's objects (de-duplicated for joined eager loads), or what `rows` makes of
    the result (one item per row; the result's columns are the query's own). `total`: the exact number of
    rows when the caller knows it (no count query then); otherwise a bounded count when `count`."""
    keys = list(keys)
    position = decode_cursor(keys, cursor)
    values, backward, number = position if position else (None, False, 1)
    width = len(query.column_descriptions)  # result columns: an entity is one
    page_query = query.add_columns(*[k.column.label(f"_keyset_{i}") for i, k in enumerate(keys)])
    if values is not None:
        page_query = page_query.where(after(keys, values, reverse=backward))
    page_query = page_query.order_by(None).order_by(*_order_by(keys, backward)).limit(per_page + 1)
    frozen = db.session.execute(page_query).freeze()
    if rows:
        found = [tuple(r) for r in frozen().columns(*range(width, width + len(keys)))]
        items = list(rows(frozen().columns(*range(width))))
    else:
        # unique(): joined eager loads repeat a row per joined row; the whole row (entity and key) repeats.
        result = frozen().unique().all()
        found = [tuple(r[width:]) for r in result]
        items = [r[0] for r in result]
    more_rows = len(found) > per_page
    items, found = items[:per_page], found[:per_page]
    if backward:
        items.reverse()
        found.reverse()
        # Walking back found no row before this page's rows: this is the first page.
        if not more_rows:
            number = 1
        has_prev, has_next = more_rows, True
    else:
        has_prev, has_next = values is not None, more_rows
    prev_cursor = next_cursor = None
    if has_prev and number > 2 and found:
        prev_cursor = encode_cursor(keys, tuple(found[0]), True, number - 1)
    if has_next and found:
        next_cursor = encode_cursor(keys, tuple(found[-1]), False, number + 1)
    if total is not None:
        shown, more = total, False
    elif count:
        shown, more = bounded_count(query, count_cap)
    else:
        shown, more = None, False
    return KeysetPage(items, per_page, number, has_prev, has_next, prev_cursor, next_cursor, shown, more)
