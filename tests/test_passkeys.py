"""Passkeys (WebAuthn) and the account signals: docs/rules/accounts.md#pk1 and #ac10.

The ceremonies are tested with a software authenticator written here (an ES256 key, "none" attestation,
clientDataJSON and authenticatorData built byte by byte as the specification lays them out), so every
check of the server can be made to fail on purpose; the browser tests use Chromium's own virtual
authenticator through the DevTools protocol.
"""
import hashlib
import json
import os
import struct
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from freezegun import freeze_time
from sqlalchemy import select
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, encode_cbor

from portal.auth import signals
from portal.auth.devices import COOKIE
from portal.auth.models import Passkey, PasskeyChallenge, User
from portal.auth.rules import KNOWN_DEVICES, challenge_is_fresh, is_new_device, remember_device
from portal.platform.audit import AuditLog
from portal.platform.extensions import db
from tests.conftest import PASSWORD, login

ORIGIN = "http://localhost"  # the Flask test client's host


class SoftAuthenticator:
    """A platform authenticator in Python: one discoverable ES256 credential, user verification on."""

    def __init__(self, rp_id="localhost", origin=ORIGIN):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.sign_count = 0
        self.user_handle = None
        self.rp_id, self.origin = rp_id, origin

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def _cose_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return encode_cbor({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})

    def _client_data(self, kind, challenge, origin):
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or self.origin,
                           "crossOrigin": False}).encode()

    def _flags(self, uv, attested=False):
        return bytes([0x01 | (0x04 if uv else 0) | (0x40 if attested else 0)])

    def create(self, options, *, origin=None, challenge=None, uv=True, rp_id=None) -> dict:
        self.user_handle = options["user"]["id"]
        client_data = self._client_data("webauthn.create", challenge or options["challenge"], origin)
        auth_data = (hashlib.sha256((rp_id or self.rp_id).encode()).digest() + self._flags(uv, attested=True)
                     + struct.pack(">I", self.sign_count) + bytes(16)
                     + struct.pack(">H", len(self.credential_id)) + self.credential_id + self._cose_key())
        attestation = encode_cbor({"fmt": "none", "attStmt": {}, "authData": auth_data})
        return {"id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "attestationObject": bytes_to_base64url(attestation), "transports": ["internal"]}}

    def get(self, options, *, origin=None, challenge=None, uv=True, count=None) -> dict:
        self.sign_count = self.sign_count + 1 if count is None else count
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        auth_data = (hashlib.sha256(self.rp_id.encode()).digest() + self._flags(uv)
                     + struct.pack(">I", self.sign_count))
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": self.id, "rawId": self.id, "type": "public-key", "clientExtensionResults": {},
                "response": {"clientDataJSON": bytes_to_base64url(client_data),
                             "authenticatorData": bytes_to_base64url(auth_data),
                             "signature": bytes_to_base64url(signature), "userHandle": self.user_handle}}


def other_challenge() -> str:
    return bytes_to_base64url(os.urandom(32))


def is_signed_in(client) -> bool:
    return b'action="/logout"' in client.get("/").data


def add_passkey(client, authenticator, name="我的手機", password=PASSWORD, **create):
    options = client.post("/passkeys/options", data={"name": name, "password": password})
    assert options.status_code == 200, options.get_data(as_text=True)
    credential = authenticator.create(options.get_json(), **create)
    return client.post("/passkeys", data={"name": name, "password": password, "credential": json.dumps(credential)})


def enrolled(user, client_factory) -> SoftAuthenticator:
    """`user` with one passkey, added on the passkeys page of a session of their own."""
    authenticator = SoftAuthenticator()
    assert add_passkey(login(client_factory(), user), authenticator).status_code == 302
    return authenticator


def passkey_sign_in(client, authenticator, **get):
    options = client.post("/login/passkey/options").get_json()
    return client.post("/login/passkey", data={"credential": json.dumps(authenticator.get(options, **get))})


