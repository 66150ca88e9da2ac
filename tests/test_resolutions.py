"""Resolution tracking (issue 12 part 4): who may do what, carry-over of open items, stale edits, the progress
history, and the annex table as PDF and XLSX with the seed's 112-1 … 112-5."""
import io
import json
import subprocess
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.demo.resolutions import ITEMS_112, load_resolutions
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.registry.operations import authority_for
from portal.resolutions import rules
from portal.resolutions.models import Meeting, ProgressReport, Resolution, ResolutionBody, Review, Status
from portal.resolutions.operations import (
    ResolutionError,
    create_meeting,
    create_resolution,
    report_progress,
    review,
    update_resolution,
    withdraw,
)
from tests.conftest import login

ANNEX_COLUMNS = ["編號", "案由", "決議", "辦理單位", "辦理情形", "管考建議"]


def meeting(year, held_on=None):
    return create_meeting({"roc_year": year, "held_on": held_on, "place": "", "chair": "", "host": ""}, None)


def item(m, seq, *bodies, subject="案由", decision="決議"):
    return create_resolution(m, {"seq": seq, "subject": subject, "decision": decision}, [b.id for b in bodies], None)


@pytest.fixture
def tpe():
    return authority_for("county", "TPE", None)


@pytest.fixture
def khh():
    return authority_for("county", "KHH", None)


@pytest.fixture
def ministry_body():
    return authority_for("ministry", None, None)


# --- rules, both sides of every edge ------------------------------------------------------------------------

def test_carried_over_edges():
    assert not rules.carried_over(113, Status.OPEN, None, 113)   # the meeting's own item
    assert rules.carried_over(112, Status.OPEN, None, 113)       # an earlier meeting's open item
    assert rules.carried_over(111, Status.OPEN, None, 113)       # kept open over two meetings
    assert rules.carried_over(112, Status.CLOSED, 113, 113)      # released at this meeting: on its list
    assert not rules.carried_over(112, Status.CLOSED, 113, 114)  # released at the meeting before: gone
    assert not rules.carried_over(112, Status.WITHDRAWN, None, 113)


def test_latest_report_up_to_the_meeting_day():
    class R:
        def __init__(self, id, day, authority=1):
            self.id, self.reported_on, self.authority_id, self.posted_at = id, day, authority, None
    reports = [R(1, None), R(2, date(2024, 9, 9)), R(3, date(2024, 9, 10)), R(4, date(2024, 9, 11)), R(5, None, 2)]
    for r in reports:
        r.posted_at = r.id
    assert rules.latest_reports(reports, date(2024, 9, 10))[1].id == 3   # the day itself counts
    assert rules.latest_reports(reports, date(2024, 9, 9))[1].id == 2    # the day before: not yet the 10th's
    assert rules.latest_reports(reports, None)[1].id == 4
    assert rules.latest_reports(reports, date(2024, 9, 10))[2].id == 5   # undated reports count as early


def test_meeting_and_review_rules():
    assert rules.meeting_problem(113, date(2024, 9, 10)) is None
    assert rules.meeting_problem(113, date(2024, 12, 31)) is None
    assert rules.meeting_problem(113, date(2025, 1, 1)) is not None   # the first day of ROC 114
    assert rules.meeting_problem(113, date(2023, 12, 31)) is not None
    assert rules.meeting_problem(79, None) is not None and rules.meeting_problem(80, None) is None
    assert rules.review_problem(112, 113, [], Status.OPEN) is None
    assert rules.review_problem(112, 112, [], Status.OPEN) is not None    # its own meeting
    assert rules.review_problem(112, 113, [113], Status.OPEN) is None     # the same meeting again (a revision)
    assert rules.review_problem(112, 113, [114], Status.OPEN) is not None  # a later meeting already did
    assert rules.review_problem(112, 113, [], Status.WITHDRAWN) is not None
    assert rules.may_report(Status.OPEN, 5, [5, 6]) and not rules.may_report(Status.OPEN, 7, [5, 6])
    assert not rules.may_report(Status.CLOSED, 5, [5])


