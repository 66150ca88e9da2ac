"""The one paginator (platform.pagination): page numbers on both sides of every edge, entity and row queries."""
import pytest
from sqlalchemy import select

from portal.platform.pagination import paginate
from portal.registry.models import Unit


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
