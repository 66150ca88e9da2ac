"""Two-step sign-in (TOTP) for authority and admin accounts: docs/rules/accounts.md#ac5."""
import re
import time

import pyotp
import pytest
from freezegun import freeze_time
from sqlalchemy import select

from portal.auth import mfa
from portal.auth.models import User
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from tests.conftest import PASSWORD, login

MFA_PERSONAS = ["county_tpe", "sector_local", "sector_central", "ministry", "admin"]


def sign_in(client, username, password=PASSWORD):
    return client.post("/login", data={"username": username, "password": password})



def is_signed_in(client) -> bool:
    return b'action="/logout"' in client.get("/").data


def enrol(user, secret=None) -> str:
    secret = secret or pyotp.random_base32(32)
    user.totp_secret = secret
    user.totp_last_step = None
    db.session.commit()
    return secret


def code_for(secret, offset_steps=0):
    return pyotp.TOTP(secret).at(time.time() + offset_steps * mfa.STEP_SECONDS)


@pytest.mark.parametrize("persona", MFA_PERSONAS)
def test_a_right_password_alone_gives_no_session_to_authority_and_admin_accounts(world, client, persona):
    user = world.users[persona]
    response = sign_in(client, user.username)
    assert response.status_code == 302 and response.headers["Location"] == "/login/setup"
    assert not is_signed_in(client)
    assert client.get("/volunteers/").status_code == 302


@pytest.mark.parametrize("persona", ["clerk_a", "supervisor_a", "volunteer"])
def test_unit_staff_and_volunteers_sign_in_with_the_password(world, client, persona):
    response = sign_in(client, world.users[persona].username)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_signed_in(client)


def test_first_sign_in_sets_up_the_app_from_the_qr_page(world, client):
    sign_in(client, "county.tpe")
    page = client.get("/login/setup").get_data(as_text=True)
    assert "<svg" in page and "otpauth" not in page  # the key travels in the QR image, not as a link
    key = re.search(r'<code class="mfa-key" lang="en">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert len(key) == 32
    assert client.get("/login/setup").get_data(as_text=True).count(" ".join(
        key[i:i + 4] for i in range(0, 32, 4))) == 1  # the same key until the step is finished

    wrong = client.post("/login/setup", data={"code": "000000" if code_for(key) != "000000" else "111111"})
    assert wrong.status_code == 422 and "does not match" in wrong.get_data(as_text=True) or "不符" in \
        wrong.get_data(as_text=True)
    assert db.session.get(User, world.users["county_tpe"].id).totp_secret is None

    done = client.post("/login/setup", data={"code": code_for(key)})
    assert done.status_code == 302 and done.headers["Location"] == "/"
    assert is_signed_in(client)
    user = db.session.get(User, world.users["county_tpe"].id)
    assert user.totp_secret == key and user.mfa_enrolled_at is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.mfa_enrolled",
                                                    AuditLog.object_id == user.id)) is not None


