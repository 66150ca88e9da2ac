"""Other-award import (其他獎項匯入): authorities only, people within their scope, every bad row
reported, all-or-nothing, idempotent, with provenance (who imported each award, from which file)."""
import io
import json
from datetime import date

import pytest
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from portal.awards import importing
from portal.awards.importing import read_year
from portal.awards.models import Award
from portal.imports import registry
from portal.imports.models import ImportBatch
from portal.imports.pipeline import Context, run
from portal.imports.values import Refused
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import today_taipei
from portal.registry.operations import authority_for
from tests.conftest import login

HEADER = ["身分證號", "姓名", "獎項名稱", "等次", "頒發機關", "得獎年度", "頒發日期"]
PAGE = "/awards/other-import"


def row(person, title="教育部志願服務績優獎", tier="金質", issuer="", year="113", awarded_on="1131127", name=None):
    return [person.id_number, name if name is not None else person.name, title, tier, issuer, year, awarded_on]


def xlsx(rows, header=HEADER) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for r in rows:
        sheet.append(r)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv(rows, header=HEADER) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in r) for r in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def multipart(files, fields=None):
    data = MultiDict(fields or {})
    for name, filename, content in files:
        data.add(name, FileStorage(io.BytesIO(content), filename=filename))
    boundary, body = encode_multipart(data)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def upload(client, filename, content):
    return client.post(PAGE, **multipart([("file", filename, content)]))


def latest() -> ImportBatch:
    return db.session.scalar(select(ImportBatch).order_by(ImportBatch.id.desc()))


def confirm(client, batch):
    return client.post(f"{PAGE}/confirm", data={"batch": batch.id, "version": batch.version})


def award_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Award))


def english(client):
    client.post("/language", data={"lang": "en"})


def context_for(user):
    return Context(authority=user.authority, user=user, today=today_taipei())


# --- a valid file, with provenance, once ------------------------------------------------------------

def test_an_authority_imports_an_xlsx_with_provenance_and_the_same_file_adds_nothing(world, client):
    county = world.users["county_tpe"]
    a, shared = world.people["a"], world.people["shared"]
    data = xlsx([row(a), row(shared, title="文化部志願服務獎", tier="", issuer="文化部", year=2023, awarded_on="")])
    login(client, county)
    english(client)
    assert upload(client, "113年其他獎項.xlsx", data).status_code == 302
    batch = latest()
    assert (batch.kind, batch.status, batch.error_count, batch.committed, batch.authority_id) == \
        ("other_awards", "previewed", 0, 2, county.authority_id)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Every row is valid" in page and "113年其他獎項.xlsx" in page
    assert award_count() == 0                                   # nothing before the confirmation
    assert confirm(client, batch).status_code == 302
    awards = db.session.scalars(select(Award).order_by(Award.id)).all()
    assert [(w.person_id, w.title, w.tier, w.year, w.awarded_on) for w in awards] == [
        (a.id, "教育部志願服務績優獎", "金質", 2024, date(2024, 11, 27)),
        (shared.id, "文化部志願服務獎", None, 2023, None)]
    first = awards[0]
    assert (first.scheme, first.source, first.status) == ("other", "import", "valid")
    assert first.issuer == county.authority.name               # empty 頒發機關: the importing authority
    assert awards[1].issuer == "文化部"
    for award in awards:
        assert award.import_batch_id == batch.id and award.imported_by_id == county.id
        assert award.source_filename == "113年其他獎項.xlsx"
    audits = db.session.scalars(select(AuditLog).where(AuditLog.action == "award.import")).all()
    assert len(audits) == 2 and json.loads(audits[0].detail)["file"] == "113年其他獎項.xlsx"
    assert db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "import.other_awards")) == 1
    assert "Awards written by this import" in client.get(PAGE).get_data(as_text=True)
    # The same file again: already imported, nothing added.
    upload(client, "again.xlsx", data)
    assert latest().summary_values.get("already_imported") == batch.id
    assert award_count() == 2
    # Another file holding the same rows and one new: the known rows are duplicates, skipped.
    more = csv([row(a), row(shared, title="文化部 志願服務獎", tier="", issuer="文化部", year=2023, awarded_on=""),
                row(a, title="勞動部績優志工獎", tier="銅質", year="112", awarded_on="")])
    upload(client, "more.csv", more)
    batch = latest()
    assert (batch.error_count, batch.committed, batch.duplicates) == (0, 1, 2)
    confirm(client, batch)
    assert award_count() == 3


