"""Account administration: create with a forced password change, edit scope, unlock, reset."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from portal.platform.timeutil import utcnow
from tests.conftest import PASSWORD, login

ACCOUNT = {"username": "new.clerk", "display_name": "新承辦人", "role": "unit_clerk", "unit_code": "TPE-A",
           "county": "", "field": "", "person_id_number": "", "active": "y", "password": "initial-password-1",
           "email": "new.clerk@example.org", "phone": ""}


def test_the_admin_manages_every_account(world, client):
    # Supervisors, counties and the ministry manage some accounts too (tests/test_account_delegation.py).
    for persona in ("clerk_a", "sector_local", "volunteer"):
        login(client, world.users[persona])
        assert client.get("/admin/users").status_code == 403
    login(client, world.users["admin"])
    page = client.get("/admin/users").get_data(as_text=True)
    assert "clerk.a" in page and "county.tpe" in page


def test_create_an_account_that_must_change_its_password(world, app, client):
    login(client, world.users["admin"])
    assert client.post("/admin/users/new", data=ACCOUNT).status_code == 302
    user = db.session.scalar(select(User).where(User.username == "new.clerk"))
    assert user.unit_id == world.units["A"].id and user.must_change_password
    assert "user.create" in db.session.scalars(select(AuditLog.action))
    newcomer = app.test_client()
    newcomer.post("/login", data={"username": "new.clerk", "password": "initial-password-1"})
    response = newcomer.get("/volunteers/")
    assert response.status_code == 302 and response.headers["Location"] == "/password"
    newcomer.post("/password", data={"current": "initial-password-1", "new": "my-own-password-2",
                                     "confirm": "my-own-password-2"})
    assert newcomer.get("/volunteers/").status_code == 200


@pytest.mark.parametrize("changes,field", [
    ({"unit_code": "NOPE"}, "Enter the code of an existing unit"),
    ({"role": "county", "unit_code": ""}, "Choose the county or city"),
    ({"role": "sector_central", "unit_code": ""}, "Choose the service field"),
    ({"role": "volunteer", "person_id_number": "A123456789"}, "No registered volunteer"),
    ({"username": "clerk.a"}, "This username is taken"),
    ({"password": "short"}, "at least 12"),
    ({"username": "Bad Name!"}, "lower-case letters"),
    ({"email": ""}, "Enter the e-mail address"),
])
def test_account_form_refuses_incomplete_scopes(world, client, changes, field):
    login(client, world.users["admin"])
    world.users["admin"].locale = "en"
    db.session.commit()
    response = client.post("/admin/users/new", data=ACCOUNT | changes)
    assert response.status_code == 422 and field in response.get_data(as_text=True)


def test_changing_a_role_ends_the_users_sessions(world, app, client):
    victim = app.test_client()
    victim.post("/login", data={"username": "clerk.b", "password": PASSWORD})
    assert victim.get("/volunteers/").status_code == 200
    user = world.users["clerk_b"]
    login(client, world.users["admin"])
    data = ACCOUNT | {"username": "clerk.b", "role": "county", "county": "TPE", "unit_code": "",
                      "version": user.version}
    del data["password"]
    assert client.post(f"/admin/users/{user.id}", data=data).status_code == 302
    db.session.expire_all()
    assert user.role == "county" and user.authority.county_code == "TPE" and user.unit_id is None
    assert victim.get("/volunteers/").status_code == 302


def test_unlock_and_reset_password(world, app, client):
    user = world.users["clerk_a"]
    user.locked_until = utcnow() + timedelta(minutes=10)
    db.session.commit()
    login(client, world.users["admin"])
    client.post(f"/admin/users/{user.id}/unlock")
    db.session.expire_all()
    assert user.locked_until is None
    client.post(f"/admin/users/{user.id}/password", data={"password": "temporary-pass-99"})
    db.session.expire_all()
    assert user.must_change_password
    fresh = app.test_client()
    assert fresh.post("/login", data={"username": "clerk.a", "password": "temporary-pass-99"}).status_code == 302
