"""Accounts managed where the people are (docs/rules/accounts.md#am1, #am2): unit supervisors their clerks,
counties their units' supervisors and their own staff, the ministry the authority accounts; every actor ×
target role on both sides, the scoped list and loader (404 outside), audit lines, the first sign-in."""
import json
import re

import pytest
from sqlalchemy import select

from portal.admin.operations import may_manage
from portal.admin.rules import Anchor, creatable_roles, manageable, scope_fields
from portal.admin.scopes import manageable_accounts
from portal.auth.models import User
from portal.platform import access
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.registry.operations import authority_for
from tests.conftest import PASSWORD, login

NEW = {"username": "new.clerk", "display_name": "新承辦人", "email": "new.clerk@example.org", "phone": "02-2345-6789",
       "active": "y", "password": "initial-password-1"}



UNIT_A = Anchor(unit_id=1, county_code="TPE")
UNIT_B = Anchor(unit_id=2, county_code="TPE")
UNIT_C = Anchor(unit_id=3, county_code="KHH")
COUNTY_TPE = Anchor(authority_id=10, county_code="TPE")
COUNTY_KHH = Anchor(authority_id=11, county_code="KHH")
SECTOR_TPE = Anchor(authority_id=12, county_code="TPE")
CENTRAL = Anchor(authority_id=13)
MINISTRY = Anchor(authority_id=14)
NONE = Anchor()

ROLE_ANCHORS = [("unit_clerk", UNIT_A), ("unit_clerk", UNIT_B), ("unit_clerk", UNIT_C),
                ("unit_supervisor", UNIT_A), ("unit_supervisor", UNIT_B), ("unit_supervisor", UNIT_C),
                ("county", COUNTY_TPE), ("county", COUNTY_KHH), ("sector_local", SECTOR_TPE),
                ("sector_central", CENTRAL), ("ministry", MINISTRY), ("admin", NONE), ("volunteer", NONE)]

# actor role, actor anchor -> the (target role, target anchor) pairs it manages; every other pair is refused.
ALLOWED = {
    ("unit_supervisor", UNIT_A): {("unit_clerk", UNIT_A)},
    ("county", COUNTY_TPE): {("unit_supervisor", UNIT_A), ("unit_supervisor", UNIT_B), ("county", COUNTY_TPE)},
    ("ministry", MINISTRY): {("county", COUNTY_TPE), ("county", COUNTY_KHH), ("sector_local", SECTOR_TPE),
                             ("sector_central", CENTRAL), ("ministry", MINISTRY)},
    ("admin", NONE): set(ROLE_ANCHORS),
    ("unit_clerk", UNIT_A): set(),
    ("sector_local", SECTOR_TPE): set(),
    ("sector_central", CENTRAL): set(),
    ("volunteer", NONE): set(),
}


@pytest.mark.parametrize("actor", sorted(ALLOWED, key=str))
def test_manageable_every_actor_by_every_target(actor):
    role, anchor = actor
    for target in ROLE_ANCHORS:
        expected = target in ALLOWED[actor]
        assert manageable(role, anchor, *target) is expected, f"{actor} -> {target}"


def test_nobody_but_the_admin_manages_their_own_account():
    assert manageable("county", COUNTY_TPE, "county", COUNTY_TPE)
    assert not manageable("county", COUNTY_TPE, "county", COUNTY_TPE, same_account=True)
    assert not manageable("ministry", MINISTRY, "ministry", MINISTRY, same_account=True)
    assert manageable("admin", NONE, "admin", NONE, same_account=True)


def test_a_supervisor_or_county_without_an_anchor_manages_nothing():
    assert not manageable("unit_supervisor", NONE, "unit_clerk", NONE)
    assert not manageable("county", NONE, "unit_supervisor", Anchor(unit_id=5))
    assert not manageable("county", Anchor(authority_id=10), "county", NONE)