def second_step(client, authenticator, **get):
    options = client.post("/login/code/passkey/options")
    assert options.status_code == 200
    return client.post("/login/code/passkey",
                       data={"credential": json.dumps(authenticator.get(options.get_json(), **get))})


def password_sign_in(client, username):
    return client.post("/login", data={"username": username, "password": PASSWORD})


def passkeys_of(user) -> list[Passkey]:
    return list(db.session.scalars(select(Passkey).where(Passkey.user_id == user.id).order_by(Passkey.id)))


def failures_of(user) -> int:
    return db.session.get(User, user.id).failed_logins


# --- adding and removing ------------------------------------------------------------------------------

def test_a_volunteer_adds_a_passkey_named_and_audited(world, client):
    user = world.users["volunteer"]
    login(client, user)
    page = client.get("/passkeys").get_data(as_text=True)
    assert "通行金鑰" in page and "您尚未新增通行金鑰" in page
    authenticator = SoftAuthenticator()
    response = add_passkey(client, authenticator, name="客廳的平板")
    assert response.status_code == 302 and response.headers["Location"] == "/passkeys"
    [passkey] = passkeys_of(user)
    assert passkey.credential_id == authenticator.id and passkey.name == "客廳的平板"
    assert passkey.transports == "internal" and passkey.disabled_at is None
    assert passkey.user_handle == authenticator.user_handle and len(base64url_to_bytes(passkey.user_handle)) == 32
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "passkey.added",
                                                    AuditLog.object_id == passkey.id)) is not None
    assert "客廳的平板" in client.get("/passkeys").get_data(as_text=True)
    # A second passkey of the account gets the same user handle, and the first is excluded in the options.
    options = client.post("/passkeys/options", data={"name": "筆電", "password": PASSWORD}).get_json()
    assert options["user"]["id"] == passkey.user_handle
    assert [c["id"] for c in options["excludeCredentials"]] == [authenticator.id]
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["rp"]["id"] == "localhost"


def test_adding_needs_the_current_password_and_a_name(world, client):
    login(client, world.users["volunteer"])
    assert client.post("/passkeys/options", data={"name": "手機", "password": "wrong-password"}).status_code == 422
    assert client.post("/passkeys/options", data={"name": "", "password": PASSWORD}).status_code == 422
    assert client.post("/passkeys/options", data={"name": "x" * 61, "password": PASSWORD}).status_code == 422
    # Posted without the script (or after a 422 of the options), the page names the problems.
    page = client.post("/passkeys", data={"name": "", "password": "wrong-password"})
    assert page.status_code == 422 and "此欄位是必需的" in page.get_data(as_text=True)
    page = client.post("/passkeys", data={"name": "手機", "password": "wrong-password"})
    assert page.status_code == 422 and "目前密碼不正確" in page.get_data(as_text=True)
    client.post("/language", data={"lang": "en"})
    page = client.post("/passkeys", data={"name": "phone", "password": PASSWORD, "credential": "{not json"})
    assert page.status_code == 422 and "The passkey did not answer" in page.get_data(as_text=True)
    assert passkeys_of(world.users["volunteer"]) == []


@pytest.mark.parametrize("problem", ["challenge", "origin", "rp_id", "no_user_verification"])
def test_a_new_passkey_is_refused_when_the_response_does_not_match(world, client, problem):
    login(client, world.users["volunteer"])
    options = client.post("/passkeys/options", data={"name": "手機", "password": PASSWORD}).get_json()
    authenticator = SoftAuthenticator()
    credential = authenticator.create(options, **{
        "challenge": {"challenge": other_challenge()}, "origin": {"origin": "http://evil.example"},
        "rp_id": {"rp_id": "evil.example"}, "no_user_verification": {"uv": False}}[problem])
    response = client.post("/passkeys", data={"name": "手機", "password": PASSWORD,
                                              "credential": json.dumps(credential)})
    assert response.status_code == 422 and "無法驗證" in response.get_data(as_text=True)
    assert passkeys_of(world.users["volunteer"]) == []


