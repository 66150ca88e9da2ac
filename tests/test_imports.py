"""The import pipeline: the fixtures in tests/fixtures/imports behave as their .expect.json files say,
on every backend; validate-all preview, all-or-nothing commit, idempotency, encodings, limits, web flow
and CLI twin."""
import csv
import io
import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from freezegun import freeze_time
from openpyxl import Workbook, load_workbook
from python_calamine import CalamineWorkbook
from sqlalchemy import func, select

from portal.hours.models import HourEntry
from portal.imports import registry
from portal.imports.models import ImportBatch
from portal.imports.pipeline import Context, ImportKind, run
from portal.imports.storage import forget_file, stored_file
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.models import Membership, Person
from tests.conftest import login

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "imports"  # kept in the repository


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def expected(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.expect.json").read_text())


# hours-with-errors.xlsx has one bad row of each kind, judged on a day before 2026-12-26: its row 39
# (115/12/26) is a future date then, and only then. The tests that read it run on such a day.
ERROR_FILE_DAY = "2026-12-01T10:00:00+08:00"


@pytest.fixture
def error_file_day():
    with freeze_time(ERROR_FILE_DAY, tick=True):
        yield


def total_half_hours() -> int:
    return db.session.scalar(select(func.coalesce(func.sum(HourEntry.half_hours), 0))
                             .where(HourEntry.status == "active"))


@pytest.fixture
def unit(app, make_unit):
    return make_unit("TPE", "social", "private", code="TPE-IMP", name="臺北匯入協會")


def import_file(unit, kind, data, commit=True, **kw):
    outcome = run(registry.get(kind), data, Context(unit=unit, today=today_taipei(), max_rows=None), commit=commit,
                  **kw)
    if outcome.status == "committed":
        db.session.commit()
    else:
        db.session.rollback()
    return outcome


@pytest.fixture
def roster(unit):
    outcome = import_file(unit, "volunteers", fixture("roster.csv"))
    assert outcome.status == "committed", outcome.errors
    return unit


# -- the shared fixtures -------------------------------------------------------------------------

def test_roster_fixture_creates_its_volunteers_and_memberships(unit):
    expect = expected("roster.csv")
    outcome = import_file(unit, "volunteers", fixture("roster.csv"))
    assert outcome.status == "committed" and outcome.errors == []
    assert outcome.rows == expect["rows"]
    assert outcome.summary["volunteers"] == expect["volunteers"]
    assert db.session.scalar(select(func.count()).select_from(Person)) == expect["volunteers"]
    assert db.session.scalar(select(func.count()).select_from(Membership).where(
        Membership.unit_id == unit.id, Membership.field_code == "social")) == expect["volunteers"]
    person = db.session.scalar(select(Person).where(Person.id_number == "E299235941"))
    assert (person.name, person.sex, person.birth_date, person.name_latin) == \
        ("沈欣翰", "F", date(1987, 4, 5), "HUANG, YA-TING")


def test_reimporting_the_roster_adds_nobody(roster):
    again = import_file(roster, "volunteers", fixture("roster.csv"))
    assert again.status == "already_imported" and again.committed == 0 and again.duplicates == 40
    # Same people in a different file (other bytes): duplicates by business key, not errors.
    text = fixture("roster.csv").decode("utf-8-sig").replace("\r\n", "\n")
    other = import_file(roster, "volunteers", text.encode("utf-8"))
    assert other.status == "committed" and other.committed == 0 and other.duplicates == 40
    assert db.session.scalar(select(func.count()).select_from(Membership)) == 40


@pytest.mark.parametrize("name", ["hours-mohw-template.xlsx", "hours-big5.csv"])
def test_valid_hours_fixture_commits_exactly_its_rows_and_half_hours(roster, name):
    expect = expected(name)
    outcome = import_file(roster, "hours", fixture(name))
    assert outcome.errors == [] and outcome.status == "committed"
    assert outcome.rows == expect["rows"] and outcome.committed == expect["rows"]
    assert outcome.half_hours == expect["half_hours"]
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == expect["rows"]
    assert total_half_hours() == expect["half_hours"]
    if "encoding" in expect:
        assert outcome.encoding == expect["encoding"]
    batch = db.session.get(ImportBatch, outcome.batch.id)
    assert (batch.status, batch.committed, batch.half_hours) == ("committed", expect["rows"], expect["half_hours"])
    assert db.session.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "import.hours")) == 1


@pytest.mark.parametrize("name", ["hours-mohw-template.xlsx", "hours-big5.csv"])
def test_reimporting_a_committed_hours_file_adds_zero_hours(roster, name):
    first = import_file(roster, "hours", fixture(name))
    before = total_half_hours()
    again = import_file(roster, "hours", fixture(name))
    assert again.status == "already_imported" and again.committed == 0 and again.half_hours == 0
    assert total_half_hours() == before == first.half_hours


