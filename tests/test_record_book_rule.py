"""The record-book rule without a case (docs/rules/training.md#t7): a health-and-welfare volunteer who holds a
valid record book counts as having completed that field's special training from the book's issue date, in the
2026 gate and in the "training complete" lists at once, with its basis shown; no case is filed.

Both sides of each edge: without a book blocked, with one allowed; the issue date itself counts and the day
before does not; education (not health and welfare) and a cancelled book stay blocked; days before 2026 that
the gate allowed without training stay allowed (the rule only opens)."""
from datetime import date

from sqlalchemy import func, select

from portal.hours.models import HourEntry
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.registry.models import Membership
from portal.training import facts
from portal.training.facts import gate_checker, verified_special
from portal.training.models import LostCertificateCase, TrainingRecord
from tests.conftest import count_queries, login

BASIC = date(2015, 1, 1)


def basic_training(person):
    db.session.add(TrainingRecord(person_id=person.id, kind="basic", course_name="基礎訓練", completed_on=BASIC,
                                  effective_on=BASIC, status="verified"))
    db.session.commit()


def book(person, issued_on, number="TPE-114-000123", kind="first"):
    db.session.add(RecordBook(person_id=person.id, number=number, issued_on=issued_on, kind=kind))
    db.session.commit()


def gate(person, field_code, day):
    return gate_checker([person.id])(person.id, field_code, day)


def entry(person, day, field_code="social"):
    return {"person_id": person.id, "start_on": day.isoformat(), "hours": "3", "field_code": field_code,
            "content": "陪伴長者", "persons_served": "4", "action": "save"}


def complete(person_id, field_code) -> bool:
    """The roster's and work list's SQL condition, as those pages filter with it."""
    return bool(db.session.scalar(select(func.count(Membership.id)).where(
        Membership.person_id == person_id, Membership.field_code == field_code,
        verified_special(Membership.person_id, Membership.field_code))))


def test_hours_2026_need_no_case_when_the_volunteer_holds_a_record_book(app, world, client):
    person = world.people["a"]            # unit A: social welfare, a health-and-welfare field
    basic_training(person)
    login(client, world.users["clerk_a"])
    # Without a record book: blocked, and the lists say the special training is missing.
    refused = client.post("/hours/new", data=entry(person, date(2026, 3, 2)))
    assert refused.status_code == 422 and not db.session.scalar(select(func.count(HourEntry.id)))
    assert not complete(person.id, "social")
    # With one (issued 2025-06-01): allowed at once, no case, no training record written.
    book(person, date(2025, 6, 1))
    assert client.post("/hours/new", data=entry(person, date(2026, 3, 2))).status_code == 302
    assert db.session.scalar(select(func.count(HourEntry.id))) == 1
    assert db.session.scalar(select(func.count(LostCertificateCase.id))) == 0
    assert db.session.scalar(select(func.count(TrainingRecord.id))) == 1       # the basic training only
    assert complete(person.id, "social")
    # The basis is visible where the training is shown, to the unit and to the volunteer.
    for user in ("clerk_a", "volunteer"):
        page = login(app.test_client(), world.users[user]).get(
            f"/training/people/{person.id}" if user == "clerk_a" else "/training/").get_data(as_text=True)
        assert "TPE-114-000123" in page and "badge-verified" in page


def test_the_issue_date_counts_and_the_day_before_does_not(app, world):
    person = world.people["a"]
    basic_training(person)
    book(person, date(2026, 3, 10))
    assert gate(person, "social", date(2026, 3, 10)) is None
    refused = gate(person, "social", date(2026, 3, 9))
    assert refused and "115/03/10" in refused                    # names the book's issue date
    assert gate(person, "health", date(2026, 3, 10)) is None    # the other health-and-welfare field
    # Before 2026 the gate allowed entries without training in the portal; the book does not close them.
    assert gate(person, "social", date(2025, 12, 31)) is None
    assert gate(person, "social", date(2020, 1, 1)) is None


def test_other_fields_cancelled_books_and_missing_basic_training_stay_blocked(app, world):
    shared = world.people["shared"]       # units A (social) and B (education)
    book(shared, date(2020, 1, 1))
    assert gate(shared, "social", date(2026, 3, 2)) is not None          # basic training is still needed
    basic_training(shared)
    assert gate(shared, "social", date(2026, 3, 2)) is None
    assert gate(shared, "education", date(2026, 3, 2)) is not None       # not a health-and-welfare field
    assert complete(shared.id, "social") and not complete(shared.id, "education")
    person = world.people["a"]
    basic_training(person)
    book(person, date(2020, 1, 1), number="TPE-109-000001", kind="cancelled")
    assert gate(person, "social", date(2026, 3, 2)) is not None
    assert not complete(person.id, "social")


def test_a_verified_certificate_after_the_book_does_not_push_the_start_later(app, world):
    person = world.people["a"]
    basic_training(person)
    db.session.add(TrainingRecord(person_id=person.id, kind="special", field_code="social", completed_on=date(2026, 5, 1),
                                  effective_on=date(2026, 5, 1), status="verified"))
    db.session.commit()
    assert gate(person, "social", date(2026, 2, 1)) is not None
    book(person, date(2024, 1, 1))
    assert gate(person, "social", date(2026, 2, 1)) is None


def test_the_gate_loads_books_set_based(app, world):
    people = [world.people[k] for k in ("a", "b", "shared", "canary")]
    for n, person in enumerate(people):
        book(person, date(2020, 1, 1), number=f"TPE-109-{n:06d}")
    ids = [p.id for p in people]
    with count_queries() as seen:
        check = gate_checker(ids)
        answers = [check(i, "social", date(2026, 3, 2)) for i in ids]
    assert len(seen) == 2               # verified training, record books: whatever the number of people
    assert all(a is not None for a in answers)     # no basic training for anyone here
    assert facts.record_books_of(ids).keys() == set(ids)