def test_a_registration_response_is_good_once(world, client):
    login(client, world.users["volunteer"])
    options = client.post("/passkeys/options", data={"name": "手機", "password": PASSWORD}).get_json()
    credential = json.dumps(SoftAuthenticator().create(options))
    data = {"name": "手機", "password": PASSWORD, "credential": credential}
    assert client.post("/passkeys", data=data).status_code == 302
    replay = client.post("/passkeys", data=data)
    assert replay.status_code == 422 and "已逾時或已使用過" in replay.get_data(as_text=True)
    assert len(passkeys_of(world.users["volunteer"])) == 1


def test_removing_a_passkey_disables_it_and_keeps_the_row(world, app, client):
    user = world.users["volunteer"]
    authenticator = enrolled(user, app.test_client)
    [passkey] = passkeys_of(user)
    login(client, user)
    response = client.post(f"/passkeys/{passkey.id}/remove")
    assert response.status_code == 302
    db.session.expire_all()
    [passkey] = passkeys_of(user)
    assert passkey.disabled_at is not None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "passkey.disabled",
                                                    AuditLog.object_id == passkey.id)) is not None
    assert "您尚未新增通行金鑰" in client.get("/passkeys").get_data(as_text=True)
    assert client.post(f"/passkeys/{passkey.id}/remove").status_code == 404  # removed once
    refused = passkey_sign_in(app.test_client(), authenticator)
    assert refused.status_code == 422


def test_nobody_removes_another_accounts_passkey(world, app, client):
    enrolled(world.users["clerk_a"], app.test_client)
    [passkey] = passkeys_of(world.users["clerk_a"])
    login(client, world.users["admin"])
    assert client.post(f"/passkeys/{passkey.id}/remove").status_code == 404
    login(client, world.users["clerk_b"])
    assert client.post(f"/passkeys/{passkey.id}/remove").status_code == 404
    db.session.expire_all()
    assert passkeys_of(world.users["clerk_a"])[0].disabled_at is None


# --- signing in with a passkey alone ------------------------------------------------------------------

