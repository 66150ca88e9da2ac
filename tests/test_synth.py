"""The national synthetic data set (`flask synth`, docs/synth.md): a small run is rule-valid by the portal's
own rule engine, its distributions hold, its benchmark accounts sign in, its pages answer, and the same seed
gives the same data. On SQLite and PostgreSQL."""
import hashlib
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pyotp
from sqlalchemy import func, select

from portal.awards.models import AwardApplication, AwardRound
from portal.documents.models import Document
from portal.honor_cards.models import HonorCard
from portal.honor_cards.rules import MIN_HALF_HOURS
from portal.hours import summaries
from portal.hours.facts import entry_checker
from portal.hours.models import HourChange, HourEntry
from portal.hours.rules import Draft, check_day, unit_fields
from portal.insurance.models import InsuranceEnrolment
from portal.platform.extensions import db
from portal.platform.numbering import NumberSequence
from portal.platform.timeutil import today_taipei
from portal.records.models import RecordBook
from portal.registry.identity import classify
from portal.registry.models import Membership, Person, Unit
from portal.stats.headcounts import HeadcountYear
from portal.stats.trend import CompletenessMonth
from portal.synth.load import roles_for
from portal.synth.people import Roles, profile
from portal.synth.plan import COUNTY_WEIGHTS, MAX_UNIT, MIN_UNIT, Plan
from portal.synth.tables import FIELD_ABBR, Layout, unit_rows
from portal.training.facts import gate_checker
from portal.training.models import TrainingRecord
from tests.conftest import reset_database

SMALL = ["--volunteers", "300", "--units", "12", "--since", "2016", "--documents", "2"]


def synth(runner, tmp_path, *extra, name="synth.json"):
    path = tmp_path / name
    result = runner.invoke(args=["synth", *SMALL, "--manifest", str(path), *extra])
    assert result.exit_code == 0, result.output
    return json.loads(path.read_text())


def test_small_run_is_rule_valid(app, runner, tmp_path):
    manifest = synth(runner, tmp_path)
    today = today_taipei()
    assert db.session.scalar(select(func.count()).select_from(Person)) == manifest["volunteers"] == 300
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 12
    entries = db.session.execute(select(HourEntry).order_by(HourEntry.id)).scalars().all()
    assert len(entries) == manifest["hour_entries"] > 300 * 20
    units = db.session.scalars(select(Unit)).all()
    # The portal's own rule engine, fed every stored entry as if a file imported them one after another.
    people = {e.person_id for e in entries}
    far = date(2100, 1, 1)
    checker = entry_checker(people, (far, far), today, unit_fields=unit_fields(units),
                            statuses=("active", "pending"))
    for e in entries:
        check_day(e.start_on, today)
        check_day(e.end_on, today)
        assert e.start_on >= date(2016, 1, 1) and e.half_hours > 0
        if e.status == "void":
            continue
        draft = Draft(e.person_id, e.unit_id, e.start_on, e.end_on, e.half_hours, e.field_code)
        assert checker.check(draft) == [] and checker.duplicate_of(draft) is None, e
        checker.accept(draft)
    # Stricter than H4/H5: no two entries of a volunteer share a day, in any unit or status.
    days = defaultdict(set)
    for e in entries:
        for n in range((e.end_on - e.start_on).days + 1):
            day = e.start_on + timedelta(days=n)
            assert day not in days[e.person_id], e
            days[e.person_id].add(day)
    # The 2026 gate, asked directly (docs/rules/training.md#t6): every entry from 2026 is trained.
    gate = gate_checker(people)
    late = [e for e in entries if e.end_on >= date(2026, 1, 1) and e.status != "void"]
    assert late and all(gate(e.person_id, e.field_code, e.start_on) is None for e in late)
    untrained = people - set(db.session.scalars(select(TrainingRecord.person_id).where(
        TrainingRecord.kind == "basic", TrainingRecord.status == "verified")))
    assert untrained and not any(e.end_on >= date(2026, 1, 1) for e in entries if e.person_id in untrained)
    # Voided entries keep their history; the summaries equal a recomputation.
    voids = {e.id for e in entries if e.status == "void"}
    assert voids == set(db.session.scalars(select(HourChange.entry_id).where(HourChange.action == "void")))
    for table, recomputed in ((summaries.HourMonth, summaries.recomputed_months()),
                              (summaries.HourUnitMonth, summaries.recomputed_unit_months()),
                              (summaries.HourUnitYear, summaries.recomputed_unit_years())):
        stored = set(db.session.execute(select(*(table.__table__.c[c.name] for c in recomputed.selected_columns))))
        assert stored and stored == {tuple(int(v) if isinstance(v, (float, Decimal)) else v for v in row)
                                     for row in db.session.execute(recomputed)}, table