# --- who may do what --------------------------------------------------------------------------------------------

def test_only_authorities_read_and_only_the_ministry_manages(app, world, tpe):
    m = meeting(113, date(2024, 9, 10))
    it = item(m, 1, tpe)
    db.session.commit()
    pages = ["/resolutions/", f"/resolutions/meetings/{m.id}", f"/resolutions/items/{it.id}", "/resolutions/items/"]
    for persona in ("county_tpe", "county_khh", "sector_local", "sector_central", "ministry"):
        client = login(app.test_client(), world.users[persona])
        assert all(client.get(url).status_code == 200 for url in pages), persona
    for persona in ("clerk_a", "supervisor_a", "volunteer", "admin"):
        client = login(app.test_client(), world.users[persona])
        assert all(client.get(url).status_code == 403 for url in pages), persona
    county = login(app.test_client(), world.users["county_tpe"])
    assert county.post("/resolutions/meetings/new", data={"roc_year": 114}).status_code == 403
    assert county.post(f"/resolutions/items/{it.id}/review", data={"outcome": "close"}).status_code == 403
    assert county.post(f"/resolutions/items/{it.id}/withdraw", data={"reason": "x"}).status_code == 403
    assert "Record a meeting" not in county.get("/resolutions/", headers={"Accept-Language": "en"}).text


def test_a_body_reports_on_its_own_items_only(app, world, tpe, khh):
    m = meeting(113, date(2024, 9, 10))
    it = item(m, 1, tpe, khh)
    db.session.commit()
    mine = {b.authority_id: b.id for b in it.bodies}
    data = {"reported_on": "113/09/01", "text": "已函請各區公所辦理。"}
    county_tpe = login(app.test_client(), world.users["county_tpe"])
    assert county_tpe.post(f"/resolutions/assignments/{mine[tpe.id]}/progress", data=data).status_code == 302
    # another body's assignment, the ministry (not a body) and a missing id all answer 404 and write nothing
    assert county_tpe.post(f"/resolutions/assignments/{mine[khh.id]}/progress", data=data).status_code == 404
    ministry = login(app.test_client(), world.users["ministry"])
    assert ministry.post(f"/resolutions/assignments/{mine[tpe.id]}/progress", data=data).status_code == 404
    assert county_tpe.post("/resolutions/assignments/987654/progress", data=data).status_code == 404
    reports = db.session.scalars(select(ProgressReport)).all()
    assert [(r.authority_id, r.reported_on, r.posted_by_id) for r in reports] == \
        [(tpe.id, date(2024, 9, 1), world.users["county_tpe"].id)]
    # the page offers the form to the body only
    assert "progress-heading" in county_tpe.get(f"/resolutions/items/{it.id}").text
    page = login(app.test_client(), world.users["sector_local"]).get(f"/resolutions/items/{it.id}").text
    assert "已函請各區公所辦理。" in page and "/progress" not in page


def test_no_progress_after_release_and_a_future_date_is_refused(app, world, tpe):
    m112, m113 = meeting(112), meeting(113, date(2024, 9, 10))
    it = item(m112, 1, tpe)
    db.session.commit()
    assignment = it.bodies[0].id
    county = login(app.test_client(), world.users["county_tpe"])
    future = county.post(f"/resolutions/assignments/{assignment}/progress",
                         data={"reported_on": "2999-01-01", "text": "x"})
    assert future.status_code == 422
    ministry = login(app.test_client(), world.users["ministry"])
    response = ministry.post(f"/resolutions/items/{it.id}/review",
                             data={"meeting": str(m113.id), "outcome": "close", "version": str(it.version)})
    assert response.status_code == 302
    db.session.refresh(it)
    assert it.status == Status.CLOSED and it.closed_meeting_id == m113.id
    county.post(f"/resolutions/assignments/{assignment}/progress", data={"reported_on": "113/09/20", "text": "late"})
    assert db.session.scalar(select(func.count()).select_from(ProgressReport)) == 0


