"""Values parsed, never trusted (docs/rules/platform.md#pl12): the converters on both sides of each bound,
the character rule of names, codes and numbers in forms and imports, and a stale edit that keeps the input."""
import re
from datetime import date
from html import unescape
from types import SimpleNamespace

import pytest

from portal.hours.spreadsheets import mohw_row
from portal.imports import registry
from portal.imports.pipeline import Context, run
from portal.platform.extensions import db
from portal.platform.params import (
    MAX_ID,
    MAX_PAGE,
    BadValue,
    ids_in,
    one_line,
    to_bool,
    to_choice,
    to_cursor,
    to_date,
    to_id,
    to_int,
    to_number,
    to_page,
    to_search,
    unsafe_character,
)
from portal.platform.timeutil import today_taipei
from tests.conftest import login


def refused(convert, *args) -> bool:
    try:
        convert(*args)
    except BadValue as exc:
        assert str(exc.message)     # every refusal says why
        return True
    return False


def test_ids_from_one_to_the_largest_postgresql_integer():
    assert to_id("1") == 1 and to_id(str(MAX_ID)) == MAX_ID == 2**31 - 1
    assert to_id(" １２ ") == 12    # full-width digits as typed on a Chinese keyboard
    assert to_id("") is None and to_id("  ") is None and to_id(None) is None
    for bad in ("0", str(MAX_ID + 1), "99999999999999999999", "-1", "+1", "1_000", "1e3", "0x10", "1.0", "NaN",
                "\ufeff12", "1\x00", "x" * 5000, "١٢"):
        assert refused(to_id, bad), bad
    assert ids_in(["3", "x", "3", "99999999999999999999", "0", "²", "4"]) == [3, 2, 4]


def test_page_numbers_and_bounded_numbers():
    assert to_page("") == 1 and to_page("1") == 1 and to_page(str(MAX_PAGE)) == MAX_PAGE
    assert refused(to_page, "0") and refused(to_page, str(MAX_PAGE + 1)) and refused(to_page, "-1")
    assert to_int("-5", -5, 5) == -5 and refused(to_int, "-6", -5, 5) and refused(to_int, "-1", 0, 5)
    assert to_number("2.5", 0, 24) == 2.5 and to_number("24", 0, 24) == 24
    for bad in ("24.5", "NaN", "Infinity", "-inf", "1e309", "1e1", "0x1", "2,5"):
        assert refused(to_number, bad, 0, 24), bad


def test_dates_from_1900_to_2199_and_no_roc_year_0():
    assert to_date("1900-01-01") == date(1900, 1, 1) and to_date("2199-12-31") == date(2199, 12, 31)
    assert to_date("001/01/01") == date(1912, 1, 1) and to_date("１１４／０３／０５") == date(2025, 3, 5)
    for bad in ("1899-12-31", "2200-01-01", "9999-12-31", "0000-00-00", "000/01/01", "0000101", "114/02/30",
                "2025-13-01", "x" * 5000):
        assert refused(to_date, bad), bad
    assert to_date(" ") is None


def test_choices_yes_no_and_cursors():
    assert to_choice("open", ("open", "closed")) == "open" and refused(to_choice, "Open", ("open",))
    assert to_bool("YES") is True and to_bool("0") is False and to_bool("") is None and refused(to_bool, "2")
    assert to_search(" 王\x00小明\u200b ") == "王小明" and len(to_search("x" * 5000)) == 60
    assert to_cursor("abc.DEF-1_2") == "abc.DEF-1_2"
    assert to_cursor("a b") is None and to_cursor("<x>") is None and to_cursor("x" * 1001) is None


def test_names_codes_and_numbers_are_one_line_of_visible_characters():
    for fine in ("王小明", "王　小明", "LIN, MEI-LING", "𠀋𠀌", "\ue000", "O'Neil", "😀"):
        assert unsafe_character(fine) is None, fine
    for bad, found in (("王\n小明", "\n"), ("a\r\nb", "\r"), ("a\u2028b", "\u2028"), ("a\tb", "\t"),
                       ("\u202e明小王", "\u202e"), ("王\u200b小明", "\u200b"), ("\ufeffA1", "\ufeff"),
                       ("a\x00", "\x00"), ("a\u2066b", "\u2066"), ("a\ud800", "\ud800")):
        assert unsafe_character(bad) == found, bad
    assert one_line("甲\r\n乙\u200b丙\u202e") == "甲 乙丙" and one_line("A1") == "A1"


def test_the_ministry_export_gets_one_line_even_from_old_values():
    entry = SimpleNamespace(person=SimpleNamespace(name="王\n小明", masked_id="A1234*****"), start_on=date(2025, 3, 5),
                            end_on=date(2025, 3, 5), item_code="", content_code="", half_hours=5, persons_served=1,
                            transport_fee=0, meal_fee=0, area_code="", remarks="第一行\r\n第二行", id=7,
                            served_abroad=0, served_domestic=0)
    row = mohw_row(entry, full_id=False)
    assert row[0] == "王 小明" and row[12] == "第一行 第二行"
    assert not any("\n" in str(cell) or "\r" in str(cell) for cell in row)