@pytest.mark.parametrize("persona", ["volunteer", "clerk_a"])
def test_volunteers_and_unit_staff_sign_in_with_a_passkey_alone(world, app, client, persona):
    user = world.users[persona]
    authenticator = enrolled(user, app.test_client)
    response = passkey_sign_in(client, authenticator)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_signed_in(client)
    [passkey] = passkeys_of(user)
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_the_next_address_survives_a_passkey_sign_in(world, app, client):
    authenticator = enrolled(world.users["volunteer"], app.test_client)
    page = client.get("/login?next=/volunteers/me").get_data(as_text=True)
    assert 'name="next" value="/volunteers/me"' in page
    options = client.post("/login/passkey/options").get_json()
    response = client.post("/login/passkey", data={"credential": json.dumps(authenticator.get(options)),
                                                   "next": "/volunteers/me"})
    assert response.headers["Location"] == "/volunteers/me"
    other = app.test_client()
    options = other.post("/login/passkey/options").get_json()
    response = other.post("/login/passkey", data={"credential": json.dumps(authenticator.get(options)),
                                                  "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_an_authority_passkey_alone_does_not_sign_in(world, app, client):
    """AC5: an authority's passkey is its second factor; the password comes first."""
    user = world.users["county_tpe"]
    authenticator = enrolled(user, app.test_client)
    response = passkey_sign_in(client, authenticator)
    assert response.status_code == 422 and "請先以帳號及密碼登入" in response.get_data(as_text=True)
    assert not is_signed_in(client)


@pytest.mark.parametrize("problem", ["challenge", "origin", "signature", "no_user_verification", "unknown"])
def test_a_passkey_sign_in_is_refused_when_the_response_does_not_match(world, app, client, problem):
    user = world.users["volunteer"]
    authenticator = enrolled(user, app.test_client)
    options = client.post("/login/passkey/options").get_json()
    if problem == "signature":
        credential = authenticator.get(options)
        credential["response"]["signature"] = SoftAuthenticator().get(options)["response"]["signature"]
    elif problem == "unknown":
        credential = SoftAuthenticator().get(options)
    else:
        credential = authenticator.get(options, **{"challenge": {"challenge": other_challenge()},
                                                   "origin": {"origin": "http://evil.example"},
                                                   "no_user_verification": {"uv": False}}[problem])
    response = client.post("/login/passkey", data={"credential": json.dumps(credential)})
    assert response.status_code == 422 and "無法以此通行金鑰登入" in response.get_data(as_text=True)
    assert not is_signed_in(client)
    assert failures_of(user) == (0 if problem == "unknown" else 1)


def test_a_replayed_sign_in_response_is_refused(world, app, client):
    authenticator = enrolled(world.users["volunteer"], app.test_client)
    options = client.post("/login/passkey/options").get_json()
    credential = json.dumps(authenticator.get(options))
    assert client.post("/login/passkey", data={"credential": credential}).status_code == 302
    thief = app.test_client()
    thief.post("/login/passkey/options")  # a challenge of its own, but the response signs the old one
    assert thief.post("/login/passkey", data={"credential": credential}).status_code == 422
    assert not is_signed_in(thief)


def test_an_old_session_cookie_cannot_replay_its_challenge(world, app, client):
    """The session says which challenge the browser got; the database makes it good once."""
    authenticator = enrolled(world.users["volunteer"], app.test_client)
    options = client.post("/login/passkey/options").get_json()
    saved_cookie = client.get_cookie("session").value
    credential = authenticator.get(options)
    assert client.post("/login/passkey", data={"credential": json.dumps(credential)}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved_cookie)
    credential = authenticator.get(options)  # even with a higher counter
    assert thief.post("/login/passkey", data={"credential": json.dumps(credential)}).status_code == 422
    assert not is_signed_in(thief)


def test_a_counter_that_goes_back_is_refused(world, app, client):
    """A counter lower than the last one seen means a cloned authenticator or a replayed response."""
    user = world.users["volunteer"]
    authenticator = enrolled(user, app.test_client)
    assert passkey_sign_in(app.test_client(), authenticator, count=7).status_code == 302
    assert passkey_sign_in(client, authenticator, count=7).status_code == 422   # the same is not more
    assert passkey_sign_in(client, authenticator, count=6).status_code == 422
    assert passkey_sign_in(client, authenticator, count=8).status_code == 302
    assert passkeys_of(user)[0].sign_count == 8


def test_authenticators_without_a_counter_keep_working(world, app):
    """Synced passkeys report 0 every time: no counter check is possible, the challenge still is."""
    user = world.users["volunteer"]
    authenticator = enrolled(user, app.test_client)
    for _ in range(2):
        assert passkey_sign_in(app.test_client(), authenticator, count=0).status_code == 302


def test_a_challenge_is_good_for_five_minutes(world, app):
    authenticator = enrolled(world.users["volunteer"], app.test_client)
    start = datetime(2026, 12, 6, 2, 0, 0)
    for wait, status in [(timedelta(minutes=4, seconds=59), 302), (timedelta(minutes=5), 422)]:
        client = app.test_client()
        with freeze_time(start) as frozen:
            options = client.post("/login/passkey/options").get_json()
            frozen.move_to(start + wait)
            response = client.post("/login/passkey", data={"credential": json.dumps(authenticator.get(options))})
        assert response.status_code == status, wait


def test_challenge_freshness_edges():
    made = datetime(2026, 12, 6, 2, 0, 0)
    assert challenge_is_fresh(made, made + timedelta(minutes=4, seconds=59, microseconds=999999))
    assert not challenge_is_fresh(made, made + timedelta(minutes=5))


def test_old_challenges_are_cleared_away(world, app, client):
    with freeze_time(datetime(2026, 12, 6, 2, 0, 0)) as frozen:
        client.post("/login/passkey/options")
        frozen.tick(timedelta(minutes=59))
        client.post("/login/passkey/options")
        assert db.session.query(PasskeyChallenge).count() == 2
        frozen.tick(timedelta(minutes=2))
        client.post("/login/passkey/options")
        assert db.session.query(PasskeyChallenge).count() == 2


def test_malformed_responses_answer_in_words_and_count_no_failure(world, app, client):
    user = world.users["volunteer"]
    enrolled(user, app.test_client)
    client.post("/login/passkey/options")
    for junk in ["", "{", "[]", "null", "NaN", '{"id": 5}', '{"id": "x", "response": []}', "x" * 30000,
                 '{"id": "x", "rawId": "x", "type": "public-key", "response": {"clientDataJSON": "!!"}}']:
        response = client.post("/login/passkey", data={"credential": junk})
        assert response.status_code == 422, junk
        assert "通行金鑰" in response.get_data(as_text=True)
    assert failures_of(user) == 0


def test_a_locked_account_cannot_sign_in_with_its_passkey(world, app, client):
    user = world.users["volunteer"]
    authenticator = enrolled(user, app.test_client)
    for _ in range(5):
        client.post("/login", data={"username": "volunteer.a", "password": "wrong-password"})
    assert db.session.get(User, user.id).locked_until is not None
    response = passkey_sign_in(client, authenticator)
    assert response.status_code == 422 and not is_signed_in(client)


# --- the second step of an authority ------------------------------------------------------------------

def test_a_county_account_sets_up_a_passkey_instead_of_the_app(world, client):
    user = world.users["county_tpe"]
    assert password_sign_in(client, "county.tpe").headers["Location"] == "/login/setup"
    page = client.get("/login/setup").get_data(as_text=True)
    assert "或改用通行金鑰" in page
    authenticator = SoftAuthenticator()
    assert client.post("/login/setup/passkey/options", data={"name": ""}).status_code == 422
    options = client.post("/login/setup/passkey/options", data={"name": "公務手機"}).get_json()
    response = client.post("/login/setup/passkey", data={"name": "公務手機",
                                                         "credential": json.dumps(authenticator.create(options))})
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert is_signed_in(client)
    assert db.session.get(User, user.id).totp_secret is None
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "user.mfa_enrolled",
                                                    AuditLog.object_id == user.id)) is not None
    # Enrolled: the next sign-in asks for the passkey, not for the app's set-up.
    client.post("/logout")
    assert password_sign_in(client, "county.tpe").headers["Location"] == "/login/code"
    page = client.get("/login/code").get_data(as_text=True)
    assert "使用通行金鑰" in page and 'name="code"' not in page
    assert client.get("/login/setup").headers["Location"] == "/login/code"
    response = second_step(client, authenticator)
    assert response.status_code == 302 and is_signed_in(client)
    with client.session_transaction() as sess:
        assert sess["mfa"] is True