def test_the_my_body_filter(app, world, tpe, khh):
    m = meeting(113)
    item(m, 1, tpe, subject="臺北的事")
    item(m, 2, khh, subject="高雄的事")
    closed = item(m, 3, tpe, subject="已結的事")
    closed.status = Status.CLOSED
    db.session.commit()
    county = login(app.test_client(), world.users["county_tpe"])
    page = county.get("/resolutions/items/?status=open&body=mine").text
    assert "臺北的事" in page and "高雄的事" not in page and "已結的事" not in page
    everything = county.get("/resolutions/items/?status=&body=").text
    assert all(s in everything for s in ("臺北的事", "高雄的事", "已結的事"))


# --- carry-over ------------------------------------------------------------------------------------------------

def test_kept_items_carry_over_and_released_ones_do_not(app, world, tpe):
    m111, m112, m113 = meeting(111), meeting(112), meeting(113)
    kept, released, voided = item(m111, 1, tpe, subject="繼續列管的事"), item(m111, 2, tpe, subject="解除列管的事"), \
        item(m111, 3, tpe, subject="撤銷的事")
    review(kept, m112, "keep", "", None)
    review(released, m112, "close", "", None)
    withdraw(voided, "誤植", None)
    db.session.commit()
    client = login(app.test_client(), world.users["county_khh"])
    at_112 = client.get(f"/resolutions/meetings/{m112.id}").text
    previous_112 = at_112.split('id="annex-previous"')[1].split("</table>")[0]
    assert "繼續列管的事" in previous_112 and "解除列管的事" in previous_112 and "撤銷的事" not in previous_112
    assert "繼續列管" in previous_112 and "解除列管" in previous_112
    at_113 = client.get(f"/resolutions/meetings/{m113.id}").text
    previous_113 = at_113.split('id="annex-previous"')[1].split("</table>")[0]
    assert "繼續列管的事" in previous_113 and "解除列管的事" not in previous_113 and "撤銷的事" not in previous_113
    assert "尚未提出" in previous_113   # no 管考建議 at 113 yet
    # the own list of 111 keeps the withdrawn item, marked
    own_111 = client.get(f"/resolutions/meetings/{m111.id}").text.split('id="annex-own"')[1]
    assert "撤銷的事" in own_111 and "已撤回" in own_111


def test_a_review_follows_the_meetings_in_order(app, world, tpe):
    m112, m113, m114 = meeting(112), meeting(113), meeting(114)
    it = item(m112, 1, tpe)
    with pytest.raises(ResolutionError):
        review(it, m112, "close", "", None)          # its own meeting
    review(it, m114, "keep", "", None)
    with pytest.raises(ResolutionError):
        review(it, m113, "close", "", None)          # before a meeting that already reviewed it
    review(it, m114, "close", "", None)              # the same meeting again: the newest counts
    assert it.status == Status.CLOSED and it.closed_meeting_id == m114.id
    review(it, m114, "keep", "重新列管", None)        # undone at the same meeting
    assert it.status == Status.OPEN and it.closed_meeting_id is None
    assert db.session.scalar(select(func.count()).select_from(Review)) == 3


# --- stale edits, history, audit -------------------------------------------------------------------------------