# --- through the web -------------------------------------------------------------------------------------

PERSON = {"name_latin": "LIN, MEI-LING", "id_kind": "taiwan", "sex": "F", "birth_date": "76/04/05",
          "phone": "0912-345-678", "email": "mei@example.org", "address": "臺北市萬華區"}

def test_bad_values_in_the_address_bar_answer_a_message_never_a_500(world, client):
    login(client, world.users["clerk_a"])
    assert client.get("/volunteers/?unit=%20&status=%E3%80%80").status_code == 200   # only spaces: no filter
    page = client.get("/documents/candidates?page=99999999999999999999")
    assert page.status_code == 400 and "10,000" in page.get_data(as_text=True)
    assert client.get("/documents/candidates?page=2").status_code == 200
    assert client.get(f"/hours/people/{MAX_ID}").status_code == 404          # reaches the view: not found
    assert client.get(f"/hours/people/{MAX_ID + 1}").status_code == 404      # never reaches it
    login(client, world.users["county_tpe"])
    assert client.get("/records/completeness?unit=99999999999999999999").status_code == 200


def test_a_name_with_a_line_break_or_an_invisible_character_is_refused_with_a_message(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    form = PERSON | {"id_number": person.id_number, "version": person.version}
    for name, message in (("甲\n志工", "Line breaks are not allowed"), ("甲\u202e志工", "U+202E"),
                          ("甲\u200b志工", "U+200B")):
        response = client.post(f"/volunteers/{person.id}/edit", data=form | {"name": name},
                               headers={"Accept-Language": "en"})
        assert response.status_code == 422 and message in response.get_data(as_text=True), name
    assert client.post(f"/volunteers/{person.id}/edit", data=form | {"name": "甲　志工"}).status_code == 302
    db.session.expire_all()
    assert person.name == "甲　志工"


def test_an_import_row_whose_name_has_a_line_break_is_reported_and_nothing_is_written(app, make_unit):
    unit = make_unit("TPE", "social", "private", code="TPE-NL", name="臺北換行協會")
    rows = ("姓名,身分證字號,性別,出生日期,英文姓名,手機,電子郵件,服務類別,加入日期\r\n"
            "沈欣翰,E299235941,女,76/04/05,,,,社會福利,108/03/01\r\n"
            "\"朱承\n翰\",V102976319,男,71/05/14,,,,社會福利,108/03/01\r\n"
            "王\u202e小明,A123456789,男,71/05/14,,,,社會福利,108/03/01\r\n")
    outcome = run(registry.get("volunteers"), rows.encode("utf-8"),
                  Context(unit=unit, today=today_taipei(), max_rows=None), commit=True)
    assert outcome.status != "committed"
    db.session.rollback()
    assert sorted((e["row"], e["code"]) for e in outcome.errors) == [(3, "characters"), (4, "characters")]


def test_a_stale_edit_comes_back_with_the_input_kept_and_the_stored_change_shown(world, client):
    person = world.people["a"]
    login(client, world.users["clerk_a"])
    stale = person.version
    form = PERSON | {"id_number": person.id_number, "version": stale}
    assert client.post(f"/volunteers/{person.id}/edit", data=form | {"name": "第一位"}).status_code == 302
    second = client.post(f"/volunteers/{person.id}/edit", data=form | {"name": "第二位", "phone": "0912345678"},
                         headers={"Accept-Language": "en"})
    body = unescape(second.get_data(as_text=True))
    assert second.status_code == 409
    assert 'value="第二位"' in body and 'value="0912345678"' in body          # what the loser typed
    assert "Stored now:" in body and "第一位" in body                           # what the winner saved
    db.session.expire_all()
    assert person.name == "第一位"
    version = re.search(r'name="version"[^>]*value="(\d+)"|value="(\d+)"[^>]*name="version"', body)
    assert int(version[1] or version[2]) == person.version                     # saving again is accepted
    again = client.post(f"/volunteers/{person.id}/edit", data=form | {"name": "第二位", "version": person.version})
    assert again.status_code == 302
    db.session.expire_all()
    assert person.name == "第二位"


@pytest.mark.parametrize("path", ["/hours/", "/training/", "/volunteers/", "/honor-cards/review"])
def test_filters_of_only_spaces_are_no_filter(world, client, path):
    login(client, world.users["clerk_a"] if path != "/honor-cards/review" else world.users["county_tpe"])
    assert client.get(f"{path}?unit=%20%20&field=%E3%80%80").status_code == 200
