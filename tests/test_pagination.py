"""The paginators (platform.pagination): page numbers on both sides of every edge, the bounded count on both
sides of its cap, keyset pages forward and back in every direction, cursors that are tampered with, the macro."""
from datetime import date, datetime

import pytest
from flask import current_app, render_template_string
from flask_babel import force_locale
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from portal.platform.extensions import db
from portal.platform.pagination import (
    Page,
    _serializer,
    after,
    asc,
    bounded_count,
    decode_cursor,
    desc,
    encode_cursor,
    keyset,
    paginate,
)
from portal.registry.models import Unit
from tests.conftest import count_queries


@pytest.fixture
def units(app, make_unit):
    return [make_unit(code=f"P{i:02d}") for i in range(5)]


def codes(page):
    return [u.code for u in page.items]


def query():
    return select(Unit).where(Unit.code.like("P%")).order_by(Unit.code)


@pytest.mark.parametrize("asked, shown, items", [
    (None, 1, ["P00", "P01"]), (0, 1, ["P00", "P01"]), (-3, 1, ["P00", "P01"]),
    (1, 1, ["P00", "P01"]), (2, 2, ["P02", "P03"]), (3, 3, ["P04"]), (4, 4, []),
])
def test_page_numbers_on_both_sides_of_the_ends(units, asked, shown, items):
    page = paginate(query(), asked, 2)
    assert (page.page, codes(page), page.total, page.pages) == (shown, items, 5, 3)


def test_previous_and_next_exist_only_inside_the_pages(units):
    first, middle, last = (paginate(query(), n, 2) for n in (1, 2, 3))
    assert (first.has_prev, first.prev_num, first.has_next, first.next_num) == (False, None, True, 2)
    assert (middle.has_prev, middle.prev_num, middle.has_next, middle.next_num) == (True, 1, True, 3)
    assert (last.has_prev, last.prev_num, last.has_next, last.next_num) == (True, 2, False, None)


@pytest.mark.parametrize("count, pages", [(0, 0), (1, 1), (4, 2), (5, 3)])
def test_pages_round_up_and_an_empty_list_has_none(app, make_unit, count, pages):
    for i in range(count):
        make_unit(code=f"P{i:02d}")
    assert paginate(query(), 1, 2).pages == pages


def test_row_queries_are_turned_into_items_by_the_caller(units):
    rows = select(Unit.code, Unit.name).where(Unit.code.like("P%")).order_by(Unit.code)
    page = paginate(rows, 2, 2, rows=lambda result: [code for code, _ in result])
    assert (page.items, page.total) == (["P02", "P03"], 5)


# --- the bounded count (no COUNT(*) over a whole table) -------------------------------------------------

@pytest.mark.parametrize("cap, shown, more", [(None, 5, False), (6, 5, False), (5, 5, False), (4, 4, True),
                                              (1, 1, True)])
def test_the_count_stops_one_row_past_its_cap(units, cap, shown, more):
    assert bounded_count(query(), cap) == (shown, more)


def test_the_count_query_limits_inside_the_subquery(units):
    with count_queries() as seen:
        bounded_count(query(), 3)
    assert len(seen) == 1 and "LIMIT" in seen[0].upper()


@pytest.mark.parametrize("cap, total, more, text, pages", [(5, 5, False, "5", 3), (4, 4, True, "4+", None)])
def test_offset_pages_show_a_capped_count_and_still_know_the_next_page(units, cap, total, more, text, pages):
    page = paginate(query(), 2, 2, count_cap=cap)
    assert (page.total, page.more, page.total_text, page.pages, page.has_next) == (total, more, text, pages, True)
    assert paginate(query(), 3, 2, count_cap=cap).has_next is False


def test_thousands_are_grouped_in_the_count_text():
    assert (Page([], 1, 25, 1000, True).total_text, Page([], 1, 25, 1234).total_text) == ("1,000+", "1,234")


# --- keyset pages ---------------------------------------------------------------------------------------

BY_CODE = [asc(Unit.code), asc(Unit.id)]


def unit_query():
    return select(Unit).where(Unit.code.like("P%"))


def walk(keys, per_page, direction="next", start=None, **kw):
    """Every page from `start`, following the next (or previous) links: a previous page without a cursor
    is the first page."""
    pages, cursor = [], start
    while True:
        page = keyset(unit_query(), keys, cursor, per_page, **kw)
        pages.append(page)
        if direction == "next" and page.has_next:
            cursor = page.next_cursor
        elif direction == "prev" and page.has_prev:
            cursor = page.prev_cursor
        else:
            return pages


