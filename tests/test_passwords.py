"""Password policy: lengths, the bundled common-password list, the user's own words, reuse
(docs/rules/accounts.md#ac3)."""
from itertools import pairwise

import pytest
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.auth.models import User
from portal.auth.passwords import COMMON_PASSWORDS_FILE, common_passwords, policy_problems
from portal.platform.extensions import db
from tests.conftest import PASSWORD, login


def change(client, new, current=PASSWORD):
    return client.post("/password", data={"current": current, "new": new, "confirm": new})


def test_the_bundled_list_has_at_least_10000_entries_and_refuses_every_one(app):
    entries = [line for line in COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
               if line and not line.startswith("#")]
    assert len(set(entries)) >= 10_000 and len(common_passwords()) == len(set(entries))
    with force_locale("en"):
        accepted = [p for p in entries if "This password is too common." not in policy_problems(p, "volunteer")]
    assert accepted == []


def test_common_passwords_are_refused_whatever_their_case(app):
    with force_locale("en"):
        assert "This password is too common." in policy_problems("PassWord1234", "unit_clerk")
        assert "This password is too common." in policy_problems("1QAZ2WSX3EDC", "unit_clerk")


@settings(max_examples=200, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(length=st.integers(min_value=1, max_value=200))
def test_staff_lengths_12_to_128_only(app, length):
    password = ("Tz9!kq" * 40)[:length]
    with force_locale("en"):
        problems = policy_problems(password, "county")
    assert (problems == []) is (12 <= length <= 128), (length, problems)


@pytest.mark.parametrize("length,ok", [(7, False), (8, True), (128, True), (129, False)])
def test_volunteer_lengths(app, length, ok):
    assert (policy_problems(("Tz9!kq" * 40)[:length], "volunteer") == []) is ok


@pytest.mark.parametrize("new", [
    "my甲志工password",            # the person's name
    "born-19600517-ok",           # birth date (western)
    "born-0490517-okay",          # birth date (ROC year 49)
    "xx{id}xx",                   # national ID number
    "MOHW-is-my-password",        # the ministry
    "衛福部的志工密碼很長",            # the ministry in Chinese
])
def test_a_volunteer_password_may_not_be_built_from_their_own_words(world, client, new):
    person = world.people["a"]
    login(client, world.users["volunteer"])
    response = change(client, new.format(id=person.id_number.lower()))
    assert response.status_code == 422
    assert "不得包含您的姓名" in response.get_data(as_text=True)


def test_a_clerk_password_may_not_contain_the_unit_name(world, client):
    login(client, world.users["clerk_a"])
    assert change(client, "臺北甲協會的密碼很長喔").status_code == 422
    assert change(client, "tpe-a-office-secret").status_code == 422  # unit code
    assert change(client, "an-unrelated-long-phrase").status_code == 302


def test_staff_may_not_reuse_their_last_three_passwords(world, client):
    login(client, world.users["clerk_a"])
    history = [PASSWORD, "second-long-secret", "third-long-secret", "fourth-long-secret"]
    for current, new in pairwise(history):
        assert change(client, new, current=current).status_code == 302
    # current is "fourth"; the last three are fourth, third, second — the first one is the 4th-last
    for recent in history[1:]:
        response = change(client, recent, current=history[-1])
        assert response.status_code == 422 and "最近 3 組密碼不得重複使用" in response.get_data(as_text=True)
    assert change(client, PASSWORD, current=history[-1]).status_code == 302
    user = db.session.get(User, world.users["clerk_a"].id)
    assert len(user.previous_password_hashes) == 2 and PASSWORD not in user.password_history


def test_volunteers_may_reuse_a_password(world, client):
    """附表十 lets the agency set external users' rules; ASVS/NIST: no forced rotation or history."""
    login(client, world.users["volunteer"])
    assert change(client, "volunteer-long-phrase").status_code == 302
    assert change(client, PASSWORD, current="volunteer-long-phrase").status_code == 302


def test_the_admin_reset_obeys_the_same_rules(world, client):
    login(client, world.users["admin"])
    target = world.users["clerk_a"]
    client.post(f"/admin/users/{target.id}/password", data={"password": PASSWORD})
    assert db.session.get(User, target.id).must_change_password is False  # refused: current password
    client.post(f"/admin/users/{target.id}/password", data={"password": "temporary-reset-99"})
    assert db.session.get(User, target.id).must_change_password is True