@pytest.mark.usefixtures("error_file_day")
def test_hours_with_errors_commits_nothing_and_reports_every_bad_row(roster):
    expect = expected("hours-with-errors.xlsx")
    outcome = import_file(roster, "hours", fixture("hours-with-errors.xlsx"))
    assert outcome.status == "rejected" and outcome.rows == expect["rows"]
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == expect["committed"] == 0
    codes_by_row = {}
    for error in outcome.errors:
        codes_by_row.setdefault(error["row"], set()).add(error["code"])
    assert set(codes_by_row) == set(expect["bad_rows"].values())
    for code, row in expect["bad_rows"].items():
        assert code in codes_by_row[row], (row, codes_by_row[row])
    for error in outcome.errors:
        assert error["message"]["en"] and error["message"]["zh_TW"] and error["column"] and error["letter"]
    checksum = next(e for e in outcome.errors if e["code"] == "checksum")
    assert checksum["value"] == "E29923****" and checksum["column"] == "身分證字號" and checksum["letter"] == "B"


def test_the_same_entry_in_two_files_is_a_duplicate_not_doubled(roster):
    first = import_file(roster, "hours", fixture("hours-mohw-template.xlsx"))
    rows = CalamineWorkbook.from_path(str(FIXTURES / "hours-mohw-template.xlsx")).get_sheet_by_index(0).to_python()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([rows[0]] + [[(int(c) if isinstance(c, float) else c) for c in r] for r in rows[1:11]])
    writer.writerow(["劉欣宏", "W215307037", "1140102", "1140102", "0340", "0017", "2", "0", "1", "0", "0", "B", "",
                     "A", "", "0", "0"])
    second = import_file(roster, "hours", buffer.getvalue().encode("utf-8"))
    assert second.status == "committed" and second.duplicates == 10 and second.committed == 1
    assert total_half_hours() == first.half_hours + 4


# -- encodings, formats, limits ----------------------------------------------------------------------

def portal_csv(rows, header=("身分證字號 ID number", "姓名 Name", "服務日期起 Start date", "服務日期訖 End date",
                             "時數 Hours", "服務類別 Service field", "服務內容 Content")) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


ROW = ["E299235941", "沈欣翰", "114/03/05", "", "2.5", "社會福利", "導覽"]


@pytest.mark.parametrize("encoding,bom", [("utf-8", False), ("utf-8", True), ("cp950", False)])
def test_csv_in_utf8_with_or_without_bom_or_big5_is_detected(roster, encoding, bom):
    data = portal_csv([ROW]).encode(encoding)
    outcome = import_file(roster, "hours", (b"\xef\xbb\xbf" if bom else b"") + data)
    assert outcome.status == "committed", outcome.errors
    assert outcome.encoding == encoding and outcome.half_hours == 5


def test_a_chosen_encoding_is_used_and_a_wrong_choice_explained(roster):
    data = portal_csv([ROW]).encode("cp950")
    assert import_file(roster, "hours", data, encoding="cp950").status == "committed"
    refused = import_file(roster, "hours", portal_csv([ROW]).encode("cp950"), encoding="utf-8")
    assert refused.status == "rejected" and refused.errors[0]["code"] == "encoding"


def test_xlsx_whose_table_starts_lower_keeps_the_sheet_row_numbers(roster):
    workbook = Workbook()
    sheet = workbook.active
    sheet["B1"] = "志工服務時數"
    sheet.append([])
    header = ["", "身分證字號 ID number", "姓名 Name", "服務日期起 Start date", "服務日期訖 End date", "時數 Hours"]
    sheet.append(header)
    sheet.append(["", "E299235941", "沈欣翰", "2025-03-05", None, 2])
    sheet.append(["", "E299235941", "沈欣翰", "2025-03-06", None, 0.25])
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = import_file(roster, "hours", buffer.getvalue())
    assert outcome.status == "rejected"
    assert [(e["row"], e["letter"], e["code"]) for e in outcome.errors] == [(5, "F", "quarter_hour")]


def test_unknown_columns_and_empty_files_are_refused_with_a_message(roster):
    for data in (b"", "a,b,c\n1,2,3\n".encode()):
        outcome = import_file(roster, "hours", data)
        assert outcome.status == "rejected" and len(outcome.errors) == 1
        assert outcome.errors[0]["message"]["en"] and outcome.errors[0]["message"]["zh_TW"]