def test_the_setup_passkey_needs_the_password_first(world, client):
    assert client.post("/login/setup/passkey/options", data={"name": "x"}).status_code == 422
    assert client.post("/login/setup/passkey", data={"name": "x"}).headers["Location"] == "/login"
    assert client.post("/login/code/passkey/options").status_code == 422
    assert client.post("/login/code/passkey", data={"credential": "{}"}).headers["Location"] == "/login"


def test_an_authority_with_app_and_passkey_may_use_either(world, app, client):
    user = world.users["ministry"]
    user.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    db.session.commit()
    authenticator = enrolled(user, app.test_client)
    password_sign_in(client, "ministry")
    page = client.get("/login/code").get_data(as_text=True)
    assert 'name="code"' in page and "或使用通行金鑰" in page
    assert second_step(client, authenticator).status_code == 302 and is_signed_in(client)


def test_a_password_and_someone_elses_passkey_is_no_sign_in(world, app, client):
    mine = enrolled(world.users["county_tpe"], app.test_client)
    theirs = enrolled(world.users["county_khh"], app.test_client)
    password_sign_in(client, "county.tpe")
    response = second_step(client, theirs)
    assert response.status_code == 422 and not is_signed_in(client)
    assert failures_of(world.users["county_tpe"]) == 1
    assert second_step(client, mine).status_code == 302