def test_the_setup_key_is_not_in_the_session_cookie(world, client):
    sign_in(client, "county.tpe")
    page = client.get("/login/setup").get_data(as_text=True)
    key = re.search(r'<code class="mfa-key" lang="en">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    cookie = client.get_cookie("session").value
    import base64
    import zlib
    payload = cookie.split(".")[1] if not cookie.startswith(".") else cookie.split(".")[1]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    try:
        raw = zlib.decompress(raw)
    except zlib.error:
        pass
    assert key.encode() not in raw


def test_an_enrolled_account_needs_the_current_code(world, client):
    secret = enrol(world.users["ministry"])
    response = sign_in(client, "ministry")
    assert response.headers["Location"] == "/login/code"
    bad = client.post("/login/code", data={"code": code_for(secret, offset_steps=-4)})
    assert bad.status_code == 422 and not is_signed_in(client)
    for junk in ["", "12345", "1234567", "abcdef", "12 34 5", "<script>", "１２３４５", "\u202e123456", "12345😀",
                 "𠀋𠀋𠀋𠀋𠀋𠀋", "9" * 5000, "\x00123456", "NaN", "-12345"]:
        assert client.post("/login/code", data={"code": junk}).status_code == 422
    assert db.session.get(User, world.users["ministry"].id).failed_logins == 1  # malformed input is no guess
    full_width = code_for(secret).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    good = client.post("/login/code", data={"code": full_width[:3] + " " + full_width[3:]})
    assert good.status_code == 302 and is_signed_in(client)
    assert db.session.get(User, world.users["ministry"].id).failed_logins == 0


def test_a_code_cannot_be_used_twice(world, client, app):
    secret = enrol(world.users["ministry"])
    code = code_for(secret)
    sign_in(client, "ministry")
    assert client.post("/login/code", data={"code": code}).status_code == 302
    other = app.test_client()
    sign_in(other, "ministry")
    replay = other.post("/login/code", data={"code": code})
    assert replay.status_code == 422 and not is_signed_in(other)


def test_codes_one_step_off_are_accepted_two_are_not():
    secret = pyotp.random_base32(32)
    now = 1_800_000_000
    step = mfa.current_step(now)
    totp = pyotp.TOTP(secret)
    assert mfa.matching_step(secret, totp.generate_otp(step - 1), None, now) == step - 1
    assert mfa.matching_step(secret, totp.generate_otp(step + 1), None, now) == step + 1
    assert mfa.matching_step(secret, totp.generate_otp(step - 2), None, now) is None
    assert mfa.matching_step(secret, totp.generate_otp(step), step, now) is None  # already used
    assert mfa.matching_step(secret, totp.generate_otp(step - 1), step - 1, now) is None


def test_five_wrong_codes_lock_the_account_and_a_right_password_does_not_reset_them(world, client):
    secret = enrol(world.users["county_tpe"])
    wrong = str((int(code_for(secret)) + 1) % 1_000_000).zfill(6)
    sign_in(client, "county.tpe")
    for _ in range(3):
        client.post("/login/code", data={"code": wrong})
    sign_in(client, "county.tpe")  # the right password must not clear the count
    client.post("/login/code", data={"code": wrong})
    last = client.post("/login/code", data={"code": wrong})
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    assert db.session.get(User, world.users["county_tpe"].id).locked_until is not None
    sign_in(client, "county.tpe")
    assert client.post("/login/code", data={"code": code_for(secret)}).status_code == 302
    assert not is_signed_in(client)


def test_the_second_step_expires_after_five_minutes(world, client):
    secret = enrol(world.users["county_tpe"])
    with freeze_time() as frozen:
        sign_in(client, "county.tpe")
        frozen.tick(301)
        late = client.post("/login/code", data={"code": code_for(secret)})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert not is_signed_in(client)


def test_without_a_password_the_code_pages_lead_back_to_sign_in(world, client):
    enrol(world.users["county_tpe"])
    for path in ["/login/code", "/login/setup"]:
        assert client.get(path).headers["Location"] == "/login"
        assert client.post(path, data={"code": "123456"}).headers["Location"] == "/login"


def test_a_session_without_the_second_step_is_ended(world, client):
    """Defence in depth: only the code step marks a session as complete."""
    login(client, world.users["county_tpe"])
    with client.session_transaction() as sess:
        sess["mfa"] = False
    assert client.get("/volunteers/").status_code == 302
    assert not is_signed_in(client)
    login(client, world.users["clerk_a"])
    with client.session_transaction() as sess:
        sess["mfa"] = False
    assert client.get("/volunteers/").status_code == 200


def test_an_admin_resets_a_lost_phone_and_the_user_sets_up_again(world, client, app):
    user = world.users["county_tpe"]
    enrol(user)
    user.mfa_enrolled_at = user.created_at
    db.session.commit()
    old_token = user.session_token
    login(client, world.users["admin"])
    assert "重設兩步驟登入" in client.get(f"/admin/users/{user.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{user.id}/mfa/reset").status_code == 302
    user = db.session.get(User, user.id)
    assert user.totp_secret is None and user.session_token != old_token
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.reset_mfa")) is not None
    fresh = app.test_client()
    assert sign_in(fresh, "county.tpe").headers["Location"] == "/login/setup"


def test_cli_resets_two_step_sign_in(world, app):
    user = world.users["ministry"]
    enrol(user)
    result = app.test_cli_runner().invoke(args=["users", "reset-mfa", "ministry"])
    assert result.exit_code == 0, result.output
    assert db.session.get(User, user.id).totp_secret is None
    assert app.test_cli_runner().invoke(args=["users", "reset-mfa", "nobody"]).exit_code != 0


def test_the_next_address_survives_the_second_step(world, client):
    secret = enrol(world.users["county_tpe"])
    client.post("/login?next=/units/", data={"username": "county.tpe", "password": PASSWORD})
    assert client.post("/login/code", data={"code": code_for(secret)}).headers["Location"] == "/units/"


def test_the_second_step_pages_speak_english_too(world, client):
    enrol(world.users["ministry"])
    client.post("/language", data={"lang": "en"})
    sign_in(client, "ministry")
    page = client.get("/login/code").get_data(as_text=True)
    assert "Enter your sign-in code" in page and "Six-digit code" in page
    wrong = client.post("/login/code", data={"code": "12"}).get_data(as_text=True)
    assert "Enter the six digits the app shows." in wrong
    sign_in(client, "county.tpe")
    assert "Set up two-step sign-in" in client.get("/login/setup").get_data(as_text=True)
