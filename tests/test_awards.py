"""Awards through HTTP and the database: the unit's list and application, sector forwarding, ministry
approval, returns and withdrawals, bulk actions, scopes, deadlines, paper applications, rounds,
the volunteer's awards and revocation (docs/rules/awards.md)."""
import itertools
import secrets
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.awards.models import Award, AwardApplication, AwardRound
from portal.documents.models import Document
from portal.hours.models import HourEntry
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.registry.operations import authority_for
from tests.conftest import login

_numbers = itertools.count(1)


def today() -> date:
    return today_taipei()


def make_round(scheme="health_welfare", year=None, cutoff=-10, unit=20, review=40, ministry=60, status="open"):
    """A round whose dates are days from today."""
    t = today()
    award_round = AwardRound(scheme=scheme, year=year or t.year, cutoff_on=t + timedelta(days=cutoff),
                             unit_deadline=t + timedelta(days=unit), review_deadline=t + timedelta(days=review),
                             ministry_deadline=t + timedelta(days=ministry), status=status)
    db.session.add(award_round)
    db.session.commit()
    return award_round


def make_ready(person, unit, hours=1500, field_code=None, book=True, certificate=False):
    """Hours served in 2020 (before any cut-off), a record book, and optionally a performance certificate."""
    n = next(_numbers)
    if hours:
        db.session.add(HourEntry(person_id=person.id, unit_id=unit.id, start_on=date(2020, 1, 1),
                                 end_on=date(2020, 12, 31), half_hours=int(hours * 2),
                                 field_code=field_code or unit.field_code))
    if book:
        db.session.add(RecordBook(person_id=person.id, number=f"TPE-110-{n:06d}", issued_on=date(2019, 1, 1)))
    if certificate:
        db.session.add(Document(kind="performance", language="zh_TW", person_id=person.id, unit_id=unit.id,
                                token=secrets.token_hex(16), short_code=f"AW{n:06d}", issued_on=date(2021, 1, 1)))
    db.session.commit()


def apply_for(client, award_round, *people, merit=""):
    data = {"round_id": award_round.id}
    for i, person in enumerate(people):
        data[f"entries-{i}-person_id"] = person.id
        data[f"entries-{i}-merit"] = merit
    return client.post("/awards/apply", data=data)


def audit_actions(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action)).all()


def applications():
    return db.session.scalars(select(AwardApplication).order_by(AwardApplication.id)).all()


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def english(client):
    client.post("/language", data={"lang": "en"})
    return client


@pytest.fixture
def ready(world):
    """An open health-and-welfare round; person a (unit A, social) has 1,500 h and a record book, the shared
    volunteer (A and B) 2,000 h; person b (unit B, education) has no hours in the H&W fields."""
    world.round = make_round()
    make_ready(world.people["a"], world.units["A"], hours=1500)
    make_ready(world.people["shared"], world.units["A"], hours=2000)
    make_ready(world.people["b"], world.units["B"], hours=1600)
    return world


def submitted(client, world, *keys, merit=""):
    login(client, world.users["clerk_a"])
    assert apply_for(client, world.round, *[world.people[k] for k in keys], merit=merit).status_code == 302
    by_person = {a.person_id: a for a in applications()}
    return [by_person[world.people[k].id] for k in keys]


# --- the unit's list -------------------------------------------------------------------------

