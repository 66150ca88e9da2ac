"""`flask stats kpi|awards|freeze|refresh|rebuild` (portal/stats/cli.py): exact JSON keys, the figures of
docs/kpi.md in the account's scope, refusals outside it, the upkeep commands."""
import json

import pytest
from freezegun import freeze_time
from sqlalchemy import func, select, true

from portal.awards.channels import SUMMARY_KEYS, round_summary
from portal.platform.extensions import db
from portal.records.models import BASE
from portal.records.serving import HeadcountDay, HeadcountPerson
from portal.registry.operations import authority_for
from portal.stats.headcounts import HeadcountYear
from tests.test_award_channels import channels  # noqa: F401  (a round with applications)
from tests.test_stats_kpi import TODAY, kpi_world  # noqa: F401  (the hand-made data set)

AWARD_KEYS = ["round", "bodies", "eligible", "online", "paper", "online_pct", "paper_pct", "fully_online",
              "partly_online", "paper_only"]
KPI_KEYS = ["county", "year", "volunteers", "volunteers_prev", "growth_pct", "volunteers_65", "volunteers_65_prev",
            "growth_65_pct", "completeness_pct"]


@pytest.fixture
def accounts(kpi_world, make_user):  # noqa: F811
    with freeze_time(TODAY):
        return {
            "ministry": make_user("ministry", "ministry", authority_id=authority_for("ministry", None, None).id),
            "county": make_user("county.tpe", "county", authority_id=authority_for("county", "TPE", None).id),
            "central": make_user("sector.social", "sector_central",
                                 authority_id=authority_for("sector_central", None, "social").id),
            "clerk": make_user("clerk.b", "unit_clerk", unit_id=kpi_world["units"]["B"].id),
            "admin": make_user("admin", "admin"),
        }


def kpi(runner, *args):
    with freeze_time(TODAY):
        return runner.invoke(args=["stats", "kpi", *args])


def test_kpi_json_has_exactly_the_keys_and_the_hand_computed_figures(runner, accounts):
    result = kpi(runner, "--county", "TPE", "--year", "2025", "--user", "county.tpe", "--json")
    assert result.exit_code == 0, result.output
    assert result.output.startswith('{"county": "TPE", "year": 2025, "volunteers": 7, "volunteers_prev": 8, '
                                    '"growth_pct": -12.5,')
    found = json.loads(result.output)
    assert list(found) == KPI_KEYS
    assert found == {"county": "TPE", "year": 2025, "volunteers": 7, "volunteers_prev": 8, "growth_pct": -12.5,
                     "volunteers_65": 3, "volunteers_65_prev": 2, "growth_65_pct": 50.0, "completeness_pct": None}


def test_kpi_of_the_nation_and_a_county_with_no_volunteers_last_year(runner, accounts):
    nation = json.loads(kpi(runner, "--county", "ALL", "--year", "2025", "--user", "ministry", "--json").output)
    assert (nation["volunteers"], nation["volunteers_prev"], nation["growth_pct"], nation["growth_65_pct"]) == (9, 9, 0.0, 66.7)
    hualien = json.loads(kpi(runner, "--county", "hua", "--year", "2025", "--user", "ministry", "--json").output)
    assert (hualien["county"], hualien["volunteers"], hualien["growth_pct"], hualien["growth_65_pct"]) == ("HUA", 1, None, None)


def test_this_year_is_provisional_with_completeness_of_today(runner, accounts):
    found = json.loads(kpi(runner, "--county", "TPE", "--user", "county.tpe", "--json").output)
    assert (found["year"], found["volunteers"], found["growth_pct"]) == (2026, 7, 0.0)
    assert found["completeness_pct"] == 0.0       # eight current records in Taipei, none complete


def test_kpi_stays_in_the_account_scope(runner, accounts):
    refused = [("TPE", "2025", "admin"), ("KHH", "2025", "county.tpe"), ("ALL", "2025", "county.tpe"),
               ("KHH", "2025", "clerk.b"), ("XXX", "2025", "ministry"), ("TPE", "2025", "nobody"),
               ("TPE", "2027", "ministry")]
    for county, year, user in refused:
        result = kpi(runner, "--county", county, "--year", year, "--user", user, "--json")
        assert result.exit_code != 0 and not result.output.startswith("{"), (county, user, result.output)
    clerk = json.loads(kpi(runner, "--county", "TPE", "--year", "2025", "--user", "clerk.b", "--json").output)
    assert clerk["volunteers"] == 4                # the unit's own people, not the county's
    central = json.loads(kpi(runner, "--county", "TPE", "--year", "2025", "--user", "sector.social", "--json").output)
    assert (central["volunteers"], central["volunteers_prev"]) == (4, 5)     # Taipei's social-welfare unit
    everywhere = json.loads(kpi(runner, "--county", "ALL", "--year", "2025", "--user", "sector.social", "--json").output)
    assert everywhere["volunteers"] == 6