def test_five_failed_passkeys_lock_like_five_wrong_codes(world, app, client):
    """AC4: the 4th failure leaves the second step open, the 5th locks the account for 15 minutes."""
    user = world.users["county_tpe"]
    authenticator = enrolled(user, app.test_client)
    password_sign_in(client, "county.tpe")
    for attempt in range(1, 5):
        response = second_step(client, authenticator, origin="http://evil.example")
        assert response.status_code == 422, attempt
        assert failures_of(user) == attempt
    assert db.session.get(User, user.id).locked_until is None
    last = second_step(client, authenticator, origin="http://evil.example")
    assert last.status_code == 302 and last.headers["Location"] == "/login"
    assert db.session.get(User, user.id).locked_until is not None
    password_sign_in(client, "county.tpe")
    assert not is_signed_in(client)
    assert client.post("/login/code/passkey/options").status_code == 422


def test_an_admin_reset_of_two_step_sign_in_disables_the_passkeys(world, app, client):
    user = world.users["county_tpe"]
    authenticator = enrolled(user, app.test_client)
    user = db.session.get(User, user.id)
    user.mfa_enrolled_at = user.created_at
    db.session.commit()
    login(client, world.users["admin"])
    assert client.post(f"/admin/users/{user.id}/mfa/reset").status_code == 302
    db.session.expire_all()
    assert all(p.disabled_at is not None for p in passkeys_of(user))
    fresh = app.test_client()
    assert password_sign_in(fresh, "county.tpe").headers["Location"] == "/login/setup"
    assert fresh.post("/login/code/passkey/options").status_code == 422
    assert passkey_sign_in(app.test_client(), authenticator).status_code == 422


def test_relying_party_from_the_configuration(world, app, client):
    app.config.update(WEBAUTHN_RP_ID="portal.example.org", WEBAUTHN_ORIGIN="https://portal.example.org")
    login(client, world.users["volunteer"])
    options = client.post("/passkeys/options", data={"name": "手機", "password": PASSWORD}).get_json()
    assert options["rp"]["id"] == "portal.example.org"
    good = SoftAuthenticator(rp_id="portal.example.org", origin="https://portal.example.org")
    assert client.post("/passkeys", data={"name": "手機", "password": PASSWORD,
                                          "credential": json.dumps(good.create(options))}).status_code == 302
    # The request's own address is no longer accepted.
    options = client.post("/passkeys/options", data={"name": "筆電", "password": PASSWORD}).get_json()
    local = SoftAuthenticator(rp_id="portal.example.org")
    assert client.post("/passkeys", data={"name": "筆電", "password": PASSWORD,
                                          "credential": json.dumps(local.create(options))}).status_code == 422


# --- signals ------------------------------------------------------------------------------------------

@pytest.fixture
def received():
    seen = []

    def on_signed_in(user, **kw):
        seen.append(("signed_in", user.username, kw))

    def on_password_changed(user, **kw):
        seen.append(("password_changed", user.username, kw))
    signals.signed_in.connect(on_signed_in)
    signals.password_changed.connect(on_password_changed)
    yield seen
    signals.signed_in.disconnect(on_signed_in)
    signals.password_changed.disconnect(on_password_changed)


def test_sign_ins_are_signalled_with_new_devices(world, app, received):
    phone = app.test_client()
    phone.post("/login", data={"username": "clerk.a", "password": PASSWORD}, headers={"User-Agent": "Safari/18"})
    # The very first sign-in of an account is no news.
    assert received == [("signed_in", "clerk.a", {"new_device": False, "user_agent": "Safari/18"})]
    cookie = phone.get_cookie(COOKIE)
    assert cookie is not None and len(cookie.value) == 43 and cookie.http_only
    phone.post("/logout")
    password_sign_in(phone, "clerk.a")
    assert received[1][2]["new_device"] is False  # the same browser
    laptop = app.test_client()
    laptop.post("/login", data={"username": "clerk.a", "password": PASSWORD}, headers={"User-Agent": "Firefox/140"})
    assert received[2] == ("signed_in", "clerk.a", {"new_device": True, "user_agent": "Firefox/140"})
    laptop.post("/logout")
    password_sign_in(laptop, "clerk.a")
    assert received[3][2]["new_device"] is False  # now known
    known = db.session.get(User, world.users["clerk_a"].id).known_devices.split("\n")
    assert len(known) == 2 and cookie.value not in known  # hashes only