def test_a_file_with_bad_rows_commits_nothing_and_reports_every_bad_row(world, client):
    a, canary = world.people["a"], world.people["canary"]
    rows = [
        row(a),                                                          # row 2: fine
        ["A123456788", "甲志工", "獎二", "", "", "113", ""],              # row 3: check digit
        row(a, name="乙志工", title="獎三"),                              # row 4: name does not match
        row(a, title=""),                                                # row 5: no award name
        row(a, title="獎六", year=str(today_taipei().year - 1911 + 1)),   # row 6: next year
        row(a, title="獎七", year="89", awarded_on=""),                   # row 7: 2000, before the Act
        row(a, title="獎" * 201),                                         # row 8: name too long
        row(a, title="獎九", tier="特別優秀金質獎章第一名"),                   # row 9: tier too long
        row(a, title="獎十", awarded_on="1131399"),                       # row 10: no such date
        row(canary, title="獎十一"),                                      # row 11: outside the county
        row(a, title="獎十二", year="去年"),                               # row 12: not a year
        row(a, title="獎十三", year="113", awarded_on="1121231"),          # row 13: date before the year
    ]
    login(client, world.users["county_tpe"])
    english(client)
    upload(client, "bad.csv", csv(rows))
    batch = latest()
    found = [(e["row"], e["code"]) for e in batch.error_list]
    assert found == [(3, "checksum"), (4, "name_mismatch"), (5, "required"), (6, "future_year"),
                     (7, "early_year"), (8, "too_long"), (9, "too_long"), (10, "impossible_date"),
                     (11, "not_found"), (12, "year"), (13, "date_before_year")]
    page = client.get(PAGE).get_data(as_text=True)
    assert "Problems: nothing will be saved" in page and "Confirm and save" not in page
    assert "No volunteer with this ID number serves in a unit within your scope." in page
    assert canary.name not in page and canary.id_number not in page
    # the same file through the pipeline with commit: still nothing written
    with force_locale("en"):
        outcome = run(importing.KIND, csv(rows), context_for(world.users["county_tpe"]), commit=True)
    assert outcome.status == "rejected" and len(outcome.errors) == 11
    assert award_count() == 0
    errors = client.get(f"{PAGE}/errors.csv")
    assert errors.status_code == 200 and "not_found" in errors.get_data(as_text=True)


def test_rows_repeating_an_award_are_duplicates_or_conflicts(world, client):
    a = world.people["a"]
    login(client, world.users["county_tpe"])
    upload(client, "one.csv", csv([row(a)]))
    confirm(client, latest())
    rows = [row(a),                                   # row 2: already recorded: duplicate
            row(a, tier="銀質"),                       # row 3: recorded with another tier: conflict
            row(a, title="新獎", tier=""),              # row 4: new
            row(a, title="新獎", tier=""),              # row 5: the same as row 4: duplicate
            row(a, title="新獎", tier="銅質")]          # row 6: row 4 with another tier
    with force_locale("en"):
        outcome = run(importing.KIND, csv(rows), context_for(world.users["county_tpe"]))
    assert [(e["row"], e["code"]) for e in outcome.errors] == [(3, "award_conflict"), (6, "row_twice")]
    assert "already in row 4" in outcome.errors[1]["message"]["en"]
    assert outcome.duplicates == 2
    # A revoked award does not block recording it again (another file): the revoked one stays, marked.
    award = db.session.scalar(select(Award))
    award.status, award.revoke_reason = "revoked", "誤植"
    db.session.commit()
    with force_locale("en"):
        outcome = run(importing.KIND, xlsx([row(a)]), context_for(world.users["county_tpe"]), commit=True)
    assert outcome.status == "committed" and award_count() == 2


