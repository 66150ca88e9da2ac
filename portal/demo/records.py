"""Service records for the demo set: training, monthly hours, photos, record books, insurance.

Written straight into the tables (it is a demo, not a user's action), shaped like real data:
most volunteers trained when they joined, one hour row per volunteer per month, some units
behind with last month's hours, record books for most trained volunteers, one policy per unit.
"""
import io
import random
from datetime import date, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import insert

from portal.hours.models import HourEntry
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy
from portal.platform import uploads
from portal.platform.extensions import db
from portal.records.models import RecordBook
from portal.records.operations import next_number
from portal.registry.models import Membership, PhotoStatus
from portal.registry.photos import PURPOSE, prepare_photo
from portal.training.models import TrainingKind, TrainingRecord, TrainingStatus

INSURERS = [("shinkong", "新光人壽", 75), ("first", "第一產物", 80)]


def month_starts(first: date, last: date):
    day = date(first.year, first.month, 1)
    while day <= last:
        yield day
        day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def month_end(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1) - timedelta(days=1)


def demo_photo(rng: random.Random, index: int) -> bytes:
    image = Image.new("RGB", (300, 420), (200 + rng.randint(0, 40), 215, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse((95, 70, 205, 190), fill=(120 + index % 80, 100, 90))
    draw.ellipse((45, 210, 255, 480), fill=(40, 70 + index % 90, 120))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def load_records(rng: random.Random, people, units, today: date):
    last_month_end = date(today.year, today.month, 1) - timedelta(days=1)
    behind = {u.id for u in units[::7]}  # these units have not entered last month yet
    hours_rows, trained = [], []
    for index, person in enumerate(people):
        membership = person.memberships[0]
        if rng.random() < 0.1:
            continue  # not trained yet: hours cannot be entered from 2026
        start = membership.joined_on
        db.session.add(TrainingRecord(person_id=person.id, unit_id=membership.unit_id, kind=TrainingKind.BASIC,
                                      course_name="志願服務基礎訓練", hours=6, provider="縣市志願服務推廣中心",
                                      completed_on=start, effective_on=start, status=TrainingStatus.VERIFIED,
                                      certificate_no=f"B{start.year - 1911}-{index:05d}"))
        for m in person.memberships:
            db.session.add(TrainingRecord(person_id=person.id, unit_id=m.unit_id, kind=TrainingKind.SPECIAL,
                                          field_code=m.field_code, course_name="特殊訓練", hours=6,
                                          provider=m.unit.name, completed_on=m.joined_on, effective_on=m.joined_on,
                                          status=TrainingStatus.VERIFIED, certificate_no=f"S{index:05d}-{m.unit_id}"))
        trained.append(person)
        for m in person.memberships:
            end = m.left_on or (last_month_end if m.unit_id not in behind else last_month_end.replace(day=1)
                                - timedelta(days=1))
            pace = rng.choice([4, 8, 8, 12, 16, 24])
            for first in month_starts(max(m.joined_on, date(2001, 2, 1)), min(end, last_month_end)):
                if rng.random() < 0.15:
                    continue
                hours_rows.append({"person_id": person.id, "unit_id": m.unit_id, "start_on": first,
                                   "end_on": min(month_end(first), end), "field_code": m.field_code,
                                   "half_hours": max(1, pace + rng.randint(-4, 4)), "content": "例行服務",
                                   "persons_served": rng.randint(0, 40), "source": "unit", "status": "active"})
    db.session.flush()
    if hours_rows:
        db.session.execute(insert(HourEntry), hours_rows)
    return trained, len(hours_rows)


def load_photos_and_books(rng: random.Random, trained, authorities: dict, today: date) -> int:
    books = 0
    for index, person in enumerate(trained):
        if rng.random() < 0.8:
            stored = uploads.store(prepare_photo("photo.jpg", demo_photo(rng, index)), PURPOSE, None)
            person.photo_file_id, person.photo_status = stored.id, PhotoStatus.ACCEPTED
            if rng.random() < 0.85:
                unit = person.memberships[0].unit
                issued = max(person.memberships[0].joined_on + timedelta(days=30), date(2005, 1, 1))
                issued = min(issued, today)
                db.session.add(RecordBook(person_id=person.id, number=next_number(unit.county_code, issued),
                                          kind="first", requested_on=issued - timedelta(days=7), unit_id=unit.id,
                                          issued_on=issued, authority_id=authorities[unit.county_code]))
                books += 1
    db.session.flush()
    return books


def load_insurance(rng: random.Random, units, today: date) -> int:
    enrolled = 0
    for unit in units:
        code, name, max_age = INSURERS[rng.randrange(len(INSURERS))]
        policy = InsurancePolicy(unit_id=unit.id, insurer_code=code, insurer_name=name,
                                 policy_no=f"{code.upper()}-{today.year}-{unit.id:04d}",
                                 starts_on=date(today.year, 1, 1), ends_on=date(today.year, 12, 31),
                                 cover_note="意外身故及失能 100 萬元、意外醫療 3 萬元")
        db.session.add(policy)
        db.session.flush()
        if unit.id % 5 == 0:
            continue  # a unit that has not enrolled anyone yet
        for m in unit_memberships(unit):
            age = m.person.age_on(date(today.year, 1, 1))
            if not m.is_current or (age is not None and age >= max_age):
                continue
            db.session.add(InsuranceEnrolment(policy_id=policy.id, person_id=m.person_id, unit_id=unit.id,
                                              starts_on=policy.starts_on, ends_on=policy.ends_on))
            enrolled += 1
    db.session.flush()
    return enrolled


def unit_memberships(unit):
    return db.session.scalars(db.select(Membership).where(Membership.unit_id == unit.id)).all()