def test_passkey_and_second_step_sign_ins_are_signalled(world, app, received):
    authenticator = enrolled(world.users["volunteer"], app.test_client)
    passkey_sign_in(app.test_client(), authenticator)
    assert [r[:2] for r in received] == [("signed_in", "volunteer.a")]


def test_a_failed_sign_in_is_not_signalled(world, app, received):
    app.test_client().post("/login", data={"username": "clerk.a", "password": "wrong-password"})
    assert received == []


def test_password_changes_are_signalled(world, app, client, received):
    login(client, world.users["volunteer"])
    client.post("/password", data={"current": PASSWORD, "new": "a-new-long-passphrase-2026",
                                   "confirm": "a-new-long-passphrase-2026"})
    assert received == [("password_changed", "volunteer.a", {"how": "change"})]
    login(client, world.users["admin"])
    response = client.post(f"/admin/users/{world.users['clerk_a'].id}/password",
                           data={"password": "an-initial-passphrase-2026"})
    assert response.status_code == 302
    assert received[1:] == [("password_changed", "clerk.a", {"how": "reset"})]


def test_device_rules():
    assert not is_new_device([], "a")          # the account's first device is no news
    assert is_new_device(["b"], "a") and not is_new_device(["b", "a"], "a")
    known = [str(n) for n in range(KNOWN_DEVICES)]
    assert remember_device(known, "new") == ["new", *known[:-1]]      # the oldest is forgotten
    assert remember_device(known, "5") == ["5", *[k for k in known if k != "5"]]
    assert len(remember_device(known[:KNOWN_DEVICES - 1], "x")) == KNOWN_DEVICES


# --- in Chromium, with its virtual authenticator -----------------------------------------------------

AXE = (Path(__file__).parent / "vendor" / "axe-4.14.1.min.js").read_text()


def axe_violations(page):
    page.evaluate(AXE)
    # resultTypes: every node of a violation as before, one node of each passed rule (tests/test_accessibility.py)
    result = page.evaluate("() => axe.run(document, {runOnly: {type: 'tag', values: "
                           "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})")
    assert len(result["passes"]) > 10
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


@pytest.fixture
def chromium_page(browser):
    """A page with a virtual platform authenticator (CTAP2, resident keys, user verification)."""
    context = browser.new_context(locale="zh-TW")
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True, "automaticPresenceSimulation": True}})
    yield page
    context.close()


@pytest.fixture
def local_url(live_server):
    """WebAuthn needs a secure context and a domain as relying party: http://localhost is both."""
    return f"http://localhost:{live_server.server_port}"


def seed_accounts(live_server):
    from portal.auth.operations import create_user
    from portal.registry.models import Person
    from portal.registry.operations import authority_for
    with live_server.app.app_context():
        person = Person(name="林美玲", id_kind="national", id_number="A223456788")
        db.session.add(person)
        db.session.flush()
        create_user("volunteer.pk", PASSWORD, "volunteer", person_id=person.id, display_name="林美玲")
        create_user("county.pk", PASSWORD, "county", authority_id=authority_for("county", "TPE", None).id,
                    display_name="臺北市社會局")
        db.session.commit()


def add_in_browser(page, base, name):
    page.goto(base + "/passkeys")
    page.get_by_label("通行金鑰名稱").fill(name)
    page.get_by_label("目前密碼").fill(PASSWORD)
    page.get_by_role("button", name="新增通行金鑰").click()
    page.locator(".flash-success").wait_for()
    assert name in page.locator("main .doc-choices").inner_text()


def sign_out(page):
    page.locator("header form[action='/logout'] button").click()
    page.wait_for_url("**/login")


