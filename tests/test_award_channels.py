"""Award-channel statistics (issue 12 part 3): applying bodies, counting applications, classes, scope, the page,
its downloads, and the seed-shaped 2024 round (36.1 % / 63.9 %, 12 / 26 / 3)."""
import csv
import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.auth.operations import create_user
from portal.awards.channels import (
    SUMMARY_KEYS,
    BodyClass,
    body_class,
    body_rows,
    channel_unit_scope,
    round_summary,
    share,
)
from portal.awards.models import Award, AwardApplication, AwardRound, Scheme
from portal.demo.round_2024 import load_round_2024
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.registry.operations import authority_for
from tests.conftest import PASSWORD, login
from tests.test_accessibility import violations
from tests.test_records_browser import sign_in


def make_round(year=2024, scheme=Scheme.HEALTH_WELFARE) -> AwardRound:
    award_round = AwardRound(scheme=scheme, year=year, cutoff_on=date(year, 1, 31), unit_deadline=date(year, 2, 28),
                             review_deadline=date(year, 3, 31), ministry_deadline=date(year, 4, 30))
    db.session.add(award_round)
    db.session.commit()
    return award_round


def add(award_round, person, unit, channel="online", status="approved") -> AwardApplication:
    application = AwardApplication(round_id=award_round.id, person_id=person.id, unit_id=unit.id, tier="bronze",
                                   half_hours=3000, channel=channel, status=status)
    db.session.add(application)
    db.session.commit()
    return application


# --- the rules --------------------------------------------------------------------------------------------

def test_class_edges():
    assert body_class(5, 0) == BodyClass.FULLY_ONLINE          # no paper: fully online
    assert body_class(1, 1) == BodyClass.PARTLY_ONLINE         # one of each: partly
    assert body_class(0, 1) == BodyClass.PAPER_ONLY            # no online: paper only
    assert body_class(1, 0) == BodyClass.FULLY_ONLINE
    assert body_class(0, 0) is None                            # nothing counts: not an applying body


def test_share_rounds_half_up_to_one_decimal():
    assert share(1935, 5360) == 36.1 and share(3425, 5360) == 63.9
    assert share(1, 8) == 12.5
    assert share(1, 16) == 6.3       # 6.25 -> 6.3 (half up), where round-half-even would give 6.2
    assert share(3, 16) == 18.8      # 18.75 -> 18.8
    assert share(0, 0) is None


# --- the statistics ---------------------------------------------------------------------------------------

@pytest.fixture
def channels(world, make_unit, make_person):
    """Round 2024: TPE social body (units A and a second social unit), KHH social body (unit C), the TPE
    education body (unit B); a TPE health unit without applications."""
    w = world
    w.units["A2"] = make_unit("TPE", "social", "public", code="TPE-A2", name="臺北甲二據點")
    w.units["H"] = make_unit("TPE", "health", "public", code="TPE-H", name="臺北衛生志工隊")
    award_round = make_round()
    people = make_person.many([{"units": [w.units["A"]], "name": f"甲{n}"} for n in range(4)])
    add(award_round, people[0], w.units["A"], "online")
    add(award_round, people[1], w.units["A"], "paper", "forwarded")
    add(award_round, people[2], w.units["A2"], "online", "submitted")
    add(award_round, people[3], w.units["A"], "paper", "withdrawn")       # does not count
    add(award_round, w.people["canary"], w.units["C"], "paper")
    add(award_round, w.people["b"], w.units["B"], "online", "returned")   # does not count
    w.round = award_round
    return w


