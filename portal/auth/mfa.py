"""Two-step sign-in with a time-based one-time code (TOTP, RFC 6238) for authority and admin accounts.

docs/rules/accounts.md#ac5: a stolen password alone must not open a ministry, county, sector-authority or
system-admin account, and a code seen once cannot be used again within its 30-second window.
"""
import hmac
import time
import unicodedata

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _

from portal.platform import access
from portal.platform.timeutil import utcnow

from . import passkeys
from .models import User

MFA_ROLES = access.AUTHORITIES + (access.ADMIN,)
STEP_SECONDS = 30
# One step either side absorbs a phone clock that is a little off.
TOLERANCE_STEPS = 1
ISSUER = "志願服務紀錄入口"


def requires_mfa(user: User) -> bool:
    return current_app.config["MFA_REQUIRED"] and user.role in MFA_ROLES


def enrolled(user: User) -> bool:
    """A second factor is set up: the authenticator app's key, or a passkey (docs/rules/accounts.md#pk1)."""
    return bool(user.totp_secret) or passkeys.has_passkey(user)


def grouped(secret: str) -> str:
    """The key as people type it into an app by hand: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, dark="#000", light="#fff",
                                                 title=_("QR code for your authenticator app"))


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def normalized(code: str) -> str | None:
    """Six ASCII digits (full-width digits and spaces as typed on Taiwanese keyboards allowed), or None."""
    code = unicodedata.normalize("NFKC", code or "").replace(" ", "")
    return code if len(code) == 6 and code.isascii() and code.isdigit() else None


def matching_step(secret: str, code: str, after_step: int | None, now: float | None = None) -> int | None:
    """The time step the code belongs to, if it is valid now and newer than the last one accepted."""
    code = normalized(code)
    if code is None:
        return None
    totp = pyotp.TOTP(secret)
    step = current_step(now)
    for candidate in range(step - TOLERANCE_STEPS, step + TOLERANCE_STEPS + 1):
        if after_step is not None and candidate <= after_step:
            continue
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_code(user: User, code: str) -> bool:
    """Checks a code against the enrolled key and uses it up."""
    step = matching_step(user.totp_secret, code, user.totp_last_step) if user.totp_secret else None
    if step is None:
        return False
    user.totp_last_step = step
    return True


def enrol(user: User, secret: str, code: str) -> bool:
    step = matching_step(secret, code, None)
    if step is None:
        return False
    user.totp_secret, user.totp_last_step, user.mfa_enrolled_at = secret, step, utcnow()
    return True


def reset(user: User):
    """Lost phone or key: the app's key is forgotten and every passkey disabled; set up again at next sign-in."""
    user.totp_secret = user.totp_last_step = user.mfa_enrolled_at = None
    passkeys.disable_all(user, "mfa_reset")
