"""Awards in the volunteer's record: the book page and its PDF, My record, the unified view's section;
revoked awards shown and marked; award-tier progress above the tiers already received."""
from datetime import date, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.awards import importing
from portal.awards.models import Award, AwardApplication, AwardRound
from portal.awards.record import award_lines, received_tiers
from portal.hours.models import HourEntry
from portal.imports.pipeline import Context, run
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.volunteers.progress import award_progress
from portal.volunteers.record_book_pdf import current_payload
from tests.conftest import login
from tests.test_awards_import import row, xlsx
from tests.test_records import issue_for, make_ready, pdf_text
from tests.test_volunteers_record import HX, count_queries

FILE = "113年其他獎項.xlsx"


def received(**tiers) -> dict:
    return {scheme: set(values) for scheme, values in tiers.items()}


# --- progress above the tiers received ---------------------------------------------------------------

@pytest.mark.parametrize("half_hours, held, words, percent", [
    (2474, {}, "1,237 of 3,000 h toward the bronze medal (銅牌): 1,763 h to go.", 41),
    (7000, {}, "enough hours for the bronze medal (銅牌); 3,500 of 5,000 h toward the silver medal (銀牌): "
               "1,500 h to go.", 70),
    (8200, {"bronze"}, "bronze medal (銅牌) received; 4,100 of 5,000 h toward the silver medal (銀牌): 900 h to go.",
     82),
    (14000, {"bronze"}, "bronze medal (銅牌) received; enough hours for the silver medal (銀牌); 7,000 of 8,000 h "
                        "toward the gold medal (金牌): 1,000 h to go.", 87),
    (40000, {"bronze", "silver"}, "silver medal (銀牌) received; enough hours for the gold medal (金牌).", 100),
    (40000, {"gold"}, "gold medal (金牌) received; every tier of this award received.", 100),
    (40000, {}, "enough hours for the gold medal (金牌).", 100),
])
def test_general_award_progress_counts_the_tiers_received(app, half_hours, held, words, percent):
    with force_locale("en"):
        general = award_progress(half_hours, {}, received(general=held))[0]
        assert (general.scheme, general.words, general.percent) == ("general", words, percent)


def test_health_and_welfare_progress_uses_its_own_fields_and_tiers(app):
    with force_locale("en"):
        progress = award_progress(9000, {"social": 3100, "education": 5900}, received(health_welfare={"bronze"}))
        hw = progress[1]
        assert hw.scheme == "health_welfare" and hw.half_hours == 3100
        assert hw.words == ("bronze badge (銅質徽章) received; 1,550 of 2,000 h toward the silver badge (銀質徽章): "
                            "450 h to go.")
        assert progress[0].words.startswith("4,500 of 5,000 h") is False   # general ignores H&W receipts
        assert "enough hours for the bronze medal" in progress[0].words


# --- awards in the record ------------------------------------------------------------------------------

def with_awards(world, client):
    """Person a with a record book, hours, a general bronze medal from an application, two imported awards
    (one revoked) and an open health-and-welfare application."""
    person = make_ready(world.people["a"])
    book = issue_for(world, client, person)
    db.session.add(HourEntry(person_id=person.id, unit_id=world.units["A"].id, start_on=date(2015, 1, 1),
                             end_on=date(2024, 12, 31), half_hours=8200, field_code="social", content="長期服務"))
    db.session.add(Award(person_id=person.id, scheme="general", tier="bronze", year=2023, awarded_on=date(2023, 12, 5),
                         half_hours=6100, issuer="衛生福利部", source="application"))
    round_ = AwardRound(scheme="health_welfare", year=today_taipei().year, cutoff_on=date(2024, 12, 31),
                        unit_deadline=date(2099, 2, 28), review_deadline=date(2099, 3, 31),
                        ministry_deadline=date(2099, 4, 30))
    db.session.add(round_)
    db.session.flush()
    db.session.add(AwardApplication(round_id=round_.id, person_id=person.id, unit_id=world.units["A"].id,
                                    tier="gold", half_hours=8200, status="forwarded"))
    db.session.commit()
    county = world.users["county_tpe"]
    with force_locale("en"):
        outcome = run(importing.KIND, xlsx([row(person), row(person, title="文化部志願服務獎", tier="", year="112",
                                                                 awarded_on="")]),
                      Context(authority=county.authority, user=county, today=today_taipei()), commit=True,
                      filename=FILE)
    assert outcome.status == "committed"
    revoked = db.session.scalar(select(Award).where(Award.title == "文化部志願服務獎"))
    revoked.status, revoked.revoked_at, revoked.revoke_reason = "revoked", datetime(2025, 1, 2), "誤植，非本人"
    db.session.commit()
    return person, book


