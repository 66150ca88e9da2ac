"""The venue import (docs/rules/honor-cards.md#hc14): the ministry's venue survey with the card form each venue
accepts, as XLSX (a real-format fixture: title row, the survey's columns, county spellings and card-form words
as counties write them) or CSV, through the shared pipeline: every bad row reported, all or nothing, the same
venue updated, a county only its own; and the demo data's venues."""
import json
from collections import Counter
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from portal.demo.venues import VENUES, load_venues
from portal.honor_cards.models import Venue
from portal.honor_cards.venue_import import KIND, card_form_of, discount_of
from portal.imports.models import ImportBatch
from portal.imports.pipeline import Context, run
from portal.platform.audit import AuditLog
from portal.platform.exports import csv_bytes
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login
from tests.test_honor_cards import multipart

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"
SURVEY = "venues-mohw-survey.xlsx"
HEADER = ["縣市別", "風景區(場館)名稱", "地址", "優惠方式", "優惠內容", "可使用之榮譽卡形式", "網址"]


def context(user) -> Context:
    return Context(authority=user.authority, user=user, today=today_taipei())


def venues() -> dict:
    return {(v.county_code, v.name): v for v in db.session.scalars(select(Venue))}


def test_card_form_and_discount_words():
    assert [card_form_of(t) for t in ("紙本", "限紙本", "電子榮譽卡", "紙本及電子", "紙本、電子卡", "皆可", "Both", "")] == \
        ["paper", "paper", "electronic", "both", "both", "both", "both", None]
    assert [discount_of(t) for t in ("免費", "免費入園", "半價", "其他", "優待", "打八折", "")] == \
        ["free", "free", "half", "other", "other", "other", None]
    assert card_form_of("實體") is None and discount_of("看情形") is None


def test_the_survey_imports_through_the_pipeline_in_the_browserless_flow(app, world):
    expect = json.loads((FIXTURES / f"{SURVEY}.expect.json").read_text())
    ministry = world.users["ministry"]
    client = login(current_app.test_client(), ministry)
    upload = client.post("/honor-cards/venues/import",
                         **multipart({}, [("file", SURVEY, (FIXTURES / SURVEY).read_bytes())]))
    assert upload.status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert (batch.kind, batch.status, batch.error_count, batch.rows, batch.committed) == \
        ("honor_card_venues", "previewed", 0, expect["rows"], expect["venues"])
    page = client.get(f"/honor-cards/venues/import/{batch.id}").get_data(as_text=True)
    assert "/confirm" in page
    assert client.post(f"/honor-cards/venues/import/{batch.id}/confirm",
                       data={"version": batch.version}).status_code == 302
    stored = venues()
    assert len(stored) == expect["venues"]
    assert Counter(v.card_forms for v in stored.values()) == expect["card_forms"]
    assert stored[("TPE", "臺北市立動物園")].card_forms == "both"       # written 紙本及電子 / 皆可 in the file
    assert stored[("CYQ", "阿里山國家森林遊樂區")].card_forms == "paper"
    assert all(v.authority_id == ministry.authority_id and v.updated_by_id == ministry.id for v in stored.values())
    assert db.session.scalar(select(func.count(AuditLog.id)).where(
        AuditLog.action == "honor_card.venue_import_add")) == expect["venues"]
    # The public list filters by the card form a visitor holds: paper-only venues and "both" for a paper card.
    paper = current_app.test_client().get("/honor-cards/venues?card_form=paper&county=CYQ").get_data(as_text=True)
    assert "阿里山國家森林遊樂區" in paper
    electronic = current_app.test_client().get("/honor-cards/venues?card_form=electronic&county=CYQ")
    assert "阿里山國家森林遊樂區" not in electronic.get_data(as_text=True)
    # The same file again adds nothing; a later survey updates the same venue and adds new ones.
    again = run(KIND, (FIXTURES / SURVEY).read_bytes(), context(ministry))
    assert again.status == "already_imported"
    later = csv_bytes(HEADER, [["台北市", "臺北市立動物園", "臺北市文山區新光路二段30號", "免費", "憑卡免費入園", "紙本",
                                "https://www.zoo.gov.taipei/"],
                               ["臺北市", "國立臺灣科學教育館", "臺北市士林區士商路189號", "半價", "", "電子", ""]])
    outcome = run(KIND, later, context(ministry), commit=True)
    assert outcome.status == "committed" and outcome.summary == {"added": 1, "updated": 1}
    db.session.commit()
    assert venues()[("TPE", "臺北市立動物園")].card_forms == "paper"