def test_creatable_roles_and_the_anchors_each_actor_names():
    assert creatable_roles("unit_supervisor") == ("unit_clerk",)
    assert creatable_roles("county") == ("unit_supervisor", "county")
    assert creatable_roles("ministry") == access.AUTHORITIES
    assert creatable_roles("admin") == access.ROLES
    assert creatable_roles("unit_clerk") == creatable_roles("sector_local") == creatable_roles("volunteer") == ()
    assert scope_fields("unit_supervisor") == ()
    assert scope_fields("county") == ("unit_code",)
    assert scope_fields("ministry") == ("county", "field")


def test_the_scoped_query_agrees_with_the_rule_for_every_persona_and_account(world):
    accounts = list(db.session.scalars(select(User)))
    for actor in world.users.values():
        listed = set(db.session.scalars(select(User.id).where(manageable_accounts(actor))))
        expected = {u.id for u in accounts if may_manage(actor, u)}
        assert listed == expected, actor.username


def audit_rows(action):
    return [(row.actor_id, json.loads(row.detail)) for row in
            db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id))]


def account(username):
    return db.session.scalar(select(User).where(User.username == username))


def unit_error(response) -> str:
    match = re.search(r'id="unit_code-error">([^<]*)<', response.get_data(as_text=True))
    return match.group(1) if match else ""


# --- unit supervisor ----------------------------------------------------------------------------------