# --- who may import, and whom ------------------------------------------------------------------------

def test_a_sector_authority_imports_only_for_people_in_its_scope(world, client):
    sector = world.users["sector_local"]                       # 臺北市 × social: unit A only
    a, b, canary = world.people["a"], world.people["b"], world.people["canary"]
    unknown = "A123456789"                                     # valid check digit, nobody registered
    rows = [row(a), row(b), row(canary), [unknown, "無此人", "獎", "", "", "113", ""]]
    with force_locale("en"):
        outcome = run(importing.KIND, csv(rows), context_for(sector), commit=True)
    assert [(e["row"], e["code"]) for e in outcome.errors] == [(3, "not_found"), (4, "not_found"), (5, "not_found")]
    # out of scope reads exactly like an unknown ID number, the value masked
    assert len({e["message"]["en"] for e in outcome.errors}) == 1
    assert all(e["value"].endswith("****") for e in outcome.errors)
    assert award_count() == 0
    with force_locale("en"):
        outcome = run(importing.KIND, csv([row(a)]), context_for(sector), commit=True)
    assert outcome.status == "committed"
    award = db.session.scalar(select(Award))
    assert award.issuer == sector.authority.name and award.imported_by_id == sector.id
    # the central education authority reaches unit B's volunteer, not unit A's
    central = world.users["sector_central"]
    with force_locale("en"):
        outcome = run(importing.KIND, csv([row(b, title="教育部青年志工獎"), row(a, title="教育部青年志工獎")]),
                      context_for(central), commit=True)
    assert [(e["row"], e["code"]) for e in outcome.errors] == [(3, "not_found")]


def test_a_unit_account_cannot_import_awards_by_any_route(world, client, runner, tmp_path):
    clerk = world.users["clerk_a"]
    data = csv([row(world.people["a"])])
    login(client, clerk)
    assert client.get(PAGE).status_code == 403
    assert upload(client, "a.csv", data).status_code == 403
    assert client.get(f"{PAGE}/errors.csv").status_code == 403
    assert client.post(f"{PAGE}/confirm", data={"batch": 1, "version": 1}).status_code == 403
    # not among the kinds a unit may import, not offered on the unit's import page, refused when posted
    assert "other_awards" not in {k.key for k in registry.allowed(clerk)}
    assert "other_awards" in {k.key for k in registry.allowed(world.users["sector_central"])}
    assert "other_awards" not in client.get("/imports/").get_data(as_text=True)
    assert client.get("/imports/templates/other-awards-template.xlsx").status_code == 404
    posted = client.post("/imports/", **multipart([("file", "a.csv", data)], {"kind": "other_awards"}))
    assert posted.status_code == 422
    # the command line refuses a unit account (and has no --unit form of this kind)
    path = tmp_path / "awards.csv"
    path.write_bytes(data)
    result = runner.invoke(args=["import", "other-awards", str(path), "--user", clerk.username])
    assert result.exit_code != 0 and "only an active authority account" in result.output
    assert runner.invoke(args=["import", "other-awards", str(path), "--unit", world.units["A"].code]).exit_code != 0
    # the pipeline called directly: a unit context, a unit user, a user of another authority, no user
    county = authority_for("county", "TPE", None)
    with force_locale("en"):
        for ctx in (Context(unit=world.units["A"], user=clerk, today=today_taipei()),
                    Context(authority=county, user=clerk, today=today_taipei()),
                    Context(authority=county, user=world.users["county_khh"], today=today_taipei()),
                    Context(authority=county, user=None, today=today_taipei())):
            outcome = run(importing.KIND, data, ctx, commit=True)
            assert [e["code"] for e in outcome.errors] == ["authority_only"]
    assert award_count() == 0
    assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_another_authority_cannot_confirm_or_discard_a_batch(world, client):
    login(client, world.users["county_tpe"])
    upload(client, "a.csv", csv([row(world.people["a"])]))
    batch = latest()
    login(client, world.users["county_khh"])
    foreign = client.post(f"{PAGE}/confirm", data={"batch": batch.id, "version": batch.version})
    missing = client.post(f"{PAGE}/confirm", data={"batch": 987654, "version": batch.version})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.get_data() == missing.get_data()
    assert client.post(f"{PAGE}/discard", data={"batch": batch.id, "version": batch.version}).status_code == 404
    assert "a.csv" not in client.get(PAGE).get_data(as_text=True)
    assert db.session.get(ImportBatch, batch.id).status == "previewed" and award_count() == 0
    # the county's own account discards it
    login(client, world.users["county_tpe"])
    client.post(f"{PAGE}/discard", data={"batch": batch.id, "version": batch.version})
    assert db.session.get(ImportBatch, batch.id).status == "discarded" and award_count() == 0