@pytest.mark.browser
def test_in_chromium_a_county_account_adds_a_passkey_then_signs_in_with_password_and_passkey(
        chromium_page, live_server, local_url):
    from tests.conftest import sign_in_page
    seed_accounts(live_server)
    page = chromium_page
    sign_in_page(page, local_url, "county.pk", "zh")  # first sign-in: the app is set up
    add_in_browser(page, local_url, "公務筆電")
    sign_out(page)
    page.get_by_label("帳號").fill("county.pk")
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url("**/login/code")
    page.get_by_role("button", name="使用通行金鑰").click()
    page.wait_for_url(local_url + "/")
    assert "臺北市社會局" in page.locator("header").inner_text()


@pytest.mark.browser
def test_in_chromium_a_volunteer_adds_a_passkey_and_signs_in_with_it(chromium_page, live_server, local_url):
    from tests.conftest import sign_in_page
    seed_accounts(live_server)
    page = chromium_page
    sign_in_page(page, local_url, "volunteer.pk", "zh")
    add_in_browser(page, local_url, "我的手機")
    sign_out(page)
    page.get_by_role("button", name="使用通行金鑰").click()
    page.wait_for_url(local_url + "/")
    assert "林美玲" in page.locator("header").inner_text()
    with live_server.app.app_context():
        passkey = db.session.scalar(select(Passkey))
        assert passkey.name == "我的手機" and passkey.last_used_at is not None


@pytest.mark.browser
def test_in_chromium_an_authority_sets_up_a_passkey_at_first_sign_in(chromium_page, live_server, local_url):
    seed_accounts(live_server)
    page = chromium_page
    page.goto(local_url + "/login")
    page.get_by_label("帳號").fill("county.pk")
    page.get_by_label("密碼").fill(PASSWORD)
    page.get_by_role("button", name="登入", exact=True).click()
    page.wait_for_url("**/login/setup")
    page.get_by_label("通行金鑰名稱").fill("安全金鑰")
    page.get_by_role("button", name="設定通行金鑰").click()
    page.wait_for_url(local_url + "/")
    assert "臺北市社會局" in page.locator("header").inner_text()


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["zh-TW", "en-US"])
def test_the_passkey_pages_pass_axe(browser, live_server, local_url, lang):
    seed_accounts(live_server)
    context = browser.new_context(locale=lang)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True, "hasUserVerification": True,
        "isUserVerified": True}})
    found = {}
    page.goto(local_url + "/login")
    page.locator("[data-passkey-supported] button").wait_for()
    found["login"] = axe_violations(page)
    page.fill("#username", "county.pk")
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/login/setup")
    found["setup"] = axe_violations(page)
    page.fill("#name", "")
    page.locator("form[data-passkey] button").click()
    page.wait_for_url("**/login/setup/passkey")
    found["setup with errors"] = axe_violations(page)
    page.fill("#name", "key")
    page.locator("form[data-passkey] button").click()
    page.wait_for_url(local_url + "/")
    page.goto(local_url + "/passkeys")
    found["passkeys"] = axe_violations(page)
    page.fill("#name", "")
    page.locator("form[data-passkey] button").click()
    page.locator(".error-summary").wait_for()
    found["passkeys with errors"] = axe_violations(page)
    page.goto("about:blank")
    context.clear_cookies()
    page.goto(local_url + "/login")
    page.fill("#username", "county.pk")
    page.fill("#password", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/login/code")
    found["second step"] = axe_violations(page)
    context.close()
    assert {k: v for k, v in found.items() if v} == {}


@pytest.mark.browser
def test_without_webauthn_the_button_is_hidden_and_the_page_says_so(browser, live_server, local_url):
    context = browser.new_context(locale="en-US")
    context.add_init_script("delete window.PublicKeyCredential")
    page = context.new_page()
    page.goto(local_url + "/login")
    assert page.get_by_text("This browser cannot use passkeys here").is_visible()
    assert not page.get_by_role("button", name="Use a passkey").is_visible()
    context.close()