def test_rows_per_body_and_totals(channels):
    w = channels
    rows = body_rows(w.round.id)
    tpe_social = authority_for("sector_local", "TPE", "social")
    khh_social = authority_for("sector_local", "KHH", "social")
    # Only bodies with a counting application: TPE education (returned only) and TPE health (none) are not there.
    assert [(r.body_id, r.online, r.paper) for r in rows] == [(tpe_social.id, 2, 1), (khh_social.id, 0, 1)]
    assert rows[0].body_class == BodyClass.PARTLY_ONLINE and rows[1].body_class == BodyClass.PAPER_ONLY
    assert rows[0].online_pct == 66.7 and rows[0].paper_pct == 33.3
    summary = round_summary(w.round.id)
    assert tuple(summary) == SUMMARY_KEYS
    assert summary == {"round": w.round.id, "bodies": 2, "eligible": 4, "online": 2, "paper": 2, "online_pct": 50.0,
                       "paper_pct": 50.0, "fully_online": 0, "partly_online": 1, "paper_only": 1}


def test_a_round_without_applications(channels):
    other = make_round(2023)
    assert body_rows(other.id) == []
    assert round_summary(other.id) == {"round": other.id, "bodies": 0, "eligible": 0, "online": 0, "paper": 0,
                                       "online_pct": None, "paper_pct": None, "fully_online": 0,
                                       "partly_online": 0, "paper_only": 0}


def test_withdrawn_and_returned_do_not_count_but_a_new_application_does(channels):
    w = channels
    # The returned volunteer of unit B applies again: the body now counts, fully online.
    add(w.round, w.people["b"], w.units["B"], "online", "submitted")
    education = authority_for("sector_local", "TPE", "education")
    row = next(r for r in body_rows(w.round.id) if r.body_id == education.id)
    assert (row.online, row.paper, row.body_class) == (1, 0, BodyClass.FULLY_ONLINE)


def test_a_volunteer_counts_once_through_the_latest_application(channels):
    w = channels
    # The canary's paper bronze was approved; later their unit applied online for silver in the same round.
    add(w.round, w.people["canary"], w.units["C"], "online", "submitted")
    summary = round_summary(w.round.id)
    assert (summary["eligible"], summary["online"], summary["paper"]) == (4, 3, 1)
    khh = next(r for r in body_rows(w.round.id) if r.name.startswith("高雄"))
    assert khh.body_class == BodyClass.FULLY_ONLINE


def test_other_rounds_do_not_mix_in(channels):
    w = channels
    other = make_round(2025)
    add(other, w.people["a"], w.units["A"], "paper")
    assert round_summary(w.round.id)["eligible"] == 4
    assert round_summary(other.id)["eligible"] == 1


def test_scope(channels):
    w, u = channels, channels.users
    rid = w.round.id
    assert round_summary(rid, channel_unit_scope(u["ministry"]))["eligible"] == 4
    # The TPE social sector authority sees its own body; the county of Taipei its county's bodies.
    mine = round_summary(rid, channel_unit_scope(u["sector_local"]))
    assert (mine["bodies"], mine["online"], mine["paper"]) == (1, 2, 1)
    assert round_summary(rid, channel_unit_scope(u["county_tpe"]))["eligible"] == 3
    assert round_summary(rid, channel_unit_scope(u["county_khh"]))["eligible"] == 1
    # The central education authority has no application that counts; units and volunteers see nothing.
    assert round_summary(rid, channel_unit_scope(u["sector_central"]))["bodies"] == 0
    for name in ("clerk_a", "volunteer", "admin"):
        assert round_summary(rid, channel_unit_scope(u[name]))["eligible"] == 0


# --- the page and its downloads ---------------------------------------------------------------------------

def test_page_shows_the_scope_s_table_totals_and_chart(app, channels):
    w = channels
    client = login(app.test_client(), w.users["ministry"])
    page = client.get(f"/awards/rounds/{w.round.id}/channels").get_data(as_text=True)
    assert "臺北市社會福利主管機關" in page and "高雄市社會福利主管機關" in page
    assert "50.0" in page and 'role="img"' in page and "<svg" in page
    assert "教育" not in page.split("<tbody>")[1].split("</tbody>")[0]     # no counting application
    # The sector authority of Taipei's social units sees its own body only; the other county's body is not there.
    client = login(app.test_client(), w.users["sector_local"])
    page = client.get(f"/awards/rounds/{w.round.id}/channels").get_data(as_text=True)
    assert "臺北市社會福利主管機關" in page and "高雄市" not in page
    assert "66.7" in page and "33.3" in page
    # Units and volunteers may not open it at all.
    for name in ("clerk_a", "volunteer", "admin"):
        assert login(app.test_client(), w.users[name]).get(
            f"/awards/rounds/{w.round.id}/channels").status_code == 403
    assert login(app.test_client(), w.users["ministry"]).get("/awards/rounds/987654/channels").status_code == 404


