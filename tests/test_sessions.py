"""Idle and absolute session limits, and the warning before the idle sign-out."""
from datetime import datetime, timedelta

import pytest
from freezegun import freeze_time

from tests.conftest import PASSWORD

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