def test_a_stale_edit_answers_409_and_changes_nothing(app, world, tpe):
    m = meeting(113)
    it = item(m, 1, tpe, decision="原決議")
    db.session.commit()
    old = it.version
    ministry = login(app.test_client(), world.users["ministry"])
    form = {"seq": "1", "subject": "案由", "decision": "第一次修正", "bodies": [str(tpe.id)], "version": str(old)}
    assert ministry.post(f"/resolutions/items/{it.id}/edit", data=form).status_code == 302
    stale = dict(form, decision="第二次修正（過時的畫面）")
    assert ministry.post(f"/resolutions/items/{it.id}/edit", data=stale).status_code == 409
    db.session.refresh(it)
    assert it.decision == "第一次修正" and it.version == old + 1
    # a review from the stale page too
    assert ministry.post(f"/resolutions/items/{it.id}/review", data={"meeting": "1", "outcome": "close",
                                                                     "version": str(old)}).status_code in (409, 422)
    meeting_form = {"roc_year": "113", "held_on": "", "place": "新地點", "version": str(m.version - 1)}
    assert ministry.post(f"/resolutions/meetings/{m.id}/edit", data=meeting_form).status_code == 409
    assert ministry.post(f"/resolutions/meetings/{m.id}/edit",
                         data=dict(meeting_form, version=str(m.version))).status_code == 302
    assert db.session.get(Meeting, m.id).place == "新地點"


def test_bodies_are_marked_off_never_deleted_and_every_change_is_audited(app, world, tpe, khh):
    m = meeting(113)
    it = item(m, 1, tpe)
    update_resolution(it, {"seq": 1, "subject": "案由", "decision": "決議"}, [khh.id], None)
    update_resolution(it, {"seq": 1, "subject": "案由", "decision": "決議"}, [tpe.id, khh.id], None)
    rows = db.session.scalars(select(ResolutionBody).order_by(ResolutionBody.id)).all()
    assert [(r.authority_id, r.removed_at is None) for r in rows] == [(tpe.id, True), (khh.id, True)]
    withdraw(it, "重複登錄", None)
    assert db.session.get(Resolution, it.id).withdrawn_reason == "重複登錄"
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("resolutions.%"))).all()
    assert actions == ["resolutions.meeting_create", "resolutions.item_create", "resolutions.item_update",
                       "resolutions.item_update", "resolutions.item_withdraw"]
    change = json.loads(db.session.scalars(select(AuditLog.detail).where(
        AuditLog.action == "resolutions.item_update")).first())
    assert change["changes"]["bodies"] == {"added": [khh.id], "removed": [tpe.id]}


def test_progress_history_is_kept_and_each_list_shows_its_day(app, world, tpe):
    m112, m113 = meeting(112), meeting(113, date(2024, 9, 10))
    it = item(m112, 1, tpe)
    body = it.bodies[0]
    report_progress(body, date(2024, 3, 1), "第一次：已研擬", None)
    report_progress(body, date(2024, 9, 10), "第二次：會議當天", None)
    report_progress(body, date(2024, 9, 11), "第三次：會後", None)
    db.session.commit()
    client = login(app.test_client(), world.users["county_tpe"])
    page = client.get(f"/resolutions/items/{it.id}").text
    history = page.split('id="progress-history"')[1].split("</ol>")[0]
    assert history.index("第三次") < history.index("第二次") < history.index("第一次")  # all kept, newest first
    previous = client.get(f"/resolutions/meetings/{m113.id}").text.split('id="annex-previous"')[1]
    assert "第二次：會議當天" in previous and "第三次" not in previous and "第一次" not in previous
    own = client.get(f"/resolutions/meetings/{m112.id}").text.split('id="annex-own"')[1]
    assert "第三次：會後" in own and "第二次" not in own


def test_meeting_form_checks(app, world):
    ministry = login(app.test_client(), world.users["ministry"])
    ok = ministry.post("/resolutions/meetings/new", data={"roc_year": "113", "held_on": "113/09/10",
                                                          "place": "雲林縣", "chair": "主席"})
    assert ok.status_code == 302
    again = ministry.post("/resolutions/meetings/new", data={"roc_year": "113"})
    assert again.status_code == 422 and "113年的會議已經建立" in again.text
    wrong_year = ministry.post("/resolutions/meetings/new", data={"roc_year": "114", "held_on": "2024-12-31"})
    assert wrong_year.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Meeting)) == 1