def test_small_run_other_tables(app, runner, tmp_path):
    manifest = synth(runner, tmp_path)
    people = db.session.scalars(select(Person)).all()
    for person in people:
        assert classify(person.id_number)[0] == "national"
    # Memberships, record books, insurance and honor cards keep their rules.
    memberships = db.session.scalars(select(Membership)).all()
    assert all(m.left_on is None or m.joined_on < m.left_on for m in memberships)
    assert all((m.status == "left") == (m.left_on is not None) for m in memberships)
    books = db.session.scalars(select(RecordBook)).all()
    assert 0.5 * len(people) < len(books) < len(people)
    last = {(s.name, s.county_code, s.roc_year): s.last for s in db.session.scalars(select(NumberSequence))}
    for book in books:
        county, year, number = book.number.split("-")
        assert int(number) <= last[("record_book", county, int(year))]
    current = {(m.person_id, m.unit_id) for m in memberships if m.is_current}
    enrolments = db.session.scalars(select(InsuranceEnrolment)).all()
    assert enrolments and all((e.person_id, e.unit_id) in current for e in enrolments)
    for card in db.session.scalars(select(HonorCard)):
        assert card.half_hours >= MIN_HALF_HOURS and card.window_end < card.approved_on == card.valid_from
        counted = db.session.scalar(select(func.sum(HourEntry.half_hours)).where(
            HourEntry.person_id == card.person_id, HourEntry.status == "active",
            HourEntry.start_on >= card.window_start, HourEntry.end_on <= card.window_end))
        assert counted == card.half_hours
    trained = set(db.session.scalars(select(TrainingRecord.person_id).where(TrainingRecord.status == "verified")))
    assert 0.85 * len(people) < len(trained) < len(people)
    # The benchmark's part.
    assert db.session.get(AwardRound, manifest["award_round_id"]).is_open
    assert db.session.scalar(select(func.count()).select_from(AwardApplication)) > 0
    assert db.session.scalar(select(func.count()).select_from(Document)) == 2
    post = manifest["hours_post"]
    free_from = date.fromisoformat(post["free_from"])
    assert len(post["person_ids"]) >= 10
    gate = gate_checker(post["person_ids"])
    for pid in post["person_ids"]:
        assert db.session.scalar(select(Membership).where(
            Membership.person_id == pid, Membership.unit_id == post["unit_id"], Membership.is_current))
        assert gate(pid, post["field_code"], free_from) is None
    assert not db.session.scalar(select(func.count()).select_from(HourEntry).where(
        HourEntry.person_id.in_(post["person_ids"]), HourEntry.end_on >= free_from))
    volunteer = manifest["accounts"]["volunteer"]
    assert volunteer["entries"] == db.session.scalar(select(func.count()).select_from(HourEntry).where(
        HourEntry.person_id == volunteer["person_id"], HourEntry.status == "active")) > 1000


def sign_in(client, manifest, key):
    account = manifest["accounts"][key]
    answer = client.post("/login", data={"username": account["username"], "password": manifest["password"]})
    if "totp_secret" in account:
        assert answer.headers["Location"] == "/login/code"
        answer = client.post("/login/code", data={"code": pyotp.TOTP(account["totp_secret"]).now()})
    assert answer.status_code == 302 and answer.headers["Location"] == "/", (key, answer.status_code)
    assert b'action="/logout"' in client.get("/").data


def test_accounts_sign_in_and_pages_answer(app, runner, tmp_path):
    manifest = synth(runner, tmp_path)
    pages = {"volunteer": ["/"], "clerk": ["/volunteers/", f"/hours/units/{manifest['big_unit']['id']}", "/hours/",
                                           "/honor-cards/eligibility", f"/awards/?round={manifest['award_round_id']}"],
             "supervisor": ["/volunteers/"], "county": ["/records/completeness", "/hours/"],
             "sector": [f"/awards/?round={manifest['award_round_id']}", "/stats/"],
             "ministry": ["/records/completeness", "/stats/", f"/awards/rounds/{manifest['award_round_id']}/channels"]}
    pages["county"] += ["/stats/", "/"]
    for key, paths in pages.items():
        client = app.test_client()
        sign_in(client, manifest, key)
        for path in paths:
            answer = client.get(path, follow_redirects=True)    # authorities are sent on to their own list
            assert answer.status_code == 200 and answer.request.path != "/login", (key, path)
    answer = app.test_client().get(f"/verify/{manifest['verify_token']}")
    document = db.session.scalar(select(Document).where(Document.token == manifest["verify_token"]))
    assert answer.status_code == 200 and document.short_code.encode() in answer.data