def test_zip_bombs_macros_and_broken_workbooks_are_refused(roster):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert import_file(roster, "hours", buffer.getvalue()).errors[0]["code"] == "macros"
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", b"0" * (51 * 1024 * 1024))
    assert import_file(roster, "hours", bomb.getvalue()).errors[0]["code"] == "too_big"
    assert import_file(roster, "hours", b"PK\x03\x04broken").errors[0]["code"] == "unreadable"
    assert import_file(roster, "hours", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1broken").errors[0]["code"] == "unreadable"


def test_the_web_row_limit_refuses_large_files(roster):
    data = portal_csv([ROW] * 21).encode()
    outcome = run(registry.get("hours"), data, Context(unit=roster, today=today_taipei(), max_rows=20))
    assert outcome.status == "rejected" and outcome.errors[0]["code"] == "too_many_rows"


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_one_bad_row_anywhere_in_a_large_file_writes_nothing(roster, where):
    people = db.session.execute(select(Person.id_number, Person.name).order_by(Person.id)).all()
    rows = []
    for n in range(2000):
        number, name = people[n % len(people)]
        day = date(2024, 1, 1).toordinal() + n // len(people)
        rows.append([number, name, date.fromordinal(day).isoformat(), "", "1", "", ""])
    bad = {"first": 0, "middle": 1000, "last": 1999}[where]
    rows[bad][4] = "0.25"
    outcome = import_file(roster, "hours", portal_csv(rows).encode())
    assert outcome.status == "rejected"
    assert [(e["row"], e["code"]) for e in outcome.errors] == [(bad + 2, "quarter_hour")]
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0


def test_portal_template_downloads_with_bilingual_instructions_and_imports(roster, client, make_user):
    clerk = make_user("clerk.imp", "unit_clerk", unit_id=roster.id)
    login(client, clerk)
    response = client.get("/imports/templates/hours-template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    data_sheet, help_sheet = workbook.worksheets
    text = " ".join(str(c.value) for row in help_sheet.iter_rows() for c in row if c.value)
    assert "0.5" in text and "How to fill in this template" in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text)  # and the Chinese text
    data_sheet.append(["E299235941", "沈欣翰", "114/03/05", "114/03/05", 3, "", "導覽"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    outcome = import_file(roster, "hours", buffer.getvalue())
    assert outcome.status == "committed" and outcome.fmt == "portal" and outcome.half_hours == 6
    for name in ("hours-mohw-template.xlsx", "roster-template.csv"):
        assert client.get(f"/imports/templates/{name}").status_code == 200
    assert client.get("/imports/templates/nothing.xlsx").status_code == 404


def test_kinds_are_offered_only_to_their_roles(app, world):
    county_only = ImportKind(key="honor_cards_probe", label="probe", roles=frozenset({"county"}),
                             formats=(), validate=None, write=None, scope="authority")
    registry.install([*registry.kinds().values(), county_only])
    try:
        assert county_only not in registry.allowed(world.users["clerk_a"])
        assert county_only in registry.allowed(world.users["county_tpe"])
        assert {k.key for k in registry.allowed(world.users["clerk_a"])} == {"hours", "volunteers", "training",
                                                                            "insurer_roster"}  # a unit holds its policy
    finally:
        registry._KINDS.pop("honor_cards_probe")


# -- the web flow ----------------------------------------------------------------------------------------

def latest_batch():
    return db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()


def upload(client, data, name, kind="hours", **extra):
    return client.post("/imports/", data={"kind": kind, "file": (io.BytesIO(data), name), **extra},
                       content_type="multipart/form-data")


@pytest.mark.usefixtures("error_file_day")
def test_upload_preview_error_file_then_nothing_written(roster, client, make_user):
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=roster.id))
    response = upload(client, fixture("hours-with-errors.xlsx"), "時數.xlsx")
    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    body = page.get_data(as_text=True)
    assert "E29923****" in body and "E299235942" not in body
    assert "Confirm" not in body
    batch = latest_batch()
    assert batch.error_count == 10 and batch.filename == "時數.xlsx"
    errors = client.get(f"/imports/{batch.id}/errors.csv")
    assert errors.data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(errors.data.decode("utf-8-sig"))))
    assert len(rows) == 11 and {r[0] for r in rows[1:]} == {str(r) for r in
                                                            expected("hours-with-errors.xlsx")["bad_rows"].values()}
    assert client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version}).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0