def test_kpi_prints_a_table_without_json(runner, accounts):
    result = kpi(runner, "--county", "HUA", "--year", "2025", "--user", "ministry")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["county", "HUA"] and ["growth_pct", "n/a"] in [line.split() for line in lines]


def test_freeze_refresh_and_rebuild(runner, accounts):
    with freeze_time(TODAY):
        assert runner.invoke(args=["stats", "freeze", "--year", "2026"]).exit_code != 0     # not over
        result = runner.invoke(args=["stats", "refresh"])
        assert result.exit_code == 0, result.output
        years = set(db.session.scalars(select(HeadcountYear.year).where(HeadcountYear.scope == "all")))
        assert years == set(range(2019, 2026))                  # from the first joining year to last year
        stored = db.session.scalar(select(func.count()).select_from(HeadcountYear).where(HeadcountYear.year == 2025))
        assert f"2025 frozen, {stored:,} scope rows" in result.output and stored > 1
        assert "0 passed day rows folded" in result.output
        before = db.session.execute(select(HeadcountDay.scope, HeadcountDay.people)).all()
        assert runner.invoke(args=["stats", "rebuild", "--check"]).exit_code == 0
        db.session.execute(HeadcountPerson.__table__.delete())
        db.session.commit()
        assert runner.invoke(args=["stats", "rebuild", "--check"]).exit_code == 1
        assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
        assert runner.invoke(args=["stats", "rebuild", "--check"]).exit_code == 0
        assert sorted(db.session.execute(select(HeadcountDay.scope, HeadcountDay.people)).all()) == sorted(before)
    with freeze_time("2026-07-02 04:00:00"):                  # the leaving and joining days have passed
        passed = db.session.scalar(select(func.count()).select_from(HeadcountDay).where(HeadcountDay.day > BASE))
        assert passed == 18       # -1 on 16 June in unit B's nine keys, +1 on 1 July in unit A's nine
        assert f"{passed} passed day rows folded" in runner.invoke(args=["stats", "refresh"]).output
        assert db.session.scalar(select(func.count()).select_from(HeadcountDay).where(HeadcountDay.day > BASE)) == 0
        assert runner.invoke(args=["stats", "rebuild", "--check"]).exit_code == 0
        assert json.loads(kpi_now(runner))["volunteers"] == 7       # 15 gone, 14 in


def kpi_now(runner):
    return runner.invoke(args=["stats", "kpi", "--county", "TPE", "--user", "county.tpe", "--json"]).output


def test_awards_json_has_exactly_the_keys_in_the_account_scope(runner, channels):  # noqa: F811
    round_id = channels.round.id
    result = runner.invoke(args=["stats", "awards", "--round", str(round_id), "--user", "ministry", "--json"])
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)
    assert list(found) == list(SUMMARY_KEYS) == AWARD_KEYS
    assert found == json.loads(json.dumps(round_summary(round_id, true())))
    assert (found["eligible"], found["online"], found["paper"], found["online_pct"]) == (4, 2, 2, 50.0)
    khh = json.loads(runner.invoke(args=["stats", "awards", "--round", str(round_id), "--user", "county.khh",
                                         "--json"]).output)
    assert (khh["bodies"], khh["eligible"], khh["paper"], khh["paper_only"], khh["paper_pct"]) == (1, 1, 1, 1, 100.0)
    for args in (["--round", str(round_id), "--user", "clerk.a"], ["--round", "999", "--user", "ministry"]):
        result = runner.invoke(args=["stats", "awards", *args, "--json"])
        assert result.exit_code != 0 and not result.output.startswith("{")
    table = runner.invoke(args=["stats", "awards", "--round", str(round_id), "--user", "ministry"]).output
    assert ["online_pct", "50.0"] in [line.split() for line in table.splitlines()]