def test_the_summaries_kept_by_writes_are_complete_after_a_load(app, runner, tmp_path):
    """The load bypasses the session events: completeness, the live headcount and the year-end headcounts are
    rebuilt from the loaded rows, so they equal a recomputation and the dashboards have past years."""
    synth(runner, tmp_path)
    for check in (["completeness", "rebuild", "--check"], ["stats", "rebuild", "--check"],
                  ["summaries", "rebuild", "--check"]):     # hour summaries and the memberships' sort names
        result = runner.invoke(args=check)
        assert result.exit_code == 0, (check, result.output)
    frozen = set(db.session.scalars(select(HeadcountYear.year).where(HeadcountYear.scope == "all")))
    assert frozen and max(frozen) == today_taipei().year - 1
    assert db.session.scalar(select(func.count()).select_from(CompletenessMonth)) > 0


def test_refuses_a_database_with_people_and_a_weak_password(app, runner, tmp_path):
    weak = runner.invoke(args=["synth", *SMALL, "--manifest", str(tmp_path / "w.json"), "--password", "short"])
    assert weak.exit_code != 0 and "password" in weak.output and not (tmp_path / "w.json").exists()
    assert db.session.scalar(select(func.count()).select_from(Person)) == 0
    synth(runner, tmp_path)
    again = runner.invoke(args=["synth", *SMALL, "--manifest", str(tmp_path / "again.json")])
    assert again.exit_code != 0 and "already holds people" in again.output


def digest() -> str:
    """The data a seed decides (not the timestamps of the run)."""
    h = hashlib.sha256()
    for query in (select(Person.id, Person.name, Person.id_number, Person.birth_date).order_by(Person.id),
                  select(Membership.person_id, Membership.unit_id, Membership.joined_on, Membership.left_on,
                         Membership.status).order_by(Membership.id),
                  select(HourEntry.id, HourEntry.person_id, HourEntry.unit_id, HourEntry.start_on, HourEntry.end_on,
                         HourEntry.half_hours, HourEntry.status).order_by(HourEntry.id),
                  select(TrainingRecord.person_id, TrainingRecord.kind, TrainingRecord.effective_on).order_by(
                      TrainingRecord.id),
                  select(Document.token, Document.short_code).order_by(Document.id)):
        for row in db.session.execute(query):
            h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def empty_database():
    db.session.remove()
    if db.engine.dialect.name == "sqlite":
        db.drop_all()
    reset_database()


def test_same_seed_same_data(app, runner, tmp_path):
    synth(runner, tmp_path, name="a.json")
    first = digest()
    empty_database()
    synth(runner, tmp_path, name="b.json")
    assert digest() == first
    # ... and another seed other data (computed without the database: the digest is not a constant).
    today, roles = today_taipei(), Roles(-1, frozenset(), today_taipei())
    plans = [Plan.build(seed, 300, 12, 2016, today) for seed in (2026, 7)]
    assert [profile(plans[0], i, roles).id_number for i in range(20)] == \
        [profile(Plan.build(2026, 300, 12, 2016, today), i, roles).id_number for i in range(20)]
    assert [profile(plans[0], i, roles).birth for i in range(20)] != [profile(plans[1], i, roles).birth for i in range(20)]


def test_distributions_at_scale():
    """The plan of 200,000 volunteers in 2,000 units (no database): unit sizes from 5 to 8,000 with the largest
    at 6,000–8,000, counties in proportion to population; a sample of volunteers for age and multi-unit shares."""
    today = date(2026, 12, 6)
    plan = Plan.build(2026, 200_000, 2_000, 2016, today)
    sizes = [u.size for u in plan.units]
    assert 6_000 <= max(sizes) <= MAX_UNIT and min(sizes) == MIN_UNIT
    members = Counter()
    for unit in plan.units:
        members[unit.county] += unit.size
    total, weight = sum(members.values()), sum(COUNTY_WEIGHTS.values())
    for county, population in COUNTY_WEIGHTS.items():
        assert abs(members[county] / total - population / weight) < 0.01, county
    roles = roles_for(plan, today)
    layout = Layout(plan, roles, {"units_base": 1}, {}, {(u.county, u.field): 1 for u in plan.units})
    codes = [row[1] for row in unit_rows(layout)]
    assert len(set(codes)) == len(codes) == 2_000
    sample = [profile(plan, i, Roles(-1, frozenset(), roles.free_from)) for i in range(0, 200_000, 40)]
    older = sum(p.age_on(today) >= 65 for p in sample) / len(sample)
    several = sum(len(p.serves) > 1 for p in sample) / len(sample)
    assert 0.31 < older < 0.39 and 0.08 < several < 0.14
    assert 0.6 < sum(p.sex == "F" for p in sample) / len(sample) < 0.78
    field_share = Counter(p.home.field for p in sample)
    assert field_share.most_common(1)[0][0] == "social"
    assert len(set(FIELD_ABBR.values())) == len(FIELD_ABBR) == 16