def test_ministry_records_an_item_with_several_bodies(app, world, tpe, khh):
    m = meeting(113)
    db.session.commit()
    ministry = login(app.test_client(), world.users["ministry"])
    assert 'value="2"' not in ministry.get(f"/resolutions/meetings/{m.id}/items/new").text.split('id="seq"')[0]
    response = ministry.post(f"/resolutions/meetings/{m.id}/items/new", data={
        "seq": "1", "subject": "建請優化系統", "decision": "年底完成", "bodies": [str(tpe.id), str(khh.id)]})
    assert response.status_code == 302
    it = db.session.scalar(select(Resolution))
    assert it.number == "113-1" and [b.authority_id for b in it.bodies] == [tpe.id, khh.id]
    duplicate = ministry.post(f"/resolutions/meetings/{m.id}/items/new", data={
        "seq": "1", "subject": "x", "decision": "y", "bodies": [str(tpe.id)]})
    assert duplicate.status_code == 422
    no_body = ministry.post(f"/resolutions/meetings/{m.id}/items/new", data={"seq": "2", "subject": "x",
                                                                            "decision": "y"})
    assert no_body.status_code == 422


# --- the annex: demo data typed from the seed minutes, PDF and XLSX ------------------------------------------------

@pytest.fixture
def seed_meetings(app):
    load_resolutions()
    db.session.commit()
    return {m.roc_year: m for m in db.session.scalars(select(Meeting))}


def test_seed_items_are_released_at_113(app, world, seed_meetings):
    m112, m113 = seed_meetings[112], seed_meetings[113]
    assert (m112.held_on, m112.place, m112.chair, m112.host) == (None, "", "", "宜蘭縣政府")
    assert (m113.held_on, m113.place, m113.chair) == (date(2024, 9, 10), "雲林縣劍湖山渡假大飯店2樓國際會議廳",
                                                      "楊雅嵐副司長")
    items = db.session.scalars(select(Resolution).where(Resolution.meeting_id == m112.id)
                               .order_by(Resolution.seq)).all()
    assert [(i.number, i.status, i.closed_meeting_id) for i in items] == \
        [(f"112-{n}", Status.CLOSED, m113.id) for n in range(1, 6)]


def test_pdf_prints_the_annex_with_the_five_112_items(app, world, seed_meetings, tmp_path):
    client = login(app.test_client(), world.users["county_khh"])
    response = client.get(f"/resolutions/meetings/{seed_meetings[113].id}/previous.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = tmp_path / "annex-113.pdf"
    pdf.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    flat = "".join(text.split())
    for column in ANNEX_COLUMNS + ["上次會議決議事項辦理情形", "113年全國志願服務聯繫會報", "楊雅嵐副司長"]:
        assert column in flat, column
    for n in range(1, 6):
        assert f"112-{n}" in flat
    assert flat.count("解除列管") == 5 and flat.count("衛生福利部") >= 5
    assert "本(113)年聯繫會報業已規劃議題分組討論及" in flat   # cells wrap, so lines interleave
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "annex")], check=True)
    assert (tmp_path / "annex-1.png").stat().st_size > 10_000
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "resolutions.export")) == 1


def test_xlsx_has_the_annex_columns(app, world, seed_meetings):
    client = login(app.test_client(), world.users["ministry"])
    response = client.get(f"/resolutions/meetings/{seed_meetings[113].id}/previous.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ANNEX_COLUMNS
    assert [r[0] for r in rows[1:]] == [f"112-{n}" for n in range(1, 6)]
    assert [r[1] for r in rows[1:]] == [subject for _, subject, _, _ in ITEMS_112]
    assert {r[3] for r in rows[1:]} == {"衛生福利部"} and {r[5] for r in rows[1:]} == {"解除列管"}
    assert rows[2][4].startswith("1. 業經本部調查")
    client.post("/language", data={"lang": "en"})
    english = client.get(f"/resolutions/meetings/{seed_meetings[113].id}/own.xlsx")
    header = [c.value for c in next(load_workbook(io.BytesIO(english.data)).active.iter_rows())]
    assert header == ["No.", "Subject", "Decision taken", "Responsible bodies", "Progress", "Assessment"]
