"""Forwarding after the sector authorities' deadline is refused with the date named (docs/rules/awards.md#a4).

The edge is the Taipei day: the deadline day itself (to 23:59 Taipei) is allowed, the day after is refused,
on the single page, in the bulk action and in the operation itself."""
from datetime import date, timedelta

from freezegun import freeze_time
from sqlalchemy import select

from portal.awards import rules
from portal.awards.models import AwardApplication, AwardRound
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from tests.conftest import login

DEADLINE = date(2026, 3, 31)


def test_rule_allows_the_deadline_day_and_refuses_the_day_after(app):
    assert rules.forward_problem(DEADLINE, DEADLINE) is None
    assert rules.forward_problem(DEADLINE, DEADLINE - timedelta(days=30)) is None
    refused = rules.forward_problem(DEADLINE, DEADLINE + timedelta(days=1))
    assert refused and "115/03/31" in refused


def make_application(world, review_deadline: date, person="a", scheme="health_welfare") -> AwardApplication:
    award_round = AwardRound(scheme=scheme, year=review_deadline.year,
                             cutoff_on=review_deadline - timedelta(days=60),
                             unit_deadline=review_deadline - timedelta(days=30), review_deadline=review_deadline,
                             ministry_deadline=review_deadline + timedelta(days=30))
    application = AwardApplication(round=award_round, person_id=world.people[person].id,
                                   unit_id=world.units["A"].id, tier="bronze", half_hours=3000)
    db.session.add_all([award_round, application])
    db.session.commit()
    return application


def forward_page(client, application):
    return client.post(f"/awards/applications/{application.id}/forward",
                       data={"version": application.version, "note": ""}, follow_redirects=True)


def test_sector_authority_forwards_on_the_deadline_day_in_taipei(app, world, client):
    application = make_application(world, DEADLINE)
    # 23:59 in Taipei on the deadline day (15:59 UTC): still allowed.
    with freeze_time("2026-03-31T15:59:00Z", tick=True):
        login(client, world.users["sector_local"])
        page = client.get(f"/awards/applications/{application.id}").get_data(as_text=True)
        assert f"/awards/applications/{application.id}/forward" in page
        forward_page(client, application)
    db.session.refresh(application)
    assert application.status == "forwarded"


def test_forwarding_the_day_after_is_refused_with_the_date(app, world, client):
    application = make_application(world, DEADLINE)
    other = make_application(world, date(2026, 4, 30), person="shared", scheme="general")
    # 00:00 on 1 April in Taipei is still 31 March in UTC: the Taipei day decides.
    with freeze_time("2026-03-31T16:00:00Z", tick=True):
        login(client, world.users["sector_local"])
        assert today_taipei() == date(2026, 4, 1)
        page = client.get(f"/awards/applications/{application.id}").get_data(as_text=True)
        assert f"/awards/applications/{application.id}/forward" not in page   # the page says why instead
        assert "115年3月31日" in page or "115/03/31" in page
        answer = forward_page(client, application).get_data(as_text=True)
        assert "115年3月31日" in answer or "115/03/31" in answer
        # The bulk action refuses the late one by name and forwards the one still within its deadline.
        bulk = client.post("/awards/review", data={"action": "forward", "note": "",
                                                    "application_id": [application.id, other.id],
                                                    f"version-{application.id}": application.version,
                                                    f"version-{other.id}": other.version},
                           follow_redirects=True).get_data(as_text=True)
        assert world.people["a"].name in bulk
    statuses = dict(db.session.execute(select(AwardApplication.id, AwardApplication.status)).all())
    assert statuses == {application.id: "submitted", other.id: "forwarded"}