def test_the_cli_imports_for_an_authority_account(world, runner, tmp_path):
    path = tmp_path / "教育部113年.xlsx"
    path.write_bytes(xlsx([row(world.people["b"], title="教育部青年志工獎")]))
    dry = runner.invoke(args=["import", "other-awards", str(path), "--user", "sector.education", "--dry-run",
                              "--json"])
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.output)["committed"] == 1 and award_count() == 0
    result = runner.invoke(args=["import", "other-awards", str(path), "--user", "sector.education"])
    assert result.exit_code == 0, result.output
    award = db.session.scalar(select(Award))
    assert award.imported_by_id == world.users["sector_central"].id and award.source_filename == "教育部113年.xlsx"
    again = runner.invoke(args=["import", "other-awards", str(path), "--user", "sector.education", "--json"])
    assert again.exit_code == 0 and json.loads(again.output)["status"] == "already_imported"
    assert award_count() == 1


# --- the template and the values ----------------------------------------------------------------------

def test_the_template_has_bilingual_instructions_and_imports_as_it_is_filled(world, client):
    login(client, world.users["ministry"])
    assert "/imports/templates/other-awards-template.xlsx" in client.get(PAGE).get_data(as_text=True)
    response = client.get("/imports/templates/other-awards-template.xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    data_sheet, help_sheet = workbook.worksheets
    text = " ".join(str(c.value) for r in help_sheet.iter_rows() for c in r if c.value)
    assert "How to fill in this template" in text and "2001" in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in text.replace("金質", ""))
    data_sheet.append(row(world.people["canary"], title="內政部績優志工", year=2024, awarded_on="2024-05-01"))
    out = io.BytesIO()
    workbook.save(out)
    upload(client, "filled.xlsx", out.getvalue())
    batch = latest()
    assert (batch.error_count, batch.committed, batch.file_format) == (0, 1, "other_awards")
    confirm(client, batch)
    assert db.session.scalar(select(Award)).awarded_on == date(2024, 5, 1)


@pytest.mark.parametrize("value, year", [("113", 2024), (113, 2024), (113.0, 2024), ("2024", 2024), (2024.0, 2024),
                                         ("民國113年", 2024), ("113年度", 2024), ("１１３", 2024), ("90", 2001)])
def test_award_years_are_read_as_roc_or_western(value, year):
    assert read_year(value, date(2025, 3, 5)) == year


@pytest.mark.parametrize("value, code", [("", "required"), (None, "required"), ("115", "future_year"),
                                         ("2026", "future_year"), ("89", "early_year"), ("2000", "early_year"),
                                         ("113/1", "year"), ("一一三", "year"), ("12345", "year")])
def test_award_years_refused(value, code):
    with pytest.raises(Refused) as refused:
        read_year(value, date(2025, 3, 5))
    assert refused.value.code == code


def test_an_empty_year_is_taken_from_the_date_awarded(world):
    with force_locale("en"):
        outcome = run(importing.KIND, csv([row(world.people["a"], year="", awarded_on="2023-12-03")]),
                      context_for(world.users["county_tpe"]), commit=True)
    assert outcome.status == "committed" and db.session.scalar(select(Award)).year == 2023
