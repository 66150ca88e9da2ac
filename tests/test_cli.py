"""`flask units add`, `flask users add`, `flask demo-data`."""
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.platform.extensions import db
from portal.registry.models import Authority, Person, Unit


def test_units_add_accepts_field_code_or_chinese_name(runner):
    result = runner.invoke(args=["units", "add", "TPE-9", "--name", "大同社區協會", "--name-en", "Datong Association",
                                 "--county", "TPE", "--field", "社會福利", "--field", "health", "--sector", "private"])
    assert result.exit_code == 0, result.output
    unit = db.session.scalar(select(Unit).where(Unit.code == "TPE-9"))
    assert (unit.field_code, unit.field_codes, unit.sector) == ("social", ["social", "health"], "private")
    assert unit.sector_authority.kind == "sector_local" and unit.sector_authority.county_code == "TPE"


@pytest.mark.parametrize("args,message", [
    (["--county", "XXX", "--field", "social", "--sector", "public"], "unknown county"),
    (["--county", "TPE", "--field", "魔法", "--sector", "public"], "unknown service field"),
    (["--county", "TPE", "--field", "social", "--sector", "both"], "Invalid value"),
])
def test_units_add_refuses_bad_options(runner, args, message):
    result = runner.invoke(args=["units", "add", "X1", "--name", "單位"] + args)
    assert result.exit_code != 0 and message in result.output


def test_every_county_exists_with_its_code(app):
    codes = set(db.session.scalars(select(Authority.county_code).where(Authority.kind == "county")))
    assert codes == {"TPE", "NWT", "TAO", "TXG", "TNN", "KHH", "KEE", "HSZ", "HSQ", "MIA", "CHA", "NAN", "YUN",
                     "CYI", "CYQ", "PIF", "ILA", "HUA", "TTT", "PEN", "KIN", "LIE"}


@pytest.mark.parametrize("role,scope", [
    ("unit_clerk", ["--unit", "TPE-A"]),
    ("unit_supervisor", ["--unit", "TPE-A"]),
    ("county", ["--county", "KHH"]),
    ("sector_local", ["--county", "TPE", "--field", "教育"]),
    ("sector_central", ["--field", "culture"]),
    ("ministry", []),
    ("admin", []),
])
def test_users_add_for_each_role(world, runner, role, scope):
    result = runner.invoke(args=["users", "add", f"new.{role}", "--role", role, *scope, "--password-stdin"],
                           input="a-long-enough-password\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == f"new.{role}"))
    assert user.role == role and user.password_hash.startswith("$argon2id$")


def test_users_add_volunteer_is_tied_to_one_person(world, runner):
    number = world.people["b"].id_number
    result = runner.invoke(args=["users", "add", "vol.b", "--role", "volunteer", "--person", number.lower(),
                                 "--password-stdin"], input="eight-chars\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User).where(User.username == "vol.b")).person_id == world.people["b"].id


@pytest.mark.parametrize("args,message", [
    (["--role", "unit_clerk"], "needs --unit"),
    (["--role", "county"], "needs --county"),
    (["--role", "sector_local", "--county", "TPE"], "needs --county CODE and --field"),
    (["--role", "volunteer", "--person", "A123456789"], "no person"),
    (["--role", "admin"], "at least 12"),
])
def test_users_add_refuses_incomplete_scopes(world, runner, args, message):
    result = runner.invoke(args=["users", "add", "someone", *args, "--password-stdin"], input="short\n")
    assert result.exit_code != 0 and message in result.output


def test_demo_data_loads_once(runner):
    result = runner.invoke(args=["demo-data", "--volunteers", "120"])
    assert result.exit_code == 0, result.output
    assert "demo-password-2026" in result.output and "county.tpe" in result.output
    assert db.session.scalar(select(func.count()).select_from(Unit)) == 20
    assert db.session.scalar(select(func.count()).select_from(Person)) == 120
    roles = set(db.session.scalars(select(User.role)))
    assert roles == {"admin", "ministry", "county", "sector_local", "sector_central", "unit_clerk",
                     "unit_supervisor", "volunteer"}
    from portal.hours.models import HourEntry
    from portal.insurance.models import InsuranceEnrolment
    from portal.records.models import RecordBook
    from portal.training.models import TrainingRecord
    for model in (HourEntry, TrainingRecord, RecordBook, InsuranceEnrolment):
        assert db.session.scalar(select(func.count()).select_from(model)) > 0, model
    ages = [p.age_on(date.today()) for p in db.session.scalars(select(Person))]
    assert min(ages) < 30 and sum(a >= 65 for a in ages) > 10
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output


def test_import_volunteers_command_exists(runner):
    result = runner.invoke(args=["import", "volunteers", "--help"])
    assert result.exit_code == 0 and "--unit" in result.output and "--dry-run" in result.output