def test_english_page(app, channels):
    w = channels
    w.users["ministry"].locale = "en"
    db.session.commit()
    page = login(app.test_client(), w.users["ministry"]).get(
        f"/awards/rounds/{w.round.id}/channels").get_data(as_text=True)
    assert "Online and paper applications" in page and "Taipei City Social welfare Authority" in page
    assert "Paper only" in page and "Partly online" in page


def test_csv_and_xlsx_downloads_are_audited(app, channels):
    w = channels
    client = login(app.test_client(), w.users["ministry"])
    response = client.get(f"/awards/rounds/{w.round.id}/channels.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert lines[0][:3] == ["申請單位", "符合獎勵規定人數", "線上申請"]
    assert lines[1][:7] == ["臺北市社會福利主管機關", "3", "2", "66.7", "1", "33.3", "部分線上化"]
    assert lines[-1][:6] == ["合計", "4", "2", "50.0", "2", "50.0"]
    response = client.get(f"/awards/rounds/{w.round.id}/channels.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.get_data()))
    table = list(book.worksheets[0].iter_rows(values_only=True))
    assert table[-1][:6] == ("合計", 4, 2, "50.0", 2, "50.0")
    exports = db.session.scalars(select(AuditLog).where(AuditLog.action == "award.channels_export")).all()
    assert len(exports) == 2 and all(e.object_id == w.round.id for e in exports)


def test_latest_round_redirect(app, channels):
    w = channels
    client = login(app.test_client(), w.users["county_tpe"])
    response = client.get("/awards/channels")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/rounds/{w.round.id}/channels")
    other = make_round(2025)
    assert client.get("/awards/channels").headers["Location"].endswith(f"/rounds/{other.id}/channels")
    assert client.get(f"/awards/channels?round={w.round.id}").headers["Location"].endswith(
        f"/rounds/{w.round.id}/channels")


# --- the seed-shaped 2024 round (demo-data --seed-round-2024) ---------------------------------------------

MINUTES_FULLY_ONLINE = ["雲林縣政府社會處", "嘉義縣政府社會局"] + [f"{c}衛生局" for c in (
    "臺北市政府", "高雄市政府", "新竹縣", "彰化縣", "雲林縣", "嘉義縣", "屏東縣", "花蓮縣", "基隆市", "嘉義市")]
MINUTES_PAPER_ONLY = ["臺北市政府社會局", "宜蘭縣政府社會處", "新竹市衛生局"]
SEED_SUMMARY = {"bodies": 41, "eligible": 5360, "online": 3425, "paper": 1935, "online_pct": 63.9, "paper_pct": 36.1,
                "fully_online": 12, "partly_online": 26, "paper_only": 3}


def test_the_seed_shaped_round_everywhere(app, runner, make_unit, make_user):
    # A demo unit already under Taipei's social authority: the load reuses (and names) that authority.
    earlier = make_unit("TPE", "social", code="TPE-SW-01")
    ministry = make_user("ministry", "ministry", authority_id=authority_for("ministry", None, None).id)
    result = runner.invoke(args=["demo-data", "--seed-round-2024"])
    assert result.exit_code == 0, result.output
    round_id = db.session.scalar(select(AwardRound.id).where(AwardRound.year == 2024))
    assert round_summary(round_id) == {"round": round_id, **SEED_SUMMARY}
    assert earlier.sector_authority.name == "臺北市政府社會局"
    classes = {r.name: r.body_class for r in body_rows(round_id)}
    assert [classes[n] for n in MINUTES_FULLY_ONLINE] == [BodyClass.FULLY_ONLINE] * 12
    assert [classes[n] for n in MINUTES_PAPER_ONLY] == [BodyClass.PAPER_ONLY] * 3
    # 24 returned and 11 withdrawn applications exist and do not count; every counting one has its award.
    statuses = dict(db.session.execute(select(AwardApplication.status, func.count()).where(
        AwardApplication.round_id == round_id).group_by(AwardApplication.status)).all())
    assert statuses == {"approved": 5360, "returned": 24, "withdrawn": 11}
    assert db.session.scalar(select(func.count()).select_from(Award).where(Award.year == 2024)) == 5360
    # The page (Chinese), the CSV and the command give the same figures.
    client = login(app.test_client(), ministry)
    page = client.get(f"/awards/rounds/{round_id}/channels").get_data(as_text=True)
    cards = page.split('class="cards"')[1] + page.split('class="cards"')[2]
    for figure in ("41", "5,360", "63.9%", "36.1%", "3,425", "1,935"):
        assert figure in cards, figure
    assert [n for n in ("12", "26", "3") if f'card-number">{n}<' in page] == ["12", "26", "3"]
    assert all(name in page for name in MINUTES_FULLY_ONLINE + MINUTES_PAPER_ONLY)
    lines = list(csv.reader(io.StringIO(client.get(f"/awards/rounds/{round_id}/channels.csv")
                                         .get_data().decode("utf-8-sig"))))
    assert len(lines) == 1 + 41 + 1
    assert lines[-1] == ["合計", "5360", "3425", "63.9", "1935", "36.1", "完全線上化 12; 部分線上化 26; 完全紙本 3"]
    assert sum(1 for line in lines[1:-1] if line[6] == "完全線上化") == 12
    result = runner.invoke(args=["stats", "awards", "--round", str(round_id), "--user", "ministry", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"round": round_id, **SEED_SUMMARY}
    # A second run changes nothing.
    result = runner.invoke(args=["demo-data", "--seed-round-2024"])
    assert result.exit_code == 0 and "already loaded" in result.output
    assert db.session.scalar(select(func.count()).select_from(AwardRound)) == 1
    assert round_summary(round_id)["eligible"] == 5360


def test_the_seed_round_refuses_a_database_with_its_own_2024_round(app, runner):
    make_round(2024)
    result = runner.invoke(args=["demo-data", "--seed-round-2024"])
    assert result.exit_code != 0 and "already exists" in result.output
    assert db.session.scalar(select(func.count()).select_from(AwardApplication)) == 0


# --- a real browser: both languages, a phone and a desktop ---------------------------------------------------

@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_in_a_browser(page, live_server, lang):
    with live_server.app.app_context():
        round_id = load_round_2024()["round"]
        create_user("ministry.ch", PASSWORD, "ministry", authority_id=authority_for("ministry", None, None).id,
                    display_name="衛福部承辦")
        db.session.commit()
    sign_in(page, live_server, "ministry.ch", lang)
    folder = os.environ.get("SCREENSHOT_DIR")
    for width, height in ((360, 780), (1280, 900)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{live_server.url}/awards/rounds/{round_id}/channels")
        expect = {"zh": ("獎勵申請線上化統計", "完全紙本"), "en": ("Online and paper applications", "Paper only")}[lang]
        assert all(text in page.content() for text in expect)
        assert "63.9%" in page.inner_text(".cards >> nth=0") and "36.1%" in page.inner_text(".cards >> nth=0")
        assert violations(page) == []
        # The chart fits the phone's width: no sideways scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
        svg = page.locator("figure.chart svg").bounding_box()
        assert svg["width"] <= width
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"channels-{lang}-{width}.png"), full_page=False)
            page.locator("figure.chart").screenshot(path=str(Path(folder) / f"channels-chart-{lang}-{width}.png"))
            page.locator("table.data").screenshot(path=str(Path(folder) / f"channels-table-{lang}-{width}.png"))
