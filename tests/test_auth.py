"""Sign-in, lockout, rate limit, session end on logout, password policy, safe redirects."""
import re
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from portal import create_app
from portal.auth.rules import safe_next
from portal.platform.extensions import db
from tests.conftest import PASSWORD, base_config, login, reset_database


def sign_in(client, username, password=PASSWORD, **kw):
    return client.post("/login", data={"username": username, "password": password}, **kw)


def test_sign_in_and_out(world, client):
    response = sign_in(client, "clerk.a")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "甲志工" in client.get("/volunteers/").get_data(as_text=True)
    assert client.post("/logout").status_code == 302
    assert client.get("/volunteers/").status_code == 302


def test_passwords_are_stored_with_argon2id(world):
    assert world.users["clerk_a"].password_hash.startswith("$argon2id$")


def test_unknown_user_and_wrong_password_look_the_same(world, app):
    unknown = sign_in(app.test_client(), "nobody", "whatever-password")
    wrong = sign_in(app.test_client(), "clerk.a", "wrong-password-1")
    assert unknown.status_code == wrong.status_code == 422
    strip = lambda r: re.sub(r'value="[^"]*"|"X-CSRFToken": "[^"]*"', "", r.get_data(as_text=True))  # noqa: E731
    assert strip(unknown) == strip(wrong)
    cookie_names = [{c.split("=")[0] for c in r.headers.getlist("Set-Cookie")} for r in (unknown, wrong)]
    assert cookie_names[0] == cookie_names[1]


def test_five_failures_lock_the_account_for_fifteen_minutes(world, client):
    start = datetime(2026, 11, 26, 2, 0, 0)
    with freeze_time(start) as frozen:
        for _ in range(5):
            assert sign_in(client, "clerk.a", "wrong-password-1").status_code == 422
        assert sign_in(client, "clerk.a").status_code == 422          # right password, still locked
        assert sign_in(client, "clerk.b").status_code == 302           # other accounts unaffected
        client.post("/logout")
        frozen.move_to(start + timedelta(minutes=14, seconds=59))
        assert sign_in(client, "clerk.a").status_code == 422
        frozen.move_to(start + timedelta(minutes=15, seconds=1))
        assert sign_in(client, "clerk.a").status_code == 302


def test_a_copied_session_cookie_stops_working_after_logout(world, client, app):
    sign_in(client, "clerk.a")
    stolen = client.get_cookie("session").value
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/volunteers/").status_code == 302


def test_a_disabled_account_is_refused_on_the_next_request(world, client):
    login(client, world.users["clerk_a"])
    assert client.get("/volunteers/").status_code == 200
    world.users["clerk_a"].active = False
    db.session.commit()
    assert client.get("/volunteers/").status_code == 302


@pytest.mark.parametrize("new,ok", [
    ("short-pass", False),                 # 10 characters: too short for staff
    ("twelve-chars", True),
    ("x" * 64, True),
    ("y" * 129, False),
    ("password1234", False),               # common
    ("clerk.a-is-my-name", False),         # contains the username
])
def test_password_policy_for_staff(world, client, new, ok):
    login(client, world.users["clerk_a"])
    response = client.post("/password", data={"current": PASSWORD, "new": new, "confirm": new})
    assert (response.status_code == 302) is ok


def test_changing_the_password_ends_other_sessions(world, app, client):
    other = app.test_client()
    sign_in(other, "clerk.a")
    sign_in(client, "clerk.a")
    response = client.post("/password", data={"current": PASSWORD, "new": "a-brand-new-secret",
                                              "confirm": "a-brand-new-secret"})
    assert response.status_code == 302
    assert client.get("/volunteers/").status_code == 200
    assert other.get("/volunteers/").status_code == 302


def test_wrong_current_password_is_refused(world, client):
    login(client, world.users["clerk_a"])
    response = client.post("/password", data={"current": "nope-nope-nope", "new": "a-brand-new-secret",
                                              "confirm": "a-brand-new-secret"})
    assert response.status_code == 422


BAD_NEXT = ["//evil.example", "\\\\evil.example", "/\\evil.example", "http://evil.example/", "https:evil.example",
            "javascript:alert(1)", "http:/\\/evil.example", "///evil.example", "/\x00/evil.example",
            "\t//evil.example", "//evil.example/%2e%2e", "ftp://evil.example", " //evil.example",
            "/\n/evil.example", "data:text/html,x", "evil.example"]


@pytest.mark.parametrize("target", BAD_NEXT)
def test_hostile_next_targets_stay_on_site(target):
    assert safe_next(target) is None


def test_good_next_target_is_followed(world, client):
    response = sign_in(client, "clerk.a", query_string={"next": "/units/"})
    assert response.headers["Location"] == "/units/"


def test_login_is_rate_limited_per_address(tmp_path, backend):
    from tests.conftest import pg_database
    uri = "sqlite://" if backend == "sqlite" else pg_database("test")
    config = base_config(tmp_path, uri) | {"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}
    app = create_app(config)
    with app.app_context():
        reset_database()
        client = app.test_client()
        codes = [sign_in(client, "nobody", "whatever-pass").status_code for _ in range(4)]
        db.session.remove()
        db.engine.dispose()
    assert codes == [422, 422, 422, 429]


def test_expired_session_inside_an_htmx_request_redirects_the_whole_page(client):
    response = client.get("/volunteers/", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")