def test_upload_preview_then_confirm_writes_everything_once(roster, client, make_user, app):
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=roster.id))
    client.post("/language", data={"lang": "en"})
    upload(client, fixture("hours-big5.csv"), "hours.csv")
    batch = latest_batch()
    page = client.get(f"/imports/{batch.id}").get_data(as_text=True)
    assert "Every row is valid" in page and "Big5" in page
    assert db.session.scalar(select(func.count()).select_from(HourEntry)) == 0
    assert client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version}).status_code == 302
    db.session.expire_all()
    assert total_half_hours() == 809 and batch.status == "committed"
    assert not list((Path(app.config["UPLOAD_DIR"]) / "imports").iterdir())  # the stored file is gone
    # A second confirm (double click, second tab) writes nothing more.
    client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version})
    assert total_half_hours() == 809
    # Uploading the same file again says so and offers nothing to confirm.
    upload(client, fixture("hours-big5.csv"), "again.csv")
    again = latest_batch()
    assert "already imported" in client.get(f"/imports/{again.id}").get_data(as_text=True)


def test_discard_keeps_nothing(roster, client, make_user):
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=roster.id))
    upload(client, fixture("hours-big5.csv"), "hours.csv")
    batch = latest_batch()
    client.post(f"/imports/{batch.id}/discard")
    db.session.expire_all()
    assert batch.status == "discarded" and batch.stored_name == ""
    assert client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version}).status_code == 302
    assert total_half_hours() == 0


def test_upload_form_refuses_other_file_types(roster, client, make_user):
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=roster.id))
    response = upload(client, b"MZ\x90\x00", "virus.exe")
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(ImportBatch).where(ImportBatch.kind == "hours")) == 0


def test_roster_upload_through_the_web(unit, client, make_user):
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=unit.id))
    upload(client, fixture("roster.csv"), "roster.csv", kind="volunteers")
    batch = latest_batch()
    client.post(f"/imports/{batch.id}/confirm", data={"version": batch.version})
    assert db.session.scalar(select(func.count()).select_from(Person)) == 40


# -- the CLI twin ---------------------------------------------------------------------------------------

def test_cli_imports_volunteers_then_hours_with_json(runner, unit, tmp_path):
    result = runner.invoke(args=["import", "volunteers", str(FIXTURES / "roster.csv"), "--unit", unit.code, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert (report["rows"], report["committed"], report["volunteers"], report["errors"]) == (40, 40, 40, [])
    dry = runner.invoke(args=["import", "hours", str(FIXTURES / "hours-mohw-template.xlsx"), "--unit", unit.code,
                              "--dry-run", "--json"])
    assert dry.exit_code == 0
    assert json.loads(dry.stdout)["hours"] == 737.5 and total_half_hours() == 0
    real = runner.invoke(args=["import", "hours", str(FIXTURES / "hours-mohw-template.xlsx"), "--unit", unit.code,
                               "--json"])
    report = json.loads(real.stdout)
    assert real.exit_code == 0 and (report["rows"], report["committed"], report["duplicates"], report["hours"]) == \
        (60, 60, 0, 737.5)
    again = json.loads(runner.invoke(args=["import", "hours", str(FIXTURES / "hours-mohw-template.xlsx"), "--unit",
                                           unit.code, "--json"]).stdout)
    assert (again["committed"], again["duplicates"], again["hours"]) == (0, 60, 0)
    assert total_half_hours() == 1475


@pytest.mark.usefixtures("error_file_day")
def test_cli_refuses_a_bad_file_with_exit_status_1(runner, roster):
    result = runner.invoke(args=["import", "hours", str(FIXTURES / "hours-with-errors.xlsx"), "--unit", roster.code,
                                 "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["committed"] == 0 and report["hours"] == 0
    assert {e["row"] for e in report["errors"]} == set(expected("hours-with-errors.xlsx")["bad_rows"].values())
    assert all(set(e) >= {"row", "column", "message"} for e in report["errors"])
    text = runner.invoke(args=["import", "hours", str(FIXTURES / "hours-with-errors.xlsx"), "--unit", roster.code,
                               "--lang", "zh_TW"])
    assert text.exit_code == 1 and "row 2" in text.output
    unknown = runner.invoke(args=["import", "hours", str(FIXTURES / "hours-big5.csv"), "--unit", "NOPE"])
    assert unknown.exit_code == 1 and "unknown unit" in unknown.output


def test_a_batch_file_is_deleted_only_when_its_transaction_commits(roster, client, make_user, app):
    """A process killed between deleting the file and committing would leave a previewed batch without its
    file: forget_file deletes after the commit, and a rollback keeps the file."""
    login(client, make_user("clerk.imp", "unit_clerk", unit_id=roster.id))
    upload(client, fixture("hours-big5.csv"), "hours.csv")
    batch = latest_batch()
    path = stored_file(batch)
    forget_file(batch)
    assert path.exists()                        # not yet: the transaction is open
    db.session.rollback()
    assert path.exists() and stored_file(batch) == path
    forget_file(batch)
    db.session.commit()
    assert not path.exists()