@pytest.mark.parametrize("rows, per_page, has_next", [(4, 5, False), (5, 5, False), (6, 5, True)])
def test_the_next_page_exists_only_past_per_page_rows(app, make_unit, rows, per_page, has_next):
    for i in range(rows):
        make_unit(code=f"P{i:02d}")
    page = keyset(unit_query(), BY_CODE, None, per_page)
    assert (len(page.items), page.has_next, page.next_cursor is not None) == (min(rows, per_page), has_next,
                                                                                has_next)
    assert (page.number, page.has_prev, page.prev_cursor) == (1, False, None)


def test_walking_forward_visits_every_row_once_in_order(units):
    pages = walk(BY_CODE, 2)
    assert [codes(p) for p in pages] == [["P00", "P01"], ["P02", "P03"], ["P04"]]
    assert [(p.number, p.has_prev, p.has_next) for p in pages] == [(1, False, True), (2, True, True), (3, True, False)]


def test_walking_back_from_the_last_page_ends_on_the_first(units):
    last = walk(BY_CODE, 2)[-1]
    back = keyset(unit_query(), BY_CODE, last.prev_cursor, 2)
    assert (codes(back), back.number, back.has_prev, back.has_next) == (["P02", "P03"], 2, True, True)
    # Page 2's previous page is the first: its link carries no cursor at all.
    assert back.prev_cursor is None and back.link_args({"cursor": "x", "q": "a"}, "prev") == {"q": "a"}
    first = keyset(unit_query(), BY_CODE, None, 2)
    assert (codes(first), first.number) == (["P00", "P01"], 1)


def test_a_backward_page_that_reaches_the_start_is_the_first_page(app, make_unit):
    for i in range(7):
        make_unit(code=f"P{i:02d}")
    third = walk(BY_CODE, 3)[-1]          # P06, page 3
    second = keyset(unit_query(), BY_CODE, third.prev_cursor, 3)
    assert (codes(second), second.number, second.has_prev) == (["P03", "P04", "P05"], 2, True)
    cursor = encode_cursor(BY_CODE, ("P02", second.items[0].id + 100), True, 2)   # only P00..P02 lie before
    start = keyset(unit_query(), BY_CODE, cursor, 3)
    assert (codes(start), start.number, start.has_prev, start.has_next) == (["P00", "P01", "P02"], 1, False, True)


def test_descending_and_mixed_orders_page_like_a_sorted_list(app, make_unit):
    for i, name in enumerate(["b", "a", "b", "c", "a", "b"]):
        make_unit(code=f"P{i:02d}", name=name)
    everything = db.session.scalars(unit_query()).all()
    for keys, sort in [([desc(Unit.name), desc(Unit.id)], lambda u: (u.name, u.id)),
                       ([asc(Unit.name), desc(Unit.id)], lambda u: (u.name, -u.id)),
                       ([desc(Unit.name), asc(Unit.id)], lambda u: (_negated(u.name), u.id))]:
        expected = sorted(everything, key=sort, reverse=keys[0].descending and keys[1].descending)
        for per_page in (1, 2, 4, 6):
            pages = walk(keys, per_page)
            assert [u for p in pages for u in p.items] == expected, (keys, per_page)
            back = walk(keys, per_page, "prev", start=pages[-1].prev_cursor) if len(pages) > 1 else []
            assert [u for p in reversed(back) for u in p.items] == expected[:len(expected) - len(pages[-1].items)]


def _negated(text):
    return [-ord(c) for c in text]


def test_the_after_condition_is_a_row_value_for_one_direction_and_an_or_for_mixed(app):
    same = str(after([asc(Unit.code), asc(Unit.id)], ["P01", 3]))
    mixed = str(after([asc(Unit.code), desc(Unit.id)], ["P01", 3]))
    assert "(units.code, units.id) >" in same and " OR " not in same and "units.code >=" in same
    assert " OR " in mixed and "units.id <" in mixed and "units.code >=" in mixed


@pytest.mark.parametrize("cursor", ["", "garbage", "eyJ4Ijoxfq.bad.sig", None])
def test_a_missing_or_tampered_cursor_is_the_first_page(units, cursor):
    page = keyset(unit_query(), BY_CODE, cursor, 2)
    assert (codes(page), page.number) == (["P00", "P01"], 1)


