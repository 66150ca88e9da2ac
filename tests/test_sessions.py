"""Idle and absolute session limits, and the warning before the idle sign-out."""
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from tests.conftest import PASSWORD

pytestmark = pytest.mark.sessions

START = datetime(2026, 11, 26, 1, 0, 0)


def sign_in(client, username):
    assert client.post("/login", data={"username": username, "password": PASSWORD}).status_code == 302


@pytest.mark.parametrize("username,limit", [("clerk.a", 30), ("volunteer.a", 30), ("county.tpe", 15),
                                            ("ministry", 15)])
def test_idle_sessions_end(world, client, username, limit):
    with freeze_time(START) as frozen:
        sign_in(client, username)
        frozen.move_to(START + timedelta(minutes=limit - 1))
        assert client.get("/").status_code == 200
        frozen.move_to(START + timedelta(minutes=2 * limit - 2))
        assert client.get("/").status_code == 200            # still within limit of the last request
        frozen.move_to(START + timedelta(minutes=3 * limit))
        response = client.get("/units/")
        assert response.status_code == 302 and "/login" in response.headers["Location"]
        assert "<h1>" in client.get("/login").get_data(as_text=True)


def test_no_session_outlives_eight_hours(world, client):
    with freeze_time(START) as frozen:
        sign_in(client, "clerk.a")
        for minutes in range(20, 8 * 60, 20):
            frozen.move_to(START + timedelta(minutes=minutes))
            assert client.get("/").status_code == 200
        frozen.move_to(START + timedelta(hours=8, minutes=1))
        assert client.get("/volunteers/").status_code == 302


def test_htmx_requests_after_the_limit_redirect_the_whole_page(world, client):
    with freeze_time(START) as frozen:
        sign_in(client, "clerk.a")
        frozen.move_to(START + timedelta(minutes=45))
        response = client.get("/volunteers/", headers={"HX-Request": "true"})
        assert response.status_code == 401 and response.headers["HX-Redirect"] == "/login"


def test_the_page_knows_when_to_warn_and_the_button_keeps_the_session(world, client):
    with freeze_time(START) as frozen:
        sign_in(client, "clerk.a")
        page = client.get("/").get_data(as_text=True)
        assert 'data-session-warning-after="1680"' in page and 'role="alertdialog"' in page
        frozen.move_to(START + timedelta(minutes=29))
        assert client.post("/session/extend").status_code == 204
        frozen.move_to(START + timedelta(minutes=58))
        assert client.get("/volunteers/").status_code == 200


def test_the_idle_limit_ends_only_the_idle_session(world, app, client):
    """A stale tab's cookie after the idle limit signs out that session only (docs/rules/accounts.md#ac6):
    the same account's other session, in use, goes on. Otherwise anyone holding an old cookie could sign
    the user out everywhere at will."""
    limit = 30 * 60
    other = app.test_client()
    with freeze_time(START) as frozen:
        sign_in(client, "clerk.a")                     # the tab left open
        sign_in(other, "clerk.a")                      # the one in use
        frozen.move_to(START + timedelta(seconds=limit - 1))
        assert client.get("/volunteers/").status_code == 200       # one second before the limit: still in
        assert other.get("/volunteers/").status_code == 200
        frozen.move_to(START + timedelta(seconds=2 * limit - 1))
        assert client.get("/volunteers/").status_code == 200       # exactly the limit since its last request
        assert other.get("/volunteers/").status_code == 200
        frozen.move_to(START + timedelta(seconds=2 * limit + limit // 2))
        assert other.get("/volunteers/").status_code == 200        # only the other session is used meanwhile
        frozen.move_to(START + timedelta(seconds=3 * limit))       # the tab: idle one second past the limit
        stale = client.get("/volunteers/")
        assert stale.status_code == 302 and "/login" in stale.headers["Location"]
        assert client.get("/volunteers/").status_code == 302       # that session stays ended
        assert other.get("/volunteers/").status_code == 200        # the other one was never touched


def test_the_absolute_limit_also_ends_only_that_session(world, app, client):
    other = app.test_client()
    with freeze_time(START) as frozen:
        sign_in(client, "clerk.a")
        frozen.move_to(START + timedelta(hours=7, minutes=50))
        sign_in(other, "clerk.a")
        for minutes in (8 * 60 - 1, 8 * 60 + 1):
            frozen.move_to(START + timedelta(minutes=minutes))
            assert other.get("/volunteers/").status_code == 200
        assert client.get("/volunteers/").status_code == 302
        assert other.get("/volunteers/").status_code == 200


def test_signing_out_and_a_new_password_end_every_session(world, app, client):
    other = app.test_client()
    sign_in(client, "clerk.a")
    sign_in(other, "clerk.a")
    client.post("/logout")
    assert other.get("/volunteers/").status_code == 302
    sign_in(client, "clerk.a")
    sign_in(other, "clerk.a")
    response = other.post("/password", data={"current": PASSWORD, "new": "a-brand-new-secret",
                                              "confirm": "a-brand-new-secret"})
    assert response.status_code == 302
    assert client.get("/volunteers/").status_code == 302
    assert other.get("/volunteers/").status_code == 200         # the session that changed it goes on