def test_unit_sees_who_is_eligible_with_the_engines_words(app, ready, client):
    login(english(client), ready.users["clerk_a"])
    body = client.get("/awards/?show=all").get_data(as_text=True)
    assert "甲志工" in body and "共同志工" in body and "乙志工" not in body and "金絲雀" not in body
    assert "Eligible now: bronze badge" in body and "Eligible now: silver badge" in body
    assert f'name="person_id" value="{ready.people["a"].id}"' in body
    assert "Units apply by" in body and "20 days left" in body          # the deadline, clearly
    fragment = client.get("/awards/?show=eligible", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in fragment and "甲志工" in fragment


def test_filter_eligible_near_and_all(app, world, client, make_person):
    world.round = make_round()
    unit = world.units["A"]
    near = make_person([unit], name="快到了")
    make_ready(near, unit, hours=1400)                          # within 10% of 1,500
    far = make_person([unit], name="還很遠")
    make_ready(far, unit, hours=1000)
    papers = make_person([unit], name="缺紀錄冊")
    make_ready(papers, unit, hours=1600, book=False)
    login(english(client), world.users["clerk_a"])
    eligible = client.get("/awards/?show=eligible").get_data(as_text=True)
    assert "快到了" not in eligible and "缺紀錄冊" not in eligible
    close = client.get("/awards/?show=near").get_data(as_text=True)
    assert "快到了" in close and "缺紀錄冊" in close and "還很遠" not in close
    assert "still needs 100 hours for the bronze badge" in close
    assert "No service record book yet" in close
    assert f'value="{papers.id}"' not in close                 # not selectable
    everyone = client.get("/awards/?show=all").get_data(as_text=True)
    assert "還很遠" in everyone and "still needs 500 hours" in everyone


def test_an_authority_is_sent_to_the_review_and_the_volunteer_to_their_awards(app, ready, client):
    login(client, ready.users["sector_local"])
    assert client.get("/awards/").headers["Location"].endswith("/awards/review")
    login(client, ready.users["volunteer"])
    assert client.get("/awards/").headers["Location"].endswith("/awards/mine")
    login(client, ready.users["admin"])
    assert client.get("/awards/").status_code == 403


# --- the whole way ---------------------------------------------------------------------------

def test_unit_applies_sector_forwards_ministry_approves(app, ready, client):
    a = ready.people["a"]
    login(client, ready.users["clerk_a"])
    summary = client.get(f"/awards/apply?round_id={ready.round.id}&person_id={a.id}")
    assert summary.status_code == 200 and "甲志工" in summary.get_data(as_text=True)
    response = apply_for(client, ready.round, a, merit="二十年社區關懷訪視")
    assert response.status_code == 302, response.get_data(as_text=True)
    application = applications()[0]
    assert (application.person_id, application.unit_id, application.tier, application.half_hours,
            application.channel, application.status) == (a.id, ready.units["A"].id, "bronze", 3000, "online",
                                                         "submitted")
    assert application.merit == "二十年社區關懷訪視"

    login(client, ready.users["sector_local"])
    assert "甲志工" in client.get("/awards/review").get_data(as_text=True)
    forwarded = client.post(f"/awards/applications/{application.id}/forward",
                            data={"version": application.version, "note": "已查核"})
    assert forwarded.status_code == 302
    db.session.refresh(application)
    assert (application.status, application.review_note) == ("forwarded", "已查核")

    login(client, ready.users["ministry"])
    assert "甲志工" in client.get("/awards/review").get_data(as_text=True)
    approved = client.post(f"/awards/applications/{application.id}/approve", data={"version": application.version})
    assert approved.status_code == 302
    award = db.session.scalar(select(Award))
    assert (award.person_id, award.scheme, award.tier, award.year, award.awarded_on, award.status,
            award.application_id) == (a.id, "health_welfare", "bronze", ready.round.year, today(), "valid",
                                      application.id)
    assert db.session.get(AwardApplication, application.id).status == "approved"
    assert [len(audit_actions(f"award.{step}")) for step in ("apply", "forward", "approve")] == [1, 1, 1]

    login(client, ready.users["volunteer"])
    mine = client.get("/awards/mine").get_data(as_text=True)
    assert "銅質徽章" in mine or "bronze badge" in mine
    assert client.get(f"/awards/{award.id}").status_code == 200


def test_a_received_tier_is_not_offered_again(app, ready, client):
    db.session.add(Award(person_id=ready.people["a"].id, scheme="health_welfare", tier="bronze", year=2020))
    db.session.commit()
    login(english(client), ready.users["clerk_a"])
    assert apply_for(client, ready.round, ready.people["a"]).status_code == 422
    assert count(AwardApplication) == 0


def test_approval_refuses_a_tier_the_volunteer_received_meanwhile(app, ready, client):
    """Each tier is given once: an award that arrived after the application (e.g. by import) blocks approval."""
    login(client, ready.users["clerk_a"])
    assert apply_for(client, ready.round, ready.people["a"]).status_code == 302
    application = applications()[0]
    login(client, ready.users["sector_local"])
    client.post(f"/awards/applications/{application.id}/forward", data={"version": application.version})
    db.session.refresh(application)
    db.session.add(Award(person_id=ready.people["a"].id, scheme="health_welfare", tier="silver", year=2020))
    db.session.commit()
    login(english(client), ready.users["ministry"])
    response = client.post(f"/awards/applications/{application.id}/approve", data={"version": application.version})
    assert "already holds this tier" in client.get(f"/awards/applications/{application.id}").get_data(as_text=True) \
        or "already holds this tier" in response.get_data(as_text=True)
    assert db.session.get(AwardApplication, application.id).status == "forwarded"
    assert count(Award) == 1


# --- refusals --------------------------------------------------------------------------------

def test_ineligible_is_refused_with_the_engines_words_and_nothing_is_written(app, ready, client, make_person):
    short = make_person([ready.units["A"]], name="時數不足")
    make_ready(short, ready.units["A"], hours=1200)
    login(english(client), ready.users["clerk_a"])
    response = apply_for(client, ready.round, ready.people["a"], short)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "時數不足: 1,200 of 1,500 h counted up to" in body and "still needs 300 hours" in body
    assert count(AwardApplication) == 0 and audit_actions("award.apply") == []


def test_the_general_award_needs_a_performance_certificate(app, world, client):
    world.round = make_round("general")
    make_ready(world.people["a"], world.units["A"], hours=3000)
    login(english(client), world.users["clerk_a"])
    refused = apply_for(client, world.round, world.people["a"])
    assert refused.status_code == 422 and "No valid performance certificate" in refused.get_data(as_text=True)
    make_ready(world.people["a"], world.units["A"], hours=0, book=False, certificate=True)
    assert apply_for(client, world.round, world.people["a"]).status_code == 302
    assert applications()[0].certificate_document_id is not None


def test_a_unit_cannot_apply_for_another_units_volunteer(app, ready, client):
    login(client, ready.users["clerk_b"])
    response = apply_for(client, ready.round, ready.people["a"])
    assert response.status_code == 302 and response.headers["Location"].endswith("/awards/")
    assert count(AwardApplication) == 0
    assert "甲志工" not in client.get(f"/awards/apply?round_id={ready.round.id}&person_id={ready.people['a'].id}",
                                      follow_redirects=True).get_data(as_text=True)


def test_unit_deadline_passed_is_refused(app, world, client):
    world.round = make_round(unit=-1)
    make_ready(world.people["a"], world.units["A"])
    login(english(client), world.users["clerk_a"])
    page = client.get("/awards/").get_data(as_text=True)
    assert "The units' deadline of this round has passed" in page and 'name="person_id"' not in page
    response = apply_for(client, world.round, world.people["a"])
    assert response.status_code == 422 and "deadline of this round has passed" in response.get_data(as_text=True)
    assert count(AwardApplication) == 0


def test_a_closed_round_takes_no_applications(app, world, client):
    closed = make_round(status="closed")
    make_ready(world.people["a"], world.units["A"])
    login(client, world.users["clerk_a"])
    assert apply_for(client, closed, world.people["a"]).status_code == 302
    assert count(AwardApplication) == 0


def test_a_second_application_in_one_round_is_refused(app, ready, client):
    submitted(client, ready, "a")
    english(client)
    again = apply_for(client, ready.round, ready.people["a"])
    assert again.status_code == 422 and "Already applied in this round" in again.get_data(as_text=True)
    # The shared volunteer serves in unit B too: B cannot apply for them either while A's is open.
    submitted(client, ready, "shared")
    login(client, ready.users["clerk_b"])
    english(client)
    assert apply_for(client, ready.round, ready.people["shared"]).status_code == 422
    assert count(AwardApplication) == 2


def test_two_clerks_at_the_same_moment_get_a_message_not_an_error(app, ready, client, monkeypatch):
    """The engine did not see the other clerk's application yet: the database's unique index refuses."""
    submitted(client, ready, "a")
    from portal.awards import facts
    real = facts.eligibility

    def blind(person_ids, award_round):
        results = real(person_ids, award_round)
        for result in results.values():
            result.facts.open_application = False
            result.checks = [c for c in result.checks if c.code != "open"]
        return results
    monkeypatch.setattr(facts, "eligibility", blind)
    login(english(client), ready.users["supervisor_a"])
    response = apply_for(client, ready.round, ready.people["a"])
    assert response.status_code == 422
    assert "at the same moment" in response.get_data(as_text=True)
    assert count(AwardApplication) == 1


# --- withdraw, return ------------------------------------------------------------------------

def test_withdraw_only_while_submitted(app, ready, client):
    first, second = submitted(client, ready, "a", "shared")
    response = client.post(f"/awards/applications/{first.id}/withdraw", data={"version": first.version})
    assert response.status_code == 302
    db.session.refresh(first)
    assert first.status == "withdrawn" and len(audit_actions("award.withdraw")) == 1
    login(client, ready.users["sector_local"])
    client.post(f"/awards/applications/{second.id}/forward", data={"version": second.version})
    db.session.refresh(second)
    login(english(client), ready.users["clerk_a"])
    late = client.post(f"/awards/applications/{second.id}/withdraw", data={"version": second.version},
                       follow_redirects=True)
    assert "Only an application that the sector authority has not yet handled can be withdrawn" in \
        late.get_data(as_text=True)
    assert db.session.get(AwardApplication, second.id).status == "forwarded"
    page = client.get("/awards/").get_data(as_text=True)
    assert f"/awards/applications/{first.id}/withdraw" not in page and f"/awards/applications/{second.id}/withdraw" \
        not in page
    # After withdrawing, the unit may apply again in the same round.
    assert apply_for(client, ready.round, ready.people["a"]).status_code == 302


def test_another_unit_cannot_withdraw(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["clerk_b"])
    assert client.post(f"/awards/applications/{application.id}/withdraw",
                       data={"version": application.version}).status_code == 404
    assert db.session.get(AwardApplication, application.id).status == "submitted"


def test_returns_need_a_reason_which_the_unit_and_the_volunteer_see(app, ready, client):
    first, second = submitted(client, ready, "a", "shared")
    login(client, ready.users["sector_local"])
    client.post(f"/awards/applications/{first.id}/return", data={"version": first.version})
    assert db.session.get(AwardApplication, first.id).status == "submitted"
    client.post(f"/awards/applications/{first.id}/return", data={"version": first.version, "reason": "請補事蹟"})
    db.session.refresh(first)
    assert (first.status, first.return_reason) == ("returned", "請補事蹟")
    assert "請補事蹟" in audit_actions("award.return")[0].detail
    # The ministry returns a forwarded one.
    client.post(f"/awards/applications/{second.id}/forward", data={"version": second.version})
    db.session.refresh(second)
    login(client, ready.users["ministry"])
    client.post(f"/awards/applications/{second.id}/return", data={"version": second.version, "reason": "時數有誤"})
    assert db.session.get(AwardApplication, second.id).status == "returned"
    login(client, ready.users["clerk_a"])
    assert "請補事蹟" in client.get("/awards/").get_data(as_text=True)
    login(client, ready.users["volunteer"])
    assert "請補事蹟" in client.get("/awards/mine").get_data(as_text=True)


def test_each_reviewer_acts_only_at_their_stage(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(english(client), ready.users["ministry"])
    early = client.post(f"/awards/applications/{application.id}/approve", data={"version": application.version},
                        follow_redirects=True)
    assert "not waiting for your decision" in early.get_data(as_text=True)
    client.post(f"/awards/applications/{application.id}/return", data={"version": application.version,
                                                                      "reason": "太早"})
    assert db.session.get(AwardApplication, application.id).status == "submitted"
    assert count(Award) == 0
    login(client, ready.users["sector_local"])
    assert client.post(f"/awards/applications/{application.id}/approve",
                       data={"version": application.version}).status_code == 403


# --- scopes ----------------------------------------------------------------------------------

def test_a_sector_authority_of_another_county_or_field_gets_404(app, ready, client, make_user):
    application = submitted(client, ready, "a")[0]       # unit A: Taipei, social welfare
    others = [make_user("sector.tpe.education", "sector_local",
                        authority_id=authority_for("sector_local", "TPE", "education").id),
              make_user("sector.khh.social", "sector_local",
                        authority_id=authority_for("sector_local", "KHH", "social").id),
              ready.users["sector_central"]]
    for user in others:
        login(client, user)
        assert client.get(f"/awards/applications/{application.id}").status_code == 404, user.username
        assert client.post(f"/awards/applications/{application.id}/forward",
                           data={"version": application.version}).status_code == 404
        client.post("/awards/review", data={"action": "forward", "application_id": [application.id],
                                            f"version-{application.id}": application.version})
        assert "甲志工" not in client.get("/awards/review?status=").get_data(as_text=True)
    assert db.session.get(AwardApplication, application.id).status == "submitted"
    login(client, ready.users["county_khh"])
    assert client.get(f"/awards/applications/{application.id}").status_code == 404


def test_a_unit_without_local_sector_authority_goes_to_the_central_one(app, world, client, make_unit, make_person,
                                                                       make_user):
    world.round = make_round("general")
    unit = make_unit("TPE", "education", "public", code="TPE-X")
    unit.sector_authority_id = None
    db.session.commit()
    person = make_person([unit], name="中央審查")
    make_ready(person, unit, hours=3000, certificate=True)
    login(client, make_user("clerk.x", "unit_clerk", unit_id=unit.id))
    assert apply_for(client, world.round, person).status_code == 302
    application = applications()[0]
    login(client, world.users["sector_central"])
    assert "中央審查" in client.get("/awards/review").get_data(as_text=True)
    assert client.post(f"/awards/applications/{application.id}/forward",
                       data={"version": application.version}).status_code == 302
    assert db.session.get(AwardApplication, application.id).status == "forwarded"


def test_county_sees_its_units_applications_read_only(app, ready, client):
    submitted(client, ready, "a")
    login(client, ready.users["county_tpe"])
    page = client.get("/awards/review").get_data(as_text=True)
    assert "甲志工" in page and 'name="application_id"' not in page and 'value="forward"' not in page
    assert client.post("/awards/review", data={"action": "forward"}).status_code == 403
    login(client, ready.users["county_khh"])
    assert "甲志工" not in client.get("/awards/review").get_data(as_text=True)


# --- review queue: filters and bulk actions --------------------------------------------------

def test_bulk_forward_approve_and_return(app, ready, client):
    first, second = submitted(client, ready, "a", "shared")
    login(client, ready.users["sector_local"])

    def decide(action, apps, **extra):
        data = {"action": action, "application_id": [a.id for a in apps], **extra}
        data |= {f"version-{a.id}": db.session.get(AwardApplication, a.id).version for a in apps}
        return client.post("/awards/review", data=data)

    decide("return", [first])
    assert db.session.get(AwardApplication, first.id).status == "submitted"      # no reason, nothing done
    assert decide("forward", [first, second], note="兩位均已查核").status_code == 302
    assert [db.session.get(AwardApplication, a.id).status for a in (first, second)] == ["forwarded", "forwarded"]
    login(client, ready.users["ministry"])
    decide("return", [second], reason="事蹟不足")
    assert db.session.get(AwardApplication, second.id).status == "returned"
    decide("approve", [first, second])
    assert [(a.person_id, a.tier) for a in db.session.scalars(select(Award))] == [(ready.people["a"].id, "bronze")]
    assert len(audit_actions("award.approve")) == 1


def test_bulk_skips_an_application_changed_since_the_list_was_shown(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(english(client), ready.users["sector_local"])
    response = client.post("/awards/review", data={"action": "forward", "application_id": [application.id],
                                                   f"version-{application.id}": application.version + 1},
                           follow_redirects=True)
    assert "changed since the list was shown" in response.get_data(as_text=True)
    assert db.session.get(AwardApplication, application.id).status == "submitted"


def test_review_filters_by_round_unit_tier_and_status(app, ready, client):
    make_ready(ready.people["b"], ready.units["B"], hours=1600, field_code="social", book=False)
    first, second = submitted(client, ready, "a", "shared")
    login(client, ready.users["clerk_b"])
    assert apply_for(client, ready.round, ready.people["b"]).status_code == 302
    other = make_round("general", year=today().year - 1)
    login(client, ready.users["county_tpe"])
    every = client.get("/awards/review").get_data(as_text=True)
    assert "甲志工" in every and "共同志工" in every and "乙志工" in every
    by_unit = client.get(f"/awards/review?unit={ready.units['B'].id}").get_data(as_text=True)
    assert "乙志工" in by_unit and "甲志工" not in by_unit
    by_tier = client.get("/awards/review?tier=silver").get_data(as_text=True)
    assert "共同志工" in by_tier and "甲志工" not in by_tier
    assert "甲志工" not in client.get(f"/awards/review?round={other.id}").get_data(as_text=True)
    assert "甲志工" not in client.get("/awards/review?status=approved").get_data(as_text=True)
    assert "甲志工" in client.get("/awards/review?status=submitted&round=junk").get_data(as_text=True)


# --- paper applications ----------------------------------------------------------------------

def test_sector_authority_enters_a_paper_application(app, world, client):
    world.round = make_round(unit=-1, review=10)           # the units' deadline has passed, the review's not
    make_ready(world.people["a"], world.units["A"])
    a, unit = world.people["a"], world.units["A"]
    login(client, world.users["sector_local"])
    found = client.get(f"/awards/paper?q={a.masked_id}").get_data(as_text=True)
    assert "甲志工" in found and "/awards/paper/enter" in found
    assert "甲志工" in client.get("/awards/paper?q=甲志").get_data(as_text=True)
    assert "金絲雀" not in client.get(f"/awards/paper?q={world.people['canary'].masked_id}").get_data(as_text=True)
    target = f"round_id={world.round.id}&unit_id={unit.id}&person_id={a.id}"
    assert client.get(f"/awards/paper/enter?{target}").status_code == 200
    response = client.post("/awards/paper/enter", data={"round_id": world.round.id, "unit_id": unit.id,
                                                         "person_id": a.id, "merit": "紙本送件"})
    assert response.status_code == 302
    application = applications()[0]
    assert (application.channel, application.status, application.unit_id, application.merit) == \
        ("paper", "submitted", unit.id, "紙本送件")
    assert application.applied_by_id == world.users["sector_local"].id
    assert '"channel": "paper"' in audit_actions("award.apply")[0].detail


def test_paper_entry_stays_in_scope_and_before_the_review_deadline(app, world, client):
    world.round = make_round(unit=-20, review=-1)
    canary, unit_c = world.people["canary"], world.units["C"]
    make_ready(canary, unit_c)
    make_ready(world.people["a"], world.units["A"])
    login(english(client), world.users["sector_local"])
    foreign = client.post("/awards/paper/enter", data={"round_id": world.round.id, "unit_id": unit_c.id,
                                                        "person_id": canary.id})
    assert foreign.status_code == 302 and foreign.headers["Location"].endswith("/awards/paper")
    late = client.post("/awards/paper/enter", data={"round_id": world.round.id, "unit_id": world.units["A"].id,
                                                     "person_id": world.people["a"].id})
    assert late.status_code == 422 and "paper applications can no longer be entered" in late.get_data(as_text=True)
    assert count(AwardApplication) == 0
    login(client, world.users["clerk_a"])
    assert client.get("/awards/paper").status_code == 403


def test_paper_entry_runs_the_engine(app, world, client):
    world.round = make_round()
    make_ready(world.people["a"], world.units["A"], hours=1000)
    login(english(client), world.users["sector_local"])
    response = client.post("/awards/paper/enter", data={"round_id": world.round.id, "unit_id": world.units["A"].id,
                                                         "person_id": world.people["a"].id})
    assert response.status_code == 422 and "still needs 500 hours" in response.get_data(as_text=True)
    assert count(AwardApplication) == 0


# --- rounds ----------------------------------------------------------------------------------

def round_form(**kw):
    t = today()
    values = {"scheme": "general", "year": t.year, "cutoff_on": (t - timedelta(days=5)).isoformat(),
              "unit_deadline": (t + timedelta(days=30)).isoformat(),
              "review_deadline": (t + timedelta(days=60)).isoformat(),
              "ministry_deadline": (t + timedelta(days=90)).isoformat(), "status": "open"}
    return values | kw


def test_ministry_opens_and_edits_rounds(app, world, client):
    login(client, world.users["ministry"])
    assert client.post("/awards/rounds/new", data=round_form()).status_code == 302
    award_round = db.session.scalar(select(AwardRound))
    assert (award_round.scheme, award_round.year, award_round.status) == ("general", today().year, "open")
    assert award_round.created_by_id == world.users["ministry"].id
    assert len(audit_actions("award.round_create")) == 1
    edited = client.post(f"/awards/rounds/{award_round.id}/edit",
                         data=round_form(status="closed", version=award_round.version))
    assert edited.status_code == 302
    db.session.refresh(award_round)
    assert award_round.status == "closed" and "closed" in audit_actions("award.round_edit")[0].detail
    assert "/awards/rounds/%d/edit" % award_round.id in client.get("/awards/rounds").get_data(as_text=True)


def test_round_dates_must_be_in_order(app, world, client):
    login(english(client), world.users["ministry"])
    t = today()
    response = client.post("/awards/rounds/new", data=round_form(review_deadline=(t + timedelta(days=10)).isoformat()))
    assert response.status_code == 422
    assert "must come after the units' deadline" in response.get_data(as_text=True)
    cutoff_late = client.post("/awards/rounds/new", data=round_form(cutoff_on=(t + timedelta(days=40)).isoformat()))
    assert cutoff_late.status_code == 422 and "cannot be before the date hours count up to" in \
        cutoff_late.get_data(as_text=True)
    assert count(AwardRound) == 0


def test_one_round_per_scheme_and_year_is_a_friendly_error(app, world, client):
    existing = make_round("general")
    other = make_round("health_welfare")
    login(english(client), world.users["ministry"])
    twice = client.post("/awards/rounds/new", data=round_form())
    assert twice.status_code == 422
    assert f"There is already a round of this scheme for {today().year}" in twice.get_data(as_text=True)
    clash = client.post(f"/awards/rounds/{other.id}/edit", data=round_form(version=other.version))
    assert clash.status_code == 422 and "There is already a round" in clash.get_data(as_text=True)
    assert count(AwardRound) == 2 and existing.scheme == "general"


def test_scheme_and_year_stay_once_units_have_applied(app, ready, client):
    submitted(client, ready, "a")
    login(english(client), ready.users["ministry"])
    award_round = ready.round
    moved = client.post(f"/awards/rounds/{award_round.id}/edit",
                        data=round_form(scheme="general", version=award_round.version))
    assert moved.status_code == 422 and "cannot change once units have applied" in moved.get_data(as_text=True)
    later = (today() + timedelta(days=25)).isoformat()
    dates = client.post(f"/awards/rounds/{award_round.id}/edit",
                        data=round_form(scheme="health_welfare", unit_deadline=later, version=award_round.version))
    assert dates.status_code == 302
    db.session.refresh(award_round)
    assert (award_round.scheme, award_round.unit_deadline) == ("health_welfare", today() + timedelta(days=25))


def test_only_the_ministry_keeps_rounds(app, world, client):
    award_round = make_round()
    for persona in ("clerk_a", "sector_local", "county_tpe", "admin"):
        login(client, world.users[persona])
        assert client.get("/awards/rounds").status_code == 403
        assert client.post("/awards/rounds/new", data=round_form()).status_code == 403
        assert client.post(f"/awards/rounds/{award_round.id}/edit", data=round_form()).status_code == 403
    assert count(AwardRound) == 1


# --- concurrent edits ------------------------------------------------------------------------

def test_a_stale_version_is_a_conflict(app, ready, client):
    application = submitted(client, ready, "a")[0]
    login(client, ready.users["sector_local"])
    assert client.post(f"/awards/applications/{application.id}/forward",
                       data={"version": application.version + 1}).status_code == 409
    assert client.post(f"/awards/applications/{application.id}/return",
                       data={"version": application.version + 1, "reason": "x"}).status_code == 409
    assert db.session.get(AwardApplication, application.id).status == "submitted"
    login(client, ready.users["ministry"])
    stale = ready.round.version
    same = {"scheme": "health_welfare", "version": stale}
    assert client.post(f"/awards/rounds/{ready.round.id}/edit", data=round_form(**same)).status_code == 302
    assert client.post(f"/awards/rounds/{ready.round.id}/edit",
                       data=round_form(status="closed", **same)).status_code == 409
    assert db.session.get(AwardRound, ready.round.id).status == "open"


# --- the volunteer's awards and revocation ---------------------------------------------------

def approved_award(client, world):
    application = submitted(client, world, "a")[0]
    login(client, world.users["sector_local"])
    client.post(f"/awards/applications/{application.id}/forward", data={"version": application.version})
    db.session.refresh(application)
    login(client, world.users["ministry"])
    client.post(f"/awards/applications/{application.id}/approve", data={"version": application.version})
    return db.session.scalar(select(Award))


def test_ministry_revokes_with_a_reason_and_the_volunteer_sees_it(app, ready, client):
    award = approved_award(client, ready)
    assert client.post(f"/awards/{award.id}/revoke", data={"version": award.version}).status_code == 302
    assert db.session.get(Award, award.id).status == "valid"                      # no reason, not revoked
    assert client.post(f"/awards/{award.id}/revoke", data={"version": award.version + 1,
                                                           "reason": "x"}).status_code == 409
    asked = client.post(f"/awards/{award.id}/revoke", data={"version": award.version, "reason": "資料不實"})
    assert "不能復原" in asked.get_data(as_text=True) and db.session.get(Award, award.id).status == "valid"
    client.post(f"/awards/{award.id}/revoke", data={"version": award.version, "reason": "資料不實", "confirm": "1"})
    db.session.refresh(award)
    assert (award.status, award.revoke_reason) == ("revoked", "資料不實")
    assert "資料不實" in audit_actions("award.revoke")[0].detail
    login(english(client), ready.users["volunteer"])
    mine = client.get("/awards/mine").get_data(as_text=True)
    assert "Revoked" in mine and "資料不實" in mine


def test_only_the_ministry_revokes(app, ready, client):
    award = approved_award(client, ready)
    login(client, ready.users["sector_local"])
    assert client.get(f"/awards/{award.id}").status_code == 200
    assert client.post(f"/awards/{award.id}/revoke", data={"version": award.version, "reason": "x"}).status_code \
        == 403
    login(client, ready.users["clerk_b"])
    assert client.get(f"/awards/{award.id}").status_code == 404
    assert db.session.get(Award, award.id).status == "valid"


def test_the_volunteer_sees_only_their_own(app, ready, client):
    submitted(client, ready, "a", "shared")
    login(client, ready.users["volunteer"])
    mine = client.get("/awards/mine").get_data(as_text=True)
    assert "臺北甲協會" in mine and mine.count("<tr>") == 2           # the header row and their own application
    other = db.session.scalars(select(AwardApplication)).all()[1]
    assert client.get(f"/awards/applications/{other.id}").status_code == 403


# --- words on the buttons --------------------------------------------------------------------

def test_every_action_button_says_what_it_does(app, ready, client):
    application = submitted(client, ready, "a")[0]
    english(client)
    assert "Nothing is sent to the sector authority until you confirm there." in \
        client.get("/awards/").get_data(as_text=True)
    assert "Takes the application back before the sector authority handles it" in \
        client.get("/awards/").get_data(as_text=True)
    login(english(client), ready.users["sector_local"])
    queue = client.get("/awards/review").get_data(as_text=True)
    assert "Sends each selected application to the ministry" in queue and "no award is granted" in queue
    assert 'aria-label="Select 甲志工"' in queue
    detail = client.get(f"/awards/applications/{application.id}").get_data(as_text=True)
    assert "Confirms that your office checked the application" in detail


def test_the_review_list_downloads_as_a_masked_roster_and_the_export_is_audited(app, ready, client):
    login(client, ready.users["clerk_a"])
    assert apply_for(client, ready.round, ready.people["a"], ready.people["shared"]).status_code == 302
    login(client, ready.users["sector_local"])
    page = client.get("/awards/review").get_data(as_text=True)
    assert "/awards/review.csv" in page
    response = client.get("/awards/review.csv")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    person = ready.people["a"]
    assert "證號" in text.splitlines()[0] and "甲志工" in text and "共同志工" in text
    assert person.masked_id in text and person.id_number not in text
    assert "金絲雀" not in text                                   # another county's volunteer never appears
    row = db.session.scalar(select(AuditLog).where(AuditLog.action == "award.export"))
    assert row is not None and '"rows": 2' in row.detail and "sha256" in row.detail
    login(client, ready.users["clerk_a"])
    assert client.get("/awards/review.csv").status_code == 403