def test_every_bad_row_is_reported_and_nothing_is_written(app, world):
    rows = [["臺北市", "好場館", "", "免費", "", "紙本", ""],                          # 2: fine
            ["火星市", "外星館", "", "免費", "", "紙本", ""],                          # 3: county
            ["臺北市", "無形式館", "", "免費", "", "", ""],                            # 4: card form missing
            ["臺北市", "怪形式館", "", "免費", "", "實體卡", ""],                       # 5: card form word
            ["臺北市", "網址館", "", "半價", "", "電子", "www.example.org"],            # 6: website
            ["臺北市", "", "", "免費", "", "紙本", ""],                                # 7: name
            ["臺北市", "看情形館", "", "看情形", "", "紙本", ""],                        # 8: discount
            ["臺北市", "好場館", "", "半價", "", "紙本", ""],                          # 9: twice, other details
            ["高雄市", "高雄館", "", "免費", "", "紙本", ""]]                          # 10: another county
    outcome = run(KIND, csv_bytes(HEADER, rows), context(world.users["county_tpe"]), commit=True)
    assert outcome.status == "rejected"
    assert [(e["row"], e["code"]) for e in outcome.errors] == [
        (3, "county"), (4, "required"), (5, "card_form"), (6, "website"), (7, "required"), (8, "discount"),
        (9, "venue_twice"), (10, "not_your_county")]
    db.session.rollback()
    assert not venues()
    # Only the ministry and counties import venues; units are refused by the route policy and by validate().
    clerk = login(current_app.test_client(), world.users["clerk_a"])
    assert clerk.get("/honor-cards/venues/import").status_code == 403
    refused = run(KIND, csv_bytes(HEADER, rows[:1]), Context(unit=world.units["A"], user=world.users["clerk_a"]))
    assert [e["code"] for e in refused.errors] == ["ministry_or_county"]


def test_a_county_imports_its_own_venues_and_its_batches_are_its_own(app, world):
    tpe, khh = world.users["county_tpe"], world.users["county_khh"]
    client = login(current_app.test_client(), tpe)
    data = csv_bytes(HEADER, [["臺北市", "臺北市立動物園", "", "免費", "", "紙本及電子", "https://www.zoo.gov.taipei/"]])
    assert client.post("/honor-cards/venues/import", **multipart({}, [("file", "北市.csv", data)])).status_code == 302
    batch = db.session.scalar(select(ImportBatch))
    assert client.get(f"/honor-cards/venues/import/{batch.id}").status_code == 200
    other = login(current_app.test_client(), khh)
    assert other.get(f"/honor-cards/venues/import/{batch.id}").status_code == 404
    assert other.post(f"/honor-cards/venues/import/{batch.id}/confirm", data={"version": batch.version}).status_code \
        == 404
    assert client.post(f"/honor-cards/venues/import/{batch.id}/confirm",
                       data={"version": batch.version}).status_code == 302
    [venue] = venues().values()
    assert (venue.county_code, venue.card_forms, venue.authority_id) == ("TPE", "both", tpe.authority_id)
    assert client.get("/honor-cards/venues/import/template.csv").status_code == 200


def test_demo_data_has_venues_of_every_card_form(app):
    assert load_venues() == len(VENUES) >= 30
    db.session.commit()
    stored = venues()
    assert len(stored) == len(VENUES) and len({county for county, _name in stored}) >= 15
    assert set(Counter(v.card_forms for v in stored.values())) == {"paper", "electronic", "both"}
    assert set(v.discount for v in stored.values()) == {"free", "half", "other"}
