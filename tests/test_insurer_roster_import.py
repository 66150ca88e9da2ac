"""The insurer's roster through the import pipeline (docs/rules/insurance.md#i8): matched by ID number,
reconciled with the enrolments (missing, extra, other dates), all or nothing with every bad row reported."""
import io
from datetime import date
from pathlib import Path

from sqlalchemy import select

from portal.imports.models import BatchStatus, ImportBatch
from portal.insurance.models import InsuranceEnrolment, InsurancePolicy, RosterCheck, RosterLine
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from tests.conftest import login

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "insurance" / "insurer-roster-shinkong.xlsx"
START, END = date(2025, 1, 1), date(2025, 12, 31)


def setup_policy(world, make_person, number="SK-114-0001"):
    unit = world.units["A"]
    people = {name: make_person([unit], name=name, id_number=id_number) for name, id_number in (
        ("甲志工", "A123456789"), ("乙志工", "B223456782"), ("丁志工", "E234567897"))}
    policy = InsurancePolicy(unit_id=unit.id, insurer_code="shinkong", insurer_name="新光人壽", policy_no=number,
                             starts_on=START, ends_on=END)
    db.session.add(policy)
    db.session.flush()
    for person in people.values():
        db.session.add(InsuranceEnrolment(policy_id=policy.id, person_id=person.id, unit_id=unit.id,
                                          starts_on=START, ends_on=END))
    db.session.commit()
    return policy, people


def upload(client, data: bytes, name: str):
    response = client.post("/insurance/roster", data={"file": (io.BytesIO(data), name), "encoding": ""},
                           content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)
    return db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))


def confirm(client, batch):
    response = client.post(f"/insurance/roster/{batch.id}/confirm", data={"version": batch.version})
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)


def test_a_roster_with_one_missing_and_one_extra_reconciles_to_exactly_those_two(world, client, make_person):
    policy, people = setup_policy(world, make_person)
    login(client, world.users["clerk_a"])
    batch = upload(client, FIXTURE.read_bytes(), FIXTURE.name)
    assert (batch.status, batch.error_count, batch.rows) == (BatchStatus.PREVIEWED, 0, 3)
    assert batch.summary_values | {} == {"matched": 2, "dates": 0, "extra": 1, "missing": 1, "policies": 1}
    assert db.session.scalar(select(RosterLine.id)) is None                        # nothing before the confirmation
    batch = confirm(client, batch)
    assert batch.status == BatchStatus.COMMITTED
    differences = {(line.check, line.name) for line in db.session.scalars(
        select(RosterLine).where(RosterLine.check != RosterCheck.MATCHED))}
    assert differences == {(RosterCheck.MISSING, "丁志工"), (RosterCheck.EXTRA, "丙志工")}
    extra = db.session.scalar(select(RosterLine).where(RosterLine.check == RosterCheck.EXTRA))
    assert extra.person_id is None and extra.masked_id != "F128765439" and extra.sheet_row == 7
    page = client.get(f"/insurance/roster/{batch.id}").get_data(as_text=True)
    assert "丁志工" in page and "丙志工" in page and "甲志工" not in page
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "insurance.roster")) is not None
    # enrolments are not changed by a reconciliation
    assert len(db.session.scalars(select(InsuranceEnrolment)).all()) == 3


def roster_csv(*rows) -> bytes:
    header = "保單號碼,被保險人姓名,身分證字號,保險起日,保險迄日\n"
    return (header + "".join(",".join(r) + "\n" for r in rows)).encode("utf-8")


def test_other_dates_and_a_county_policy(world, client, make_person):
    policy, people = setup_policy(world, make_person)
    login(client, world.users["clerk_a"])
    batch = upload(client, roster_csv(("SK-114-0001", "甲志工", "A123456789", "114/01/01", "114/12/31"),
                                      ("sk-114-0001", "乙志工", "B223456782", "114/03/01", "114/12/31"),
                                      ("SK-114-0001", "丁志工", "E234567897", "2025-01-01", "2025-12-31"),
                                      ("SK-114-0001", "丁志工", "E234567897", "2025-01-01", "2025-12-31")),
                   "roster.csv")
    assert batch.error_count == 0 and batch.duplicates == 1
    assert batch.summary_values["dates"] == 1 and batch.summary_values["matched"] == 2
    # the county cannot reconcile the unit's policy: its number is not one of the county's policies
    login(client, world.users["county_tpe"])
    batch = upload(client, roster_csv(("SK-114-0001", "甲志工", "A123456789", "114/01/01", "114/12/31")), "r.csv")
    assert batch.error_count == 1 and batch.error_list[0]["code"] == "policy"
    assert client.get(f"/insurance/roster/{batch.id}").status_code == 200
    login(client, world.users["clerk_a"])
    assert client.get(f"/insurance/roster/{batch.id}").status_code == 404


def test_every_bad_row_is_reported_and_nothing_is_saved(world, client, make_person):
    setup_policy(world, make_person)
    login(client, world.users["clerk_a"])
    batch = upload(client, roster_csv(("SK-114-0001", "甲志工", "A123456789", "114/01/01", "114/12/31"),
                                      ("SK-999", "乙志工", "B223456782", "114/01/01", "114/12/31"),
                                      ("SK-114-0001", "丁志工", "E234567890", "114/01/01", "114/12/31"),
                                      ("SK-114-0001", "別人", "B223456782", "114/01/01", "114/12/31"),
                                      ("SK-114-0001", "丁志工", "E234567897", "114/12/31", "114/01/01"),
                                      ("SK-114-0001", "", "E234567897", "114/13/45", "")),
                   "bad.csv")
    codes = sorted(e["code"] for e in batch.error_list)
    assert codes == sorted(["policy", "checksum", "name_mismatch", "date_order", "required", "impossible_date",
                            "required"]), codes
    assert {e["row"] for e in batch.error_list} == {3, 4, 5, 6, 7}
    assert all("E234567890" not in e["value"] for e in batch.error_list)
    response = client.post(f"/insurance/roster/{batch.id}/confirm", data={"version": batch.version})
    assert response.status_code == 302
    assert db.session.scalar(select(RosterLine.id)) is None
    assert db.session.get(ImportBatch, batch.id).status == BatchStatus.PREVIEWED