def test_the_book_page_lists_every_award_with_its_source_and_revoked_ones_marked(world, client):
    person, book = with_awards(world, client)
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    page = client.get(f"/records/books/{book.id}").get_data(as_text=True)
    assert "No awards recorded." not in page
    assert "Volunteer service award (general): bronze medal (銅牌)" in page and "Ministry of Health and Welfare" in page   # the issuer's English name
    assert "approved application" in page
    assert "教育部志願服務績優獎 金質" in page and f"imported from {FILE} by Taipei City" in page
    assert "<s>文化部志願服務獎</s>" in page and "Reason: 誤植，非本人" in page
    # the printed record keeps the same lines (names in Chinese, the revoked one flagged)
    awards = current_payload(book)["awards"]
    assert [(a["year"], a["source"], a["revoked"]) for a in awards] == [
        (2023, "application", False), (2023, "import", True), (2024, "import", False)]
    assert [a["name"] for a in awards[1:]] == ["文化部志願服務獎", "教育部志願服務績優獎 金質"]
    assert awards[1]["revoke_reason"] == "誤植，非本人" and awards[0]["issuer"] == "衛生福利部"
    assert awards[2]["file"] == FILE and awards[2]["importer"] == world.users["county_tpe"].authority.name


def test_my_record_shows_awards_open_applications_and_progress_above_the_tier_received(world, client, make_user):
    person, _book = with_awards(world, client)
    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    page = client.get("/").get_data(as_text=True)   # the home page: progress in one line, the lists on My awards
    assert "bronze medal (銅牌) received; 4,100 of 5,000 h toward the silver medal (銀牌): 900 h to go." in page
    page = client.get("/awards/mine").get_data(as_text=True)
    assert "Awards received" in page and "教育部志願服務績優獎" in page and "文化部志願服務獎" in page and "Revoked" in page
    assert "Applications by my units" in page and "gold badge (金質徽章)" in page
    assert "Forwarded to the ministry" in page


def test_the_unified_view_section_lists_the_awards(world, client):
    person, _book = with_awards(world, client)
    login(client, world.users["clerk_a"])
    client.post("/language", data={"lang": "en"})
    fragment = client.get(f"/volunteers/{person.id}/sections/awards", headers=HX).get_data(as_text=True)
    assert "No awards recorded." not in fragment and "教育部志願服務績優獎 金質" in fragment
    assert "revoked" in fragment and "bronze medal (銅牌) received" in fragment


def test_revoked_awards_do_not_count_as_received(world, client):
    person, _book = with_awards(world, client)
    lines = award_lines(person.id)
    assert len(lines) == 3 and sum(line.revoked for line in lines) == 1
    assert received_tiers(lines) == {"general": {"bronze"}, "health_welfare": set()}
    medal = db.session.scalar(select(Award).where(Award.scheme == "general"))
    medal.status = "revoked"
    db.session.commit()
    assert received_tiers(award_lines(person.id)) == {"general": set(), "health_welfare": set()}


def test_my_record_loads_awards_in_a_fixed_number_of_queries(world, client, make_user):
    person = world.people["a"]
    this_year = today_taipei().year

    def add(year, n_awards):
        round_ = AwardRound(scheme="general", year=year, cutoff_on=date(2024, 12, 31),
                            unit_deadline=date(2099, 6, 30), review_deadline=date(2099, 7, 31),
                            ministry_deadline=date(2099, 8, 31))
        db.session.add(round_)
        db.session.flush()
        for n in range(n_awards):
            db.session.add(Award(person_id=person.id, scheme="other", title=f"績優獎{year}-{n}", year=2010 + n,
                                 source="import"))
        db.session.add(AwardApplication(round_id=round_.id, person_id=person.id, unit_id=world.units["A"].id,
                                        tier="bronze", status="submitted"))
        db.session.commit()

    login(client, world.users["volunteer"])
    client.post("/language", data={"lang": "en"})
    add(this_year, 1)
    client.get("/")
    with count_queries() as few:
        client.get("/")
    add(this_year - 1, 5)
    add(this_year - 2, 5)
    with count_queries() as many:
        client.get("/").get_data(as_text=True)
    assert many["n"] == few["n"]
    mine = client.get("/awards/mine").get_data(as_text=True)   # the lists themselves are on My awards
    assert f"績優獎{this_year - 2}-4" in mine and mine.count("Waiting for the sector authority") == 3


def test_the_printed_record_book_shows_the_awards_in_chinese(world, client):
    person, book = with_awards(world, client)
    login(client, world.users["volunteer"])
    content = client.get(f"/records/books/{book.id}/pdf").get_data()
    text = pdf_text(content)
    assert "教育部志願服務績優獎 金質" in text and "文化部志願服務獎" in text and "誤植，非本人" in text
    assert FILE in text
