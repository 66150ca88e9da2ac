"""The persona sweep's crawl helpers (tests/test_persona_sweep.py): signed sessions as cookies, the addresses that
reach a persona from outside the portal's links, and what a page leads to."""
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode

import sqlalchemy as sa

from portal.auth.models import User
from portal.platform.extensions import db
from portal.unit_registration.views import SUBMITTED_KEY


def entries(seeded) -> dict:
    """Addresses that reach a persona from outside the portal's links: {persona: [(url, session values)]}. The
    session values stand for what an earlier step left there (the password of a two-step sign-in, a unit's
    registration just sent)."""
    selections = {name: [(url, None) for url in urls] for name, urls in seeded.selections.items()}
    # (The API client register is not in the ministry's navigation yet: reached by its address.)
    return {**selections, "ministry": [("/api-clients/", None)], "anonymous": [
        ("/verify", None),                                            # printed on every document
        ("/accounts/recover", None),                                  # after "forgot password"
        (f"/accounts/recover/link/{seeded.recovery_token}", {}),      # mailed
        ("/unit-registration/submitted", {SUBMITTED_KEY: seeded.reference}),
        ("/login/setup", {"mfa_pending": "county.tpe"}),              # the authenticator's first set-up
        ("/login/code", {"mfa_pending": "ministry"}),                 # the second step
        ("/.well-known/did.json", None), ("/.well-known/jwks.json", None),   # keys a verifier fetches
        ("/api/v1/docs", None),                                       # the API's reference, given to developers
    ] + [(url, None) for url in seeded.verify_urls]}


def session_cookie(app, base: str, username: str | None, lang: str, extra: dict | None = None) -> dict:
    """A session as a cookie: signed in with the second step done (signing in through the pages is tested
    elsewhere and would cost seconds per persona), in `lang`, with `extra` values of an earlier step."""
    values = {"lang": lang, **(extra or {})}
    with app.app_context():
        if username:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            values.update({"_user_id": user.get_id(), "_fresh": True, "mfa": True})
        pending = values.get("mfa_pending")
        if isinstance(pending, str):
            user = db.session.scalar(sa.select(User).where(User.username == pending))
            values["mfa_pending"] = {"user": user.id, "token": user.session_token, "at": int(time.time()),
                                     "next": None, "nonce": "sweep"}
        value = app.session_interface.get_signing_serializer(app).dumps(values)
    return {"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base}


class PageParser(HTMLParser):
    """What a page leads to: links (pages), download links, images and style sheets (files), htmx GETs (pages
    or fragments) and GET forms, each form as the URL it submits with its defaults and one box of each name
    ticked."""

    def __init__(self):
        super().__init__()
        self.links, self.files, self.forms, self._form = [], [], [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            (self.files if "download" in a else self.links).append(a["href"])
        elif (tag == "img" and a.get("src")) or (tag == "link" and a.get("rel") == "stylesheet" and a.get("href")):
            self.files.append(a.get("src") or a["href"])
        if a.get("hx-get") and tag != "form":
            self.links.append(a["hx-get"])
        if tag == "form":
            get = (a.get("method") or "get").lower() == "get"
            self._form = {"action": a.get("hx-get") or a.get("action") or "", "values": [], "ticked": set(),
                          "select": None} if get else None
        elif self._form is not None:
            self._field(tag, a)

    def _field(self, tag, a):
        form, name = self._form, a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "image", "reset", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if name not in form["ticked"]:
                    form["ticked"].add(name)
                    form["values"].append((name, a.get("value", "on")))
            else:
                form["values"].append((name, a.get("value", "")))
        elif tag == "select" and name:
            form["select"] = [name, None, None]                     # name, selected option, first real option
        elif tag == "option" and form["select"]:
            value = a.get("value", "")
            if "selected" in a:
                form["select"][1] = value
            if value and form["select"][2] is None:
                form["select"][2] = value

    def handle_endtag(self, tag):
        if tag == "select" and self._form is not None and self._form["select"]:
            name, selected, first = self._form["select"]            # the chosen option, else the first real one:
            self._form["values"].append((name, selected if selected is not None else first or ""))  # rows to see
            self._form["select"] = None
        if tag == "form" and self._form is not None:
            query = urlencode([(k, v) for k, v in self._form["values"] if v != ""])
            self.forms.append(self._form["action"] + ("?" + query if query else ""))
            self._form = None


@dataclass
class Reached:
    pages: dict = field(default_factory=dict)   # route -> (url, session values)
    files: dict = field(default_factory=dict)   # route -> (url, status, content type)