def test_a_cursor_with_an_edited_payload_or_of_another_list_is_the_first_page(units):
    cursor = keyset(unit_query(), BY_CODE, None, 2).next_cursor
    payload, signature = cursor.rsplit(".", 1)
    forged = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    other = encode_cursor([asc(Unit.name), asc(Unit.id)], ("x", 1), False, 2)
    short = URLSafeSerializer(app_secret(), salt=_salt_of(BY_CODE)).dumps([0, ["P01"], 2])
    odd_type = URLSafeSerializer(app_secret(), salt=_salt_of(BY_CODE)).dumps([0, [{"x": 1}, 1], 2])
    for bad in (forged, other, short, odd_type, cursor + "x"):
        page = keyset(unit_query(), BY_CODE, bad, 2)
        assert (codes(page), page.number) == (["P00", "P01"], 1), bad
    assert codes(keyset(unit_query(), BY_CODE, cursor, 2)) == ["P02", "P03"]


def app_secret():
    return current_app.secret_key


def _salt_of(keys):
    return _serializer(keys).salt


def test_dates_and_datetimes_survive_the_cursor(app):
    keys = [desc(Unit.created_at), asc(Unit.id)] if hasattr(Unit, "created_at") else [asc(Unit.code)]
    values = (datetime(2026, 1, 2, 3, 4, 5), 7) if len(keys) == 2 else ("x",)
    assert decode_cursor(keys, encode_cursor(keys, values, False, 3)) == (list(values), False, 3)
    day = [asc(Unit.code), asc(Unit.id)]
    assert decode_cursor(day, encode_cursor(day, (date(2026, 2, 28), 1), True, 2)) == ([date(2026, 2, 28), 1], True, 2)


def test_an_exact_total_from_the_caller_runs_no_count(units):
    with count_queries() as seen:
        page = keyset(unit_query(), BY_CODE, None, 2, total=5)
    assert len(seen) == 1 and (page.total, page.more, page.pages, page.total_text) == (5, False, 3, "5")


@pytest.mark.parametrize("cap, total, more, pages", [(5, 5, False, 3), (4, 4, True, None)])
def test_a_keyset_list_counts_up_to_its_cap(units, cap, total, more, pages):
    page = keyset(unit_query(), BY_CODE, None, 2, count_cap=cap)
    assert (page.total, page.more, page.pages) == (total, more, pages)
    assert keyset(unit_query(), BY_CODE, None, 2, count=False).total is None


def test_keyset_rows_are_turned_into_items_by_the_caller(units):
    rows = select(Unit.code, Unit.name).where(Unit.code.like("P%"))
    first = keyset(rows, BY_CODE, None, 2, rows=lambda result: [code for code, _ in result])
    second = keyset(rows, BY_CODE, first.next_cursor, 2, rows=lambda result: [code for code, _ in result])
    assert (first.items, second.items) == (["P00", "P01"], ["P02", "P03"])


def test_the_macro_links_next_previous_and_first_with_the_filters_kept(units, app):
    pages = walk(BY_CODE, 2)
    with app.test_request_context("/volunteers/?q=x&cursor=old"), force_locale("en"):
        html = render_template_string(
            '{% from "_macros/ui.html" import pagination %}{{ pagination(p, "volunteers.index", "#r") }}', p=pages[2])
        first = render_template_string(
            '{% from "_macros/ui.html" import pagination %}{{ pagination(p, "volunteers.index", "#r") }}', p=pages[0])
    assert 'aria-label="Pages"' in html and 'rel="prev"' in html and 'rel="next"' not in html
    assert "Page 3" in html and "First page" in html and 'href="/volunteers/?q=x"' in html
    assert 'rel="next"' in first and "cursor=" in first and 'rel="prev"' not in first and "First page" not in first
    single = keyset(unit_query(), BY_CODE, None, 10)
    with app.test_request_context("/volunteers/"), force_locale("en"):
        assert "nav" not in render_template_string(
            '{% from "_macros/ui.html" import pagination %}{{ pagination(p, "volunteers.index", "#r") }}', p=single)


def test_the_macro_speaks_chinese(units, app):
    pages = walk(BY_CODE, 2)
    with app.test_request_context("/volunteers/"), force_locale("zh_TW"):
        html = render_template_string(
            '{% from "_macros/ui.html" import pagination %}{{ pagination(p, "volunteers.index", "#r") }}', p=pages[2])
    assert "上一頁" in html and "第一頁" in html and "第 3 頁，共 3 頁" in html and 'aria-label="分頁"' in html
    unknown = keyset(unit_query(), BY_CODE, pages[1].next_cursor, 2, count=False)
    with app.test_request_context("/volunteers/"), force_locale("zh_TW"):
        html = render_template_string(
            '{% from "_macros/ui.html" import pagination %}{{ pagination(p, "volunteers.index", "#r") }}', p=unknown)
    assert "第 3 頁<" in html
