"""Legacy honor-card numbers as the counties write them (docs/rules/honor-cards.md#hc13): accepted on import and in
the card search, kept as given, compared through their key (full-width folded, spaces and 第/號 dropped, leading
zeros dropped); duplicates are found on the key, in the file and against the cards already in the portal."""
import pytest
from sqlalchemy import select

from portal.honor_cards.importing import KIND
from portal.honor_cards.models import HonorCard
from portal.honor_cards.numbers import accepted, number_key
from portal.imports.pipeline import Context, run
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login

HEADER = ["姓名", "身分證字號", "卡號", "狀態", "審核日期", "有效起日", "有效迄日"]


@pytest.mark.parametrize(("given", "key"), [
    ("北市榮字第00123號", "北市榮字123"),
    ("北市榮字第００１２３號", "北市榮字123"),          # full-width digits
    (" 北市榮字 第 00123 號 ", "北市榮字123"),         # spaces
    ("北市榮字00123", "北市榮字123"),                  # without 第 and 號
    ("高市榮字第123號", "高市榮字123"),
    ("台北市榮字第5號", "臺北市榮字5"),
    ("HC-TPE-113-000123", "HC-TPE-113-123"),          # the portal's own form
    ("ｔｐｅ-old-0001", "TPE-OLD-1"),
])
def test_county_forms_are_accepted_and_keyed(given, key):
    assert accepted(given) and number_key(given) == key


@pytest.mark.parametrize("refused", ["第123號", "榮字第", "北市榮字第00123號!", "A", "北" * 20 + "123456789012",
                                     "北市榮字第00123號<b>", ""])
def test_other_forms_are_refused(refused):
    assert not accepted(refused)


def context(world):
    user = world.users["county_tpe"]
    return Context(authority=user.authority, user=user, today=today_taipei())


def rows(world, *cards) -> bytes:
    """(person key, number) per row; everything else the same valid card data."""
    return csv_bytes(HEADER, [[world.people[p].name, world.people[p].id_number, number, "初次", "1120301", "", ""]
                              for p, number in cards])


def test_legacy_numbers_import_kept_as_given_and_found_however_written(app, world, client):
    outcome = run(KIND, rows(world, ("a", "北市榮字第00123號"), ("shared", "北市榮字 第 １２４ 號")), context(world),
                  commit=True)
    assert outcome.status == "committed", outcome.errors
    db.session.commit()
    cards = {c.number: c.number_key for c in db.session.scalars(select(HonorCard))}
    assert cards == {"北市榮字第00123號": "北市榮字123", "北市榮字 第 １２４ 號": "北市榮字124"}
    login(client, world.users["county_tpe"])
    for query in ("北市榮字123", "北市榮字第００１２３號", "北市榮字 00123"):
        page = client.get("/honor-cards/cards", query_string={"q": query}).get_data(as_text=True)
        assert "北市榮字第00123號" in page and "北市榮字 第 １２４ 號" not in page


def test_duplicates_are_found_on_the_key(app, world):
    ctx = context(world)
    assert run(KIND, rows(world, ("a", "北市榮字第00123號")), ctx, commit=True).status == "committed"
    db.session.commit()
    # Another volunteer with the same number written otherwise: refused, nothing of the file written.
    taken = run(KIND, rows(world, ("shared", "北市榮字第200號"), ("shared", "北市榮字 123")), ctx, commit=True)
    assert taken.status == "rejected" and [e["code"] for e in taken.errors] == ["number_taken"]
    assert [e["row"] for e in taken.errors] == [3]
    # Twice in one file for different volunteers: the second row is reported.
    twice = run(KIND, rows(world, ("shared", "北市榮字第00300號"), ("b", "北市榮字300")), ctx)
    assert [e["code"] for e in twice.errors] == ["number_twice"]
    # The same card again, however written, is a duplicate, not an error.
    again = run(KIND, rows(world, ("a", "北市榮字00123")), ctx, commit=True)
    assert not again.errors and again.duplicates == 1
    # A bad number is reported with its row and column; nothing is written.
    bad = run(KIND, rows(world, ("shared", "第123號"), ("b", "北市榮字第9號")), ctx, commit=True)
    assert bad.status == "rejected" and [(e["row"], e["code"]) for e in bad.errors] == [(2, "card_number")]
    db.session.rollback()
    assert db.session.scalar(select(HonorCard.number).where(HonorCard.number != "北市榮字第00123號")) is None
