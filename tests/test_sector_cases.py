"""The central sector authority decides lost-certificate cases of units in its field; one of another field
reads "not found", as the scopes answer everywhere else (docs/rules/training.md#t8)."""
from datetime import date

from flask import current_app
from sqlalchemy import select

from portal.platform.extensions import db
from portal.registry.operations import authority_for
from portal.training.models import LostCertificateCase, TrainingRecord
from tests.conftest import login


def filed_case(world, person="b", unit="B", field_code="education") -> LostCertificateCase:
    case = LostCertificateCase(person_id=world.people[person].id, unit_id=world.units[unit].id, kind="special",
                               field_code=field_code, course_name="教育特殊訓練", evidence="結訓名冊影本")
    db.session.add(case)
    db.session.commit()
    return case


def decide(user, case, **data):
    client = login(current_app.test_client(), user)
    return client.post(f"/training/lost/{case.id}/decide", data={
        "decision": "accept", "effective_on": "115/01/15", "version": case.version, **data})


def test_central_sector_authority_of_the_field_decides(app, world):
    case = filed_case(world)     # unit B (Taipei, education); world's central authority is education's
    central = world.users["sector_central"]
    page = login(current_app.test_client(), central).get(f"/training/lost/{case.id}").get_data(as_text=True)
    assert f"/training/lost/{case.id}/decide" in page     # the decision form is offered
    assert decide(central, case).status_code == 302
    db.session.refresh(case)
    assert case.status == "accepted" and case.basis == "authority_decision"
    assert case.decided_by_authority_id == central.authority_id
    record = db.session.scalar(select(TrainingRecord).where(TrainingRecord.lost_case_id == case.id))
    assert record.status == "verified" and record.effective_on == date(2026, 1, 15)


def test_central_sector_authority_of_another_field_reads_not_found(app, world, make_user):
    case = filed_case(world, person="a", unit="A", field_code="social")   # unit A is social welfare
    education = world.users["sector_central"]
    assert login(current_app.test_client(), education).get(f"/training/lost/{case.id}").status_code == 404
    assert decide(education, case).status_code == 404
    # Refusing works for the field's own central authority, with a reason.
    social = make_user("sector.social", "sector_central",
                       authority_id=authority_for("sector_central", None, "social").id)
    assert decide(social, case, decision="refuse", reason="查無結訓紀錄").status_code == 302
    db.session.refresh(case)
    assert case.status == "refused" and case.decided_by_authority_id == social.authority_id
    # Units keep not deciding (the route policy refuses them).
    assert decide(world.users["clerk_a"], filed_case(world, person="a", unit="A", field_code="health")).status_code \
        == 403