def test_a_supervisor_creates_a_clerk_of_their_own_unit_without_naming_the_unit(world, client):
    login(client, world.users["supervisor_a"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="unit_code"' not in page and 'name="role"' not in page and 'name="county"' not in page
    # A role or unit slipped into the request is not the supervisor's to choose: the clerk joins unit A.
    response = client.post("/admin/users/new", data=NEW | {"role": "unit_supervisor", "unit_code": "TPE-B"})
    assert response.status_code == 302
    user = account("new.clerk")
    assert (user.role, user.unit_id, user.must_change_password) == ("unit_clerk", world.units["A"].id, True)
    assert user.email == "new.clerk@example.org"
    [(actor_id, detail)] = audit_rows("user.create")
    assert actor_id == world.users["supervisor_a"].id and detail["unit_id"] == world.units["A"].id


def test_a_supervisor_sees_and_opens_only_their_units_clerks(world, client):
    login(client, world.users["supervisor_a"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "clerk.a" in page and "clerk.b" not in page and "county.tpe" not in page
    assert ">supervisor.a<" not in page   # not even their own account
    assert client.get(f"/admin/users/{world.users['clerk_a'].id}").status_code == 200
    for other in ("clerk_b", "supervisor_a", "county_tpe", "volunteer"):
        assert client.get(f"/admin/users/{world.users[other].id}").status_code == 404, other
        assert client.post(f"/admin/users/{world.users[other].id}/password",
                           data={"password": "another-initial-9"}).status_code == 404, other


def test_a_supervisor_disables_and_resets_a_clerk_and_each_is_audited(world, app, client):
    clerk = world.users["clerk_a"]
    session = app.test_client()
    session.post("/login", data={"username": "clerk.a", "password": PASSWORD})
    assert session.get("/volunteers/").status_code == 200
    login(client, world.users["supervisor_a"])
    response = client.post(f"/admin/users/{clerk.id}", data={"display_name": "甲承辦", "email": "a@example.org",
                                                             "phone": "", "version": clerk.version,
                                                             "role": "county", "unit_code": "TPE-B"})
    assert response.status_code == 302
    db.session.expire_all()
    assert (clerk.active, clerk.role, clerk.unit_id) == (False, "unit_clerk", world.units["A"].id)
    assert session.get("/volunteers/").status_code == 302   # disabled: the open session ended
    [(actor_id, detail)] = audit_rows("user.update")
    assert actor_id == world.users["supervisor_a"].id and detail["changes"]["active"] == [True, False]
    client.post(f"/admin/users/{clerk.id}/password", data={"password": "temporary-pass-99"})
    db.session.expire_all()
    assert clerk.must_change_password
    assert [actor for actor, _ in audit_rows("user.reset_password")] == [world.users["supervisor_a"].id]


def test_unlock_and_second_factor_reset_stay_with_the_admin(world, client):
    clerk = world.users["clerk_a"]
    for persona in ("supervisor_a", "county_tpe", "ministry"):
        login(client, world.users[persona])
        assert client.post(f"/admin/users/{clerk.id}/unlock").status_code == 403
        assert client.post(f"/admin/users/{clerk.id}/mfa/reset").status_code == 403
    login(client, world.users["supervisor_a"])
    page = client.get(f"/admin/users/{clerk.id}").get_data(as_text=True)
    assert "/unlock" not in page and "/mfa/reset" not in page


def test_a_stale_account_form_answers_409(world, client):
    clerk = world.users["clerk_a"]
    login(client, world.users["supervisor_a"])
    data = {"display_name": "x", "email": "a@example.org", "active": "y", "version": clerk.version - 1}
    assert client.post(f"/admin/users/{clerk.id}", data=data).status_code == 409


def test_roles_without_delegation_get_403(world, client):
    for persona in ("clerk_a", "sector_local", "sector_central", "volunteer"):
        login(client, world.users[persona])
        assert client.get("/admin/users").status_code == 403, persona
        assert client.get("/admin/users/new").status_code == 403, persona


# --- county ---------------------------------------------------------------------------------------------

def test_a_county_creates_supervisors_of_its_own_units_only(world, client):
    login(client, world.users["county_tpe"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="unit_code"' in page and 'name="county"' not in page and 'name="field"' not in page
    assert 'value="unit_clerk"' not in page and 'value="ministry"' not in page
    data = NEW | {"username": "sup.b", "role": "unit_supervisor", "unit_code": "TPE-B"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    assert (account("sup.b").role, account("sup.b").unit_id) == ("unit_supervisor", world.units["B"].id)
    foreign = client.post("/admin/users/new", data=data | {"username": "sup.c", "unit_code": "KHH-C"})
    assert foreign.status_code == 422 and account("sup.c") is None
    missing = client.post("/admin/users/new", data=data | {"username": "sup.x", "unit_code": "NOPE"})
    # Another county's unit reads exactly like a unit that does not exist.
    assert missing.status_code == 422 and unit_error(missing) == unit_error(foreign) != ""
    assert client.post("/admin/users/new", data=data | {"username": "clerk.x", "role": "unit_clerk"}).status_code == 422
    assert account("clerk.x") is None


def test_a_county_creates_staff_of_its_own_authority(world, client):
    login(client, world.users["county_tpe"])
    data = NEW | {"username": "county.tpe.2", "role": "county", "unit_code": "TPE-A"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    user = account("county.tpe.2")
    assert (user.role, user.authority_id, user.unit_id) == ("county", world.users["county_tpe"].authority_id, None)


def test_a_county_opens_its_supervisors_and_colleagues_not_clerks_or_other_counties(world, make_user, client):
    colleague = make_user("county.tpe.b", "county", authority_id=world.users["county_tpe"].authority_id)
    login(client, world.users["county_tpe"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "supervisor.a" in page and "county.tpe.b" in page
    assert "clerk.a" not in page and "county.khh" not in page and "sector.tpe.social" not in page
    assert client.get(f"/admin/users/{world.users['supervisor_a'].id}").status_code == 200
    assert client.get(f"/admin/users/{colleague.id}").status_code == 200
    for other in ("clerk_a", "county_khh", "sector_local", "ministry", "county_tpe"):
        assert client.get(f"/admin/users/{world.users[other].id}").status_code == 404, other
    login(client, world.users["county_khh"])
    assert client.get(f"/admin/users/{world.users['supervisor_a'].id}").status_code == 404


# --- ministry -------------------------------------------------------------------------------------------

def test_the_ministry_creates_authority_accounts_only(world, client):
    login(client, world.users["ministry"])
    page = client.get("/admin/users/new").get_data(as_text=True)
    assert 'name="county"' in page and 'name="field"' in page and 'name="unit_code"' not in page
    data = NEW | {"username": "sector.tpe.edu", "role": "sector_local", "county": "TPE", "field": "education"}
    assert client.post("/admin/users/new", data=data).status_code == 302
    assert account("sector.tpe.edu").authority_id == authority_for("sector_local", "TPE", "education").id
    assert client.post("/admin/users/new", data=data | {"username": "ministry.two", "role": "ministry"}).status_code == 302
    for role in ("unit_supervisor", "unit_clerk", "admin", "volunteer"):
        response = client.post("/admin/users/new", data=data | {"username": f"x.{role}", "role": role})
        assert response.status_code == 422 and account(f"x.{role}") is None, role
    missing_field = client.post("/admin/users/new", data=data | {"username": "y", "field": ""})
    assert missing_field.status_code == 422


def test_the_ministry_list_holds_the_authorities(world, client):
    login(client, world.users["ministry"])
    page = client.get("/admin/users").get_data(as_text=True)
    for name in ("county.tpe", "county.khh", "sector.tpe.social", "sector.education"):
        assert name in page
    for name in ("clerk.a", "supervisor.a", "volunteer.a", ">admin<"):
        assert name not in page
    assert client.get(f"/admin/users/{world.users['supervisor_a'].id}").status_code == 404


# --- every new account ----------------------------------------------------------------------------------

def test_staff_accounts_need_an_e_mail_address(world, client):
    login(client, world.users["supervisor_a"])
    response = client.post("/admin/users/new", data=NEW | {"email": ""})
    assert response.status_code == 422 and account("new.clerk") is None
    response = client.post("/admin/users/new", data=NEW | {"email": "not-an-address"})
    assert response.status_code == 422


def test_the_new_account_is_told_it_exists_never_its_password(world, client):
    from portal.notifications.models import Notification, OutboxMessage
    login(client, world.users["supervisor_a"])
    client.post("/admin/users/new", data=NEW)
    user = account("new.clerk")
    [note] = db.session.scalars(select(Notification).where(Notification.user_id == user.id))
    assert note.event == "accounts.created" and note.params["username"] == "new.clerk"
    mails = list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.address == "new.clerk@example.org")))
    assert mails and all(NEW["password"] not in m.body and NEW["password"] not in m.subject for m in mails)


def test_the_account_created_mail_arrives_through_smtp_without_the_password(world, client, smtp_server):
    login(client, world.users["county_tpe"])
    client.post("/admin/users/new", data=NEW | {"username": "sup.b", "role": "unit_supervisor", "unit_code": "TPE-B",
                                                "email": "sup.b@example.org"})
    [mail] = smtp_server.wait_for(1)
    body = mail.get_content()
    assert mail["To"] == "sup.b@example.org" and "sup.b" in body
    assert NEW["password"] not in body and NEW["password"] not in mail["Subject"]


def test_the_first_sign_in_of_a_delegated_account_forces_a_password_change(world, app, client):
    login(client, world.users["supervisor_a"])
    client.post("/admin/users/new", data=NEW)
    newcomer = app.test_client()
    newcomer.post("/login", data={"username": "new.clerk", "password": NEW["password"]})
    response = newcomer.get("/volunteers/")
    assert response.status_code == 302 and response.headers["Location"] == "/password"
    newcomer.post("/password", data={"current": NEW["password"], "new": "my-own-password-2",
                                     "confirm": "my-own-password-2"})
    assert newcomer.get("/volunteers/").status_code == 200


def test_the_menu_shows_accounts_to_the_roles_that_manage_some(world, client):
    for persona, shown in (("supervisor_a", True), ("county_tpe", True), ("ministry", True), ("clerk_a", False),
                           ("sector_local", False)):
        login(client, world.users[persona])
        assert ('href="/admin/users"' in client.get("/").get_data(as_text=True)) is shown, persona
